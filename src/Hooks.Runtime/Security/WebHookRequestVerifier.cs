using Hooks.ReverseHttp;
using Hooks.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Hooks.Security;

/// <summary>What checking a signed consumer request found.</summary>
internal enum WebHookRequestProof
{
    /// <summary>Signed with an active secret of the named subscription, in time, nonce new.</summary>
    Valid,

    /// <summary>Missing or malformed headers, unknown or disabled subscription, wrong signature, or out of tolerance.</summary>
    Invalid,

    /// <summary>A valid request seen before.</summary>
    Replayed,

    /// <summary>Valid, but the nonce cache is full of live entries.</summary>
    Busy,
}

/// <summary>
/// The producer's check of a request signed by <see cref="WebHookRequestSigner"/>: the one implementation for every
/// request a consumer makes (reversed connections, the event feed). The signature check is
/// <see cref="WebHookVerifier"/>'s (any active secret, tolerance both ways, constant-time), over the content the
/// signer lays out from the request's method and raw target; then the nonce is remembered for the tolerance window.
/// </summary>
internal sealed class WebHookRequestVerifier(IWebHookStore store, TimeProvider time, IOptions<WebHookReverseHttpOptions> options)
{
    /// <summary>Longest subscription id accepted in the header.</summary>
    public const int MaxSubscriptionIdLength = 256;

    private readonly WebHookNonceCache _nonces = new(options.Value.MaxRememberedNonces);

    /// <param name="http">The request.</param>
    /// <param name="body">Its body bytes (empty for none).</param>
    /// <param name="cancellationToken">Cancels the subscription read.</param>
    /// <param name="allowDisabled">
    /// Whether a disabled subscription's secret proves it too: the event feed allows it (a consumer whose endpoint was
    /// down long enough to disable its subscription reads what it missed), reversed connections do not.
    /// </param>
    public async ValueTask<(WebHookRequestProof Proof, WebHookSubscription? Subscription)> VerifyAsync(HttpContext http,
        ReadOnlyMemory<byte> body, CancellationToken cancellationToken, bool allowDisabled = false)
    {
        var headers = http.Request.Headers;
        string? subscriptionId = headers[WebHookRequestSigner.SubscriptionHeader];
        string? nonce = headers[WebHookHeaders.Id];
        string? timestamp = headers[WebHookHeaders.Timestamp];
        string? signature = headers[WebHookHeaders.Signature];
        if (string.IsNullOrEmpty(subscriptionId) || subscriptionId.Length > MaxSubscriptionIdLength ||
            !WebHookVerifier.IsWellFormedId(subscriptionId) || string.IsNullOrEmpty(nonce) || string.IsNullOrEmpty(timestamp) ||
            string.IsNullOrEmpty(signature))
        {
            return (WebHookRequestProof.Invalid, null);
        }
        var subscription = await store.GetSubscriptionAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        if (subscription is null || (subscription.Status == WebHookSubscriptionStatus.Disabled && !allowDisabled))
        {
            return (WebHookRequestProof.Invalid, null);
        }
        var secrets = subscription.ActiveSecretArray(now);
        if (secrets.Length == 0)
        {
            return (WebHookRequestProof.Invalid, null);
        }
        var tolerance = options.Value.RequestTolerance;
        var target = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (http.Request.PathBase + http.Request.Path + http.Request.QueryString).ToString();
        var content = WebHookRequestSigner.Content(http.Request.Method, target, body.Span, out var rented);
        WebHookVerificationResult result;
        try
        {
            result = new WebHookVerifier(secrets.Length > WebHookVerifier.MaxSecrets ? secrets[..WebHookVerifier.MaxSecrets] : secrets, time, tolerance)
                .Verify(nonce, timestamp, signature, content);
        }
        finally
        {
            WebHookRequestSigner.Return(rented, content.Length);
        }
        if (!result.IsValid)
        {
            return (WebHookRequestProof.Invalid, null);
        }
        var seconds = result.UnixTimestamp ?? 0;
        return _nonces.TryRemember(subscription.Id, nonce, seconds + (long)tolerance.TotalSeconds, now.ToUnixTimeSeconds()) switch
        {
            WebHookNonceResult.Fresh => (WebHookRequestProof.Valid, subscription),
            WebHookNonceResult.Replayed => (WebHookRequestProof.Replayed, null),
            _ => (WebHookRequestProof.Busy, null),
        };
    }
}
