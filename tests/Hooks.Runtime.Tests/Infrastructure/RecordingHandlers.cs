using System.Collections.Concurrent;
using Hooks.Infrastructure;
using Hooks.Receiving;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Tests.Infrastructure;

/// <summary>What handlers saw, shared by a test and its app.</summary>
public sealed class HandlerLog
{
    public ConcurrentQueue<(object Event, WebHookContext Context)> Calls { get; } = new();

    /// <summary>When set, handlers await this before returning (to hold a delivery in flight).</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>Signalled when a handler starts.</summary>
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The number of times the handler should throw before it succeeds.</summary>
    public int FailuresToThrow;

    public int Count => Calls.Count;
}

public sealed class OrderCreatedHandler(HandlerLog log) : IWebHookHandler<OrderCreated>
{
    public async Task HandleAsync(OrderCreated message, WebHookContext context, CancellationToken cancellationToken)
    {
        log.Started.TrySetResult();
        if (log.Gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }
        if (Interlocked.Decrement(ref log.FailuresToThrow) >= 0)
        {
            throw new InvalidOperationException("handler failure for the test");
        }
        log.Calls.Enqueue((message, context));
    }
}

public sealed class InvoicePaidHandler(HandlerLog log) : IWebHookHandler<InvoicePaid>
{
    public Task HandleAsync(InvoicePaid message, WebHookContext context, CancellationToken cancellationToken)
    {
        log.Calls.Enqueue((message, context));
        return Task.CompletedTask;
    }
}

/// <summary>The dispatcher the generator would write for the two handlers above.</summary>
public sealed class TestDispatcher : IWebHookDispatcher
{
    public static readonly TestDispatcher Instance = new();

    public IReadOnlyCollection<string> EventTypes { get; } = [OrderCreated.EventType, InvoicePaid.EventType];

    public async ValueTask<WebHookDispatchResult> DispatchAsync(WebHookContext context, ReadOnlyMemory<byte> data,
        IServiceProvider services, CancellationToken cancellationToken)
    {
        switch (context.EventType)
        {
            case "order.created":
                await services.GetRequiredService<IWebHookHandler<OrderCreated>>().HandleAsync(OrderCreated.ReadData(data.Span), context, cancellationToken);
                return WebHookDispatchResult.Handled;
            case "invoice.paid":
                await services.GetRequiredService<IWebHookHandler<InvoicePaid>>().HandleAsync(InvoicePaid.ReadData(data.Span), context, cancellationToken);
                return WebHookDispatchResult.Handled;
            default:
                return WebHookDispatchResult.UnknownType;
        }
    }
}
