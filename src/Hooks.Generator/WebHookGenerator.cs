using System;
using System.Collections.Immutable;
using System.Linq;
using Hooks.Generator.Diagnostics;
using Hooks.Generator.Emit;
using Hooks.Generator.Model;
using Hooks.Generator.Parsing;
using Microsoft.CodeAnalysis;

namespace Hooks.Generator;

/// <summary>
/// Emits the typed webhook code for <c>[WebHookEvent]</c> types and <c>IWebHookHandler&lt;T&gt;</c> implementations.
/// Parsing (Parsing/) turns symbols into equatable models (Model/); emitting (Emit/) turns models into source. Nothing
/// after a parser holds a symbol, syntax node, location or compilation, and models hold no spans, so unrelated edits
/// and line shifts hit the cache. Diagnostics are a separate output, mapped back to the compilation's own syntax trees
/// only when reported.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class WebHookGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var compilation = context.CompilationProvider;

        var events = context.SyntaxProvider
            .ForAttributeWithMetadataName(SymbolFacts.WebHookEventAttribute, EventParser.IsCandidate,
                static (c, ct) => Guard.Parse(() => EventParser.Parse(c, ct), "reading a [WebHookEvent] type",
                    f => new EventParseResult(null, f, "")))
            .WithTrackingName(TrackingNames.Events);

        var eventSpecs = events
            .Where(static r => r.Spec is not null)
            .Select(static (r, _) => r.Spec!)
            .WithTrackingName(TrackingNames.EventSpecs);

        var eventDiagnostics = events
            .Select(static (r, _) => r.Diagnostics)
            .WithTrackingName(TrackingNames.EventDiagnostics);
        RegisterDiagnostics(context, eventDiagnostics, compilation);

        var allEventSpecs = eventSpecs.Collect();
        var duplicates = allEventSpecs
            .Select(static (all, _) => Guard.Parse(() => Resolution.FindDuplicateEventTypes(all), "comparing event type names", f => f))
            .WithTrackingName(TrackingNames.DuplicateEventTypes);
        RegisterDiagnostics(context, duplicates, compilation);

        var collidingHintNames = allEventSpecs
            .Select(static (all, _) => Resolution.FindCollidingHintNames(all))
            .WithTrackingName(TrackingNames.CollidingHintNames);

        var jsonContextResults = context.SyntaxProvider
            .ForAttributeWithMetadataName(SymbolFacts.JsonSerializableAttribute, JsonContextParser.IsCandidate,
                static (c, ct) => Guard.Parse(() => JsonContextParser.Parse(c, ct), "reading a JsonSerializerContext",
                    f => new JsonContextParseResult(new JsonContextSpec("", EquatableArray<JsonSerializableEntry>.Empty, "unreadable"), f)))
            .Where(static c => c is not null)
            .Select(static (c, _) => c!)
            .WithTrackingName(TrackingNames.JsonContextResults);
        RegisterDiagnostics(context, jsonContextResults.Select(static (c, _) => c.Diagnostics), compilation);

        var jsonContexts = jsonContextResults
            .Select(static (c, _) => c.Spec)
            .WithTrackingName(TrackingNames.JsonContexts)
            .Collect()
            .Select(static (all, _) => all.OrderBy(c => c.FullyQualifiedName, StringComparer.Ordinal).ToEquatableArray())
            .WithTrackingName(TrackingNames.AllJsonContexts);

        var eventsWithJson = eventSpecs
            .Combine(jsonContexts)
            .Combine(collidingHintNames)
            .Select(static (input, _) => Resolution.ResolveJson(input.Left.Left, input.Left.Right, input.Right))
            .WithTrackingName(TrackingNames.EventsWithJson);
        RegisterDiagnostics(context, eventsWithJson.Select(static (spec, _) =>
            spec.JsonDiagnostic is { } d ? new[] { d }.ToEquatableArray() : EquatableArray<DiagnosticInfo>.Empty), compilation);
        context.RegisterSourceOutput(eventsWithJson, static (spc, spec) =>
            Guard.Emit(spc, $"writing {spec.HintName}", () => spc.AddSource(spec.HintName, EventEmitter.Emit(spec).ToSourceText())));

        var strictJson = eventsWithJson
            .Where(static e => e.JsonContext is not null)
            .Select(static (e, _) => e.Event.GeneratedNamespace)
            .Collect()
            .Select(static (all, _) => all.IsEmpty ? "" : all[0])
            .WithTrackingName(TrackingNames.StrictJson);
        context.RegisterSourceOutput(strictJson, static (spc, generatedNamespace) =>
        {
            if (generatedNamespace.Length > 0)
            {
                Guard.Emit(spc, "writing " + StrictJsonEmitter.HintName,
                    () => spc.AddSource(StrictJsonEmitter.HintName, StrictJsonEmitter.Emit(generatedNamespace).ToSourceText()));
            }
        });

        var handlers = context.SyntaxProvider
            .CreateSyntaxProvider(HandlerParser.IsCandidate,
                static (c, ct) => Guard.Parse(() => HandlerParser.Parse(c, ct), "reading a webhook handler", f => new HandlerParseResult(null, f)))
            .Where(static h => h is not null)
            .Select(static (h, _) => h!)
            .WithTrackingName(TrackingNames.Handlers);
        var handlerDiagnostics = handlers
            .Select(static (h, _) => h.Diagnostics)
            .WithTrackingName(TrackingNames.HandlerDiagnostics);
        RegisterDiagnostics(context, handlerDiagnostics, compilation);

        var compilationInfo = compilation
            .Select(static (c, _) => CompilationInfoParser.Parse(c))
            .WithTrackingName(TrackingNames.CompilationInfo);

        var assembly = events
            .Select(static (e, _) => new EventRef(e.FullyQualifiedName, e.Spec is not null))
            .Collect()
            .Combine(handlers.Select(static (h, _) => h.Spec).Where(static h => h is not null).Collect())
            .Combine(compilationInfo)
            .Select(static (input, _) => Guard.Parse(
                () => Resolution.BuildAssembly(input.Right, input.Left.Left, input.Left.Right!),
                "routing handlers",
                f => new AssemblyParseResult(new AssemblySpec(input.Right, default, default, default), f, Failed: true)))
            .WithTrackingName(TrackingNames.Assembly);
        RegisterDiagnostics(context, assembly.Select(static (result, _) => result.Diagnostics), compilation);
        context.RegisterSourceOutput(assembly, static (spc, result) =>
        {
            var spec = result.Spec;
            if (!result.Failed && AssemblyEmitter.ShouldEmit(spec))
            {
                Guard.Emit(spc, "writing " + AssemblyEmitter.HintName,
                    () => spc.AddSource(AssemblyEmitter.HintName, AssemblyEmitter.Emit(spec).ToSourceText()));
            }
        });
    }

    /// <summary>
    /// Reports diagnostics at locations in the current compilation's syntax trees. Combining with the compilation here
    /// costs a callback per edit and no emitted source; the models before it stay free of locations.
    /// </summary>
    private static void RegisterDiagnostics(IncrementalGeneratorInitializationContext context,
        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics, IncrementalValueProvider<Compilation> compilation) =>
        context.RegisterSourceOutput(diagnostics.Combine(compilation), static (spc, input) => Report(spc, input.Left, input.Right));

    private static void RegisterDiagnostics(IncrementalGeneratorInitializationContext context,
        IncrementalValueProvider<EquatableArray<DiagnosticInfo>> diagnostics, IncrementalValueProvider<Compilation> compilation) =>
        context.RegisterSourceOutput(diagnostics.Combine(compilation), static (spc, input) => Report(spc, input.Left, input.Right));

    private static void Report(SourceProductionContext context, EquatableArray<DiagnosticInfo> diagnostics, Compilation compilation)
    {
        foreach (var diagnostic in diagnostics)
        {
            Guard.Emit(context, "reporting " + diagnostic.Id, () => context.ReportDiagnostic(diagnostic.ToDiagnostic(compilation)));
        }
    }
}
