using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Hooks.Security;

namespace Hooks.Tests.Infrastructure;

/// <summary>Builds webhook requests as a Standard Webhooks producer sends them.</summary>
public static class SignedRequests
{
    public static string Envelope(string type, string dataJson, DateTimeOffset? timestamp = null) =>
        $"{{\"type\":\"{type}\",\"timestamp\":\"{(timestamp ?? DateTimeOffset.UtcNow).ToString("O", CultureInfo.InvariantCulture)}\",\"data\":{dataJson}}}";

    public static HttpRequestMessage Create(WebHookSecret secret, string path, string body, string? id = null,
        long? timestamp = null, string contentType = "application/json", bool svixHeaders = false)
    {
        id ??= "msg_" + Guid.NewGuid().ToString("N");
        var ts = timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var prefix = svixHeaders ? "svix-" : "webhook-";
        request.Headers.TryAddWithoutValidation(prefix + "id", id);
        request.Headers.TryAddWithoutValidation(prefix + "timestamp", ts.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(prefix + "signature", WebHookSigner.Sign(secret, id, ts, bytes));
        return request;
    }

    public static HttpRequestMessage Order(WebHookSecret secret, string path = "/webhooks", string? id = null, string orderId = "o-1") =>
        Create(secret, path, Envelope("order.created", $"{{\"OrderId\":\"{orderId}\",\"Total\":12.5}}"), id);
}
