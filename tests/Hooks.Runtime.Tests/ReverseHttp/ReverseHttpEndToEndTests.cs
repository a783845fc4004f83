using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;

namespace Hooks.Tests.ReverseHttp;

/// <summary>Producer and consumer for real: deliveries travel over connections the consumer dialled out.</summary>
public sealed class ReverseHttpEndToEndTests
{
    [Fact]
    public async Task Consumer_with_no_listening_socket_receives_and_handles_signed_events()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync();
        var subscription = await producer.SubscribeAsync(secret);
        await using var consumer = await PtthConsumer.StartAsync(producer.UpgradeUrl, subscription.Id, secret);
        // Kestrel's only endpoint is the reversed one: no IP address, no port, nothing listened on.
        Assert.Equal(["http://reverse-http"], consumer.Addresses);

        var published = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            published.Add((await producer.Publisher.PublishAsync(new OrderCreated($"o-{i}", i))).MessageId);
        }
        var succeeded = new HashSet<string>();
        while (succeeded.Count < published.Count)
        {
            var result = await producer.Store.NextAttemptAsync();
            if (result.Attempt.Outcome == WebHookAttemptOutcome.Succeeded)
            {
                Assert.Equal(204, result.Attempt.StatusCode);
                succeeded.Add(result.Attempt.MessageId);
            }
        }
        Assert.Equal([.. published.Order()], [.. succeeded.Order()]);
        Assert.Equal(5, consumer.Log.Count);
        Assert.All(consumer.Log.Calls, call => Assert.Contains(call.Context.MessageId, published));
    }

    [Fact]
    public async Task Consumer_dials_an_https_producer()
    {
        using var certificate = SelfSigned();
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync(https: certificate);
        Assert.Equal("https", producer.Address.Scheme);
        var subscription = await producer.SubscribeAsync(secret);
        await using var consumer = await PtthConsumer.StartAsync(producer.UpgradeUrl, subscription.Id, secret, o =>
            o.ConfigureHandler = handler => handler.SslOptions.RemoteCertificateValidationCallback =
                (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString());

        await producer.Publisher.PublishAsync(new OrderCreated("o-tls", 1m));
        await WaitForSuccessAsync(producer.Store, 1);
        Assert.Equal("o-tls", ((OrderCreated)Assert.Single(consumer.Log.Calls).Event).OrderId);
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2 SelfSigned()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=127.0.0.1", key,
            System.Security.Cryptography.HashAlgorithmName.SHA256);
        var names = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(
            created.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx), null);
    }

    [Fact]
    public async Task Consumer_reconnects_after_a_producer_restart_and_deliveries_made_meanwhile_arrive()
    {
        var secret = WebHookSecret.Generate();
        var store = new RecordingStore();
        var producer = await PtthProducer.StartAsync(store);
        var port = producer.Address.Port;
        var subscription = await producer.SubscribeAsync(secret);
        await using var consumer = await PtthConsumer.StartAsync(producer.UpgradeUrl, subscription.Id, secret);

        await producer.Publisher.PublishAsync(new OrderCreated("before", 1));
        await WaitForSuccessAsync(store, 1);
        await producer.DisposeAsync();

        // Restarted on the same port with the same (durable) store; publishes at once, before the consumer is back.
        await using var restarted = await PtthProducer.StartAsync(store, port);
        await restarted.Publisher.PublishAsync(new OrderCreated("meanwhile-1", 2));
        await restarted.Publisher.PublishAsync(new OrderCreated("meanwhile-2", 3));
        await WaitForSuccessAsync(store, 2);

        Assert.Equal(["before", "meanwhile-1", "meanwhile-2"], consumer.Log.Calls.Select(c => ((OrderCreated)c.Event).OrderId).Order());
    }

    [Fact]
    public async Task Consumer_stops_within_5_seconds_with_reversed_connections_open_and_the_producer_sees_them_close()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync();
        var subscription = await producer.SubscribeAsync(secret);
        var consumer = await PtthConsumer.StartAsync(producer.UpgradeUrl, subscription.Id, secret, o => o.Connections = 3);
        await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1));
        await WaitForSuccessAsync(producer.Store, 1);
        await WaitUntilAsync(() => producer.Connections.CountOf(subscription.Id) == 3);

        await consumer.App.StopAsync().WaitAsync(TimeSpan.FromSeconds(5));
        await consumer.App.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        await WaitUntilAsync(() => producer.Connections.CountOf(subscription.Id) == 0);
    }

    internal static async Task WaitForSuccessAsync(RecordingStore store, int count)
    {
        var succeeded = 0;
        while (succeeded < count)
        {
            if ((await store.NextAttemptAsync()).Attempt.Outcome == WebHookAttemptOutcome.Succeeded)
            {
                succeeded++;
            }
        }
    }

    /// <summary>Polls state that has no signal of its own (another app's connection count), with a deadline.</summary>
    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (!condition())
        {
            await tick.WaitForNextTickAsync(deadline.Token);
        }
    }
}
