using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Hooks.Delivery;
using Hooks.Diagnostics;
using Hooks.Hosting;
using Hooks.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hooks.Publishing;

/// <summary>The outbox publisher: serializes once, stores the message and its deliveries, wakes the dispatcher.</summary>
internal sealed class WebHookPublisher(IWebHookStore store, TimeProvider time, IWebHookNotifier signal,
    IOptions<WebHookProducerOptions> options, ILogger<WebHookPublisher> logger) : IWebHookPublisher
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    // Read once: an options monitor would cost a lookup per publish, and this option is not meant to change at run time.
    private readonly bool _tenantInTelemetry = options.Value.TenantInTelemetry;

    public ValueTask<WebHookPublishResult> PublishAsync<TEvent>(TEvent message, CancellationToken cancellationToken = default)
        where TEvent : IWebHookEvent<TEvent> =>
        Publish(message, WebHookTenant.DefaultId, idempotencyKey: null, cancellationToken);

    public ValueTask<WebHookPublishResult> PublishAsync<TEvent>(TEvent message, string? idempotencyKey, CancellationToken cancellationToken = default)
        where TEvent : IWebHookEvent<TEvent> =>
        Publish(message, WebHookTenant.DefaultId, idempotencyKey, cancellationToken);

    public ValueTask<WebHookPublishResult> PublishAsync<TEvent>(TEvent message, WebHookTenant tenant, CancellationToken cancellationToken = default)
        where TEvent : IWebHookEvent<TEvent> =>
        Publish(message, tenant.Id, idempotencyKey: null, cancellationToken);

    public ValueTask<WebHookPublishResult> PublishAsync<TEvent>(TEvent message, WebHookTenant tenant, string? idempotencyKey, CancellationToken cancellationToken = default)
        where TEvent : IWebHookEvent<TEvent> =>
        Publish(message, tenant.Id, idempotencyKey, cancellationToken);

    public ValueTask<WebHookPublishResult> PublishAsync<TEvent>(TEvent message, WebHookPublishOptions options, CancellationToken cancellationToken = default)
        where TEvent : IWebHookEvent<TEvent>
    {
        ArgumentNullException.ThrowIfNull(options);
        return Publish(message, options.Tenant.Id, options.IdempotencyKey, cancellationToken, options.Transaction);
    }

    public ValueTask<WebHookPublishResult> PublishToAllTenantsAsync<TEvent>(TEvent message, string? idempotencyKey = null, CancellationToken cancellationToken = default)
        where TEvent : IWebHookEvent<TEvent> =>
        Publish(message, tenant: null, idempotencyKey, cancellationToken);

    private ValueTask<WebHookPublishResult> Publish<TEvent>(TEvent message, string? tenant, string? idempotencyKey, CancellationToken cancellationToken,
        System.Data.Common.DbTransaction? transaction = null)
        where TEvent : IWebHookEvent<TEvent>
    {
        ArgumentNullException.ThrowIfNull(message);
        if (idempotencyKey is { Length: 0 or > MaxIdempotencyKeyLength })
        {
            throw new ArgumentException($"An idempotency key has 1 to {MaxIdempotencyKeyLength} chars.", nameof(idempotencyKey));
        }
        var now = time.GetUtcNow();
        var (body, length) = Serialize(message, now);
        return AppendAsync(TEvent.EventType, body.AsMemory(0, length), now, idempotencyKey, tenant, subscriptionId: null, cancellationToken, rented: body,
            transaction);
    }

    internal const int MaxIdempotencyKeyLength = 256;

    /// <summary>
    /// Stores an already serialized envelope (test events go to one subscription only). The store copies the body
    /// during the call, so a <paramref name="rented"/> array holding it goes back to the pool once the call completes.
    /// The message goes to the subscriptions of <paramref name="tenant"/> (of every tenant when it is <c>null</c>).
    /// </summary>
    internal async ValueTask<WebHookPublishResult> AppendAsync(string eventType, ReadOnlyMemory<byte> body, DateTimeOffset now,
        string? idempotencyKey, string? tenant, string? subscriptionId, CancellationToken cancellationToken, byte[]? rented = null,
        System.Data.Common.DbTransaction? transaction = null)
    {
        using var activity = WebHookDiagnostics.ActivitySource.StartActivity("webhook publish", ActivityKind.Producer);
        var id = WebHookIds.NewMessageId(now);
        activity?.SetTag("webhook.event_type", eventType);
        activity?.SetTag("webhook.message_id", id);
        if (_tenantInTelemetry)
        {
            activity?.SetTag("webhook.tenant", tenant ?? AllTenantsTag);
        }
        WebHookPublishResult result;
        try
        {
            result = await store.AppendMessageAsync(new WebHookMessageDraft
            {
                Message = new WebHookMessage
                {
                    Id = id,
                    Tenant = tenant,
                    EventType = eventType,
                    Timestamp = now,
                    Body = body,
                    // Kept with the message: its attempts are children of it, so the consumer joins this trace. The
                    // caller's context when nothing listens to Hooks' publish spans but something traces the caller.
                    // A W3C activity's id is its traceparent, made once already: nothing new to allocate.
                    TraceParent = (activity ?? Activity.Current) is { IdFormat: ActivityIdFormat.W3C } traced ? traced.Id : null,
                },
                IdempotencyKey = idempotencyKey,
                SubscriptionId = subscriptionId,
                Transaction = transaction,
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        if (!result.Duplicate)
        {
            if (WebHookDiagnostics.MessagesPublished.Enabled)
            {
                if (_tenantInTelemetry)
                {
                    WebHookDiagnostics.MessagesPublished.Add(1, new KeyValuePair<string, object?>("webhook.event_type", eventType),
                        new KeyValuePair<string, object?>("webhook.tenant", tenant ?? AllTenantsTag));
                }
                else
                {
                    WebHookDiagnostics.MessagesPublished.Add(1, new KeyValuePair<string, object?>("webhook.event_type", eventType));
                }
            }
            WebHookDiagnostics.DeliveriesCreated.Add(result.Deliveries);
            if (result.Deliveries > 0)
            {
                // In the app's transaction, too: the message is not visible before the app commits, and a SQLite
                // dispatcher's lease waits for the app's write lock, so it finds the message once committed (nothing
                // if rolled back); a store that does not wait finds it at its next poll (PollInterval).
                signal.Notify();
            }
        }
        activity?.SetTag("webhook.deliveries", result.Deliveries);
        Log.Published(logger, result.MessageId, eventType, result.Deliveries);
        return result;
    }

    /// <summary>The <c>webhook.tenant</c> tag of a message published to every tenant.</summary>
    internal const string AllTenantsTag = "*";

    // Into a pooled array: the store keeps its own copy, so a publish allocates no body of its own.
    private static (byte[] Rented, int Length) Serialize<TEvent>(TEvent message, DateTimeOffset now) where TEvent : IWebHookEvent<TEvent>
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        try
        {
            WebHookEnvelope.Write(writer, message, now);
            var rented = ArrayPool<byte>.Shared.Rent(buffer.WrittenCount);
            buffer.WrittenSpan.CopyTo(rented);
            return (rented, buffer.WrittenCount);
        }
        finally
        {
            writer.Reset();
            if (buffer.Capacity > 1 << 20)
            {
                t_buffer = null; // do not pin a huge buffer to the thread
            }
        }
    }
}
