using System.ComponentModel;

namespace Hooks.Infrastructure;

/// <summary>
/// Routes a verified message to its typed handler. The Hooks source generator implements this with a switch over
/// the event types the assembly's <see cref="IWebHookHandler{TEvent}"/> implementations handle; only generated code
/// implements it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IWebHookDispatcher
{
    /// <summary>The event type names this dispatcher routes.</summary>
    IReadOnlyCollection<string> EventTypes { get; }

    /// <summary>
    /// Deserializes <paramref name="data"/> strictly as the event type named by <see cref="WebHookContext.EventType"/>
    /// and runs its handler(s) resolved from <paramref name="services"/>.
    /// </summary>
    /// <param name="context">The verified message's id, type, timestamps and headers.</param>
    /// <param name="data">The UTF-8 JSON of the envelope's <c>data</c> value.</param>
    /// <param name="services">The request's (or poll's) scoped services.</param>
    /// <param name="cancellationToken">Cancelled when the request is aborted.</param>
    /// <returns><see cref="WebHookDispatchResult.UnknownType"/> when no handler knows the type.</returns>
    /// <exception cref="WebHookPayloadException">The data does not fit the event type.</exception>
    ValueTask<WebHookDispatchResult> DispatchAsync(WebHookContext context, ReadOnlyMemory<byte> data,
        IServiceProvider services, CancellationToken cancellationToken);
}

/// <summary>What a dispatcher did with a message.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum WebHookDispatchResult
{
    /// <summary>A handler ran to completion.</summary>
    Handled,

    /// <summary>No handler is registered for the message's type.</summary>
    UnknownType,
}
