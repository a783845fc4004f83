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
    /// <summary>
    /// Finds the context listing the event (the first by context name when several do) and gives the file its hint
    /// name. Contexts generated code cannot use, entries sharing a property name and serialization-only entries are
    /// skipped; when none is left the reason becomes the event's diagnostic.
    /// </summary>
    public static EventEmitSpec ResolveJson(EventSpec spec, EquatableArray<JsonContextSpec> contexts, EquatableArray<string> collidingHintNames)
    {
        var hintName = HintName(spec, collidingHintNames);
        DiagnosticInfo? problem = null;
        var display = Display(spec.FullyQualifiedName);
        foreach (var context in contexts)
        {
            foreach (var entry in context.Types)
            {
                if (entry.TypeFullyQualifiedName != spec.FullyQualifiedName)
                {
                    continue;
                }
                if (context.Unusable is { } why)
                {
                    problem ??= DiagnosticInfo.Create(DiagnosticDescriptors.NoJsonSerializerContext, spec.DeclaredAt,
                        $"The only JsonSerializerContext listing '{display}', '{Display(context.FullyQualifiedName)}', is {why}, so generated code cannot use it",
                        display,
                        why == "generic"
                            ? $"list the event in a non-generic context"
                            : $"make '{Display(context.FullyQualifiedName)}' (and any type containing it) internal or public");
                }
                else if (entry.SharesPropertyWith is { } other)
                {
                    problem = DiagnosticInfo.Create(DiagnosticDescriptors.JsonPropertyNameShared, spec.DeclaredAt,
                        Display(context.FullyQualifiedName), display, Display(other), entry.PropertyName);
                }
                else if (entry.SerializationOnly)
                {
                    problem ??= DiagnosticInfo.Create(DiagnosticDescriptors.SerializationOnlyJsonContext, spec.DeclaredAt,
                        display, Display(context.FullyQualifiedName));
                }
                else
                {
                    return new EventEmitSpec(spec, hintName, context.FullyQualifiedName, entry.PropertyName, null);
                }
            }
        }
        problem ??= DiagnosticInfo.Create(DiagnosticDescriptors.NoJsonSerializerContext, spec.DeclaredAt,
            $"No JsonSerializerContext in this project lists '{display}'", display,
            $"add [JsonSerializable(typeof({display}))] to a partial class deriving from JsonSerializerContext");
        return new EventEmitSpec(spec, hintName, null, null, problem);
    }

    /// <summary>
    /// The event hint names that collide with another's when case is ignored (or when a nested type and a namespace
    /// spell the same), so those get a suffix made from their full name. Empty almost always, so it caches.
    /// </summary>
    public static EquatableArray<string> FindCollidingHintNames(ImmutableArray<EventSpec> events) =>
        events
            .GroupBy(e => e.HintName, StringComparer.OrdinalIgnoreCase)
            .Where(g => g.Select(e => e.FullyQualifiedName).Distinct(StringComparer.Ordinal).Count() > 1)
            .SelectMany(g => g.Select(e => e.FullyQualifiedName))
            .Distinct(StringComparer.Ordinal)
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToEquatableArray();

    private static string HintName(EventSpec spec, EquatableArray<string> colliding)
    {
        if (!colliding.Contains(spec.FullyQualifiedName))
        {
            return spec.HintName;
        }
        // FNV-1a over the exact (case-sensitive) name: stable across runs and machines, unlike string.GetHashCode.
        var hash = 2166136261u;
        foreach (var c in spec.FullyQualifiedName)
        {
            hash = unchecked((hash ^ c) * 16777619u);
        }
        const string Suffix = ".WebHookEvent.g.cs";
        return spec.HintName.Substring(0, spec.HintName.Length - Suffix.Length) + "." + hash.ToString("x8", System.Globalization.CultureInfo.InvariantCulture) + Suffix;
    }

    public static EquatableArray<DiagnosticInfo> FindDuplicateEventTypes(ImmutableArray<EventSpec> events)
    {
        var diagnostics = new List<DiagnosticInfo>();
        foreach (var group in events.GroupBy(e => e.EventType, StringComparer.Ordinal))
        {
            var ordered = group.OrderBy(e => e.FullyQualifiedName, StringComparer.Ordinal).ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateEventTypeName, ordered[i].DeclaredAt,
                    group.Key, Display(ordered[0].FullyQualifiedName), Display(ordered[i].FullyQualifiedName))
                    with { AdditionalLocations = new[] { ordered[0].DeclaredAt }.ToEquatableArray() });
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
                    handled.Handler, handled.EventType, Display(existing.EventFullyQualifiedName),
                    Display(handled.EventFullyQualifiedName)));
            }
        }

        if (compilation.VisibleMapWebHooksFrom is { } other && cases.Count > 0 && compilation.HasReceiver)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MapWebHooksHidden, null,
                compilation.AssemblyName, other, compilation.GeneratedNamespace));
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
