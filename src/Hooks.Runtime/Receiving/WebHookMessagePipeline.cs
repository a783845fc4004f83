using System.Runtime.CompilerServices;
using Hooks.Hosting;
using Hooks.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Hooks.Receiving;

/// <summary>
/// What happens to a message once its source has accepted it, for every source (a push, a push over a reversed
/// connection, a message read from the feed): claim its id → deserialize (generated) → route → handler → mark it
/// handled, or release the claim so a later delivery runs it again. Deduplication and handler semantics live here
/// and nowhere else; each source only turns the <see cref="MessageOutcome"/> into its own answer.
/// </summary>
internal sealed partial class WebHookMessagePipeline(string name, WebHookReceiverOptions options,
    IWebHookIdempotencyStore idempotency, TimeProvider time, ILogger logger)
{
    /// <summary>The receiver whose idempotency keys, lease and window apply.</summary>
    public string Name { get; } = name;

    public WebHookReceiverOptions Options { get; } = options;

    /// <summary>
    /// Runs <paramref name="context"/>'s message through its handler once per id. Throws only what the idempotency
    /// store throws (before a claim is held) or <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> is cancelled before the claim.
    /// </summary>
    /// <param name="context">The accepted message; its <see cref="WebHookContext.MessageId"/> is the key.</param>
    /// <param name="data">The UTF-8 JSON of the envelope's <c>data</c>.</param>
    /// <param name="dispatcher">Routes by event type to the generated, strict deserialization and the handlers.</param>
    /// <param name="services">The scope handlers are resolved from.</param>
    /// <param name="cancellationToken">Cancels the handler (the claim is then released).</param>
    // Pooled: the receive path is hot, and a claim or handler that completes asynchronously would otherwise allocate
    // this method's state machine on every request.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<MessageOutcome> RunAsync(WebHookContext context, ReadOnlyMemory<byte> data,
        IWebHookDispatcher dispatcher, IServiceProvider services, CancellationToken cancellationToken)
    {
        var key = string.Concat(Name, ":", context.MessageId);
        var claim = await idempotency.TryClaimAsync(key, time.GetUtcNow() + Options.HandlerLease, cancellationToken).ConfigureAwait(false);
        if (claim == WebHookIdempotencyClaim.AlreadyHandled)
        {
            Log.Duplicate(logger, Name, context.EventType);
            return new MessageOutcome(MessageStatus.Duplicate);
        }
        if (claim == WebHookIdempotencyClaim.InProgress)
        {
            Log.InProgress(logger, Name);
            return new MessageOutcome(MessageStatus.InProgress);
        }

        var handled = false;
        try
        {
            WebHookDispatchResult result;
            try
            {
                result = await dispatcher.DispatchAsync(context, data, services, cancellationToken).ConfigureAwait(false);
            }
            catch (WebHookPayloadException ex)
            {
                return new MessageOutcome(MessageStatus.PayloadDoesNotFit, ex.Message);
            }

            if (result == WebHookDispatchResult.UnknownType)
            {
                Log.UnknownType(logger, Name, context.EventType);
                return new MessageOutcome(MessageStatus.UnknownType);
            }

            await idempotency.MarkHandledAsync(key, time.GetUtcNow() + Options.DeduplicationWindow, CancellationToken.None).ConfigureAwait(false);
            handled = true;
            Log.Handled(logger, Name, context.EventType);
            return new MessageOutcome(MessageStatus.Handled);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The source gave up (the producer ended the attempt, the poller stopped): a later delivery runs it again.
            return new MessageOutcome(MessageStatus.Canceled);
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(logger, Name, context.EventType, ex);
            return new MessageOutcome(MessageStatus.HandlerFailed, Error: ex);
        }
        finally
        {
            if (!handled)
            {
                await idempotency.ReleaseAsync(key, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2008, Level = LogLevel.Debug, Message = "Webhook receiver {Receiver}: another delivery of the message is being handled.")]
        public static partial void InProgress(ILogger logger, string receiver);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Webhook receiver {Receiver} handled a {EventType} message.")]
        public static partial void Handled(ILogger logger, string receiver, string eventType);

        [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, Message = "Webhook receiver {Receiver} acknowledged a duplicate {EventType} message without handling it again.")]
        public static partial void Duplicate(ILogger logger, string receiver, string eventType);

        [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Webhook receiver {Receiver} has no handler for event type {EventType}.")]
        public static partial void UnknownType(ILogger logger, string receiver, string eventType);

        [LoggerMessage(EventId = 2005, Level = LogLevel.Error, Message = "Webhook receiver {Receiver}: the handler for {EventType} failed; the message stays unhandled, so its next delivery (a retry, or catch-up) runs it again.")]
        public static partial void HandlerFailed(ILogger logger, string receiver, string eventType, Exception exception);
    }
}

/// <summary>What <see cref="WebHookMessagePipeline.RunAsync"/> did with a message.</summary>
internal enum MessageStatus
{
    /// <summary>A handler ran to completion and the id is marked handled.</summary>
    Handled,

    /// <summary>The id was handled before; nothing ran.</summary>
    Duplicate,

    /// <summary>Another delivery of the id holds the claim right now; nothing ran.</summary>
    InProgress,

    /// <summary>No handler knows the event type; the claim was released.</summary>
    UnknownType,

    /// <summary>The data does not fit the event type (<see cref="MessageOutcome.Detail"/> says where); released.</summary>
    PayloadDoesNotFit,

    /// <summary>The handler threw (<see cref="MessageOutcome.Error"/>); released, so a later delivery runs it again.</summary>
    HandlerFailed,

    /// <summary>The caller's token was cancelled while the handler ran; released.</summary>
    Canceled,
}

/// <summary>A <see cref="MessageStatus"/> with what explains it: a refusal's detail (names, never values) or the handler's exception.</summary>
internal readonly record struct MessageOutcome(MessageStatus Status, string? Detail = null, Exception? Error = null);
