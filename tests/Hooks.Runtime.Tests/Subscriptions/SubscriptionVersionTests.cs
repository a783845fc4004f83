using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;

namespace Hooks.Tests.Subscriptions;

/// <summary>
/// Subscription versions in the management API: answers carry the version as an ETag, If-Match makes a change
/// conditional (412 when it names another version), and a change without If-Match never undoes another writer's.
/// </summary>
public sealed class SubscriptionVersionTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<(string Id, string ETag)> CreateAsync(ProducerApp app, Receiver receiver)
    {
        var response = await app.Client.PostAsync("/webhooks/subscriptions", Json($$"""{"url":"{{receiver.Url}}"}"""));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!;
        return (id, response.Headers.ETag!.Tag);
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string? ifMatch, string? json = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = json is null ? null : Json(json) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }
        return request;
    }

    [Fact]
    public async Task Subscription_answers_carry_the_version_as_an_etag_that_every_change_moves()
    {
        await using var app = await ProducerApp.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        var (id, created) = await CreateAsync(app, receiver);

        var read = await app.Client.GetAsync($"/webhooks/subscriptions/{id}");
        var patched = await app.Client.SendAsync(Request(HttpMethod.Patch, $"/webhooks/subscriptions/{id}", null, """{"description":"orders"}"""));
        var disabled = await app.Client.PostAsync($"/webhooks/subscriptions/{id}/disable", null);

        Assert.Equal(created, read.Headers.ETag!.Tag);
        Assert.False(read.Headers.ETag.IsWeak);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.NotEqual(created, patched.Headers.ETag!.Tag);
        Assert.NotEqual(patched.Headers.ETag.Tag, disabled.Headers.ETag!.Tag);
        Assert.Equal(disabled.Headers.ETag.Tag, (await app.Client.GetAsync($"/webhooks/subscriptions/{id}")).Headers.ETag!.Tag);
    }

    [Fact]
    public async Task A_change_whose_if_match_names_another_version_is_refused_with_412_and_changes_nothing()
    {
        await using var app = await ProducerApp.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        var (id, stale) = await CreateAsync(app, receiver);
        var current = (await app.Client.SendAsync(Request(HttpMethod.Patch, $"/webhooks/subscriptions/{id}", stale, """{"description":"first"}""")))
            .Headers.ETag!.Tag;

        var patch = await app.Client.SendAsync(Request(HttpMethod.Patch, $"/webhooks/subscriptions/{id}", stale, """{"description":"second"}"""));
        var disable = await app.Client.SendAsync(Request(HttpMethod.Post, $"/webhooks/subscriptions/{id}/disable", stale));
        var rotate = await app.Client.SendAsync(Request(HttpMethod.Post, $"/webhooks/subscriptions/{id}/rotate-secret", stale));
        var weak = await app.Client.SendAsync(Request(HttpMethod.Post, $"/webhooks/subscriptions/{id}/disable", "W/" + current));
        var delete = await app.Client.SendAsync(Request(HttpMethod.Delete, $"/webhooks/subscriptions/{id}", stale));

        Assert.All([patch, disable, rotate, weak, delete], r =>
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        });
        var stored = (await app.Store.GetSubscriptionAsync(id))!;
        Assert.Equal("first", stored.Description);
        Assert.Equal(WebHookSubscriptionStatus.Enabled, stored.Status);
        Assert.Single(stored.Secrets);

        // The current version (or *) lets the change through.
        var matching = await app.Client.SendAsync(Request(HttpMethod.Post, $"/webhooks/subscriptions/{id}/disable", $"\"x\", {current}"));
        Assert.Equal(HttpStatusCode.OK, matching.StatusCode);
        var any = await app.Client.SendAsync(Request(HttpMethod.Delete, $"/webhooks/subscriptions/{id}", "*"));
        Assert.Equal(HttpStatusCode.NoContent, any.StatusCode);
    }

    [Fact]
    public async Task A_patch_without_if_match_keeps_a_disable_the_dispatcher_wrote_meanwhile()
    {
        await using var app = await ProducerApp.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        var (id, _) = await CreateAsync(app, receiver);
        var interfered = 0;
        app.Store.BeforeUpdate = async (store, _) =>
        {
            // Between the API's read and its write, the dispatcher disables the subscription (its URL answered 410).
            if (Interlocked.Exchange(ref interfered, 1) == 0)
            {
                var now = (await store.GetSubscriptionAsync(id))!;
                Assert.Equal(WebHookSubscriptionUpdateResult.Updated, await store.UpdateSubscriptionAsync(now with
                {
                    Status = WebHookSubscriptionStatus.Disabled,
                    StatusReason = "The endpoint answered 410 Gone.",
                }));
            }
        };

        var response = await app.Client.SendAsync(Request(HttpMethod.Patch, $"/webhooks/subscriptions/{id}", null, """{"description":"renamed"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("disabled", (string)body["status"]!);
        Assert.Equal("renamed", (string)body["description"]!);
        var stored = (await app.Store.GetSubscriptionAsync(id))!;
        Assert.Equal(WebHookSubscriptionStatus.Disabled, stored.Status);
        Assert.Equal("renamed", stored.Description);
        Assert.Equal($"\"{stored.Version}\"", response.Headers.ETag!.Tag);
    }

    [Fact]
    public async Task A_patch_with_if_match_that_loses_to_another_writer_is_refused_with_412()
    {
        await using var app = await ProducerApp.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        var (id, etag) = await CreateAsync(app, receiver);
        var interfered = 0;
        app.Store.BeforeUpdate = async (store, _) =>
        {
            if (Interlocked.Exchange(ref interfered, 1) == 0)
            {
                var now = (await store.GetSubscriptionAsync(id))!;
                await store.UpdateSubscriptionAsync(now with { Status = WebHookSubscriptionStatus.Disabled });
            }
        };

        var response = await app.Client.SendAsync(Request(HttpMethod.Patch, $"/webhooks/subscriptions/{id}", etag, """{"description":"renamed"}"""));

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Null((await app.Store.GetSubscriptionAsync(id))!.Description);
    }
}
