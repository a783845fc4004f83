using System.Threading.Channels;
using Hooks;

namespace Hooks.Sample;

/// <summary>Where the handlers report what they handled, so the sample can wait for it.</summary>
public sealed class HandledLog
{
    public Channel<string> Lines { get; } = Channel.CreateUnbounded<string>();
}

/// <summary>Found by the generator, registered in DI and routed to by the generated MapWebHooks().</summary>
public sealed class OrderCreatedHandler(HandledLog log) : IWebHookHandler<OrderCreated>
{
    public Task HandleAsync(OrderCreated message, WebHookContext context, CancellationToken cancellationToken) =>
        log.Lines.Writer.WriteAsync($"{context.MessageId} {context.EventType}: order {message.OrderId} for {message.Total}", cancellationToken).AsTask();
}

public sealed class OrderShippedHandler(HandledLog log) : IWebHookHandler<OrderShipped>
{
    public Task HandleAsync(OrderShipped message, WebHookContext context, CancellationToken cancellationToken) =>
        log.Lines.Writer.WriteAsync($"{context.MessageId} {context.EventType}: order {message.OrderId} via {message.Carrier}", cancellationToken).AsTask();
}
