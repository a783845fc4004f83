using System.Diagnostics;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;

namespace Hooks.Tests.Storage;

/// <summary>What the store keeps and reports for telemetry: the publish context, and each change of a subscription's health once.</summary>
public sealed class StoreTelemetryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static WebHookSubscription Subscription(string id) => new()
    {
        Id = id,
        Url = new Uri("https://example.com/" + id),
        Secrets = [new WebHookSubscriptionSecret(WebHookSecret.Generate(), T0, null)],
        Status = WebHookSubscriptionStatus.Enabled,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    private static WebHookMessageDraft Draft(string? traceParent = null) => new()
    {
        Message = new WebHookMessage
        {
            Id = WebHookIds.NewMessageId(T0), EventType = "order.created", Timestamp = T0, Body = "{}"u8.ToArray(),
            TraceParent = traceParent,
        },
    };

    [Fact]
    public async Task Keeps_the_publish_traceparent_with_the_message_for_every_lease_and_read()
    {
        var store = new InMemoryWebHookStore();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        var traceParent = $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";
        var traced = await store.AppendMessageAsync(Draft(traceParent));
        var untraced = await store.AppendMessageAsync(Draft());
        var malformed = await store.AppendMessageAsync(Draft("00-00000000000000000000000000000000-0000000000000000-01"));

        var leases = await store.LeaseDueAsync(T0, 10, int.MaxValue, TimeSpan.FromMinutes(1));

        Assert.Equal(traceParent, Assert.Single(leases, l => l.Message.Id == traced.MessageId).Message.TraceParent);
        Assert.Null(Assert.Single(leases, l => l.Message.Id == untraced.MessageId).Message.TraceParent);
        Assert.Null(Assert.Single(leases, l => l.Message.Id == malformed.MessageId).Message.TraceParent);
        Assert.Equal(traceParent, (await store.GetMessageAsync(traced.MessageId))!.TraceParent);
    }

    [Fact]
    public async Task Reports_each_change_of_a_subscription_s_health_once_however_many_attempts_are_recorded()
    {
        var store = new InMemoryWebHookStore();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        for (var i = 0; i < 3; i++)
        {
            await store.AppendMessageAsync(Draft());
        }
        var leases = await store.LeaseDueAsync(T0, 10, int.MaxValue, TimeSpan.FromMinutes(1));

        var failed = await store.RecordAttemptsAsync([.. leases.Select(l => LeaseResults.Of(l, WebHookDeliveryStatus.Pending, T0, T0.AddSeconds(5)))]);
        var started = Assert.Single(failed);
        Assert.Equal(WebHookSubscriptionChangeKind.StartedFailing, started.Kind);
        Assert.Equal("sub_a", started.SubscriptionId);

        leases = await store.LeaseDueAsync(T0.AddSeconds(5), 10, int.MaxValue, TimeSpan.FromMinutes(1));
        var succeeded = await store.RecordAttemptsAsync([.. leases.Select(l => LeaseResults.Of(l, WebHookDeliveryStatus.Succeeded,
            T0.AddSeconds(5), outcome: WebHookAttemptOutcome.Succeeded))]);
        var recovered = Assert.Single(succeeded);
        Assert.Equal(WebHookSubscriptionChangeKind.Recovered, recovered.Kind);
        Assert.Equal(T0, recovered.FailingSince);

        await store.AppendMessageAsync(Draft());
        await store.AppendMessageAsync(Draft());
        leases = await store.LeaseDueAsync(T0.AddSeconds(6), 10, int.MaxValue, TimeSpan.FromMinutes(1));
        var gone = await store.RecordAttemptsAsync([.. leases.Select(l => LeaseResults.Of(l, WebHookDeliveryStatus.Failed, T0.AddSeconds(6),
            outcome: WebHookAttemptOutcome.Gone) with { DisableSubscriptionReason = "410" })]);
        Assert.Equal(new[] { WebHookSubscriptionChangeKind.StartedFailing, WebHookSubscriptionChangeKind.Disabled }, gone.Select(c => c.Kind));
        Assert.Same(gone[0].Attempt, gone[1].Attempt);
        Assert.Equal("410", gone[1].Reason);
    }
}
