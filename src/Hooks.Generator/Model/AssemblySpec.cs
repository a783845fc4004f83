namespace Hooks.Generator.Model;

/// <summary>What the compilation references, so the assembly file only uses APIs that exist.</summary>
/// <param name="AssemblyName">The assembly's name, the registration key.</param>
/// <param name="HasRuntime">Hooks.Runtime is referenced (WebHookRegistry, IWebHookDispatcher).</param>
/// <param name="HasReceiver">Hooks.Runtime's MapWebHookReceiver and ASP.NET Core routing are referenced.</param>
/// <param name="GeneratedNamespace">Where this assembly's generated types go: <c>Hooks.Generated.{AssemblyName}</c>, so
/// assemblies that see each other's internals (InternalsVisibleTo) never meet two types of one name.</param>
/// <param name="VisibleMapWebHooksFrom">A referenced assembly whose generated <c>MapWebHooks</c> is visible here through
/// InternalsVisibleTo (a second one would make calls ambiguous), or null.</param>
internal sealed record CompilationInfo(string AssemblyName, bool HasRuntime, bool HasReceiver, string GeneratedNamespace,
    string? VisibleMapWebHooksFrom);

/// <summary>A case of the generated dispatcher's switch.</summary>
internal sealed record DispatchCase(string EventType, string EventFullyQualifiedName);

/// <summary>Everything the per-assembly file (registration, dispatcher, MapWebHooks) needs.</summary>
internal sealed record AssemblySpec(
    CompilationInfo Compilation,
    EquatableArray<string> Events,
    EquatableArray<HandlerSpec> Handlers,
    EquatableArray<DispatchCase> DispatchCases);

/// <summary>The per-assembly model and the diagnostics found while building it.</summary>
internal sealed record AssemblyParseResult(AssemblySpec Spec, EquatableArray<DiagnosticInfo> Diagnostics, bool Failed = false);
