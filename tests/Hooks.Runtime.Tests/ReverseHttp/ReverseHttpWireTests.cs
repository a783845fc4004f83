using System.Net.Sockets;
using System.Text;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;

namespace Hooks.Tests.ReverseHttp;

/// <summary>The protocol as bytes on a socket, written and read by hand: what another implementation must do.</summary>
public sealed class ReverseHttpWireTests
{
    [Theory]
    [InlineData("PTTH/1.0")]
    [InlineData("PTTH/0.9")]
    public async Task Upgrade_then_a_signed_delivery_and_its_response_travel_as_plain_http_1_1(string protocol)
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync();
        var subscription = await producer.SubscribeAsync(secret, "ptth://laptop/hooks/in?tenant=7");
        await using var raw = await RawHttpConnection.ConnectAsync(producer.Address);

        await raw.WriteAsync(RawHttpConnection.UpgradeHead(subscription.Id, secret, protocol));
        var switching = await raw.ReadMessageAsync();
        Assert.Equal("HTTP/1.1 101 Switching Protocols", switching.StartLine);
        Assert.Equal(protocol, switching.Headers["Upgrade"]);
        Assert.Equal("Upgrade", switching.Headers["Connection"]);

        // First the producer checks the connection works (and keeps it): an OPTIONS ping, any answer will do.
        var ping = await raw.ReadMessageAsync();
        Assert.Matches("^OPTIONS / HTTP/1.1$", ping.StartLine);
        await raw.WriteAsync("HTTP/1.1 204 No Content\r\n\r\n");

        var published = await producer.Publisher.PublishAsync(new OrderCreated("o-9", 9m));
        var delivery = await raw.ReadMessageAsync();
        Assert.Equal("POST /hooks/in?tenant=7 HTTP/1.1", delivery.StartLine);
        Assert.Equal(published.MessageId, delivery.Headers["webhook-id"]);
        Assert.Equal("1", delivery.Headers["webhook-attempt"]);
        Assert.StartsWith("application/json", delivery.Headers["Content-Type"], StringComparison.Ordinal);
        var verified = new WebHookVerifier(secret).Verify(delivery.Headers["webhook-id"], delivery.Headers["webhook-timestamp"],
            delivery.Headers["webhook-signature"], delivery.Body);
        Assert.True(verified.IsValid, verified.Describe());
        Assert.Contains("\"type\":\"order.created\"", Encoding.UTF8.GetString(delivery.Body), StringComparison.Ordinal);

        await raw.WriteAsync("HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok");
        var attempt = (await producer.Store.NextAttemptAsync()).Attempt;
        Assert.Equal(WebHookAttemptOutcome.Succeeded, attempt.Outcome);
        Assert.Equal(202, attempt.StatusCode);
        Assert.Equal("ok", attempt.ResponseBody);
    }

    [Fact]
    public async Task A_consumer_answer_feeds_the_retry_policy_as_a_direct_one_does()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync();
        var subscription = await producer.SubscribeAsync(secret);
        await using var raw = await RawHttpConnection.ConnectAsync(producer.Address);
        await raw.WriteAsync(RawHttpConnection.UpgradeHead(subscription.Id, secret));
        Assert.Equal(101, (await raw.ReadMessageAsync()).Status);
        await raw.ReadMessageAsync();
        await raw.WriteAsync("HTTP/1.1 204 No Content\r\n\r\n");

        var published = await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1m));
        Assert.Equal("1", (await raw.ReadMessageAsync()).Headers["webhook-attempt"]);
        await raw.WriteAsync("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
        var first = (await producer.Store.NextAttemptAsync()).Attempt;
        Assert.Equal(WebHookAttemptOutcome.BackOff, first.Outcome);

        var retry = await raw.ReadMessageAsync();
        Assert.Equal(published.MessageId, retry.Headers["webhook-id"]);
        Assert.Equal("2", retry.Headers["webhook-attempt"]);
        await raw.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        Assert.Equal(WebHookAttemptOutcome.Succeeded, (await producer.Store.NextAttemptAsync()).Attempt.Outcome);
    }

    [Fact]
    public async Task With_no_reversed_connection_an_attempt_fails_as_a_connection_error_and_is_retried_on_the_schedule()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync(producer: o =>
        {
            o.RetrySchedule.Clear();
            o.RetrySchedule.Add(TimeSpan.Zero);
            o.RetrySchedule.Add(TimeSpan.FromMilliseconds(50));
            o.RetrySchedule.Add(TimeSpan.FromHours(1));
        });
        var subscription = await producer.SubscribeAsync(secret);
        await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1m));
        var first = await producer.Store.NextAttemptAsync();
        Assert.Equal(WebHookAttemptOutcome.ConnectionError, first.Attempt.Outcome);
        Assert.Contains("no reversed connection", first.Attempt.Error, StringComparison.Ordinal);
        Assert.Equal(WebHookDeliveryStatus.Pending, first.NewStatus);
        Assert.Equal(first.Attempt.StartedAt + TimeSpan.FromMilliseconds(50), first.NextAttemptAt);
        var second = await producer.Store.NextAttemptAsync();
        Assert.Equal(WebHookAttemptOutcome.ConnectionError, second.Attempt.Outcome);
        Assert.Equal(second.Attempt.StartedAt + TimeSpan.FromHours(1), second.NextAttemptAt);
    }
}
