using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Subscriptions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

using Hooks;
using Hooks.Hosting;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the subscription management API.</summary>
public static class WebHookSubscriptionsEndpointRouteBuilderExtensions
{
    /// <summary>The most bytes of a management request body.</summary>
    internal const int MaxRequestBytes = 64 * 1024;

    private const int MaxPageSize = 200;

    /// <summary>
    /// Maps the management API under <paramref name="prefix"/>: <c>GET event-types</c>; <c>POST/GET subscriptions</c>;
    /// <c>GET/PATCH/DELETE subscriptions/{id}</c>; <c>POST subscriptions/{id}/enable|disable|rotate-secret|verify|test|recover</c>;
    /// <c>GET subscriptions/{id}/deliveries</c>; <c>GET subscriptions/{id}/deliveries/{deliveryId}/attempts</c>;
    /// <c>POST subscriptions/{id}/messages/{messageId}/redeliver</c>. Bad input is answered with RFC 9457 Problem
    /// Details (400) and changes nothing. Subscription answers carry an <c>ETag</c> (the subscription's version);
    /// PATCH, DELETE and the POST actions on a subscription honour <c>If-Match</c> and answer 412 when it names another
    /// version. Without <c>If-Match</c> a change is applied to the subscription as stored when it is written, so it
    /// never undoes a change the dispatcher made meanwhile (a 410 disable, a failing-since). Add authorization to the returned group; choosing a subscription's
    /// <c>verification</c> mode other than <c>challenge</c> also needs <see cref="WebHookProducerOptions.VerificationModePolicy"/>.
    /// Every subscription belongs to the default tenant: see the overload with a <see cref="WebHookTenantResolver"/>
    /// for a service with many users.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="prefix">The route prefix, <c>/webhooks</c> by default.</param>
    /// <returns>The route group, for <c>RequireAuthorization</c> and the like.</returns>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0027:API with optional parameter(s) should have the most parameters amongst its public overloads", Justification = "The single-tenant call stays MapWebHookSubscriptions(); the tenant resolver is never optional where it is wanted.")]
    public static RouteGroupBuilder MapWebHookSubscriptions(this IEndpointRouteBuilder endpoints, string prefix = "/webhooks") =>
        MapWebHookSubscriptions(endpoints, prefix, WebHookTenantResolver.DefaultTenant);

    /// <summary>
    /// Maps the management API under <paramref name="prefix"/> (see
    /// <see cref="MapWebHookSubscriptions(IEndpointRouteBuilder, string)"/>) for a service with many users: each request
    /// acts for the tenant <paramref name="tenants"/> finds, and sees and changes only that tenant's subscriptions;
    /// another tenant's subscription, delivery, attempt or message answers 404. A request for which the resolver finds
    /// no tenant is answered 401 (caller not authenticated) or 403 (authenticated), and changes nothing. New
    /// subscriptions belong to the caller's tenant; no body or query member names a tenant.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="prefix">The route prefix; it may hold the tenant, as in <c>/tenants/{tenant}/webhooks</c>.</param>
    /// <param name="tenants">Finds the caller's tenant.</param>
    /// <returns>The route group, for <c>RequireAuthorization</c> and the like.</returns>
    public static RouteGroupBuilder MapWebHookSubscriptions(this IEndpointRouteBuilder endpoints, string prefix, WebHookTenantResolver tenants)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(tenants);
        var group = endpoints.MapGroup(prefix).WithTags("Webhook subscriptions");
        if (!ReferenceEquals(tenants, WebHookTenantResolver.DefaultTenant))
        {
            group.AddEndpointFilter(async (invocation, next) =>
            {
                var context = invocation.HttpContext;
                if (await tenants.ResolveAsync(context).ConfigureAwait(false) is not { } scope)
                {
                    return context.User.Identity?.IsAuthenticated == true
                        ? Problem(403, "Forbidden", "The request does not name a tenant its caller may act for.")
                        : Problem(401, "Unauthorized", "The request does not identify its caller's tenant.");
                }
                context.Features.Set(scope);
                return await next(invocation).ConfigureAwait(false);
            });
            group.ProducesProblem(401).ProducesProblem(403);
        }
        DescribePrefixParameters(group, prefix);
        group.MapGet("/event-types", ListEventTypes)
            .WithSummary("Lists the event types a subscription may ask for, with the JSON Schema of each one's body.");
        group.MapPost("/subscriptions", Create)
            .WithJsonBody<SubscriptionRequest>().ProducesProblem(403).ProducesProblem(409).ProducesProblem(413).ProducesProblem(415)
            .WithSummary("Creates a subscription; the answer shows its secret once.");
        group.MapGet("/subscriptions", List)
            .WithSummary("Lists subscriptions, oldest first; pass the answer's next as after for the next page.");
        group.MapGet("/subscriptions/{id}", Get).ProducesProblem(404)
            .WithSummary("Gets a subscription.");
        group.MapPatch("/subscriptions/{id}", Update)
            .WithJsonBody<SubscriptionRequest>().ProducesProblem(403).ProducesProblem(404).ProducesProblem(412).ProducesProblem(413).ProducesProblem(415)
            .WithSummary("Changes the members given; a new URL is verified before anything is sent to it.");
        group.MapDelete("/subscriptions/{id}", Delete).ProducesProblem(404).ProducesProblem(412)
            .WithSummary("Deletes a subscription and its pending deliveries.");
        group.MapPost("/subscriptions/{id}/enable", Enable).ProducesProblem(404).ProducesProblem(412)
            .WithSummary("Enables a subscription whose current URL passed intent verification (or challenges it again).");
        group.MapPost("/subscriptions/{id}/disable", Disable)
            .WithJsonBody<DisableRequest>(optional: true).ProducesProblem(404).ProducesProblem(412).ProducesProblem(413).ProducesProblem(415)
            .WithSummary("Disables a subscription: its deliveries wait until it is enabled.");
        group.MapPost("/subscriptions/{id}/rotate-secret", Rotate)
            .WithJsonBody<RotateSecretRequest>(optional: true).ProducesProblem(404).ProducesProblem(412).ProducesProblem(413).ProducesProblem(415)
            .WithSummary("Adds a new signing secret (given or generated, shown once); the old one keeps signing for the overlap.");
        group.MapPost("/subscriptions/{id}/verify", Verify).ProducesProblem(404).ProducesProblem(412)
            .WithSummary("Challenges a pending URL again.");
        group.MapPost("/subscriptions/{id}/test", SendTest).ProducesProblem(404).ProducesProblem(412)
            .WithSummary("Sends a webhook.test message to this subscription only.");
        group.MapPost("/subscriptions/{id}/recover", Recover)
            .WithJsonBody<RecoverRequest>().ProducesProblem(404).ProducesProblem(412).ProducesProblem(413).ProducesProblem(415)
            .WithSummary("Sends again every failed delivery of this subscription since a time.");
        group.MapGet("/subscriptions/{id}/deliveries", ListDeliveries).ProducesProblem(404)
            .WithSummary("Lists a subscription's deliveries, newest first.");
        group.MapGet("/subscriptions/{id}/deliveries/{deliveryId}/attempts", ListAttempts).ProducesProblem(404)
            .WithSummary("Lists the attempts of one delivery.");
        group.MapPost("/subscriptions/{id}/messages/{messageId}/redeliver", Redeliver).ProducesProblem(404)
            .WithSummary("Sends a message again to a subscription that had a delivery of it.");
        return group;
    }

    /// <summary>
    /// The prefix's route parameters (<c>/tenants/{tenant}/webhooks</c>) bind to no handler parameter, so OpenAPI would
    /// leave them out of every operation: described here as required string path parameters.
    /// </summary>
    private static void DescribePrefixParameters(RouteGroupBuilder group, string prefix)
    {
        var names = Microsoft.AspNetCore.Routing.Patterns.RoutePatternFactory.Parse(prefix).Parameters.Select(p => p.Name).ToArray();
        if (names.Length == 0)
        {
            return;
        }
        group.AddOpenApiOperationTransformer((operation, context, cancellationToken) =>
        {
            operation.Parameters ??= [];
            for (var i = names.Length - 1; i >= 0; i--)
            {
                if (!operation.Parameters.Any(p => p.In == ParameterLocation.Path && p.Name == names[i]))
                {
                    operation.Parameters.Insert(0, new OpenApiParameter
                    {
                        Name = names[i],
                        In = ParameterLocation.Path,
                        Required = true,
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                    });
                }
            }
            return Task.CompletedTask;
        });
    }

    private const string JsonContentType = "application/json";

    /// <summary>
    /// Describes the JSON body to OpenAPI only. Accepts metadata would also make routing answer a wrong content type with
    /// a bare 415; the handlers answer it themselves, as Problem Details.
    /// </summary>
    private static RouteHandlerBuilder WithJsonBody<T>(this RouteHandlerBuilder builder, bool optional = false) =>
        builder.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
        {
            var schema = await context.GetOrCreateSchemaAsync(typeof(T), null, cancellationToken).ConfigureAwait(false);
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = !optional,
                Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal) { [JsonContentType] = new() { Schema = schema } },
            };
        });

    // Answers are served as application/json, never embedded in HTML or script, so the relaxed encoder is safe here: it
    // still escapes what JSON requires (quotes, backslash, control chars), and leaves + < > & ' and non-ASCII text as
    // they are, so a secret such as whsec_ab+c/d= reads the same in curl as it must be pasted into a receiver.
    private static readonly SubscriptionJsonContext Json = new(new JsonSerializerOptions(SubscriptionJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    private static JsonAnswer<T, Status200> Ok<T>(T value, JsonTypeInfo<T> typeInfo) => new(value, typeInfo);

    private static JsonAnswer<T, Status202> Accepted<T>(T value, JsonTypeInfo<T> typeInfo) => new(value, typeInfo);

    private static JsonAnswer<EventTypeListResponse, Status200> ListEventTypes(HttpContext context, [FromServices] WebHookSubscriptionService service)
    {
        // A tenant sees the types it may subscribe to; the operator view sees them all.
        var data = service.EventTypesFor(Scope(context).Tenant).Select(d => new EventTypeResponse { Type = d.Type, Description = d.Description, Schema = d.EnvelopeSchema }).ToList();
        return Ok(new EventTypeListResponse { Data = data }, EventCatalogJsonContext.Default.EventTypeListResponse);
    }

    private static async Task<Results<JsonAnswer<SubscriptionResponse, Status201>, ValidationProblem, ProblemHttpResult>> Create(
        HttpContext context, [FromServices] WebHookSubscriptionService service, CancellationToken cancellationToken)
    {
        var (request, problem) = await ReadAsync(context.Request, Json.SubscriptionRequest, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }
        if (Scope(context).Tenant is not { } tenant)
        {
            return Problem(403, "Forbidden", "The operator view across tenants cannot create subscriptions: create one in its tenant's scope.");
        }
        var input = ToInput(request!);
        var errors = service.Validate(input, creating: true, out var url, out var secret, out var verification);
        service.ValidateTenantEventTypes(tenant, input.EventTypes ?? [], errors);
        if (errors.Count > 0)
        {
            return Invalid(errors);
        }
        if (await RefuseModeAsync(context, service, verification).ConfigureAwait(false) is { } forbidden)
        {
            return forbidden;
        }
        var (subscription, created) = await service.CreateAsync(tenant, input, url!, secret, verification ?? WebHookIntentVerificationMode.Challenge,
            cancellationToken).ConfigureAwait(false);
        if (subscription is null)
        {
            return Problem(409, "Subscription limit reached",
                $"The tenant has {service.Options.MaxSubscriptionsPerTenant} subscriptions, the most it may have: delete one first.");
        }
        SetETag(context, subscription);
        return new JsonAnswer<SubscriptionResponse, Status201>(ToResponse(subscription, created!.Reveal()), Json.SubscriptionResponse,
            location: $"{context.Request.PathBase}{context.Request.Path}/{subscription.Id}");
    }

    private static async Task<Results<JsonAnswer<SubscriptionListResponse, Status200>, ValidationProblem>> List(
        [FromQuery] string? after, [FromQuery] string? limit, HttpContext context, [FromServices] WebHookSubscriptionService service,
        CancellationToken cancellationToken)
    {
        if (!TryLimit(limit, out var count))
        {
            return Invalid("limit", $"limit must be 1 to {MaxPageSize}.");
        }
        var page = await service.ListAsync(Scope(context), string.IsNullOrEmpty(after) ? null : after, count + 1, cancellationToken).ConfigureAwait(false);
        var data = page.Take(count).Select(s => ToResponse(s, null)).ToList();
        return Ok(new SubscriptionListResponse { Data = data, Next = page.Count > count ? data[^1].Id : null }, Json.SubscriptionListResponse);
    }

    private static async Task<Results<JsonAnswer<SubscriptionResponse, Status200>, ProblemHttpResult>> Get(
        string id, HttpContext context, [FromServices] WebHookSubscriptionService service, CancellationToken cancellationToken) =>
        await service.GetAsync(Scope(context), id, cancellationToken).ConfigureAwait(false) is { } subscription
            ? Answer(context, subscription, null)
            : NotFound();

    private static async Task<Results<JsonAnswer<SubscriptionResponse, Status200>, ValidationProblem, ProblemHttpResult>> Update(
        string id, HttpContext context, [FromServices] WebHookSubscriptionService service, CancellationToken cancellationToken)
    {
        var (request, problem) = await ReadAsync(context.Request, Json.SubscriptionRequest, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }
        if (request!.Secret is not null)
        {
            return Invalid("secret", "Change the secret with rotate-secret.");
        }
        var input = ToInput(request);
        var errors = service.Validate(input, creating: false, out var url, out _, out var verification);
        if (errors.Count > 0)
        {
            return Invalid(errors);
        }
        if (await RefuseModeAsync(context, service, verification).ConfigureAwait(false) is { } forbidden)
        {
            return forbidden;
        }
        if (await service.GetAsync(Scope(context), id, cancellationToken).ConfigureAwait(false) is not { } current)
        {
            return NotFound();
        }
        if (input.EventTypes is { } types && service.ValidateTenantEventTypes(current.Tenant, types, errors))
        {
            return Invalid(errors);
        }
        if (!IfMatch(context, current, out var ifMatch))
        {
            return PreconditionFailed();
        }
        var (result, updated) = await service.UpdateAsync(current, input, url, verification, ifMatch, cancellationToken).ConfigureAwait(false);
        return Written(context, result, updated, null);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        string id, HttpContext context, [FromServices] WebHookSubscriptionService service, CancellationToken cancellationToken)
    {
        if (await service.GetAsync(Scope(context), id, cancellationToken).ConfigureAwait(false) is not { } subscription)
        {
            return NotFound();
        }
        if (!IfMatch(context, subscription, out _))
        {
            return PreconditionFailed();
        }
        return await service.DeleteAsync(subscription.Id, cancellationToken).ConfigureAwait(false) ? TypedResults.NoContent() : NotFound();
    }

    private static async Task<Results<JsonAnswer<SubscriptionResponse, Status200>, ProblemHttpResult>> Enable(
        string id, HttpContext context, [FromServices] WebHookSubscriptionService service, CancellationToken cancellationToken)
    {
        if (await service.GetAsync(Scope(context), id, cancellationToken).ConfigureAwait(false) is not { } current)
        {
            return NotFound();
        }
        if (!IfMatch(context, current, out var ifMatch))
        {
            return PreconditionFailed();
        }
        var (result, updated) = await service.SetEnabledAsync(current, true, null, ifMatch, cancellationToken).ConfigureAwait(false);
        return result switch
        {
            SubscriptionWrite.Done => Answer(context, updated!, null),
            SubscriptionWrite.PreconditionFailed => PreconditionFailed(),
            SubscriptionWrite.Conflict => Conflict(),
            _ => NotFound(),
        };
    }

    private static async Task<Results<JsonAnswer<SubscriptionResponse, Status200>, ValidationProblem, ProblemHttpResult>> Disable(
        string id, HttpContext context, [FromServices] WebHookSubscriptionService service, CancellationToken cancellationToken)
    {
        var (request, problem) = await ReadAsync(context.Request, Json.DisableRequest, cancellationToken, allowEmpty: true).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }
        if (request?.Reason is { Length: > WebHookSubscriptionService.MaxDescriptionLength })
        {
            return Invalid("reason", $"The reason is longer than {WebHookSubscriptionService.MaxDescriptionLength} chars.");
        }
        if (await service.GetAsync(Scope(context), id, cancellationToken).ConfigureAwait(false) is not { } current)
        {
            return NotFound();
        }
        if (!IfMatch(context, current, out var ifMatch))
        {
            return PreconditionFailed();
        }
        var (result, updated) = await service.SetEnabledAsync(current, false, request?.Reason, ifMatch, cancellationToken).ConfigureAwait(false);
        return Written(context, result, updated, null);
    }

    private static async Task<Results<JsonAnswer<SubscriptionResponse, Status200>, ValidationProblem, ProblemHttpResult>> Rotate(
        string id, HttpContext context, [FromServices] WebHookSubscriptionService service, CancellationToken cancellationToken)
    {
        var (request, problem) = await ReadAsync(context.Request, Json.RotateSecretRequest, cancellationToken, allowEmpty: true).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }
        WebHookSecret? secret = null;
        if (request?.Secret is { } text && !WebHookSecret.TryParse(text, out secret, out var error))
        {
            return Invalid("secret", WebHookSecret.Describe(error));
        }
        if (await service.GetAsync(Scope(context), id, cancellationToken).ConfigureAwait(false) is not { } current)
        {
            return NotFound();
        }
        if (!IfMatch(context, current, out var ifMatch))
        {
            return PreconditionFailed();
        }
        var (result, updated, created) = await service.RotateAsync(current, secret, ifMatch, cancellationToken).ConfigureAwait(false);
        return Written(context, result, updated, result == SubscriptionWrite.Done ? created.Reveal() : null);
    }

    private static async Task<Results<JsonAnswer<SubscriptionResponse, Status200>, ProblemHttpResult>> Verify(
        string id, HttpContext context, [FromServices] WebHookSubscriptionService service, CancellationToken cancellationToken)
    {
        if (await service.GetAsync(Scope(context), id, cancellationToken).ConfigureAwait(false) is not { } current)
        {
            return NotFound();
        }
        if (!IfMatch(context, current, out _))
        {
            return PreconditionFailed();
        }
        var updated = current.Status == WebHookSubscriptionStatus.Pending || current.PendingUrl is not null
            ? await service.VerifyAsync(current, enabling: false, cancellationToken).ConfigureAwait(false)
            : current;
        return Answer(context, updated, null);
    }

    private static async Task<Results<JsonAnswer<MessageResponse, Status202>, ProblemHttpResult>> SendTest(
        string id, HttpContext context, [FromServices] WebHookSubscriptionService service, CancellationToken cancellationToken)
    {
        if (await service.GetAsync(Scope(context), id, cancellationToken).ConfigureAwait(false) is not { } current)
        {
            return NotFound();
        }
        if (!IfMatch(context, current, out _))
        {
            return PreconditionFailed();
        }
        var published = await service.SendTestAsync(current, cancellationToken).ConfigureAwait(false);
        return Accepted(new MessageResponse { MessageId = published.MessageId, Deliveries = published.Deliveries }, Json.MessageResponse);
    }

    private static async Task<Results<JsonAnswer<RecoverResponse, Status202>, ValidationProblem, ProblemHttpResult>> Recover(
        string id, HttpContext context, [FromServices] WebHookSubscriptionService service, CancellationToken cancellationToken)
    {
        var (request, problem) = await ReadAsync(context.Request, Json.RecoverRequest, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }
        if (request!.Since is not { } since)
        {
            return Invalid("since", "since (an ISO 8601 time) is required.");
        }
        if (await service.GetAsync(Scope(context), id, cancellationToken).ConfigureAwait(false) is not { } current)
        {
            return NotFound();
        }
        if (!IfMatch(context, current, out _))
        {
            return PreconditionFailed();
        }
        var count = await service.RecoverAsync(current.Id, since, cancellationToken).ConfigureAwait(false);
        return Accepted(new RecoverResponse { Deliveries = count, Detail = HeldDetail(current) }, Json.RecoverResponse);
    }

    private static async Task<Results<JsonAnswer<DeliveryListResponse, Status200>, ValidationProblem, ProblemHttpResult>> ListDeliveries(
        string id, [FromQuery] string? status, [FromQuery] string? before, [FromQuery] string? messageId, [FromQuery] string? limit,
        HttpContext context, [FromServices] WebHookSubscriptionService service, CancellationToken cancellationToken)
    {
        WebHookDeliveryStatus? wanted = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!Enum.TryParse<WebHookDeliveryStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) ||
                int.TryParse(status, out _))
            {
                return Invalid("status", "status must be pending, succeeded, failed or skipped.");
            }
            wanted = parsed;
        }
        long? beforeId = null;
        if (!string.IsNullOrEmpty(before))
        {
            if (!long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out var b))
            {
                return Invalid("before", "before must be a delivery id.");
            }
            beforeId = b;
        }
        if (!TryLimit(limit, out var count))
        {
            return Invalid("limit", $"limit must be 1 to {MaxPageSize}.");
        }
        if (await service.GetAsync(Scope(context), id, cancellationToken).ConfigureAwait(false) is not { } subscription)
        {
            return NotFound();
        }
        var page = await service.ListDeliveriesAsync(new WebHookDeliveryQuery
        {
            SubscriptionId = subscription.Id,
            Status = wanted,
            Before = beforeId,
            MessageId = string.IsNullOrEmpty(messageId) ? null : messageId,
            Limit = count + 1,
        }, cancellationToken).ConfigureAwait(false);
        var data = page.Take(count).Select(d => new DeliveryResponse
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
        return Ok(new DeliveryListResponse { Data = data, Next = page.Count > count ? data[^1].Id : null }, Json.DeliveryListResponse);
    }

    private static async Task<Results<JsonAnswer<AttemptListResponse, Status200>, ValidationProblem, ProblemHttpResult>> ListAttempts(
        string id, string deliveryId, HttpContext context, [FromServices] WebHookSubscriptionService service, CancellationToken cancellationToken)
    {
        if (!long.TryParse(deliveryId, NumberStyles.None, CultureInfo.InvariantCulture, out var delivery))
        {
            return Invalid("deliveryId", "deliveryId must be a delivery id.");
        }
        if (await service.GetAsync(Scope(context), id, cancellationToken).ConfigureAwait(false) is not { } subscription)
        {
            return NotFound();
        }
        if (await service.ListAttemptsAsync(subscription.Id, delivery, cancellationToken).ConfigureAwait(false) is not { } attempts)
        {
            return NotFound("The subscription has no such delivery.");
        }
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
        return Ok(new AttemptListResponse { Data = data }, Json.AttemptListResponse);
    }

    private static async Task<Results<JsonAnswer<RecoverResponse, Status202>, ProblemHttpResult>> Redeliver(
        string id, string messageId, HttpContext context, [FromServices] WebHookSubscriptionService service, CancellationToken cancellationToken)
    {
        if (await service.GetAsync(Scope(context), id, cancellationToken).ConfigureAwait(false) is not { } subscription)
        {
            return NotFound();
        }
        // Also 404 for a message that exists but never went to this subscription: redelivery is not a way to send it.
        return await service.RedeliverAsync(subscription.Id, messageId, cancellationToken).ConfigureAwait(false)
            ? Accepted(new RecoverResponse { Deliveries = 1, Detail = HeldDetail(subscription) }, Json.RecoverResponse)
            : NotFound("The subscription has no delivery of this message.");
    }

    private static string? HeldDetail(WebHookSubscription subscription) => subscription.Status switch
    {
        WebHookSubscriptionStatus.Disabled => "The subscription is disabled: nothing is sent until it is enabled.",
        WebHookSubscriptionStatus.Pending => "The subscription is waiting for intent verification: nothing is sent until its URL passes it.",
        _ => null,
    };

    /// <summary>
    /// A verification mode other than <c>challenge</c> weakens the check, so only callers passing
    /// <see cref="WebHookProducerOptions.VerificationModePolicy"/> may choose it: a 403 answer otherwise.
    /// </summary>
    private static async Task<ProblemHttpResult?> RefuseModeAsync(HttpContext context, WebHookSubscriptionService service, WebHookIntentVerificationMode? mode)
    {
        if (mode is null or WebHookIntentVerificationMode.Challenge)
        {
            return null;
        }
        var policy = service.Options.VerificationModePolicy;
        if (policy is not null)
        {
            var authorization = context.RequestServices.GetRequiredService<IAuthorizationService>();
            var result = await authorization.AuthorizeAsync(context.User, context, policy).ConfigureAwait(false);
            if (result.Succeeded)
            {
                return null;
            }
        }
        return Problem(403, "Forbidden",
            $"Only an administrator may choose the verification mode {WebHookSubscriptionService.Name(mode.Value)}: a caller must pass the authorization policy " +
            $"named by {nameof(WebHookProducerOptions)}.{nameof(WebHookProducerOptions.VerificationModePolicy)}" +
            (policy is null ? ", which is not set." : "."));
    }

    private static bool TryLimit(string? text, out int limit)
    {
        limit = 50;
        return string.IsNullOrEmpty(text) ||
               (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit is >= 1 and <= MaxPageSize);
    }

    /// <summary>
    /// Reads a body of at most <see cref="MaxRequestBytes"/> with the management API's strict contract (unknown and
    /// duplicate members refused); problems come back as answers that never echo values.
    /// </summary>
    private static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo,
        CancellationToken cancellationToken, bool allowEmpty = false)
        where T : class
    {
        if (request.ContentLength > MaxRequestBytes)
        {
            return (null, Problem(413, "Request body too large", $"The body is larger than {MaxRequestBytes} bytes."));
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
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
            !contentType.StartsWith(JsonContentType, StringComparison.OrdinalIgnoreCase))
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

    /// <summary>
    /// The caller's scope, which the group's filter put there; the default tenant's when the API was mapped without a
    /// resolver (no filter then).
    /// </summary>
    private static WebHookTenantScope Scope(HttpContext context) =>
        context.Features.Get<WebHookTenantScope>() ?? WebHookTenantScope.DefaultTenant;

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    private static ValidationProblem Invalid(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The request is invalid.");

    private static ValidationProblem Invalid(string member, string message) =>
        Invalid(new Dictionary<string, string[]>(StringComparer.Ordinal) { [member] = [message] });

    private static ProblemHttpResult NotFound(string detail = "No such subscription.") => Problem(404, "Not found", detail);

    private static ProblemHttpResult PreconditionFailed() =>
        Problem(412, "Precondition failed", "The subscription changed since the version If-Match names: read it again (its ETag is its version).");

    /// <summary>The subscription's version as an entity tag: strong, the version in quotes.</summary>
    internal static string ETagOf(WebHookSubscription subscription) =>
        "\"" + subscription.Version.ToString(CultureInfo.InvariantCulture) + "\"";

    private static void SetETag(HttpContext context, WebHookSubscription subscription) =>
        context.Response.Headers.ETag = ETagOf(subscription);

    private static ProblemHttpResult Conflict() =>
        Problem(409, "Conflict", "The subscription kept changing while this change was applied: try again.");

    private static JsonAnswer<SubscriptionResponse, Status200> Answer(HttpContext context, WebHookSubscription subscription, string? secret)
    {
        SetETag(context, subscription);
        return Ok(ToResponse(subscription, secret), Json.SubscriptionResponse);
    }

    private static Results<JsonAnswer<SubscriptionResponse, Status200>, ValidationProblem, ProblemHttpResult> Written(HttpContext context,
        SubscriptionWrite result, WebHookSubscription? subscription, string? secret) => result switch
    {
        SubscriptionWrite.Done => Answer(context, subscription!, secret),
        SubscriptionWrite.PreconditionFailed => PreconditionFailed(),
        SubscriptionWrite.Conflict => Conflict(),
        _ => NotFound(),
    };

    /// <summary>
    /// Whether the request's <c>If-Match</c> (when it has one) names the subscription's current version; the version it
    /// names, for the write to check again, or <c>null</c> without a precondition (no header, or <c>*</c>). If-Match
    /// compares strongly (RFC 9110): a weak tag matches nothing.
    /// </summary>
    private static bool IfMatch(HttpContext context, WebHookSubscription current, out long? version)
    {
        version = null;
        var values = context.Request.Headers.IfMatch;
        if (values.Count == 0)
        {
            return true;
        }
        if (!Microsoft.Net.Http.Headers.EntityTagHeaderValue.TryParseList(values, out var tags))
        {
            return false;
        }
        var etag = ETagOf(current);
        foreach (var tag in tags)
        {
            if (tag.Equals(Microsoft.Net.Http.Headers.EntityTagHeaderValue.Any))
            {
                return true;
            }
            if (!tag.IsWeak && tag.Tag.Equals(etag, StringComparison.Ordinal))
            {
                version = current.Version;
                return true;
            }
        }
        return false;
    }

    private static SubscriptionInput ToInput(SubscriptionRequest request) =>
        new(request.Url, request.EventTypes, request.Description, request.Metadata, request.Secret, request.Verification);

    internal static SubscriptionResponse ToResponse(WebHookSubscription s, string? secret) => new()
    {
        Id = s.Id,
        Tenant = s.Tenant,
        Url = s.Url.OriginalString,
        EventTypes = s.EventTypes,
        Description = s.Description,
        Metadata = s.Metadata,
        Status = Name(s.Status),
        StatusReason = s.StatusReason,
        Verification = WebHookSubscriptionService.Name(s.Verification),
        PendingUrl = s.PendingUrl?.OriginalString,
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
        WebHookDeliveryStatus.Skipped => "skipped",
        _ => "failed",
    };
}
