using System.ComponentModel;
using Hooks.Receiving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Infrastructure;

/// <summary>Maps webhook receiver endpoints. Only generated <c>MapWebHooks()</c> methods call this.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class WebHookReceiverEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps a <c>POST</c> endpoint that verifies, deduplicates and routes webhook messages to
    /// <paramref name="dispatcher"/>. Prefer the generated <c>app.MapWebHooks()</c>, which passes the dispatcher
    /// for the app's handlers.
    /// </summary>
    /// <param name="endpoints">The app or a route group.</param>
    /// <param name="pattern">The route, such as <c>/webhooks</c>.</param>
    /// <param name="dispatcher">Routes verified messages to handlers.</param>
    /// <param name="receiverName">The receiver whose secrets and limits apply; the default receiver when <c>null</c>.</param>
    /// <returns>A builder to add authorization, a name, filters or metadata.</returns>
    /// <exception cref="InvalidOperationException">No receiver of that name was added.</exception>
    public static RouteHandlerBuilder MapWebHookReceiver(this IEndpointRouteBuilder endpoints, string pattern,
        IWebHookDispatcher dispatcher, string? receiverName = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        ArgumentNullException.ThrowIfNull(dispatcher);

        var receivers = endpoints.ServiceProvider.GetService<WebHookReceivers>() ?? throw new InvalidOperationException(
            "No webhook receiver is configured. Add one with services.AddWebHooks().AddReceiver(o => o.Secrets.Add(\"whsec_…\")).");
        var receiver = receivers.Get(receiverName ?? WebHooksReceiverBuilderExtensions.DefaultReceiverName);

        return endpoints.MapPost(pattern, (HttpContext context, CancellationToken _) => receiver.HandleAsync(context, dispatcher))
            .WithDisplayName($"Webhook receiver '{receiver.Name}'")
            .WithSummary("Receives signed webhooks (Standard Webhooks 1.0, or svix-* headers): verifies, deduplicates and hands each to its handler.")
            .Produces(StatusCodes.Status204NoContent)
            .Produces(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status500InternalServerError);
    }
}
