using Hooks.Generator.Model;

namespace Hooks.Generator.Emit;

/// <summary>
/// Writes the per-assembly file: the module initializer that registers events, handlers and the dispatcher with
/// <c>WebHookRegistry</c>; the dispatcher's switch over event type names; and <c>MapWebHooks</c>.
/// </summary>
internal static class AssemblyEmitter
{
    public const string HintName = "Hooks.WebHooks.g.cs";

    /// <summary>
    /// Whether the file has anything to say: registration when the assembly has events or handlers, and
    /// <c>MapWebHooks</c> whenever ASP.NET Core and the receiver are referenced, so <c>app.MapWebHooks()</c> compiles
    /// (and answers, knowing no event types) before the first handler is written.
    /// </summary>
    public static bool ShouldEmit(AssemblySpec spec) =>
        spec.Compilation.HasRuntime && (HasRegistration(spec) || MapsWebHooks(spec));

    private static bool HasRegistration(AssemblySpec spec) => !(spec.Events.IsEmpty && spec.Handlers.IsEmpty);

    private static bool MapsWebHooks(AssemblySpec spec) =>
        spec.Compilation.HasReceiver && spec.Compilation.VisibleMapWebHooksFrom is null;

    public static SourceWriter Emit(AssemblySpec spec)
    {
        var hasHandlers = !spec.DispatchCases.IsEmpty;
        var w = new SourceWriter();
        w.WriteLine(Sources.Header);
        if (HasRegistration(spec))
        {
            w.WriteLine("// A module initializer is how generated code registers itself without reflection or assembly scanning.");
            w.WriteLine("#pragma warning disable CA2255");
            w.WriteLine();
        }
        w.OpenBlock($"namespace {spec.Compilation.GeneratedNamespace}");
        if (HasRegistration(spec))
        {
            EmitRegistration(w, spec, hasHandlers);
        }
        if (hasHandlers || MapsWebHooks(spec))
        {
            if (HasRegistration(spec))
            {
                w.WriteLine();
            }
            EmitDispatcher(w, spec);
        }
        w.CloseBlock();

        if (MapsWebHooks(spec))
        {
            w.WriteLine();
            EmitMapWebHooks(w, spec.Compilation.GeneratedNamespace);
        }
        return w;
    }

    private static void EmitRegistration(SourceWriter w, AssemblySpec spec, bool hasHandlers)
    {
        w.WriteLine("/// <summary>Registers this assembly's webhook events and handlers when <c>AddWebHooks()</c> runs.</summary>");
        w.WriteLine(Sources.GeneratedCodeAttribute);
        w.OpenBlock("internal static class WebHooksRegistration");
        w.WriteLine("[global::System.Runtime.CompilerServices.ModuleInitializer]");
        w.WriteLine($"internal static void Initialize() => global::Hooks.Infrastructure.WebHookRegistry.Add({Literal(spec.Compilation.AssemblyName)}, Register);");
        w.WriteLine();
        w.OpenBlock("private static void Register(global::Hooks.Hosting.WebHooksBuilder builder)");
        foreach (var e in spec.Events)
        {
            w.WriteLine($"builder.AddEvent<{e}>();");
        }
        foreach (var handler in spec.Handlers)
        {
            foreach (var e in handler.Events)
            {
                w.WriteLine("global::Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAddEnumerable(");
                w.WriteLine("    builder.Services,");
                w.WriteLine($"    global::Microsoft.Extensions.DependencyInjection.ServiceDescriptor.Scoped<global::Hooks.IWebHookHandler<{e.EventFullyQualifiedName}>, {handler.FullyQualifiedName}>());");
            }
        }
        if (hasHandlers)
        {
            w.WriteLine("global::Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAddEnumerable(");
            w.WriteLine("    builder.Services,");
            w.WriteLine("    global::Microsoft.Extensions.DependencyInjection.ServiceDescriptor.Singleton<global::Hooks.Infrastructure.IWebHookDispatcher>(WebHookDispatcher.Instance));");
        }
        w.CloseBlock();
        w.CloseBlock();
    }

    private static void EmitDispatcher(SourceWriter w, AssemblySpec spec)
    {
        const string Result = "global::Hooks.Infrastructure.WebHookDispatchResult";
        w.WriteLine(spec.DispatchCases.IsEmpty
            ? "/// <summary>Routes verified messages by event type name; this assembly has no handlers yet, so every type is unknown.</summary>"
            : "/// <summary>Routes a verified message to this assembly's handlers by its event type name.</summary>");
        w.WriteLine(Sources.GeneratedCodeAttribute);
        w.OpenBlock("internal sealed class WebHookDispatcher : global::Hooks.Infrastructure.IWebHookDispatcher");
        w.WriteLine("private static readonly string[] s_eventTypes =");
        w.WriteLine("[");
        foreach (var c in spec.DispatchCases)
        {
            w.WriteLine($"    {Literal(c.EventType)},");
        }
        w.WriteLine("];").WriteLine();
        w.WriteLine("/// <summary>The dispatcher; it holds no state.</summary>");
        w.WriteLine("public static WebHookDispatcher Instance { get; } = new();");
        w.WriteLine();
        w.WriteLine("/// <inheritdoc />");
        w.WriteLine("public global::System.Collections.Generic.IReadOnlyCollection<string> EventTypes => s_eventTypes;");
        w.WriteLine();
        w.WriteLine("/// <inheritdoc />");
        w.WriteLine($"public global::System.Threading.Tasks.ValueTask<{Result}> DispatchAsync(");
        w.WriteLine("    global::Hooks.WebHookContext context,");
        w.WriteLine("    global::System.ReadOnlyMemory<byte> data,");
        w.WriteLine("    global::System.IServiceProvider services,");
        w.WriteLine("    global::System.Threading.CancellationToken cancellationToken)");
        w.OpenBlock();
        w.WriteLine("global::System.ArgumentNullException.ThrowIfNull(context);");
        w.WriteLine("global::System.ArgumentNullException.ThrowIfNull(services);");
        w.OpenBlock("switch (context.EventType)");
        foreach (var c in spec.DispatchCases)
        {
            w.WriteLine($"case {Literal(c.EventType)}:");
            w.WriteLine($"    return DispatchAsync<{c.EventFullyQualifiedName}>(context, data, services, cancellationToken);");
        }
        w.WriteLine("default:");
        w.WriteLine($"    return new global::System.Threading.Tasks.ValueTask<{Result}>({Result}.UnknownType);");
        w.CloseBlock();
        w.CloseBlock();
        if (spec.DispatchCases.IsEmpty)
        {
            // No handler yet: every type is unknown, answered as the receiver's UnknownEventType option says.
            w.CloseBlock();
            return;
        }
        w.WriteLine();
        w.WriteLine($"private static async global::System.Threading.Tasks.ValueTask<{Result}> DispatchAsync<TEvent>(");
        w.WriteLine("    global::Hooks.WebHookContext context,");
        w.WriteLine("    global::System.ReadOnlyMemory<byte> data,");
        w.WriteLine("    global::System.IServiceProvider services,");
        w.WriteLine("    global::System.Threading.CancellationToken cancellationToken)");
        w.WriteLine("    where TEvent : global::Hooks.IWebHookEvent<TEvent>");
        w.OpenBlock();
        w.WriteLine("var message = TEvent.ReadData(data.Span);");
        w.WriteLine("var handled = false;");
        w.OpenBlock("foreach (var handler in global::Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetServices<global::Hooks.IWebHookHandler<TEvent>>(services))");
        w.WriteLine("await handler.HandleAsync(message, context, cancellationToken).ConfigureAwait(false);");
        w.WriteLine("handled = true;");
        w.CloseBlock();
        w.OpenBlock("if (!handled)");
        w.WriteLine("throw new global::System.InvalidOperationException(");
        w.WriteLine("    \"No handler for '\" + TEvent.EventType + \"' is registered: call services.AddWebHooks() when configuring services.\");");
        w.CloseBlock();
        w.WriteLine($"return {Result}.Handled;");
        w.CloseBlock();
        w.CloseBlock();
    }

    private static void EmitMapWebHooks(SourceWriter w, string generatedNamespace)
    {
        w.OpenBlock("namespace Microsoft.AspNetCore.Builder");
        w.WriteLine("/// <summary>Maps the webhook receiver endpoint for the handlers in this assembly.</summary>");
        w.WriteLine(Sources.GeneratedCodeAttribute);
        w.OpenBlock("internal static class WebHooksEndpointRouteBuilderExtensions");
        w.WriteLine("/// <summary>");
        w.WriteLine("/// Maps one POST endpoint that verifies the signature, timestamp and id of each webhook, then routes it by its");
        w.WriteLine("/// event type to this assembly's <c>IWebHookHandler&lt;T&gt;</c> implementations.");
        w.WriteLine("/// </summary>");
        w.WriteLine("/// <param name=\"endpoints\">The application's endpoints.</param>");
        w.WriteLine("/// <param name=\"pattern\">The route; <c>/webhooks</c> unless given.</param>");
        w.WriteLine("/// <param name=\"receiverName\">The receiver whose secrets verify the requests; the default receiver when null.</param>");
        w.WriteLine("/// <returns>A builder to add authorization, names, filters or metadata to the endpoint.</returns>");
        w.WriteLine("public static global::Microsoft.AspNetCore.Builder.RouteHandlerBuilder MapWebHooks(");
        w.WriteLine("    this global::Microsoft.AspNetCore.Routing.IEndpointRouteBuilder endpoints,");
        w.WriteLine("    string pattern = \"/webhooks\",");
        w.WriteLine("    string? receiverName = null) =>");
        w.WriteLine("    global::Hooks.Infrastructure.WebHookReceiverEndpointRouteBuilderExtensions.MapWebHookReceiver(");
        w.WriteLine($"        endpoints, pattern, global::{generatedNamespace}.WebHookDispatcher.Instance, receiverName);");
        w.CloseBlock();
        w.CloseBlock();
    }

    private static string Literal(string value) =>
        Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(value, quote: true);
}
