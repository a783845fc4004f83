using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Hooks.Tests.Delivery;

public sealed class DeliveryTests
{
    private static void AssertSigned(ReceivedRequest request, WebHookSecret secret, TimeProvider time)
    {
        var verifier = new WebHookVerifier(secret, time);
        var result = verifier.Verify(request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Header("webhook-signature"), request.Body);
        Assert.True(result.IsValid, result.Describe());
    }

    [Fact]
    public async Task Fans_out_a_message_to_every_subscription_whose_filter_matches()
    {
        await using var producer = await TestProducer.StartAsync();
        await using var wildcard = await Receiver.StartAsync();
        await using var exact = await Receiver.StartAsync();
        await using var other = await Receiver.StartAsync();
        await using var all = await Receiver.StartAsync();
        var s1 = WebHookSecret.Generate();
        var s2 = WebHookSecret.Generate();
        await producer.SubscribeAsync(wildcard.Url, s1, "order.*");
        await producer.SubscribeAsync(exact.Url, s2, "order.created");
        await producer.SubscribeAsync(other.Url, null, "customer.created", "order.cancelled");
        await producer.SubscribeAsync(all.Url);

        var published = await producer.Publisher.PublishAsync(new OrderCreated("o-1", 12.5m));

        Assert.Equal(3, published.Deliveries);
        Assert.StartsWith("msg_", published.MessageId, StringComparison.Ordinal);
        var r1 = await wildcard.NextAsync();
        var r2 = await exact.NextAsync();
        var r3 = await all.NextAsync();
        AssertSigned(r1, s1, producer.Time);
        AssertSigned(r2, s2, producer.Time);
        foreach (var r in new[] { r1, r2, r3 })
        {
            Assert.Equal(published.MessageId, r.Header("webhook-id"));
            using var doc = JsonDocument.Parse(r.Body);
            Assert.Equal("order.created", doc.RootElement.GetProperty("type").GetString());
            Assert.Equal("o-1", doc.RootElement.GetProperty("data").GetProperty("orderId").GetString());
        }
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(WebHookDeliveryStatus.Succeeded, (await producer.Store.NextAttemptAsync()).NewStatus);
        }
        Assert.False(other.TryTake(out _));
    }

    [Fact]
    public async Task Retries_on_the_whole_schedule_within_jitter_bounds_then_exhausts()
    {
        await using var producer = await TestProducer.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = static (ctx, _) => { ctx.Response.StatusCode = 500; return ctx.Response.WriteAsync("boom"); };
        var subscription = await producer.SubscribeAsync(receiver.Url);
        var published = await producer.Publisher.PublishAsync(new OrderCreated("o-2", 1));
        TimeSpan[] schedule = [TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
            TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(14), TimeSpan.FromHours(20), TimeSpan.FromHours(24)];
        var timestamps = new HashSet<string>();

        for (var attempt = 1; attempt <= 10; attempt++)
        {
            var request = await receiver.NextAsync();
            Assert.Equal(published.MessageId, request.Header("webhook-id"));
            timestamps.Add(request.Header("webhook-timestamp"));
            var result = await producer.Store.NextAttemptAsync();
            Assert.Equal(attempt, result.Attempt.Number);
            Assert.Equal(WebHookAttemptOutcome.HttpError, result.Attempt.Outcome);
            Assert.Equal(500, result.Attempt.StatusCode);
            Assert.Equal("boom", result.Attempt.ResponseBody);
            if (attempt == 10)
            {
                Assert.Equal(WebHookDeliveryStatus.Failed, result.NewStatus);
                break;
            }
            Assert.Equal(WebHookDeliveryStatus.Pending, result.NewStatus);
            var delay = result.NextAttemptAt - result.Attempt.StartedAt;
            var nominal = schedule[attempt - 1];
            Assert.InRange(delay, nominal * 0.8, nominal * 1.2);
            producer.Time.Advance(result.NextAttemptAt - producer.Time.GetUtcNow());
        }

        Assert.Equal(10, timestamps.Count); // each attempt signed afresh
        var deliveries = await producer.Store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = subscription.Id, Status = WebHookDeliveryStatus.Failed });
        var exhausted = Assert.Single(deliveries);
        Assert.Equal(10, exhausted.Attempts);
        Assert.Equal(10, (await producer.Store.ListAttemptsAsync(subscription.Id, exhausted.Id)).Count);
    }

    [Fact]
    public async Task Gone_disables_the_subscription_and_stops_retrying()
    {
        await using var producer = await TestProducer.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = static (ctx, _) => { ctx.Response.StatusCode = 410; return Task.CompletedTask; };
        var subscription = await producer.SubscribeAsync(receiver.Url);

        await producer.Publisher.PublishAsync(new OrderCreated("o-3", 1));
        var result = await producer.Store.NextAttemptAsync();

        Assert.Equal(WebHookAttemptOutcome.Gone, result.Attempt.Outcome);
        Assert.Equal(WebHookDeliveryStatus.Failed, result.NewStatus);
        var stored = await producer.Store.GetSubscriptionAsync(subscription.Id);
        Assert.Equal(WebHookSubscriptionStatus.Disabled, stored!.Status);
        Assert.Contains("410", stored.StatusReason, StringComparison.Ordinal);
        Assert.Equal(0, (await producer.Publisher.PublishAsync(new OrderCreated("o-4", 1))).Deliveries);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task Backs_off_for_the_Retry_After_seconds(int status)
    {
        await using var producer = await TestProducer.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = (ctx, _) => { ctx.Response.StatusCode = status; ctx.Response.Headers.RetryAfter = "120"; return Task.CompletedTask; };
        await producer.SubscribeAsync(receiver.Url);

        await producer.Publisher.PublishAsync(new OrderCreated("o-5", 1));
        var result = await producer.Store.NextAttemptAsync();

        Assert.Equal(WebHookAttemptOutcome.BackOff, result.Attempt.Outcome);
        Assert.Equal(WebHookDeliveryStatus.Pending, result.NewStatus);
        Assert.Equal(TimeSpan.FromSeconds(120), result.NextAttemptAt - result.Attempt.StartedAt);
        producer.Time.Advance(TimeSpan.FromSeconds(120));
        await receiver.NextAsync();
        Assert.Equal(2, (await producer.Store.NextAttemptAsync()).Attempt.Number);
    }

    [Fact]
    public async Task Backs_off_until_a_Retry_After_date_bounded_by_the_maximum()
    {
        await using var producer = await TestProducer.StartAsync(o => o.MaxRetryAfter = TimeSpan.FromMinutes(10));
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = (ctx, _) =>
        {
            ctx.Response.StatusCode = 429;
            ctx.Response.Headers.RetryAfter = producer.Time.GetUtcNow().AddHours(3).ToString("R");
            return Task.CompletedTask;
        };
        await producer.SubscribeAsync(receiver.Url);

        await producer.Publisher.PublishAsync(new OrderCreated("o-6", 1));
        var result = await producer.Store.NextAttemptAsync();

        Assert.Equal(TimeSpan.FromMinutes(10), result.NextAttemptAt - result.Attempt.StartedAt);
    }

    [Fact]
    public async Task A_request_without_an_answer_times_out_and_is_retried()
    {
        await using var producer = await TestProducer.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        var release = new TaskCompletionSource();
        receiver.Respond = async (ctx, _) => await release.Task.WaitAsync(ctx.RequestAborted);
        await producer.SubscribeAsync(receiver.Url);

        await producer.Publisher.PublishAsync(new OrderCreated("o-7", 1));
        await receiver.NextAsync();
        producer.Time.Advance(TimeSpan.FromSeconds(15));
        var result = await producer.Store.NextAttemptAsync();
        release.TrySetResult();

        Assert.Equal(WebHookAttemptOutcome.Timeout, result.Attempt.Outcome);
        Assert.Equal(WebHookDeliveryStatus.Pending, result.NewStatus);
    }

    [Fact]
    public async Task A_reset_connection_is_a_connection_error_and_is_retried()
    {
        await using var producer = await TestProducer.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = static (ctx, _) => { ctx.Abort(); return Task.CompletedTask; };
        await producer.SubscribeAsync(receiver.Url);

        await producer.Publisher.PublishAsync(new OrderCreated("o-8", 1));
        var result = await producer.Store.NextAttemptAsync();

        Assert.Equal(WebHookAttemptOutcome.ConnectionError, result.Attempt.Outcome);
        Assert.Null(result.Attempt.StatusCode);
        Assert.Equal(WebHookDeliveryStatus.Pending, result.NewStatus);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_and_counts_as_failure()
    {
        await using var producer = await TestProducer.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        await using var target = await Receiver.StartAsync();
        receiver.Respond = (ctx, _) => { ctx.Response.StatusCode = 307; ctx.Response.Headers.Location = target.Url.ToString(); return Task.CompletedTask; };
        await producer.SubscribeAsync(receiver.Url);

        await producer.Publisher.PublishAsync(new OrderCreated("o-9", 1));
        var result = await producer.Store.NextAttemptAsync();

        Assert.Equal(WebHookAttemptOutcome.Redirect, result.Attempt.Outcome);
        Assert.Equal(307, result.Attempt.StatusCode);
        Assert.Equal(WebHookDeliveryStatus.Pending, result.NewStatus);
        Assert.False(target.TryTake(out _));
    }

    [Fact]
    public async Task A_subscription_failing_longer_than_the_window_is_disabled()
    {
        await using var producer = await TestProducer.StartAsync(o =>
        {
            o.DisableAfterFailingFor = TimeSpan.FromHours(2);
            o.RetryJitter = 0;
            o.RetrySchedule.Clear();
            foreach (var d in new[] { 0, 1, 1, 1, 1 })
            {
                o.RetrySchedule.Add(TimeSpan.FromHours(d));
            }
        });
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = static (ctx, _) => { ctx.Response.StatusCode = 500; return Task.CompletedTask; };
        var subscription = await producer.SubscribeAsync(receiver.Url);
        await producer.Publisher.PublishAsync(new OrderCreated("o-10", 1));

        WebHookAttemptResult result;
        var attempts = 0;
        do
        {
            result = await producer.Store.NextAttemptAsync();
            attempts++;
            if (result.DisableSubscriptionReason is null)
            {
                producer.Time.Advance(TimeSpan.FromHours(1));
            }
        }
        while (result.DisableSubscriptionReason is null && attempts < 5);

        Assert.Equal(3, attempts); // failing since t0; at t0+2h the window is reached
        var stored = await producer.Store.GetSubscriptionAsync(subscription.Id);
        Assert.Equal(WebHookSubscriptionStatus.Disabled, stored!.Status);
        Assert.Equal(0, (await producer.Publisher.PublishAsync(new OrderCreated("o-11", 1))).Deliveries);
    }

    [Fact]
    public async Task An_exhausted_delivery_is_redelivered_and_failed_ones_recovered()
    {
        await using var producer = await TestProducer.StartAsync(o => { o.RetrySchedule.Clear(); o.RetrySchedule.Add(TimeSpan.Zero); });
        await using var receiver = await Receiver.StartAsync();
        var status = 500;
        receiver.Respond = (ctx, _) => { ctx.Response.StatusCode = Volatile.Read(ref status); return Task.CompletedTask; };
        var subscription = await producer.SubscribeAsync(receiver.Url);

        var first = await producer.Publisher.PublishAsync(new OrderCreated("o-12", 1));
        Assert.Equal(WebHookDeliveryStatus.Failed, (await producer.Store.NextAttemptAsync()).NewStatus);
        var second = await producer.Publisher.PublishAsync(new OrderCreated("o-13", 1));
        Assert.Equal(WebHookDeliveryStatus.Failed, (await producer.Store.NextAttemptAsync()).NewStatus);
        Volatile.Write(ref status, 200);

        Assert.True(await producer.Subscriptions.RedeliverAsync(subscription.Id, first.MessageId, default));
        var redelivered = await producer.Store.NextAttemptAsync();
        Assert.Equal(WebHookDeliveryStatus.Succeeded, redelivered.NewStatus);
        Assert.Equal(2, redelivered.Attempt.Number);

        var recovered = await producer.Subscriptions.RecoverAsync(subscription.Id, producer.Time.GetUtcNow().AddHours(-1), default);
        Assert.Equal(1, recovered);
        var again = await producer.Store.NextAttemptAsync();
        Assert.Equal(second.MessageId, again.Attempt.MessageId);
        Assert.Equal(WebHookDeliveryStatus.Succeeded, again.NewStatus);
    }

    [Fact]
    public async Task During_a_rotation_receivers_with_only_the_old_or_only_the_new_secret_accept()
    {
        await using var producer = await TestProducer.StartAsync(o => o.SecretRotationOverlap = TimeSpan.FromHours(24));
        await using var receiver = await Receiver.StartAsync();
        var oldSecret = WebHookSecret.Generate();
        var subscription = await producer.SubscribeAsync(receiver.Url, oldSecret);
        var (_, _, newSecret) = await producer.Subscriptions.RotateAsync(subscription, null, null, default);
        var oldOnly = new WebHookVerifier(oldSecret, producer.Time);
        var newOnly = new WebHookVerifier(newSecret, producer.Time);

        await producer.Publisher.PublishAsync(new OrderCreated("o-14", 1));
        var during = await receiver.NextAsync();
        Assert.True(Verify(oldOnly, during).IsValid);
        Assert.True(Verify(newOnly, during).IsValid);

        producer.Time.Advance(TimeSpan.FromHours(25));
        await producer.Publisher.PublishAsync(new OrderCreated("o-15", 1));
        var after = await receiver.NextAsync();
        Assert.False(Verify(oldOnly, after).IsValid);
        Assert.True(Verify(newOnly, after).IsValid);

        static WebHookVerificationResult Verify(WebHookVerifier v, ReceivedRequest r) =>
            v.Verify(r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Header("webhook-signature"), r.Body);
    }

    [Fact]
    public async Task The_attempt_span_travels_to_the_receiver_as_traceparent()
    {
        var attempts = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Hooks",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = a => { lock (attempts) { attempts.Add(a); } },
        };
        ActivitySource.AddActivityListener(listener);
        await using var producer = await TestProducer.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        await producer.SubscribeAsync(receiver.Url);

        var published = await producer.Publisher.PublishAsync(new OrderCreated("o-16", 1));
        var request = await receiver.NextAsync();
        await producer.Store.NextAttemptAsync();

        var traceparent = request.Header("traceparent");
        Assert.False(string.IsNullOrEmpty(traceparent));
        Activity attempt;
        lock (attempts)
        {
            attempt = attempts.Single(a => a.OperationName == "webhook attempt" && (string?)a.GetTagItem("webhook.message_id") == published.MessageId);
        }
        Assert.Contains(attempt.TraceId.ToHexString(), traceparent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopping_the_dispatcher_releases_its_leases()
    {
        var producer = await TestProducer.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        var release = new TaskCompletionSource();
        receiver.Respond = async (ctx, _) => await release.Task.WaitAsync(ctx.RequestAborted);
        var subscription = await producer.SubscribeAsync(receiver.Url);
        await producer.Publisher.PublishAsync(new OrderCreated("o-17", 1));
        await receiver.NextAsync();

        await producer.StopAsync();
        await producer.Store.NextReleaseAsync();
        release.TrySetResult();

        var leases = await producer.Store.LeaseDueAsync(producer.Time.GetUtcNow(), 10, int.MaxValue, TimeSpan.FromMinutes(1));
        var lease = Assert.Single(leases);
        Assert.Equal(subscription.Id, lease.Subscription.Id);
        Assert.Equal(0, lease.Delivery.Attempts);
        await producer.DisposeAsync();
    }

    [Fact]
    public async Task An_idempotency_key_publishes_once()
    {
        await using var producer = await TestProducer.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        await producer.SubscribeAsync(receiver.Url);

        var first = await producer.Publisher.PublishAsync(new OrderCreated("o-18", 1), "key-1");
        var second = await producer.Publisher.PublishAsync(new OrderCreated("o-18", 1), "key-1");

        Assert.Equal(first.MessageId, second.MessageId);
        Assert.False(first.Duplicate);
        Assert.True(second.Duplicate); // the caller learns that nothing new was stored
        await receiver.NextAsync();
        await producer.Store.NextAttemptAsync();
        Assert.False(receiver.TryTake(out _));
    }
}

public sealed class ConcurrencyTests
{
    [Fact]
    public async Task A_slow_subscription_gets_at_most_its_limit_and_does_not_hold_up_others()
    {
        await using var producer = await TestProducer.StartAsync(o => { o.MaxConcurrency = 2; o.MaxConcurrencyPerSubscription = 1; });
        await using var slow = await Receiver.StartAsync();
        await using var fast = await Receiver.StartAsync();
        var release = new TaskCompletionSource();
        var inFlight = 0;
        var maxInFlight = 0;
        slow.Respond = async (ctx, _) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            await release.Task.WaitAsync(ctx.RequestAborted);
            Interlocked.Decrement(ref inFlight);
            ctx.Response.StatusCode = 200;
        };
        await producer.SubscribeAsync(slow.Url, null, "order.created");
        await producer.SubscribeAsync(fast.Url, null, "customer.created");

        for (var i = 0; i < 3; i++)
        {
            await producer.Publisher.PublishAsync(new OrderCreated($"o-{i}", 1));
        }
        await slow.NextAsync();
        await producer.Publisher.PublishAsync(new CustomerCreated("c-1"));

        await fast.NextAsync(); // delivered while the slow one holds its only slot
        Assert.Equal(WebHookAttemptOutcome.Succeeded, (await producer.Store.NextAttemptAsync()).Attempt.Outcome);
        Assert.False(slow.TryTake(out _));
        release.SetResult();
        await slow.NextAsync();
        await slow.NextAsync();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(WebHookAttemptOutcome.Succeeded, (await producer.Store.NextAttemptAsync()).Attempt.Outcome);
        }
        Assert.Equal(1, Volatile.Read(ref maxInFlight));

        static void InterlockedMax(ref int target, int value)
        {
            int current;
            while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
            {
            }
        }
    }
}
