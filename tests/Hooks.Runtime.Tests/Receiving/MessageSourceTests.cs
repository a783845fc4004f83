using System.Net;
using Hooks.Security;
using Hooks.Tests.Infrastructure;
using Hooks.Tests.ReverseHttp;

namespace Hooks.Tests.Receiving;

/// <summary>Handlers learn which path a message took, from the one endpoint that serves pushes and reversed connections.</summary>
public sealed class MessageSourceTests
{
    [Fact]
    public async Task A_message_posted_to_the_endpoint_is_a_push()
    {
        var log = new HandlerLog();
        await using var app = await ReceiverPipelineTests.StartAsync(log);

        using var response = await app.Client.SendAsync(SignedRequests.Order(WebHookSecret.Parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(WebHookSource.Push, Assert.Single(log.Calls).Context.Source);
    }

    [Fact]
    public async Task A_message_sent_over_a_reversed_connection_is_reversed()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync();
        var subscription = await producer.SubscribeAsync(secret);
        await using var consumer = await PtthConsumer.StartAsync(producer.UpgradeUrl, subscription.Id, secret);

        var published = await producer.Publisher.PublishAsync(new OrderCreated("o-reversed", 1m));
        while (true)
        {
            var result = await producer.Store.NextAttemptAsync();
            if (result.Attempt.Outcome == Hooks.Storage.WebHookAttemptOutcome.Succeeded) break;
        }

        var (_, context) = Assert.Single(consumer.Log.Calls);
        Assert.Equal(published.MessageId, context.MessageId);
        Assert.Equal(WebHookSource.Reversed, context.Source);
    }
}
