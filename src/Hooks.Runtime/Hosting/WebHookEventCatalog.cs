using System.Collections.Frozen;

namespace Hooks.Hosting;

/// <summary>The event types registered with <see cref="WebHooksBuilder.AddEvent{TEvent}"/>, by name.</summary>
public sealed class WebHookEventCatalog
{
    private readonly FrozenDictionary<string, WebHookEventDescriptor> _byType;

    /// <summary>Builds the catalog from the registered descriptors.</summary>
    public WebHookEventCatalog(IEnumerable<WebHookEventDescriptor> descriptors)
    {
        ArgumentNullException.ThrowIfNull(descriptors);
        _byType = descriptors
            .GroupBy(d => d.Type, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        All = [.. _byType.Values.OrderBy(d => d.Type, StringComparer.Ordinal)];
    }

    /// <summary>Every registered event type, ordered by name.</summary>
    public IReadOnlyList<WebHookEventDescriptor> All { get; }

    /// <summary>Finds an event type by its exact name.</summary>
    public bool TryGet(string type, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WebHookEventDescriptor? descriptor) =>
        _byType.TryGetValue(type, out descriptor);
}
