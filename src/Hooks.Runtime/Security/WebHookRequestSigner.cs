using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Hooks.Security;

/// <summary>
/// Signs a request a consumer makes to a producer (opening a reversed connection, reading the event feed): it names
/// the subscription and proves possession of the subscription's secret without sending it. The Standard Webhooks
/// HMAC over <c>{id}.{timestamp}.{content}</c> where the id is a fresh nonce and the content is
/// <c>{METHOD} {path-and-query}\n{body}</c> (see docs/reverse-http.md, "Signed consumer requests").
/// </summary>
public static class WebHookRequestSigner
{
    /// <summary>The header naming the subscription: <c>webhook-subscription</c>.</summary>
    public const string SubscriptionHeader = "webhook-subscription";

    /// <summary>The prefix of a request nonce: <c>req_</c>.</summary>
    public const string NoncePrefix = "req_";

    /// <summary>
    /// Adds <c>webhook-subscription</c>, <c>webhook-id</c> (a fresh nonce), <c>webhook-timestamp</c> and
    /// <c>webhook-signature</c> to <paramref name="request"/>, signed over its method, path and query, and
    /// <paramref name="body"/> (the exact bytes its content will send; empty when it has none).
    /// </summary>
    /// <param name="request">The request; its <see cref="HttpRequestMessage.RequestUri"/> must be absolute.</param>
    /// <param name="subscriptionId">The subscription the request is for.</param>
    /// <param name="secret">One of the subscription's active secrets.</param>
    /// <param name="body">The body bytes.</param>
    /// <param name="now">The signing time (the producer accepts it within its tolerance).</param>
    public static void Sign(HttpRequestMessage request, string subscriptionId, WebHookSecret secret, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(subscriptionId);
        ArgumentNullException.ThrowIfNull(secret);
        if (request.RequestUri is not { IsAbsoluteUri: true } uri)
        {
            throw new ArgumentException("The request needs an absolute URI.", nameof(request));
        }
        var nonce = NewNonce();
        var timestamp = now.ToUnixTimeSeconds();
        var signature = Sign(secret, nonce, timestamp, request.Method.Method, uri.PathAndQuery, body);
        var headers = request.Headers;
        headers.Remove(SubscriptionHeader);
        headers.Remove(WebHookHeaders.Id);
        headers.Remove(WebHookHeaders.Timestamp);
        headers.Remove(WebHookHeaders.Signature);
        headers.TryAddWithoutValidation(SubscriptionHeader, subscriptionId);
        headers.TryAddWithoutValidation(WebHookHeaders.Id, nonce);
        headers.TryAddWithoutValidation(WebHookHeaders.Timestamp, timestamp.ToString(CultureInfo.InvariantCulture));
        headers.TryAddWithoutValidation(WebHookHeaders.Signature, signature);
    }

    /// <summary>The <c>webhook-signature</c> value of a consumer request.</summary>
    /// <param name="secret">The subscription's secret.</param>
    /// <param name="nonce">The <c>webhook-id</c> value.</param>
    /// <param name="timestamp">The <c>webhook-timestamp</c> value.</param>
    /// <param name="method">The request method, as sent (<c>POST</c>).</param>
    /// <param name="pathAndQuery">The request target as sent on the request line (origin form).</param>
    /// <param name="body">The body bytes.</param>
    public static string Sign(WebHookSecret secret, string nonce, long timestamp, string method, string pathAndQuery, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var content = Content(method, pathAndQuery, body, out var rented);
        try
        {
            return WebHookSigner.Sign([secret], nonce, timestamp, content);
        }
        finally
        {
            Return(rented, content.Length);
        }
    }

    /// <summary>A fresh nonce: <c>req_</c> and 22 base64url chars of 16 random bytes.</summary>
    public static string NewNonce()
    {
        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random);
        return NoncePrefix + Convert.ToBase64String(random).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Lays out <c>{METHOD} {target}\n{body}</c>, the content the HMAC covers after <c>{id}.{timestamp}.</c>.</summary>
    internal static ReadOnlySpan<byte> Content(string method, string target, ReadOnlySpan<byte> body, out byte[] rented)
    {
        var length = Encoding.UTF8.GetByteCount(method) + 1 + Encoding.UTF8.GetByteCount(target) + 1 + body.Length;
        rented = ArrayPool<byte>.Shared.Rent(length);
        var written = Encoding.UTF8.GetBytes(method, rented);
        rented[written++] = (byte)' ';
        written += Encoding.UTF8.GetBytes(target, rented.AsSpan(written));
        rented[written++] = (byte)'\n';
        body.CopyTo(rented.AsSpan(written));
        return rented.AsSpan(0, written + body.Length);
    }

    internal static void Return(byte[] rented, int length)
    {
        CryptographicOperations.ZeroMemory(rented.AsSpan(0, length));
        ArrayPool<byte>.Shared.Return(rented);
    }
}
