using System.Buffers;
using System.Diagnostics;
using Hooks.Diagnostics;
using Hooks.Hosting;
using Hooks.Infrastructure;
using Hooks.ReverseHttp;
using Hooks.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Hooks.Receiving;

/// <summary>
/// One named receiver's request pipeline, in order: POST with a bounded JSON body; the three Standard Webhooks
/// headers (or their <c>svix-*</c> aliases); signature and timestamp; deduplication by message id; envelope; routing
/// to the typed handler. A forged, replayed or malformed request never reaches a handler, and a genuine one whose
/// handler fails is not marked handled, so the producer's retry runs it again.
/// </summary>
internal sealed class WebHookReceiver : IDisposable
{
    /// <summary>
    /// The challenge of every 401 (RFC 9110 requires one). No registered scheme fits, so the scheme names the
    /// credential a sender must bring: a Standard Webhooks signature (<c>webhook-signature</c> or <c>svix-signature</c>).
    /// </summary>
    public const string AuthenticateScheme = "Webhook-Signature";

    private readonly WebHookVerifier _verifier;
    private readonly WebHookReceiverOptions _options;
    private readonly ILogger _logger;
    private readonly ReceiverRefusals _refusals;
    private readonly CatchUp.WebHookCatchUpFeeds? _catchUp;

    // catchUp: the app's catch-up feeds (AddCatchUp), told of each verified push's sequence; null without.
    public WebHookReceiver(string name, WebHookReceiverOptions options, IWebHookIdempotencyStore idempotency,
        TimeProvider time, ILogger logger, CatchUp.WebHookCatchUpFeeds? catchUp = null)
    {
        Name = name;
        _catchUp = catchUp;
        _options = options;
        _logger = logger;
        _refusals = new ReceiverRefusals(name, logger, time);
        _verifier = new WebHookVerifier(options.Secrets.Select(WebHookSecret.Parse), time, options.Tolerance);
        Pipeline = new WebHookMessagePipeline(name, options, idempotency, time, logger);
    }

    public string Name { get; }

    /// <summary>Claim → deserialize → route → handler → mark or release: shared with every other source of messages.</summary>
    public WebHookMessagePipeline Pipeline { get; }

    public void Dispose() => _refusals.Dispose();

    public async Task HandleAsync(HttpContext http, IWebHookDispatcher dispatcher)
    {
        using var activity = StartReceiveActivity(http);
        await HandleCoreAsync(http, dispatcher).ConfigureAwait(false);
        if (activity is not null)
        {
            activity.SetTag("http.response.status_code", http.Response.StatusCode);
            if (http.Response.StatusCode >= StatusCodes.Status500InternalServerError)
            {
                activity.SetStatus(ActivityStatusCode.Error);
            }
        }
        if (WebHookDiagnostics.ReceiverRequests.Enabled)
        {
            WebHookDiagnostics.ReceiverRequests.Add(1,
                new KeyValuePair<string, object?>("webhook.receiver", Name),
                new KeyValuePair<string, object?>("http.response.status_code", http.Response.StatusCode));
        }
    }

    /// <summary>
    /// The receive span, where verification and the handler run: a child of the request's activity, which ASP.NET Core
    /// made from the producer's <c>traceparent</c> (the delivery attempt's context, in the publisher's trace), or of
    /// that header itself when nothing asked ASP.NET Core for an activity.
    /// </summary>
    private Activity? StartReceiveActivity(HttpContext http)
    {
        var source = WebHookDiagnostics.ActivitySource;
        if (!source.HasListeners())
        {
            return null;
        }
        ActivityContext parent = default;
        if (Activity.Current is null)
        {
            DistributedContextPropagator.Current.ExtractTraceIdAndState(http.Request.Headers,
                static (carrier, name, out value, out values) =>
                {
                    values = null;
                    value = ((IHeaderDictionary)carrier!).TryGetValue(name, out var found) && found.Count == 1 ? found[0] : null;
                },
                out var traceParent, out var traceState);
            ActivityContext.TryParse(traceParent, traceState, isRemote: true, out parent);
        }
        var activity = source.StartActivity("webhook receive", ActivityKind.Consumer, parent);
        activity?.SetTag("webhook.receiver", Name);
        return activity;
    }

    private async Task HandleCoreAsync(HttpContext http, IWebHookDispatcher dispatcher)
    {
        var request = http.Request;
        var aborted = http.RequestAborted;

        if (!IsJson(request.ContentType))
        {
            _refusals.Refused(RefusalReason.NotJson);
            await Problem.WriteAsync(http, StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                "Webhook bodies must be JSON (application/json).").ConfigureAwait(false);
            return;
        }

        if (request.ContentLength > _options.MaxBodyBytes)
        {
            await RejectTooLargeAsync(http).ConfigureAwait(false);
            return;
        }

        // Headers first: a request without them is refused before its body is read.
        var id = Single(request.Headers, WebHookHeaders.Id, WebHookHeaders.SvixId, out var idOk, out var idSvix);
        var timestamp = Single(request.Headers, WebHookHeaders.Timestamp, WebHookHeaders.SvixTimestamp, out var tsOk, out var tsSvix);
        var signature = Single(request.Headers, WebHookHeaders.Signature, WebHookHeaders.SvixSignature, out var sigOk, out var sigSvix);
        // Answers name headers as the sender spelled them: a Svix sender reads about svix-signature.
        var family = new HeaderFamily(idSvix, tsSvix, sigSvix);
        if (!idOk || !tsOk || !sigOk)
        {
            var header = !idOk ? WebHookVerificationHeader.Id : !tsOk ? WebHookVerificationHeader.Timestamp : WebHookVerificationHeader.Signature;
            _refusals.Refused(RefusalReason.RepeatedHeader);
            await Problem.WriteAsync(http, StatusCodes.Status400BadRequest, "Malformed webhook headers",
                $"The {family.Name(header)} header must appear once.").ConfigureAwait(false);
            return;
        }
        if (id.Length == 0 || timestamp.Length == 0 || signature.Length == 0)
        {
            var absent = id.Length == 0 ? WebHookVerificationHeader.Id : timestamp.Length == 0 ? WebHookVerificationHeader.Timestamp : WebHookVerificationHeader.Signature;
            _refusals.Refused(RefusalReason.MissingHeader);
            await Problem.WriteAsync(http, StatusCodes.Status400BadRequest, "Missing webhook headers",
                $"The {family.Name(absent, missing: true)} header is missing.").ConfigureAwait(false);
            return;
        }

        var (buffer, length) = await ReadBodyAsync(http, aborted).ConfigureAwait(false);
        if (buffer is null)
        {
            await RejectTooLargeAsync(http).ConfigureAwait(false);
            return;
        }

        try
        {
            await ProcessAsync(http, dispatcher, id, timestamp, signature, family, buffer.AsMemory(0, length)).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task ProcessAsync(HttpContext http, IWebHookDispatcher dispatcher, string id, string timestamp,
        string signature, HeaderFamily family, ReadOnlyMemory<byte> body)
    {
        var verification = _verifier.Verify(id, timestamp, signature, body.Span);
        if (!verification.IsValid)
        {
            var reason = verification.Status switch
            {
                WebHookVerificationStatus.TimestampTooOld => RefusalReason.TimestampTooOld,
                WebHookVerificationStatus.TimestampTooNew => RefusalReason.TimestampTooNew,
                WebHookVerificationStatus.NoMatchingSignature => RefusalReason.NoMatchingSignature,
                WebHookVerificationStatus.MissingHeader => RefusalReason.MissingHeader,
                _ => RefusalReason.MalformedHeader,
            };
            var status = ReceiverRefusals.StatusOf(reason);
            _refusals.Refused(reason);
            if (status == StatusCodes.Status401Unauthorized)
            {
                http.Response.Headers.WWWAuthenticate = AuthenticateScheme;
            }
            await Problem.WriteAsync(http, status,
                status == StatusCodes.Status400BadRequest ? "Malformed webhook headers" : "Webhook verification failed",
                family.Describe(verification)).ConfigureAwait(false);
            return;
        }

        if (!WebHookEnvelope.TryRead(body.Span, out var envelope, out var envelopeError))
        {
            _refusals.Refused(RefusalReason.MalformedBody);
            await Problem.WriteAsync(http, StatusCodes.Status400BadRequest, "Malformed webhook body", envelopeError!).ConfigureAwait(false);
            return;
        }

        if (Activity.Current is { } receiving && receiving.Source == WebHookDiagnostics.ActivitySource)
        {
            receiving.SetTag("webhook.message_id", id); // verified: a genuine sender's id, not any caller's
            receiving.SetTag("webhook.event_type", envelope.Type);
        }

        if (_options.AnswerChallenges && envelope.Type == WebHookChallenge.EventType)
        {
            await ChallengeResponder.AnswerAsync(http, envelope.Data(body), _logger, Name).ConfigureAwait(false);
            return;
        }

        // A verified push's webhook-sequence tells a catch-up poller of this receiver about a gap (AddCatchUp).
        _catchUp?.Pushed(Name, http.Request.Headers);

        var context = new WebHookContext
        {
            MessageId = id,
            EventType = envelope.Type,
            Timestamp = envelope.Timestamp,
            SentAt = DateTimeOffset.FromUnixTimeSeconds(verification.UnixTimestamp!.Value),
            Attempt = ParseAttempt(http.Request.Headers),
            ReceiverName = Name,
            // A reversed connection is served by this same endpoint: its transport marks the connection.
            Source = http.Features.Get<ReverseHttpConnectionFeature>() is null ? WebHookSource.Push : WebHookSource.Reversed,
            Headers = new RequestHeaderView(http.Request.Headers),
        };

        var outcome = await Pipeline.RunAsync(context, envelope.Data(body), dispatcher, http.RequestServices, http.RequestAborted).ConfigureAwait(false);
        switch (outcome.Status)
        {
            case MessageStatus.Handled:
                http.Response.StatusCode = StatusCodes.Status204NoContent;
                break;
            case MessageStatus.Duplicate:
                http.Response.StatusCode = StatusCodes.Status200OK;
                break;
            case MessageStatus.InProgress:
                http.Response.Headers.RetryAfter = "5";
                await Problem.WriteAsync(http, StatusCodes.Status409Conflict, "Already being handled",
                    "Another delivery of this message is being handled; retry later.").ConfigureAwait(false);
                break;
            case MessageStatus.PayloadDoesNotFit:
                _refusals.Refused(RefusalReason.PayloadDoesNotFit);
                await Problem.WriteAsync(http, StatusCodes.Status400BadRequest, "Payload does not fit the event type", outcome.Detail!).ConfigureAwait(false);
                break;
            case MessageStatus.UnknownType when _options.UnknownEventType == WebHookUnknownEventTypeBehavior.Reject:
                await Problem.WriteAsync(http, StatusCodes.Status400BadRequest, "Unknown event type",
                    "This receiver has no handler for the event type.").ConfigureAwait(false);
                break;
            case MessageStatus.UnknownType:
                http.Response.StatusCode = StatusCodes.Status200OK;
                break;
            case MessageStatus.HandlerFailed when !http.Response.HasStarted:
                await Problem.WriteAsync(http, StatusCodes.Status500InternalServerError, "Handler failed",
                    "The handler failed; the message was not marked handled, so a retry will run it again.").ConfigureAwait(false);
                break;
            default:
                // Canceled: the producer gave up on this attempt; its retry runs the handler again. Nothing to answer.
                break;
        }
    }

    private async Task RejectTooLargeAsync(HttpContext http)
    {
        _refusals.Refused(RefusalReason.TooLarge);
        await Problem.WriteAsync(http, StatusCodes.Status413PayloadTooLarge, "Payload too large",
            $"Webhook bodies are limited to {_options.MaxBodyBytes} bytes.").ConfigureAwait(false);
    }

    /// <summary>Reads the body into a pooled array; <c>null</c> when it exceeds the limit.</summary>
    private async ValueTask<(byte[]? Buffer, int Length)> ReadBodyAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var max = _options.MaxBodyBytes;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            // Let the server stop a chunked body early too; one byte over so our own check decides the answer.
            sizeFeature.MaxRequestBodySize = (long)max + 1;
        }

        var declared = http.Request.ContentLength;
        var buffer = ArrayPool<byte>.Shared.Rent(declared is > 0 ? (int)declared.Value + 1 : 4096);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > max)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return (null, 0);
                    }
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, max + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = await http.Request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                length += read;
                if (length > max)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return (null, 0);
                }
            }
            return (buffer, length);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, 0);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static bool IsJson(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType)) return false;
        var mediaType = contentType.AsSpan();
        var semicolon = mediaType.IndexOf(';');
        if (semicolon >= 0) mediaType = mediaType[..semicolon];
        mediaType = mediaType.Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase)
                && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The header's single value, preferring the Standard Webhooks name over the Svix alias; <paramref name="svix"/>
    /// says the alias was the one sent.
    /// </summary>
    private static string Single(IHeaderDictionary headers, string name, string alias, out bool ok, out bool svix)
    {
        var values = headers[name];
        svix = false;
        if (StringValues.IsNullOrEmpty(values))
        {
            values = headers[alias];
            svix = !StringValues.IsNullOrEmpty(values);
        }
        ok = values.Count <= 1;
        return values.Count == 1 ? values[0] ?? "" : "";
    }

    private static int? ParseAttempt(IHeaderDictionary headers)
    {
        var value = headers[WebHookHeaders.Attempt];
        return value.Count == 1 && int.TryParse(value[0], System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var attempt) && attempt > 0 ? attempt : null;
    }

    /// <summary>Which of the three headers came under their <c>svix-*</c> names, so answers name what was sent.</summary>
    private readonly record struct HeaderFamily(bool IdSvix, bool TimestampSvix, bool SignatureSvix)
    {
        private bool AnySvix => IdSvix || TimestampSvix || SignatureSvix;

        /// <summary>The header's name as sent; a missing one takes the name of the family the others came in.</summary>
        public string Name(WebHookVerificationHeader header, bool missing = false) => header switch
        {
            WebHookVerificationHeader.Id => (missing ? AnySvix : IdSvix) ? WebHookHeaders.SvixId : WebHookHeaders.Id,
            WebHookVerificationHeader.Timestamp => (missing ? AnySvix : TimestampSvix) ? WebHookHeaders.SvixTimestamp : WebHookHeaders.Timestamp,
            _ => (missing ? AnySvix : SignatureSvix) ? WebHookHeaders.SvixSignature : WebHookHeaders.Signature,
        };

        /// <summary><see cref="WebHookVerificationResult.Describe()"/> with the header names as sent; never a value.</summary>
        public string Describe(WebHookVerificationResult result)
        {
            var family = this;
            var missing = result.Status == WebHookVerificationStatus.MissingHeader;
            return result.Describe(header => family.Name(header, missing));
        }
    }
}
