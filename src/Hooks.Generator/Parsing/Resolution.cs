using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Hooks.Generator.Diagnostics;
using Hooks.Generator.Model;

namespace Hooks.Generator.Parsing;

/// <summary>The steps that combine models: JSON metadata per event, duplicate names, the per-assembly model.</summary>
internal static class Resolution
{
    /// <summary>Finds the context listing the event; the first by context name when several do.</summary>
    public static EventEmitSpec ResolveJson(EventSpec spec, EquatableArray<JsonContextSpec> contexts)
    {
        string? serializationOnly = null;
        foreach (var context in contexts)
        {
            foreach (var entry in context.Types)
            {
                if (entry.TypeFullyQualifiedName != spec.FullyQualifiedName)
                {
                    continue;
                }
                if (!entry.SerializationOnly)
                {
                    return new EventEmitSpec(spec, context.FullyQualifiedName, entry.PropertyName);
                }
                serializationOnly ??= context.FullyQualifiedName;
            }
        }
        return new EventEmitSpec(spec, null, null, serializationOnly);
    }

    public static EquatableArray<DiagnosticInfo> FindDuplicateEventTypes(ImmutableArray<EventSpec> events)
    {
        var diagnostics = new List<DiagnosticInfo>();
        foreach (var group in events.GroupBy(e => e.EventType, StringComparer.Ordinal))
        {
            var ordered = group.OrderBy(e => e.FullyQualifiedName, StringComparer.Ordinal).ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateEventTypeName, ordered[i].Location,
                    group.Key, Display(ordered[0].FullyQualifiedName), Display(ordered[i].FullyQualifiedName)));
            }
        }
        return diagnostics.ToEquatableArray();
    }

    public static AssemblyParseResult BuildAssembly(CompilationInfo compilation, ImmutableArray<EventRef> events,
        ImmutableArray<HandlerSpec> handlers)
    {
        var diagnostics = new List<DiagnosticInfo>();
        // Events of this compilation that had errors get no code: routing to them would only add errors to generated files.
        var invalid = new HashSet<string>(events.Where(e => !e.IsValid).Select(e => e.FullyQualifiedName), StringComparer.Ordinal);
        handlers = [.. handlers
            .Select(h => h with { Events = h.Events.Where(e => !invalid.Contains(e.EventFullyQualifiedName)).ToEquatableArray() })
            .Where(h => !h.Events.IsEmpty)];
        var orderedHandlers = handlers
            .GroupBy(h => h.FullyQualifiedName, StringComparer.Ordinal)
            .Select(g => g.First())
            .OrderBy(h => h.FullyQualifiedName, StringComparer.Ordinal)
            .ToList();

        var cases = new Dictionary<string, DispatchCase>(StringComparer.Ordinal);
        foreach (var handled in orderedHandlers.SelectMany(h => h.Events))
        {
            if (!cases.TryGetValue(handled.EventType, out var existing))
            {
                cases.Add(handled.EventType, new DispatchCase(handled.EventType, handled.EventFullyQualifiedName));
            }
            else if (existing.EventFullyQualifiedName != handled.EventFullyQualifiedName)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EventTypeHandledTwiceByDifferentTypes,
                    handled.HandlerLocation, handled.EventType, Display(existing.EventFullyQualifiedName),
                    Display(handled.EventFullyQualifiedName)));
            }
        }

        var spec = new AssemblySpec(
            compilation,
            events.Where(e => e.IsValid).Select(e => e.FullyQualifiedName).Distinct().OrderBy(e => e, StringComparer.Ordinal).ToEquatableArray(),
            orderedHandlers.ToEquatableArray(),
            cases.Values.OrderBy(c => c.EventType, StringComparer.Ordinal).ToEquatableArray());
        return new AssemblyParseResult(spec, diagnostics.ToEquatableArray());
    }

    private static string Display(string fullyQualifiedName) =>
        fullyQualifiedName.StartsWith("global::", StringComparison.Ordinal) ? fullyQualifiedName.Substring(8) : fullyQualifiedName;
}
