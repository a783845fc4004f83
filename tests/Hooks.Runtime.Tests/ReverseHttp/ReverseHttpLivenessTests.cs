using System.Net;
using System.Net.Sockets;
using Hooks.Security;

namespace Hooks.Tests.ReverseHttp;

/// <summary>
/// A dead reversed connection (the peer stopped answering, no FIN) is noticed by both sides. The intervals are
/// shortened so the tests are quick; docs/reverse-http.md gives the defaults and the bound they make (within 30 s).
/// </summary>
public sealed class ReverseHttpLivenessTests
{
    [Fact]
    public async Task The_producer_closes_a_connection_whose_consumer_stopped_answering_pings()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync(reverse: o =>
        {
            o.PingInterval = TimeSpan.FromMilliseconds(200);
            o.PingTimeout = TimeSpan.FromMilliseconds(300);
        });
        var subscription = await producer.SubscribeAsync(secret);
        await using var raw = await RawHttpConnection.ConnectAsync(producer.Address);
        await raw.WriteAsync(RawHttpConnection.UpgradeHead(subscription.Id, secret));
        Assert.Equal(101, (await raw.ReadMessageAsync()).Status);
        Assert.StartsWith("OPTIONS", (await raw.ReadMessageAsync()).StartLine, StringComparison.Ordinal);
        await raw.WriteAsync("HTTP/1.1 204 No Content\r\n\r\n");
        Assert.Equal(1, producer.Connections.CountOf(subscription.Id));

        // The consumer goes silent: the next ping is read but never answered; the producer closes the connection.
        Assert.StartsWith("OPTIONS", (await raw.ReadMessageAsync()).StartLine, StringComparison.Ordinal);
        await raw.ReadToEndAsync();
        await ReverseHttpEndToEndTests.WaitUntilAsync(() => producer.Connections.CountOf(subscription.Id) == 0);
        await ReverseHttpEndToEndTests.WaitUntilAsync(() => producer.Logs.Lines.Any(line => line.Contains("did not answer a ping", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_consumer_closes_a_connection_on_which_the_producer_went_silent_and_dials_again()
    {
        using var fake = new TcpListener(IPAddress.Loopback, 0);
        fake.Start();
        var port = ((IPEndPoint)fake.LocalEndpoint).Port;
        var secret = WebHookSecret.Generate();
        await using var consumer = await PtthConsumer.StartAsync(new Uri($"http://127.0.0.1:{port}/webhooks/ptth"), "sub_silent", secret, o =>
        {
            o.Connections = 1;
            o.IdleTimeout = TimeSpan.FromMilliseconds(400);
        });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        await using (var first = RawHttpConnection.Over(await fake.AcceptSocketAsync(deadline.Token)))
        {
            var upgrade = await first.ReadMessageAsync();
            Assert.Equal("POST /webhooks/ptth HTTP/1.1", upgrade.StartLine);
            Assert.Equal("PTTH/1.0", upgrade.Headers["Upgrade"]);
            Assert.Equal("sub_silent", upgrade.Headers["webhook-subscription"]);
            Assert.Equal("0", upgrade.Headers["Content-Length"]);
            await first.WriteAsync("HTTP/1.1 101 Switching Protocols\r\nUpgrade: PTTH/1.0\r\nConnection: Upgrade\r\n\r\n");
            // ... and then nothing, ever: the consumer must give up on it.
            await first.ReadToEndAsync();
        }

        using var second = await fake.AcceptSocketAsync(deadline.Token);
        Assert.Contains(consumer.Logs.Lines, line => line.Contains("taken for dead", StringComparison.Ordinal));
    }
}
