using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json.Nodes;
using Hooks.Publishing;
using Hooks.Storage;
using Hooks.Subscriptions;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Hooks.Tests.Subscriptions;

/// <summary>
/// The management API confined to the caller's tenant: another tenant's subscriptions, deliveries, attempts and
/// messages answer 404 and change nothing; no body or query member reaches another tenant; every resolver kind.
/// </summary>
public sealed class TenantManagementApiTests
{
    private const string TenantHeader = "X-Tenant";

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonNode> ReadAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    /// <summary>A producer whose management API takes the tenant from the X-Tenant header.</summary>
    private static Task<ProducerApp> StartWithHeaderTenantsAsync(Action<Hooks.Hosting.WebHookProducerOptions>? configure = null) =>
        ProducerApp.StartAsync(configure, map: a => a.MapWebHookSubscriptions("/webhooks", WebHookTenantResolver.FromHeader(TenantHeader)));

    private static async Task<HttpResponseMessage> SendAsync(ProducerApp app, string? tenant, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : Json(json) };
        if (tenant is not null)
        {
            request.Headers.Add(TenantHeader, tenant);
        }
        return await app.Client.SendAsync(request);
    }

    private static async Task<JsonNode> CreateAsync(ProducerApp app, string tenant, Uri url, string extra = "")
    {
        var response = await SendAsync(app, tenant, HttpMethod.Post, "/webhooks/subscriptions", $$"""{"url":"{{url}}"{{extra}}}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await ReadAsync(response);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? member = null)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (member is not null)
        {
            Assert.NotNull((await ReadAsync(response))["errors"]?[member]);
        }
    }

    /// <summary>Everything the store holds about a subscription, to compare before and after.</summary>
    private static async Task<string> SnapshotAsync(RecordingStore store, string subscriptionId)
    {
        var text = new StringBuilder();
        var subscription = await store.GetSubscriptionAsync(subscriptionId);
        Assert.NotNull(subscription);
        text.AppendLine(string.Join('|', subscription.Id, subscription.Tenant, subscription.Url, subscription.Status, subscription.StatusReason,
            subscription.Description, subscription.UpdatedAt.ToString("O"), subscription.FailingSince?.ToString("O"), subscription.PendingUrl,
            string.Join(',', subscription.EventTypes), string.Join(',', subscription.Secrets.Select(s => $"{s.CreatedAt:O}/{s.ExpiresAt:O}"))));
        foreach (var delivery in await store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = subscriptionId, Limit = 1000 }))
        {
            text.AppendLine(delivery.ToString());
            foreach (var attempt in await store.ListAttemptsAsync(subscriptionId, delivery.Id))
            {
                text.AppendLine(attempt.ToString());
            }
        }
        return text.ToString();
    }

    [Fact]
    public async Task Every_route_answers_404_to_another_tenant_and_changes_nothing()
    {
        await using var app = await StartWithHeaderTenantsAsync();
        await using var receiver = await Receiver.StartAsync();
        var a = await CreateAsync(app, "tenant-a", receiver.Url);
        var aId = (string)a["id"]!;
        Assert.Equal("tenant-a", (string)a["tenant"]!);
        var published = await app.Publisher.PublishAsync(new OrderCreated("o-1", 1), new WebHookTenant("tenant-a"));
        Assert.Equal(1, published.Deliveries);
        await receiver.NextAsync();
        await app.Store.NextAttemptAsync();
        var delivery = Assert.Single(await app.Store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = aId }));
        // B has a subscription of its own, to try A's delivery and message ids under it too.
        var bId = (string)(await CreateAsync(app, "tenant-b", new Uri("https://example.com/b")))["id"]!;
        var before = await SnapshotAsync(app.Store, aId);
        var bBefore = await SnapshotAsync(app.Store, bId);

        (HttpMethod Method, string Path, string? Body)[] routes =
        [
            (HttpMethod.Get, $"/webhooks/subscriptions/{aId}", null),
            (HttpMethod.Patch, $"/webhooks/subscriptions/{aId}", """{"description":"mine now"}"""),
            (HttpMethod.Delete, $"/webhooks/subscriptions/{aId}", null),
            (HttpMethod.Post, $"/webhooks/subscriptions/{aId}/enable", null),
            (HttpMethod.Post, $"/webhooks/subscriptions/{aId}/disable", """{"reason":"x"}"""),
            (HttpMethod.Post, $"/webhooks/subscriptions/{aId}/rotate-secret", null),
            (HttpMethod.Post, $"/webhooks/subscriptions/{aId}/verify", null),
            (HttpMethod.Post, $"/webhooks/subscriptions/{aId}/test", null),
            (HttpMethod.Post, $"/webhooks/subscriptions/{aId}/recover", $$"""{"since":"{{app.Time.GetUtcNow().AddDays(-1):O}}"}"""),
            (HttpMethod.Get, $"/webhooks/subscriptions/{aId}/deliveries", null),
            (HttpMethod.Get, $"/webhooks/subscriptions/{aId}/deliveries?messageId={published.MessageId}", null),
            (HttpMethod.Get, $"/webhooks/subscriptions/{aId}/deliveries/{delivery.Id}/attempts", null),
            (HttpMethod.Post, $"/webhooks/subscriptions/{aId}/messages/{published.MessageId}/redeliver", null),
            // A's delivery and message named under B's own subscription.
            (HttpMethod.Get, $"/webhooks/subscriptions/{bId}/deliveries/{delivery.Id}/attempts", null),
            (HttpMethod.Post, $"/webhooks/subscriptions/{bId}/messages/{published.MessageId}/redeliver", null),
        ];
        foreach (var (method, path, body) in routes)
        {
            var response = await SendAsync(app, "tenant-b", method, path, body);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path} answered {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        // Lists show B only, whatever the query says.
        var list = await ReadAsync(await SendAsync(app, "tenant-b", HttpMethod.Get, $"/webhooks/subscriptions?tenant=tenant-a&after="));
        Assert.Equal([bId], list["data"]!.AsArray().Select(s => (string)s!["id"]!));
        var filtered = await ReadAsync(await SendAsync(app, "tenant-b", HttpMethod.Get, $"/webhooks/subscriptions/{bId}/deliveries?messageId={published.MessageId}"));
        Assert.Empty(filtered["data"]!.AsArray());

        Assert.Equal(before, await SnapshotAsync(app.Store, aId));
        Assert.Equal(bBefore, await SnapshotAsync(app.Store, bId));
        // A still sees and controls its own.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(app, "tenant-a", HttpMethod.Get, $"/webhooks/subscriptions/{aId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(app, "tenant-a", HttpMethod.Get, $"/webhooks/subscriptions/{aId}/deliveries/{delivery.Id}/attempts")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(app, "tenant-a", HttpMethod.Delete, $"/webhooks/subscriptions/{aId}")).StatusCode);
    }

    [Fact]
    public async Task No_body_or_query_member_creates_or_moves_a_subscription_into_another_tenant()
    {
        await using var app = await StartWithHeaderTenantsAsync();
        var bId = (string)(await CreateAsync(app, "tenant-b", new Uri("https://example.com/b")))["id"]!;

        // The contract is strict: a tenant member is unknown, so refused, on create and on update.
        await AssertProblemAsync(await SendAsync(app, "tenant-b", HttpMethod.Post, "/webhooks/subscriptions",
            """{"url":"https://example.com/x","tenant":"tenant-a"}"""), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await SendAsync(app, "tenant-b", HttpMethod.Patch, $"/webhooks/subscriptions/{bId}",
            """{"tenant":"tenant-a"}"""), HttpStatusCode.BadRequest);
        // A query string names no tenant either: the subscription is created in the caller's.
        var created = await ReadAsync(await SendAsync(app, "tenant-b", HttpMethod.Post, "/webhooks/subscriptions?tenant=tenant-a",
            """{"url":"https://example.com/y","metadata":{"tenant":"tenant-a"}}"""));
        Assert.Equal("tenant-b", (string)created["tenant"]!);

        Assert.Empty(await app.Store.ListSubscriptionsAsync("tenant-a", null, 10));
        Assert.Equal(2, await app.Store.CountSubscriptionsAsync("tenant-b"));
        // Nor can a store update move one.
        var stored = (await app.Store.GetSubscriptionAsync(bId))!;
        Assert.Equal(WebHookSubscriptionUpdateResult.NotFound, await app.Store.UpdateSubscriptionAsync(stored with { Tenant = "tenant-a" }));
        Assert.Equal("tenant-b", (await app.Store.GetSubscriptionAsync(bId))!.Tenant);
    }

    [Fact]
    public async Task A_request_without_a_tenant_is_refused_with_401_and_changes_nothing()
    {
        await using var app = await StartWithHeaderTenantsAsync();

        await AssertProblemAsync(await SendAsync(app, null, HttpMethod.Post, "/webhooks/subscriptions", """{"url":"https://example.com/x"}"""),
            HttpStatusCode.Unauthorized);
        await AssertProblemAsync(await SendAsync(app, "not a tenant!", HttpMethod.Get, "/webhooks/subscriptions"), HttpStatusCode.Unauthorized);
        await AssertProblemAsync(await SendAsync(app, new string('t', WebHookTenant.MaxLength + 1), HttpMethod.Get, "/webhooks/subscriptions"),
            HttpStatusCode.Unauthorized);
        // Two values make the tenant ambiguous.
        using var twice = new HttpRequestMessage(HttpMethod.Get, "/webhooks/subscriptions");
        twice.Headers.Add(TenantHeader, ["tenant-a", "tenant-b"]);
        await AssertProblemAsync(await app.Client.SendAsync(twice), HttpStatusCode.Unauthorized);

        Assert.Empty(await app.Store.ListSubscriptionsAsync(null, null, 10));
    }

    [Fact]
    public async Task A_tenant_may_have_at_most_the_configured_number_of_subscriptions()
    {
        await using var app = await StartWithHeaderTenantsAsync(o => o.MaxSubscriptionsPerTenant = 2);
        var first = (string)(await CreateAsync(app, "tenant-a", new Uri("https://example.com/1")))["id"]!;
        await CreateAsync(app, "tenant-a", new Uri("https://example.com/2"));

        var refused = await SendAsync(app, "tenant-a", HttpMethod.Post, "/webhooks/subscriptions", """{"url":"https://example.com/3"}""");
        await AssertProblemAsync(refused, HttpStatusCode.Conflict);
        Assert.Equal(2, await app.Store.CountSubscriptionsAsync("tenant-a"));
        // Another tenant's count is its own; a deleted subscription frees its place.
        await CreateAsync(app, "tenant-b", new Uri("https://example.com/b"));
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(app, "tenant-a", HttpMethod.Delete, $"/webhooks/subscriptions/{first}")).StatusCode);
        await CreateAsync(app, "tenant-a", new Uri("https://example.com/3"));
    }

    [Fact]
    public async Task The_event_type_hook_refuses_filters_taking_types_the_tenant_may_not_have_naming_them()
    {
        await using var app = await StartWithHeaderTenantsAsync(o =>
            o.TenantEventTypeFilter = (tenant, type) => tenant.Id != "free" || type != "order.cancelled");

        var wildcard = await SendAsync(app, "free", HttpMethod.Post, "/webhooks/subscriptions", """{"url":"https://example.com/x","eventTypes":["order.*"]}""");
        await AssertProblemAsync(wildcard, HttpStatusCode.BadRequest, "eventTypes");
        Assert.Contains("order.cancelled", (string)(await ReadAsync(wildcard))["errors"]!["eventTypes"]![0]!, StringComparison.Ordinal);
        await AssertProblemAsync(await SendAsync(app, "free", HttpMethod.Post, "/webhooks/subscriptions", """{"url":"https://example.com/x"}"""),
            HttpStatusCode.BadRequest, "eventTypes");
        Assert.Empty(await app.Store.ListSubscriptionsAsync(null, null, 10));

        var allowed = (string)(await CreateAsync(app, "free", new Uri("https://example.com/x"), ""","eventTypes":["order.created"]"""))["id"]!;
        await AssertProblemAsync(await SendAsync(app, "free", HttpMethod.Patch, $"/webhooks/subscriptions/{allowed}", """{"eventTypes":["order.cancelled"]}"""),
            HttpStatusCode.BadRequest, "eventTypes");
        Assert.Equal(["order.created"], (await app.Store.GetSubscriptionAsync(allowed))!.EventTypes);
        // Other tenants are not restricted; each sees the types it may have.
        await CreateAsync(app, "paid", new Uri("https://example.com/p"), ""","eventTypes":["order.*"]""");
        var freeTypes = await ReadAsync(await SendAsync(app, "free", HttpMethod.Get, "/webhooks/event-types"));
        Assert.Equal(["customer.created", "order.created"], freeTypes["data"]!.AsArray().Select(t => (string)t!["type"]!));
        var paidTypes = await ReadAsync(await SendAsync(app, "paid", HttpMethod.Get, "/webhooks/event-types"));
        Assert.Equal(["customer.created", "order.cancelled", "order.created"], paidTypes["data"]!.AsArray().Select(t => (string)t!["type"]!));
    }

    [Fact]
    public async Task The_claim_resolver_takes_the_tenant_from_the_authenticated_user_and_answers_403_without_the_claim()
    {
        await using var app = await ProducerApp.StartAsync(map: a =>
        {
            // Stands in for the app's authentication: "X-User: name;tenant" signs the user in, with the tenant claim when given.
            a.Use((context, next) =>
            {
                if (context.Request.Headers["X-User"].ToString() is { Length: > 0 } user)
                {
                    var parts = user.Split(';');
                    var claims = new List<Claim> { new(ClaimTypes.Name, parts[0]) };
                    if (parts.Length > 1)
                    {
                        claims.Add(new Claim("tenant_id", parts[1]));
                    }
                    context.User = new ClaimsPrincipal(new ClaimsIdentity(claims, "test"));
                }
                return next(context);
            });
            a.MapWebHookSubscriptions("/webhooks", WebHookTenantResolver.FromClaim("tenant_id"));
        });
        async Task<HttpResponseMessage> AsUser(string? user, HttpMethod method, string path, string? body = null)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : Json(body) };
            if (user is not null)
            {
                request.Headers.Add("X-User", user);
            }
            return await app.Client.SendAsync(request);
        }

        var created = await AsUser("ann;acme", HttpMethod.Post, "/webhooks/subscriptions", """{"url":"https://example.com/x"}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (string)(await ReadAsync(created))["id"]!;
        Assert.Equal("acme", (await app.Store.GetSubscriptionAsync(id))!.Tenant);

        Assert.Equal(HttpStatusCode.OK, (await AsUser("bob;acme", HttpMethod.Get, $"/webhooks/subscriptions/{id}")).StatusCode);
        await AssertProblemAsync(await AsUser("eve;globex", HttpMethod.Get, $"/webhooks/subscriptions/{id}"), HttpStatusCode.NotFound);
        await AssertProblemAsync(await AsUser("eve", HttpMethod.Get, $"/webhooks/subscriptions/{id}"), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await AsUser(null, HttpMethod.Get, $"/webhooks/subscriptions/{id}"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_route_resolver_takes_the_tenant_from_the_prefix()
    {
        await using var app = await ProducerApp.StartAsync(map: a =>
            a.MapWebHookSubscriptions("/tenants/{tenant}/webhooks", WebHookTenantResolver.FromRouteValue("tenant")));

        var created = await app.Client.PostAsync("/tenants/acme/webhooks/subscriptions", Json("""{"url":"https://example.com/x"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (string)(await ReadAsync(created))["id"]!;
        Assert.Equal($"/tenants/acme/webhooks/subscriptions/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal("acme", (string)(await ReadAsync(await app.Client.GetAsync($"/tenants/acme/webhooks/subscriptions/{id}")))["tenant"]!);

        await AssertProblemAsync(await app.Client.GetAsync($"/tenants/globex/webhooks/subscriptions/{id}"), HttpStatusCode.NotFound);
        Assert.Empty((await ReadAsync(await app.Client.GetAsync("/tenants/globex/webhooks/subscriptions")))["data"]!.AsArray());
        await AssertProblemAsync(await app.Client.GetAsync("/tenants/not%20valid/webhooks/subscriptions"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_custom_resolver_may_grant_an_operator_view_across_tenants_that_cannot_create()
    {
        await using var app = await ProducerApp.StartAsync(map: a =>
        {
            a.MapWebHookSubscriptions("/webhooks", WebHookTenantResolver.FromHeader(TenantHeader));
            a.MapWebHookSubscriptions("/operator/webhooks", new WebHookTenantResolver(context =>
                ValueTask.FromResult(context.Request.Headers["X-Operator-Key"] == "letmein" ? WebHookTenantScope.AllTenants : null)));
        });
        var a1 = (string)(await CreateAsync(app, "tenant-a", new Uri("https://example.com/a")))["id"]!;
        var b1 = (string)(await CreateAsync(app, "tenant-b", new Uri("https://example.com/b")))["id"]!;

        using var list = new HttpRequestMessage(HttpMethod.Get, "/operator/webhooks/subscriptions");
        list.Headers.Add("X-Operator-Key", "letmein");
        var all = await ReadAsync(await app.Client.SendAsync(list));
        Assert.Equal(new[] { a1, b1 }.Order(StringComparer.Ordinal), all["data"]!.AsArray().Select(s => (string)s!["id"]!));
        Assert.Equal(new[] { "tenant-a", "tenant-b" }.Order(StringComparer.Ordinal), all["data"]!.AsArray().Select(s => (string)s!["tenant"]!).Order(StringComparer.Ordinal));

        using var disable = new HttpRequestMessage(HttpMethod.Post, $"/operator/webhooks/subscriptions/{a1}/disable");
        disable.Headers.Add("X-Operator-Key", "letmein");
        Assert.Equal(HttpStatusCode.OK, (await app.Client.SendAsync(disable)).StatusCode);
        Assert.Equal(WebHookSubscriptionStatus.Disabled, (await app.Store.GetSubscriptionAsync(a1))!.Status);
        Assert.Equal("tenant-a", (await app.Store.GetSubscriptionAsync(a1))!.Tenant);

        using var create = new HttpRequestMessage(HttpMethod.Post, "/operator/webhooks/subscriptions") { Content = Json("""{"url":"https://example.com/o"}""") };
        create.Headers.Add("X-Operator-Key", "letmein");
        await AssertProblemAsync(await app.Client.SendAsync(create), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await app.Client.GetAsync("/operator/webhooks/subscriptions"), HttpStatusCode.Unauthorized);
        Assert.Equal(2, (await app.Store.ListSubscriptionsAsync(null, null, 10)).Count);
    }

    [Fact]
    public async Task The_single_tenant_api_puts_every_subscription_in_the_default_tenant()
    {
        await using var app = await ProducerApp.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        var created = await ReadAsync(await app.Client.PostAsync("/webhooks/subscriptions", Json($$"""{"url":"{{receiver.Url}}"}""")));
        Assert.Equal(WebHookTenant.DefaultId, (string)created["tenant"]!);

        Assert.Equal(1, (await app.Publisher.PublishAsync(new OrderCreated("o-1", 1))).Deliveries);
        Assert.Equal(1, (await app.Publisher.PublishAsync(new OrderCreated("o-2", 1), WebHookTenant.Default)).Deliveries);
        Assert.Equal(0, (await app.Publisher.PublishAsync(new OrderCreated("o-3", 1), new WebHookTenant("other"))).Deliveries);
        await receiver.NextAsync();
        await receiver.NextAsync();
    }
}
