using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Hooks.Diagnostics;
using Hooks.Infrastructure;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hooks.Tests.Diagnostics;

/// <summary>
/// One trace from the operation that publishes to the consumer's handler: the publish context is kept with the
/// message, every attempt (retries included) is its child, the attempt's context goes out as <c>traceparent</c>,
/// and the consumer's receive span (where the handler runs) is a child of what came in.
/// </summary>
[Collection(nameof(TelemetryTestGroup))]
public sealed class TracingTests
{
    private static readonly ActivitySource Outer = new("Hooks.Tests.Outer");

    /// <summary>Activities of the sources a test listens to, as they stop.</summary>
    private sealed class SpanCollector : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly Channel<Activity> _stopped = Channel.CreateUnbounded<Activity>();
        private readonly List<Activity> _seen = [];

        public SpanCollector()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name is WebHookDiagnostics.Name or "Hooks.Tests.Outer",
                Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity => _stopped.Writer.TryWrite(activity),
            };
            ActivitySource.AddActivityListener(_listener);
        }

        /// <summary>Waits (up to 30 s) until a stopped span matches, keeping every span seen on the way.</summary>
        public async Task<Activity> WaitForAsync(Func<Activity, bool> match)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            lock (_seen)
            {
                if (_seen.FirstOrDefault(match) is { } seen)
                {
                    return seen;
                }
            }
            while (true)
            {
                var activity = await _stopped.Reader.ReadAsync(deadline.Token);
                lock (_seen)
                {
                    _seen.Add(activity);
                }
                if (match(activity))
                {
                    return activity;
                }
            }
        }

        public List<Activity> Seen(ActivityTraceId trace)
        {
            while (_stopped.Reader.TryRead(out var activity))
            {
                lock (_seen)
                {
                    _seen.Add(activity);
                }
            }
            lock (_seen)
            {
                return [.. _seen.Where(a => a.TraceId == trace)];
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    private sealed class TraceRecordingHandler(ConcurrentQueue<Activity?> seen, TaskCompletionSource handled) : IWebHookHandler<OrderCreated>
    {
        public Task HandleAsync(OrderCreated message, WebHookContext context, CancellationToken cancellationToken)
        {
            seen.Enqueue(Activity.Current);
            handled.TrySetResult();
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task One_trace_runs_from_publish_through_every_attempt_and_retry_to_the_handler()
    {
        using var spans = new SpanCollector();
        var secret = Hooks.Security.WebHookSecret.Generate();
        await using var producer = await TestProducer.StartAsync(o =>
        {
            o.RetrySchedule.Clear();
            o.RetrySchedule.Add(TimeSpan.Zero);
            o.RetrySchedule.Add(TimeSpan.Zero); // the retry is due at once: no clock to move
        });
        var traceparents = new ConcurrentQueue<string>();
        var handlerActivities = new ConcurrentQueue<Activity?>();
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = 0;
        await using var consumer = await LoopbackApp.StartAsync(
            services =>
            {
                services.AddSingleton<TimeProvider>(producer.Time); // the signature's timestamp is the producer's clock
                services.AddSingleton<IWebHookHandler<OrderCreated>>(new TraceRecordingHandler(handlerActivities, handled));
                services.AddWebHooks().AddReceiver(o => o.Secrets.Add(secret.Reveal()));
            },
            app =>
            {
                app.Use(async (context, next) =>
                {
                    traceparents.Enqueue(context.Request.Headers["traceparent"].ToString());
                    if (Interlocked.Increment(ref requests) == 1)
                    {
                        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable; // the first attempt fails
                        return;
                    }
                    await next(context);
                });
                app.MapWebHookReceiver("/webhooks", TestDispatcher.Instance);
            });
        await producer.SubscribeAsync(new Uri(consumer.Address, "/webhooks"), secret);

        ActivityTraceId trace;
        using (var outer = Outer.StartActivity("checkout"))
        {
            Assert.NotNull(outer);
            trace = outer.TraceId;
            await producer.Publisher.PublishAsync(new OrderCreated("o-trace", 1));
        }
        var first = await producer.Store.NextAttemptAsync();
        var second = await producer.Store.NextAttemptAsync();
        await handled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var receive = await spans.WaitForAsync(a => a.OperationName == "webhook receive" && a.TraceId == trace);

        Assert.Equal(WebHookAttemptOutcome.BackOff, first.Attempt.Outcome);
        Assert.Equal(WebHookAttemptOutcome.Succeeded, second.Attempt.Outcome);
        var inTrace = spans.Seen(trace);
        var publish = Assert.Single(inTrace, a => a.OperationName == "webhook publish");
        var attempts = inTrace.Where(a => a.OperationName == "webhook attempt").OrderBy(a => (int)a.GetTagItem("webhook.attempt")!).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(publish.SpanId, a.ParentSpanId));
        Assert.Equal(new[] { "back_off", "succeeded" }, attempts.Select(a => (string?)a.GetTagItem("webhook.outcome")));
        // What went over the wire carries the publish trace on both attempts.
        Assert.Equal(2, traceparents.Count);
        Assert.All(traceparents, header => Assert.Contains(trace.ToHexString(), header, StringComparison.Ordinal));
        // The handler ran inside the consumer's receive span, in the same trace.
        var current = Assert.Single(handlerActivities);
        Assert.NotNull(current);
        Assert.Same(receive, current);
        Assert.Equal(publish.GetTagItem("webhook.message_id"), receive.GetTagItem("webhook.message_id"));
        Assert.Equal(ActivityKind.Consumer, receive.Kind);
    }

    [Theory]
    [InlineData(true)]  // ASP.NET Core makes a request activity from traceparent (it does when logging is on)
    [InlineData(false)] // nothing asked ASP.NET Core for one: the receiver reads traceparent itself
    public async Task The_receive_span_is_a_child_of_the_incoming_traceparent(bool requestActivity)
    {
        using var spans = new SpanCollector();
        var secret = Hooks.Security.WebHookSecret.Generate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        if (requestActivity)
        {
            builder.Logging.AddProvider(new CapturingLoggerProvider());
        }
        builder.Services.AddSingleton(new HandlerLog());
        builder.Services.AddScoped<IWebHookHandler<OrderCreated>, OrderCreatedHandler>();
        builder.Services.AddWebHooks().AddReceiver(o => o.Secrets.Add(secret.Reveal()));
        await using var app = builder.Build();
        app.MapWebHookReceiver("/webhooks", TestDispatcher.Instance);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address) };
        var trace = ActivityTraceId.CreateRandom();
        var parent = ActivitySpanId.CreateRandom();
        using var request = SignedRequests.Order(secret);
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{trace.ToHexString()}-{parent.ToHexString()}-01");

        using var response = await client.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.NoContent, response.StatusCode);
        var receive = await spans.WaitForAsync(a => a.OperationName == "webhook receive" && a.TraceId == trace);
        Assert.Equal("order.created", receive.GetTagItem("webhook.event_type"));
        Assert.Equal(204, receive.GetTagItem("http.response.status_code"));
        if (!requestActivity)
        {
            Assert.Equal(parent, receive.ParentSpanId);
        }
        await app.StopAsync();
    }
}
