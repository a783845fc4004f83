namespace Hooks.Storage;

/// <summary>
/// Subscription event filters: an exact type name (<c>order.created</c>), a wildcard over a prefix's segments
/// (<c>order.*</c> takes <c>order.created</c> and <c>order.item.added</c>), or <c>*</c>. An empty filter takes all.
/// </summary>
public static class WebHookEventFilter
{
    /// <summary>Whether any of <paramref name="filters"/> takes <paramref name="eventType"/>.</summary>
    public static bool Matches(IReadOnlyList<string> filters, string eventType)
    {
        ArgumentNullException.ThrowIfNull(filters);
        ArgumentNullException.ThrowIfNull(eventType);
        if (filters.Count == 0)
        {
            return true;
        }
        for (var i = 0; i < filters.Count; i++)
        {
            if (Matches(filters[i], eventType))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether <paramref name="filter"/> takes <paramref name="eventType"/>.</summary>
    public static bool Matches(string filter, string eventType)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(eventType);
        if (filter == "*")
        {
            return true;
        }
        if (filter.EndsWith(".*", StringComparison.Ordinal))
        {
            // "order.*" takes "order.x" but not "order" nor "orders.x".
            var prefixLength = filter.Length - 1;
            return eventType.Length > prefixLength &&
                   eventType.AsSpan().StartsWith(filter.AsSpan(0, prefixLength), StringComparison.Ordinal);
        }
        return string.Equals(filter, eventType, StringComparison.Ordinal);
    }

    /// <summary>Whether <paramref name="filter"/> is a wildcard rather than an exact type name.</summary>
    public static bool IsWildcard(string filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return filter == "*" || filter.EndsWith(".*", StringComparison.Ordinal);
    }
}
