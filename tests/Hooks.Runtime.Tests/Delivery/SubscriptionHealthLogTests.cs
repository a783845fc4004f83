using System.Collections.Concurrent;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hooks.Tests.Delivery;

/// <summary>
/// A failing subscription is told once, not per attempt: one Warning when it starts failing, one Information when it
/// recovers, one Warning when it is disabled, however many attempts run at once.
/// </summary>
public sealed class SubscriptionHealthLogTests
{
    private sealed class LevelLogs : ILoggerProvider
    {
        public ConcurrentQueue<(LogLevel Level, string Text)> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose() { }

        public int Count(LogLevel level, string subscriptionId, string words) =>
            Lines.Count(l => l.Level == level && l.Text.Contains(subscriptionId, StringComparison.Ordinal) &&
                l.Text.Contains(words, StringComparison.Ordinal));

        private sealed class Logger(LevelLogs owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Lines.Enqueue((logLevel, formatter(state, exception)));
        }
    }

    /// <summary>
    /// Answers requests in groups of <paramref name="size"/>, all of a group together once the whole group has arrived,
    /// group <c>g</c> with <paramref name="statuses"/>[g]: a group's attempts are in flight at once, and (since a retry
    /// is leased only once its failure is recorded) every result of a group is recorded before the next group's.
    /// </summary>
    private static Func<HttpContext, ReceivedRequest, Task> InGroups(int size, params int[] statuses)
    {
        var arrived = 0;
        var groups = statuses.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        return async (ctx, _) =>
        {
            var n = Interlocked.Increment(ref arrived);
            var group = (n - 1) / size;
            if (n % size == 0)
            {
                groups[group].TrySetResult();
            }
            await groups[group].Task.WaitAsync(TimeSpan.FromSeconds(30));
            ctx.Response.StatusCode = statuses[group];
        };
    }

    private static async Task PublishAsync(TestProducer producer, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await producer.Publisher.PublishAsync(new OrderCreated($"o-{i}", i));
        }
    }

    private static async Task<List<WebHookAttemptResult>> AttemptsAsync(TestProducer producer, int count)
    {
        var results = new List<WebHookAttemptResult>();
        for (var i = 0; i < count; i++)
        {
            results.Add(await producer.Store.NextAttemptAsync());
        }
        return results;
    }

    [Fact]
    public async Task Logs_once_when_a_subscription_starts_failing_once_when_it_recovers_and_once_when_it_is_disabled()
    {
        var logs = new LevelLogs();
        await using var producer = await TestProducer.StartAsync(o =>
        {
            o.RetrySchedule.Clear();
            o.RetrySchedule.Add(TimeSpan.Zero);
            o.RetrySchedule.Add(TimeSpan.Zero);
        }, logs: logs);
        await using var receiver = await Receiver.StartAsync();
        var subscription = await producer.SubscribeAsync(receiver.Url);

        // Three first attempts fail together, then their three retries succeed together.
        receiver.Respond = InGroups(3, StatusCodes.Status500InternalServerError, StatusCodes.Status200OK);
        await PublishAsync(producer, 3);
        var failing = await AttemptsAsync(producer, 6);
        Assert.Equal(3, failing.Count(r => r.Attempt.Outcome == WebHookAttemptOutcome.HttpError));
        Assert.Equal(3, failing.Count(r => r.Attempt.Outcome == WebHookAttemptOutcome.Succeeded));

        // Then three attempts answered 410 together.
        receiver.Respond = InGroups(3, StatusCodes.Status410Gone);
        await PublishAsync(producer, 3);
        await AttemptsAsync(producer, 3);
        await producer.StopAsync(); // every recorded batch has been logged

        Assert.Equal(1, logs.Count(LogLevel.Warning, subscription.Id, "started failing"));
        // The status in words, not the raw fields ("http_error 500 (null)").
        Assert.Equal(1, logs.Count(LogLevel.Warning, subscription.Id, "ended http_error (HTTP 500). Further"));
        Assert.Equal(1, logs.Count(LogLevel.Information, subscription.Id, "recovered"));
        Assert.Equal(1, logs.Count(LogLevel.Warning, subscription.Id, "disabled"));
        Assert.DoesNotContain(logs.Lines, l => l.Level >= LogLevel.Information && l.Text.Contains("Attempt ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Logs_a_Warning_once_when_a_subscription_failing_for_the_whole_window_is_disabled()
    {
        var logs = new LevelLogs();
        await using var producer = await TestProducer.StartAsync(o =>
        {
            o.RetrySchedule.Clear();
            o.RetrySchedule.Add(TimeSpan.Zero);
            o.RetrySchedule.Add(TimeSpan.FromHours(1));
            o.DisableAfterFailingFor = TimeSpan.FromMinutes(1);
        }, logs: logs);
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = static (ctx, _) => { ctx.Response.StatusCode = 500; return Task.CompletedTask; };
        var subscription = await producer.SubscribeAsync(receiver.Url);

        await PublishAsync(producer, 1);
        await AttemptsAsync(producer, 1);
        producer.Time.Advance(TimeSpan.FromMinutes(2));
        await PublishAsync(producer, 1);
        var last = await producer.Store.NextAttemptAsync();
        await producer.StopAsync();

        Assert.NotNull(last.DisableSubscriptionReason);
        Assert.Equal(WebHookSubscriptionStatus.Disabled, (await producer.Store.GetSubscriptionAsync(subscription.Id))!.Status);
        Assert.Equal(1, logs.Count(LogLevel.Warning, subscription.Id, "started failing"));
        Assert.Equal(1, logs.Count(LogLevel.Warning, subscription.Id, "disabled"));
        Assert.Equal(0, logs.Count(LogLevel.Information, subscription.Id, "recovered"));
    }

    [Fact]
    public async Task An_exhausted_delivery_is_a_Warning_only_while_its_subscription_is_not_known_to_be_failing()
    {
        var logs = new LevelLogs();
        await using var producer = await TestProducer.StartAsync(o =>
        {
            o.RetrySchedule.Clear();
            o.RetrySchedule.Add(TimeSpan.Zero); // one attempt: each failure exhausts its delivery
        }, logs: logs);
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = static (ctx, _) => { ctx.Response.StatusCode = 500; return Task.CompletedTask; };
        var subscription = await producer.SubscribeAsync(receiver.Url);

        for (var i = 0; i < 4; i++)
        {
            await PublishAsync(producer, 1);
            Assert.Equal(WebHookDeliveryStatus.Failed, (await producer.Store.NextAttemptAsync()).NewStatus);
        }
        await producer.StopAsync();

        Assert.Equal(1, logs.Count(LogLevel.Warning, subscription.Id, "started failing"));
        Assert.Equal(1, logs.Count(LogLevel.Warning, subscription.Id, "exhausted"));
        Assert.Equal(3, logs.Count(LogLevel.Debug, subscription.Id, "exhausted after 1 attempts while the subscription is failing"));
    }
}
