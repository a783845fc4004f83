using System.Collections.Immutable;
using System.Linq;
using Hooks.Generator.Emit;
using Hooks.Generator.Model;
using Hooks.Generator.Parsing;
using Microsoft.CodeAnalysis;

namespace Hooks.Generator;

/// <summary>
/// Emits the typed webhook code for <c>[WebHookEvent]</c> types and <c>IWebHookHandler&lt;T&gt;</c> implementations.
/// Parsing (Parsing/) turns symbols into equatable models (Model/); emitting (Emit/) turns models into source. Nothing
/// after a parser holds a symbol, syntax node, location or compilation, so unrelated edits hit the cache.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class WebHookGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var events = context.SyntaxProvider
            .ForAttributeWithMetadataName(SymbolFacts.WebHookEventAttribute, EventParser.IsCandidate, EventParser.Parse)
            .WithTrackingName(TrackingNames.Events);

        var eventSpecs = events
            .Where(static r => r.Spec is not null)
            .Select(static (r, _) => r.Spec!)
            .WithTrackingName(TrackingNames.EventSpecs);

        var eventDiagnostics = events
            .Select(static (r, _) => r.Diagnostics)
            .WithTrackingName(TrackingNames.EventDiagnostics);
        context.RegisterSourceOutput(eventDiagnostics, static (spc, diagnostics) => Report(spc, diagnostics));

        var duplicates = eventSpecs
            .Collect()
            .Select(static (all, _) => Resolution.FindDuplicateEventTypes(all))
            .WithTrackingName(TrackingNames.DuplicateEventTypes);
        context.RegisterSourceOutput(duplicates, static (spc, diagnostics) => Report(spc, diagnostics));

        var jsonContexts = context.SyntaxProvider
            .ForAttributeWithMetadataName(SymbolFacts.JsonSerializableAttribute, JsonContextParser.IsCandidate, JsonContextParser.Parse)
            .Where(static c => c is not null)
            .Select(static (c, _) => c!)
            .WithTrackingName(TrackingNames.JsonContexts)
            .Collect()
            .Select(static (all, _) => all.OrderBy(c => c.FullyQualifiedName, System.StringComparer.Ordinal).ToEquatableArray())
            .WithTrackingName(TrackingNames.AllJsonContexts);

        var eventsWithJson = eventSpecs
            .Combine(jsonContexts)
            .Select(static (pair, _) => Resolution.ResolveJson(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.EventsWithJson);
        context.RegisterSourceOutput(eventsWithJson, static (spc, spec) =>
        {
            if (spec.SerializationOnlyContext is { } context)
            {
                spc.ReportDiagnostic(DiagnosticInfo.Create(Diagnostics.DiagnosticDescriptors.SerializationOnlyJsonContext,
                    spec.Event.Location, spec.Event.FullyQualifiedName.Substring("global::".Length), context.Substring("global::".Length)).ToDiagnostic());
            }
            else if (spec.JsonContext is null)
            {
                var display = spec.Event.FullyQualifiedName.Substring("global::".Length);
                spc.ReportDiagnostic(DiagnosticInfo.Create(Diagnostics.DiagnosticDescriptors.NoJsonSerializerContext,
                    spec.Event.Location, display, display).ToDiagnostic());
            }
            spc.AddSource(spec.Event.HintName, EventEmitter.Emit(spec).ToSourceText());
        });

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
                spc.AddSource(StrictJsonEmitter.HintName, StrictJsonEmitter.Emit(generatedNamespace).ToSourceText());
            }
        });

        var handlers = context.SyntaxProvider
            .CreateSyntaxProvider(HandlerParser.IsCandidate, HandlerParser.Parse)
            .Where(static h => h is not null)
            .Select(static (h, _) => h!)
            .WithTrackingName(TrackingNames.Handlers);
        var handlerDiagnostics = handlers
            .Select(static (h, _) => h.Diagnostics)
            .WithTrackingName(TrackingNames.HandlerDiagnostics);
        context.RegisterSourceOutput(handlerDiagnostics, static (spc, diagnostics) => Report(spc, diagnostics));

        var compilationInfo = context.CompilationProvider
            .Select(static (c, _) => CompilationInfoParser.Parse(c))
            .WithTrackingName(TrackingNames.CompilationInfo);

        var assembly = events
            .Select(static (e, _) => new EventRef(e.FullyQualifiedName, e.Spec is not null))
            .Collect()
            .Combine(handlers.Select(static (h, _) => h.Spec).Where(static h => h is not null).Collect())
            .Combine(compilationInfo)
            .Select(static (input, _) => Resolution.BuildAssembly(input.Right, input.Left.Left, input.Left.Right!))
            .WithTrackingName(TrackingNames.Assembly);
        context.RegisterSourceOutput(assembly, static (spc, result) =>
        {
            Report(spc, result.Diagnostics);
            var spec = result.Spec;
            if (spec.Compilation.VisibleMapWebHooksFrom is { } other && !spec.DispatchCases.IsEmpty && spec.Compilation.HasReceiver)
            {
                spc.ReportDiagnostic(DiagnosticInfo.Create(Diagnostics.DiagnosticDescriptors.MapWebHooksHidden, null,
                    spec.Compilation.AssemblyName, other, spec.Compilation.GeneratedNamespace).ToDiagnostic());
            }
            if (spec.Compilation.HasRuntime && !(spec.Events.IsEmpty && spec.Handlers.IsEmpty))
            {
                spc.AddSource(AssemblyEmitter.HintName, AssemblyEmitter.Emit(spec).ToSourceText());
            }
        });
    }

    private static void Report(SourceProductionContext context, EquatableArray<DiagnosticInfo> diagnostics)
    {
        foreach (var diagnostic in diagnostics)
        {
            context.ReportDiagnostic(diagnostic.ToDiagnostic());
        }
    }
}
