// TEMPORARY (generator branch): a stand-in with the agreed signature so generated MapWebHooks compiles before the
// lead's receiver pipeline lands on main. It does NOT verify signatures. Drop this file when merging.
using Hooks.Receiving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hooks;

/// <summary>Maps webhook receiver endpoints (temporary stand-in; see the file header).</summary>
public static class WebHookReceiverEndpointRouteBuilderExtensions
{
    /// <summary>Maps a POST endpoint that parses the envelope and calls <paramref name="dispatcher"/>.</summary>
    /// <param name="endpoints">The endpoints.</param>
    /// <param name="pattern">The route.</param>
    /// <param name="dispatcher">The dispatcher.</param>
    /// <param name="receiverName">The receiver name.</param>
    /// <returns>The endpoint's builder.</returns>
    public static RouteHandlerBuilder MapWebHookReceiver(this IEndpointRouteBuilder endpoints, string pattern,
        IWebHookDispatcher dispatcher, string? receiverName = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(dispatcher);
        var endpoint = endpoints.MapPost(pattern, async http =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, http.RequestAborted).ConfigureAwait(false);
            var body = buffer.ToArray();
            if (!WebHookEnvelope.TryRead(body, out var envelope, out var error))
            {
                http.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }
            var context = new WebHookContext
            {
                MessageId = http.Request.Headers[WebHookHeaders.Id].ToString(),
                EventType = envelope.Type,
                Timestamp = envelope.Timestamp,
                SentAt = envelope.Timestamp,
                ReceiverName = receiverName ?? "",
            };
            try
            {
                var result = await dispatcher.DispatchAsync(context, envelope.Data(body.AsMemory()), http.RequestServices,
                    http.RequestAborted).ConfigureAwait(false);
                http.Response.StatusCode = result == WebHookDispatchResult.Handled ? StatusCodes.Status204NoContent : 422;
            }
            catch (WebHookPayloadException)
            {
                http.Response.StatusCode = StatusCodes.Status400BadRequest;
            }
        });
        return new RouteHandlerBuilder([endpoint]);
    }
}
