using Hooks.Security;
using Hooks.Tests.Infrastructure;

namespace Hooks.Tests.ReverseHttp;

/// <summary>Every way the producer refuses to reverse a connection, seen on the wire.</summary>
public sealed class ReverseHttpRefusalTests
{
    private static async Task<RawMessage> ExchangeAsync(PtthProducer producer, string head, string body = "")
    {
        await using var raw = await RawHttpConnection.ConnectAsync(producer.Address);
        await raw.WriteAsync(head + body);
        return await raw.ReadMessageAsync();
    }

    [Fact]
    public async Task Missing_proof_is_refused_with_401()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync();
        var subscription = await producer.SubscribeAsync(secret);
        var answer = await ExchangeAsync(producer,
            $"POST /webhooks/ptth HTTP/1.1\r\nHost: p\r\nUpgrade: PTTH/1.0\r\nConnection: Upgrade\r\nContent-Length: 0\r\nwebhook-subscription: {subscription.Id}\r\n\r\n");
        Assert.Equal(401, answer.Status);
        Assert.Equal("application/problem+json", answer.Headers["Content-Type"]);
        Assert.False(answer.Headers.ContainsKey("Upgrade"));
    }

    [Fact]
    public async Task A_proof_made_with_another_secret_is_refused_with_401()
    {
        await using var producer = await PtthProducer.StartAsync();
        var subscription = await producer.SubscribeAsync(WebHookSecret.Generate());
        Assert.Equal(401, (await ExchangeAsync(producer, RawHttpConnection.UpgradeHead(subscription.Id, WebHookSecret.Generate()))).Status);
    }

    [Fact]
    public async Task A_proof_for_another_path_is_refused_with_401()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync();
        var subscription = await producer.SubscribeAsync(secret);
        var head = RawHttpConnection.UpgradeHead(subscription.Id, secret, path: "/webhooks/ptth?x=1")
            .Replace("POST /webhooks/ptth?x=1 ", "POST /webhooks/ptth ", StringComparison.Ordinal);
        Assert.Equal(401, (await ExchangeAsync(producer, head)).Status);
    }

    [Fact]
    public async Task A_proof_outside_the_tolerance_is_refused_with_401()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync(reverse: o => o.RequestTolerance = TimeSpan.FromMinutes(1));
        var subscription = await producer.SubscribeAsync(secret);
        var head = RawHttpConnection.UpgradeHead(subscription.Id, secret, at: DateTimeOffset.UtcNow.AddMinutes(-2));
        Assert.Equal(401, (await ExchangeAsync(producer, head)).Status);
    }

    [Fact]
    public async Task A_replayed_proof_is_refused_with_401()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync();
        var subscription = await producer.SubscribeAsync(secret);
        var head = RawHttpConnection.UpgradeHead(subscription.Id, secret);
        await using (var first = await RawHttpConnection.ConnectAsync(producer.Address))
        {
            await first.WriteAsync(head);
            Assert.Equal(101, (await first.ReadMessageAsync()).Status);
        }
        var replay = await ExchangeAsync(producer, head);
        Assert.Equal(401, replay.Status);
    }

    [Fact]
    public async Task A_body_on_the_upgrade_request_is_refused_with_400()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync();
        var subscription = await producer.SubscribeAsync(secret);
        var answer = await ExchangeAsync(producer, RawHttpConnection.UpgradeHead(subscription.Id, secret, contentLength: 2), "{}");
        Assert.Equal(400, answer.Status);
        Assert.Equal("application/problem+json", answer.Headers["Content-Type"]);
        Assert.False(answer.Headers.ContainsKey("Upgrade"));
    }

    [Fact]
    public async Task No_upgrade_header_is_refused_with_426_listing_the_tokens_accepted()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync();
        var subscription = await producer.SubscribeAsync(secret);
        var head = RawHttpConnection.UpgradeHead(subscription.Id, secret)
            .Replace("Upgrade: PTTH/1.0\r\nConnection: Upgrade\r\n", "", StringComparison.Ordinal);
        var answer = await ExchangeAsync(producer, head);
        Assert.Equal(426, answer.Status);
        Assert.Equal("PTTH/1.0, PTTH/0.9", answer.Headers["Upgrade"]);
        Assert.Equal("application/problem+json", answer.Headers["Content-Type"]);
    }

    [Fact]
    public async Task An_upgrade_to_another_protocol_is_refused_with_426()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync();
        var subscription = await producer.SubscribeAsync(secret);
        Assert.Equal(426, (await ExchangeAsync(producer, RawHttpConnection.UpgradeHead(subscription.Id, secret, "websocket"))).Status);
    }

    [Fact]
    public async Task A_subscription_with_a_direct_url_is_refused_with_403()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync();
        var subscription = await producer.SubscribeAsync(secret, "https://consumer.example/webhooks");
        Assert.Equal(403, (await ExchangeAsync(producer, RawHttpConnection.UpgradeHead(subscription.Id, secret))).Status);
    }

    [Fact]
    public async Task Over_the_per_subscription_limit_is_refused_with_429_and_retry_after()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync(reverse: o =>
        {
            o.MaxConnectionsPerSubscription = 1;
            o.RetryAfter = TimeSpan.FromSeconds(7);
        });
        var subscription = await producer.SubscribeAsync(secret);
        await using var open = await RawHttpConnection.ConnectAsync(producer.Address);
        await open.WriteAsync(RawHttpConnection.UpgradeHead(subscription.Id, secret));
        Assert.Equal(101, (await open.ReadMessageAsync()).Status);

        var answer = await ExchangeAsync(producer, RawHttpConnection.UpgradeHead(subscription.Id, secret));
        Assert.Equal(429, answer.Status);
        Assert.Equal("7", answer.Headers["Retry-After"]);

        // Another subscription is not held back by this one's limit.
        var other = await producer.SubscribeAsync(secret);
        Assert.Equal(101, (await ExchangeAsync(producer, RawHttpConnection.UpgradeHead(other.Id, secret))).Status);
    }

    [Fact]
    public async Task Over_the_total_limit_is_refused_with_429_and_retry_after()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync(reverse: o => o.MaxConnections = 1);
        var first = await producer.SubscribeAsync(secret);
        var second = await producer.SubscribeAsync(secret);
        await using var open = await RawHttpConnection.ConnectAsync(producer.Address);
        await open.WriteAsync(RawHttpConnection.UpgradeHead(first.Id, secret));
        Assert.Equal(101, (await open.ReadMessageAsync()).Status);

        var answer = await ExchangeAsync(producer, RawHttpConnection.UpgradeHead(second.Id, secret));
        Assert.Equal(429, answer.Status);
        Assert.Equal("5", answer.Headers["Retry-After"]);
    }

    [Fact]
    public async Task When_the_remembered_nonces_are_full_new_proofs_are_refused_with_429_not_forgotten()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync(reverse: o => o.MaxRememberedNonces = 1);
        var subscription = await producer.SubscribeAsync(secret);
        await using var open = await RawHttpConnection.ConnectAsync(producer.Address);
        var head = RawHttpConnection.UpgradeHead(subscription.Id, secret);
        await open.WriteAsync(head);
        Assert.Equal(101, (await open.ReadMessageAsync()).Status);

        Assert.Equal(429, (await ExchangeAsync(producer, RawHttpConnection.UpgradeHead(subscription.Id, secret))).Status);
        Assert.Equal(401, (await ExchangeAsync(producer, head)).Status); // the first is still remembered
    }
}
