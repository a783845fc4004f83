using System.Collections.Frozen;
using Hooks.Infrastructure;

namespace Hooks.Receiving;

/// <summary>
/// Every generated dispatcher the app registered (one per assembly with handlers), as one: a type goes to the first
/// dispatcher that knows it. Each dispatcher runs all the handlers registered for a type, so one is enough.
/// </summary>
internal sealed class WebHookDispatchers : IWebHookDispatcher
{
    private readonly FrozenDictionary<string, IWebHookDispatcher> _byType;

    public WebHookDispatchers(IEnumerable<IWebHookDispatcher> dispatchers)
    {
        var byType = new Dictionary<string, IWebHookDispatcher>(StringComparer.Ordinal);
        foreach (var dispatcher in dispatchers)
        {
            foreach (var type in dispatcher.EventTypes)
            {
                byType.TryAdd(type, dispatcher);
            }
        }
        _byType = byType.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> EventTypes => _byType.Keys;

    public ValueTask<WebHookDispatchResult> DispatchAsync(WebHookContext context, ReadOnlyMemory<byte> data,
        IServiceProvider services, CancellationToken cancellationToken) =>
        _byType.TryGetValue(context.EventType, out var dispatcher)
            ? dispatcher.DispatchAsync(context, data, services, cancellationToken)
            : new ValueTask<WebHookDispatchResult>(WebHookDispatchResult.UnknownType);
}
