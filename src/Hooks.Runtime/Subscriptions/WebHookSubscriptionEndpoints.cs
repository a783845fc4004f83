using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Hooks.Storage;
using Hooks.Subscriptions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks;

/// <summary>Maps the subscription management API.</summary>
public static class WebHookSubscriptionEndpoints
{
    /// <summary>The most bytes of a management request body.</summary>
    public const int MaxRequestBytes = 64 * 1024;

    private const int MaxPageSize = 200;

    /// <summary>
    /// Maps the management API under <paramref name="prefix"/>: <c>GET event-types</c>; <c>POST/GET subscriptions</c>;
    /// <c>GET/PATCH/DELETE subscriptions/{id}</c>; <c>POST subscriptions/{id}/enable|disable|rotate-secret|verify|test|recover</c>;
    /// <c>GET subscriptions/{id}/deliveries</c>; <c>GET subscriptions/{id}/deliveries/{deliveryId}/attempts</c>;
    /// <c>POST subscriptions/{id}/messages/{messageId}/redeliver</c>. Bad input is answered with RFC 9457 Problem
    /// Details (400) and changes nothing. Add authorization to the returned group.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="prefix">The route prefix, <c>/webhooks</c> by default.</param>
    /// <returns>The route group, for <c>RequireAuthorization</c> and the like.</returns>
    public static RouteGroupBuilder MapWebHookSubscriptions(this IEndpointRouteBuilder endpoints, string prefix = "/webhooks")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup(prefix);
        group.MapGet("/event-types", ListEventTypes);
        group.MapPost("/subscriptions", Create);
        group.MapGet("/subscriptions", List);
        group.MapGet("/subscriptions/{id}", Get);
        group.MapPatch("/subscriptions/{id}", Update);
        group.MapDelete("/subscriptions/{id}", Delete);
        group.MapPost("/subscriptions/{id}/enable", Enable);
        group.MapPost("/subscriptions/{id}/disable", Disable);
        group.MapPost("/subscriptions/{id}/rotate-secret", Rotate);
        group.MapPost("/subscriptions/{id}/verify", Verify);
        group.MapPost("/subscriptions/{id}/test", SendTest);
        group.MapPost("/subscriptions/{id}/recover", Recover);
        group.MapGet("/subscriptions/{id}/deliveries", ListDeliveries);
        group.MapGet("/subscriptions/{id}/deliveries/{deliveryId}/attempts", ListAttempts);
        group.MapPost("/subscriptions/{id}/messages/{messageId}/redeliver", Redeliver);
        return group;
    }

    private static SubscriptionJsonContext Json => SubscriptionJsonContext.Default;

    private static WebHookSubscriptionService Service(HttpContext context) =>
        context.RequestServices.GetRequiredService<WebHookSubscriptionService>();

    private static Task ListEventTypes(HttpContext context)
    {
        var catalog = Service(context).Catalog;
        var data = catalog.All.Select(d => new EventTypeResponse { Type = d.Type, Description = d.Description }).ToList();
        return Write(context, 200, new EventTypeListResponse { Data = data }, Json.EventTypeListResponse);
    }

    private static async Task Create(HttpContext context)
    {
        var service = Service(context);
        var (request, problem) = await ReadAsync(context, Json.SubscriptionRequest).ConfigureAwait(false);
        if (problem is not null)
        {
            await problem.ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        var input = ToInput(request!);
        var errors = service.Validate(input, creating: true, out var url, out var secret);
        if (errors.Count > 0)
        {
            await Invalid(context, errors).ConfigureAwait(false);
            return;
        }
        var (subscription, created) = await service.CreateAsync(input, url!, secret, context.RequestAborted).ConfigureAwait(false);
        context.Response.Headers.Location = $"{context.Request.PathBase}{context.Request.Path}/{subscription.Id}";
        await Write(context, 201, ToResponse(subscription, created.Reveal()), Json.SubscriptionResponse).ConfigureAwait(false);
    }

    private static async Task List(HttpContext context)
    {
        var store = Service(context).Store;
        if (!TryLimit(context, out var limit))
        {
            await Invalid(context, "limit", $"limit must be 1 to {MaxPageSize}.").ConfigureAwait(false);
            return;
        }
        var after = context.Request.Query["after"].ToString();
        var page = await store.ListSubscriptionsAsync(after.Length == 0 ? null : after, limit + 1, context.RequestAborted).ConfigureAwait(false);
        var data = page.Take(limit).Select(s => ToResponse(s, null)).ToList();
        await Write(context, 200, new SubscriptionListResponse { Data = data, Next = page.Count > limit ? data[^1].Id : null },
            Json.SubscriptionListResponse).ConfigureAwait(false);
    }

    private static async Task Get(HttpContext context)
    {
        if (await FindAsync(context).ConfigureAwait(false) is { } subscription)
        {
            await Write(context, 200, ToResponse(subscription, null), Json.SubscriptionResponse).ConfigureAwait(false);
        }
    }

    private static async Task Update(HttpContext context)
    {
        var service = Service(context);
        var (request, problem) = await ReadAsync(context, Json.SubscriptionRequest).ConfigureAwait(false);
        if (problem is not null)
        {
            await problem.ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        if (request!.Secret is not null)
        {
            await Invalid(context, "secret", "Change the secret with rotate-secret.").ConfigureAwait(false);
            return;
        }
        var input = ToInput(request);
        var errors = service.Validate(input, creating: false, out var url, out _);
        if (errors.Count > 0)
        {
            await Invalid(context, errors).ConfigureAwait(false);
            return;
        }
        if (await FindAsync(context).ConfigureAwait(false) is { } current)
        {
            var updated = await service.UpdateAsync(current, input, url, context.RequestAborted).ConfigureAwait(false);
            await Write(context, 200, ToResponse(updated, null), Json.SubscriptionResponse).ConfigureAwait(false);
        }
    }

    private static async Task Delete(HttpContext context)
    {
        var id = (string)context.Request.RouteValues["id"]!;
        if (await Service(context).Store.DeleteSubscriptionAsync(id, context.RequestAborted).ConfigureAwait(false))
        {
            context.Response.StatusCode = 204;
        }
        else
        {
            await NotFound(context).ConfigureAwait(false);
        }
    }

    private static async Task Enable(HttpContext context)
    {
        if (await FindAsync(context).ConfigureAwait(false) is { } current)
        {
            var updated = await Service(context).SetEnabledAsync(current, true, null, context.RequestAborted).ConfigureAwait(false);
            await Write(context, 200, ToResponse(updated, null), Json.SubscriptionResponse).ConfigureAwait(false);
        }
    }

    private static async Task Disable(HttpContext context)
    {
        var (request, problem) = await ReadAsync(context, Json.DisableRequest, allowEmpty: true).ConfigureAwait(false);
        if (problem is not null)
        {
            await problem.ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        if (request?.Reason is { Length: > WebHookSubscriptionService.MaxDescriptionLength })
        {
            await Invalid(context, "reason", $"The reason is longer than {WebHookSubscriptionService.MaxDescriptionLength} chars.").ConfigureAwait(false);
            return;
        }
        if (await FindAsync(context).ConfigureAwait(false) is { } current)
        {
            var updated = await Service(context).SetEnabledAsync(current, false, request?.Reason, context.RequestAborted).ConfigureAwait(false);
            await Write(context, 200, ToResponse(updated, null), Json.SubscriptionResponse).ConfigureAwait(false);
        }
    }

    private static async Task Rotate(HttpContext context)
    {
        var (request, problem) = await ReadAsync(context, Json.RotateSecretRequest, allowEmpty: true).ConfigureAwait(false);
        if (problem is not null)
        {
            await problem.ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        Hooks.Security.WebHookSecret? secret = null;
        if (request?.Secret is { } text && !Hooks.Security.WebHookSecret.TryParse(text, out secret, out var error))
        {
            await Invalid(context, "secret", Hooks.Security.WebHookSecret.Describe(error)).ConfigureAwait(false);
            return;
        }
        if (await FindAsync(context).ConfigureAwait(false) is { } current)
        {
            var (updated, created) = await Service(context).RotateAsync(current, secret, context.RequestAborted).ConfigureAwait(false);
            await Write(context, 200, ToResponse(updated, created.Reveal()), Json.SubscriptionResponse).ConfigureAwait(false);
        }
    }

    private static async Task Verify(HttpContext context)
    {
        if (await FindAsync(context).ConfigureAwait(false) is { } current)
        {
            var updated = current.Status == WebHookSubscriptionStatus.Pending
                ? await Service(context).VerifyAsync(current, context.RequestAborted).ConfigureAwait(false)
                : current;
            await Write(context, 200, ToResponse(updated, null), Json.SubscriptionResponse).ConfigureAwait(false);
        }
    }

    private static async Task SendTest(HttpContext context)
    {
        if (await FindAsync(context).ConfigureAwait(false) is { } current)
        {
            var published = await Service(context).SendTestAsync(current, context.RequestAborted).ConfigureAwait(false);
            await Write(context, 202, new MessageResponse { MessageId = published.MessageId, Deliveries = published.Deliveries },
                Json.MessageResponse).ConfigureAwait(false);
        }
    }

    private static async Task Recover(HttpContext context)
    {
        var (request, problem) = await ReadAsync(context, Json.RecoverRequest).ConfigureAwait(false);
        if (problem is not null)
        {
            await problem.ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        if (request!.Since is not { } since)
        {
            await Invalid(context, "since", "since (an ISO 8601 time) is required.").ConfigureAwait(false);
            return;
        }
        if (await FindAsync(context).ConfigureAwait(false) is { } current)
        {
            var count = await Service(context).RecoverAsync(current.Id, since, context.RequestAborted).ConfigureAwait(false);
            await Write(context, 202, new RecoverResponse { Deliveries = count }, Json.RecoverResponse).ConfigureAwait(false);
        }
    }

    private static async Task ListDeliveries(HttpContext context)
    {
        var query = context.Request.Query;
        WebHookDeliveryStatus? status = null;
        if (query["status"].ToString() is { Length: > 0 } statusText)
        {
            if (!Enum.TryParse<WebHookDeliveryStatus>(statusText, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) ||
                int.TryParse(statusText, out _))
            {
                await Invalid(context, "status", "status must be pending, succeeded or failed.").ConfigureAwait(false);
                return;
            }
            status = parsed;
        }
        long? before = null;
        if (query["before"].ToString() is { Length: > 0 } beforeText)
        {
            if (!long.TryParse(beforeText, NumberStyles.None, CultureInfo.InvariantCulture, out var b))
            {
                await Invalid(context, "before", "before must be a delivery id.").ConfigureAwait(false);
                return;
            }
            before = b;
        }
        if (!TryLimit(context, out var limit))
        {
            await Invalid(context, "limit", $"limit must be 1 to {MaxPageSize}.").ConfigureAwait(false);
            return;
        }
        if (await FindAsync(context).ConfigureAwait(false) is not { } subscription)
        {
            return;
        }
        var page = await Service(context).Store.ListDeliveriesAsync(new WebHookDeliveryQuery
        {
            SubscriptionId = subscription.Id,
            Status = status,
            Before = before,
            MessageId = query["messageId"].ToString() is { Length: > 0 } m ? m : null,
            Limit = limit + 1,
        }, context.RequestAborted).ConfigureAwait(false);
        var data = page.Take(limit).Select(d => new DeliveryResponse
        {
            Id = d.Id,
            MessageId = d.MessageId,
            EventType = d.EventType,
            Status = Name(d.Status),
            Attempts = d.Attempts,
            NextAttemptAt = d.Status == WebHookDeliveryStatus.Pending ? d.NextAttemptAt : null,
            LastAttemptAt = d.LastAttemptAt,
            CreatedAt = d.CreatedAt,
        }).ToList();
        await Write(context, 200, new DeliveryListResponse { Data = data, Next = page.Count > limit ? data[^1].Id : null },
            Json.DeliveryListResponse).ConfigureAwait(false);
    }

    private static async Task ListAttempts(HttpContext context)
    {
        if (!long.TryParse((string?)context.Request.RouteValues["deliveryId"], NumberStyles.None, CultureInfo.InvariantCulture, out var deliveryId))
        {
            await Invalid(context, "deliveryId", "deliveryId must be a delivery id.").ConfigureAwait(false);
            return;
        }
        if (await FindAsync(context).ConfigureAwait(false) is not { } subscription)
        {
            return;
        }
        var attempts = await Service(context).Store.ListAttemptsAsync(subscription.Id, deliveryId, context.RequestAborted).ConfigureAwait(false);
        var data = attempts.Select(a => new AttemptResponse
        {
            Number = a.Number,
            StartedAt = a.StartedAt,
            DurationMs = a.Duration.TotalMilliseconds,
            Outcome = WebHookAttemptOutcomeNames.Of(a.Outcome),
            StatusCode = a.StatusCode,
            ResponseBody = a.ResponseBody,
            Error = a.Error,
            Location = a.Location,
        }).ToList();
        await Write(context, 200, new AttemptListResponse { Data = data }, Json.AttemptListResponse).ConfigureAwait(false);
    }

    private static async Task Redeliver(HttpContext context)
    {
        if (await FindAsync(context).ConfigureAwait(false) is not { } subscription)
        {
            return;
        }
        var messageId = (string)context.Request.RouteValues["messageId"]!;
        if (await Service(context).RedeliverAsync(subscription.Id, messageId, context.RequestAborted).ConfigureAwait(false))
        {
            context.Response.StatusCode = 202;
        }
        else
        {
            await NotFound(context, "No such message.").ConfigureAwait(false);
        }
    }

    private static async Task<WebHookSubscription?> FindAsync(HttpContext context)
    {
        var id = (string)context.Request.RouteValues["id"]!;
        var subscription = await Service(context).Store.GetSubscriptionAsync(id, context.RequestAborted).ConfigureAwait(false);
        if (subscription is null)
        {
            await NotFound(context).ConfigureAwait(false);
        }
        return subscription;
    }

    private static bool TryLimit(HttpContext context, out int limit)
    {
        limit = 50;
        var text = context.Request.Query["limit"].ToString();
        return text.Length == 0 ||
               (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit is >= 1 and <= MaxPageSize);
    }

    private static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> typeInfo, bool allowEmpty = false)
        where T : class
    {
        var request = context.Request;
        if (request.ContentLength > MaxRequestBytes)
        {
            return (null, Problem(413, "Request body too large", $"The body is larger than {MaxRequestBytes} bytes."));
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxRequestBytes)
            {
                return (null, Problem(413, "Request body too large", $"The body is larger than {MaxRequestBytes} bytes."));
            }
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0)
        {
            return allowEmpty ? (null, null) : (null, Problem(400, "Missing body", "The request needs a JSON body."));
        }
        if (request.ContentType is not { } contentType ||
            !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problem(415, "Unsupported media type", "The body must be application/json."));
        }
        try
        {
            var value = JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), typeInfo);
            return value is null ? (null, Problem(400, "Invalid body", "The body must be a JSON object.")) : (value, null);
        }
        catch (JsonException ex)
        {
            // The path says where; the message never echoes values.
            return (null, Problem(400, "Invalid JSON", $"The body is not valid for this request (at {ex.Path ?? "$"})."));
        }
    }

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    private static Task Invalid(HttpContext context, Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The request is invalid.").ExecuteAsync(context);

    private static Task Invalid(HttpContext context, string member, string message) =>
        Invalid(context, new Dictionary<string, string[]>(StringComparer.Ordinal) { [member] = [message] });

    private static Task NotFound(HttpContext context, string detail = "No such subscription.") =>
        Problem(404, "Not found", detail).ExecuteAsync(context);

    private static Task Write<T>(HttpContext context, int status, T value, JsonTypeInfo<T> typeInfo)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(value, typeInfo, contentType: null, context.RequestAborted);
    }

    private static SubscriptionInput ToInput(SubscriptionRequest request) =>
        new(request.Url, request.EventTypes, request.Description, request.Metadata, request.Secret);

    internal static SubscriptionResponse ToResponse(WebHookSubscription s, string? secret) => new()
    {
        Id = s.Id,
        Url = s.Url.OriginalString,
        EventTypes = s.EventTypes,
        Description = s.Description,
        Metadata = s.Metadata,
        Status = Name(s.Status),
        StatusReason = s.StatusReason,
        CreatedAt = s.CreatedAt,
        UpdatedAt = s.UpdatedAt,
        FailingSince = s.FailingSince,
        Secret = secret,
    };

    private static string Name(WebHookSubscriptionStatus status) => status switch
    {
        WebHookSubscriptionStatus.Pending => "pending",
        WebHookSubscriptionStatus.Enabled => "enabled",
        _ => "disabled",
    };

    private static string Name(WebHookDeliveryStatus status) => status switch
    {
        WebHookDeliveryStatus.Pending => "pending",
        WebHookDeliveryStatus.Succeeded => "succeeded",
        _ => "failed",
    };
}
