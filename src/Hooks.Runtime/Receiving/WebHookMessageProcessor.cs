using System.Diagnostics;
using Hooks.Diagnostics;
using Hooks.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Receiving;

/// <summary>
/// Hands a message that did not come as a signed request (one read from the producer's event feed, say) to the same
/// pipeline the app's webhook endpoints use: the body is read as an envelope and its <c>data</c> strictly as the event
/// type (the generated reading, exactly as for a push), routed to the type's handlers, and deduplicated by id with the
/// receiver's idempotency store, so a message pushed and also read from the feed runs its handler once. It verifies no
/// signature: the caller vouches for the message (the feed authenticates the request that read it).
/// </summary>
/// <remarks>Registered by <c>AddReceiver</c>; resolve it from the app's services.</remarks>
public sealed class WebHookMessageProcessor
{
    private readonly WebHookReceivers _receivers;
    private readonly WebHookDispatchers _dispatchers;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;

    internal WebHookMessageProcessor(WebHookReceivers receivers, WebHookDispatchers dispatchers, IServiceScopeFactory scopes, TimeProvider time)
    {
        _receivers = receivers;
        _dispatchers = dispatchers;
        _scopes = scopes;
        _time = time;
    }

    /// <summary>
    /// Processes <paramref name="message"/>: runs its handler, in a service scope of its own, unless its id was handled
    /// already by this receiver.
    /// </summary>
    /// <param name="message">The message and the receiver it belongs to.</param>
    /// <param name="cancellationToken">Cancels the handler; the id then stays unhandled.</param>
    /// <returns>Handled, duplicate, ignored (no handler for the type), or failed and why.</returns>
    /// <exception cref="InvalidOperationException">No receiver of that name was added.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<WebHookProcessingResult> ProcessAsync(WebHookInboundMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var pipeline = _receivers.Get(message.ReceiverName ?? WebHooksReceiverBuilderExtensions.DefaultReceiverName).Pipeline;

        // The same bounds a push meets before its body is read.
        if (string.IsNullOrEmpty(message.MessageId) || !WebHookVerifier.IsWellFormedId(message.MessageId))
        {
            return WebHookProcessingResult.Failed(WebHookProcessingFailure.MalformedMessage,
                "The message id must be 1 to 256 printable ASCII characters without spaces.");
        }
        if (message.Body.Length > pipeline.Options.MaxBodyBytes)
        {
            return WebHookProcessingResult.Failed(WebHookProcessingFailure.MalformedMessage,
                $"The body is larger than the receiver's limit of {pipeline.Options.MaxBodyBytes} bytes.");
        }
        if (!WebHookEnvelope.TryRead(message.Body.Span, out var envelope, out var envelopeError))
        {
            return WebHookProcessingResult.Failed(WebHookProcessingFailure.MalformedMessage, envelopeError!);
        }
        if (!string.Equals(envelope.Type, message.EventType, StringComparison.Ordinal) || envelope.Timestamp != message.Timestamp)
        {
            return WebHookProcessingResult.Failed(WebHookProcessingFailure.MalformedMessage,
                "The event type or timestamp given with the message differs from the body's.");
        }

        using var activity = StartActivity(pipeline.Name, message, envelope.Type);
        var context = new WebHookContext
        {
            MessageId = message.MessageId,
            EventType = envelope.Type,
            Timestamp = envelope.Timestamp,
            SentAt = message.SentAt ?? _time.GetUtcNow(),
            ReceiverName = pipeline.Name,
            Source = message.Source,
        };
        MessageOutcome outcome;
        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            outcome = await pipeline.RunAsync(context, envelope.Data(message.Body), _dispatchers, scope.ServiceProvider, cancellationToken)
                .ConfigureAwait(false);
        }
        activity?.SetTag("webhook.outcome", outcome.Status.ToString());
        if (outcome.Status is MessageStatus.HandlerFailed)
        {
            activity?.SetStatus(ActivityStatusCode.Error);
        }

        return outcome.Status switch
        {
            MessageStatus.Handled => WebHookProcessingResult.Of(WebHookProcessingStatus.Handled),
            MessageStatus.Duplicate => WebHookProcessingResult.Of(WebHookProcessingStatus.Duplicate),
            MessageStatus.UnknownType when pipeline.Options.UnknownEventType == Hosting.WebHookUnknownEventTypeBehavior.Reject =>
                WebHookProcessingResult.Failed(WebHookProcessingFailure.UnknownEventType, "This receiver has no handler for the event type."),
            MessageStatus.UnknownType => WebHookProcessingResult.Of(WebHookProcessingStatus.Ignored),
            MessageStatus.InProgress => WebHookProcessingResult.Failed(WebHookProcessingFailure.InProgress,
                "Another delivery of this message is being handled; try again later."),
            MessageStatus.PayloadDoesNotFit => WebHookProcessingResult.Failed(WebHookProcessingFailure.PayloadDoesNotFit, outcome.Detail!),
            MessageStatus.HandlerFailed => WebHookProcessingResult.Failed(WebHookProcessingFailure.HandlerFailed,
                "The handler failed; the message was not marked handled.", outcome.Error),
            _ => throw new OperationCanceledException(cancellationToken),
        };
    }

    private static Activity? StartActivity(string receiver, WebHookInboundMessage message, string eventType)
    {
        var source = WebHookDiagnostics.ActivitySource;
        if (!source.HasListeners())
        {
            return null;
        }
        var activity = source.StartActivity("webhook process", ActivityKind.Consumer);
        activity?.SetTag("webhook.receiver", receiver);
        activity?.SetTag("webhook.message_id", message.MessageId);
        activity?.SetTag("webhook.event_type", eventType);
        activity?.SetTag("webhook.source", message.Source.ToString());
        return activity;
    }
}
