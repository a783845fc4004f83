using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Hooks.Diagnostics;
using Hooks.Hosting;
using Hooks.Infrastructure;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hooks.Tests.Diagnostics;

// The meter is process-wide: these tests run alone so they count only their own measurements.
[CollectionDefinition(nameof(TelemetryTestGroup), DisableParallelization = true)]
public sealed class TelemetryTestGroup;

[Collection(nameof(TelemetryTestGroup))]
public sealed class TelemetryTests
{
    private sealed class CapturingLogs : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public ILogger CreateLogger(string categoryName) => new Logger(this);
        public void Dispose() { }

        private sealed class Logger(CapturingLogs owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                owner.Lines.Enqueue(formatter(state, exception) + " " + exception);
                if (state is IEnumerable<KeyValuePair<string, object?>> values)
                {
                    foreach (var (key, value) in values)
                    {
                        owner.Lines.Enqueue($"{key}={value}");
                    }
                }
            }
        }
    }

    [Fact]
    public async Task Counts_published_messages_and_attempts_by_outcome()
    {
        var measurements = new ConcurrentQueue<(string Instrument, double Value, string? Outcome)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == WebHookDiagnostics.Name) l.EnableMeasurementEvents(instrument); },
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => measurements.Enqueue((i.Name, v, Outcome(tags))));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => measurements.Enqueue((i.Name, v, Outcome(tags))));
        listener.Start();
        await using var producer = await TestProducer.StartAsync();
        await using var ok = await Receiver.StartAsync();
        await using var failing = await Receiver.StartAsync();
        failing.Respond = static (ctx, _) => { ctx.Response.StatusCode = 500; return Task.CompletedTask; };
        await producer.SubscribeAsync(ok.Url);
        await producer.SubscribeAsync(failing.Url);

        await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1));
        await producer.Store.NextAttemptAsync();
        await producer.Store.NextAttemptAsync();
        listener.RecordObservableInstruments();

        Assert.Contains(measurements, m => m.Instrument == "hooks.messages.published" && m.Value == 1);
        Assert.Contains(measurements, m => m.Instrument == "hooks.deliveries.created" && m.Value == 2);
        Assert.Contains(measurements, m => m.Instrument == "hooks.delivery.attempts" && m.Outcome == "succeeded");
        Assert.Contains(measurements, m => m.Instrument == "hooks.delivery.attempts" && m.Outcome == "http_error");
        Assert.Contains(measurements, m => m.Instrument == "hooks.delivery.latency");
        Assert.Contains(measurements, m => m.Instrument == "hooks.delivery.attempt.duration");
        Assert.Contains(measurements, m => m.Instrument == "hooks.delivery.backlog");

        static string? Outcome(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "webhook.outcome") return tag.Value as string;
            }
            return null;
        }
    }

    [Fact]
    public async Task A_consumer_only_app_has_no_delivery_backlog_gauge()
    {
        var secret = WebHookSecret.Generate();
        await using var consumer = await LoopbackApp.StartAsync(
            services =>
            {
                services.AddSingleton(new HandlerLog());
                services.AddScoped<IWebHookHandler<OrderCreated>, OrderCreatedHandler>();
                services.AddWebHooks().AddReceiver(o => o.Secrets.Add(secret.Reveal()));
            },
            app => app.MapWebHookReceiver("/webhooks", TestDispatcher.Instance));
        // Instruments of this app: the process-wide meter's, and those of the app's own meter factory.
        var factory = consumer.Services.GetRequiredService<IMeterFactory>();
        var instruments = new ConcurrentQueue<string>();
        var measured = new ConcurrentQueue<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == WebHookDiagnostics.Name && (instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, factory)))
                {
                    instruments.Enqueue(instrument.Name);
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((i, _, _, _) => measured.Enqueue(i.Name));
        listener.SetMeasurementEventCallback<int>((i, _, _, _) => measured.Enqueue(i.Name));
        listener.Start();

        using var response = await consumer.Client.SendAsync(SignedRequests.Order(secret));
        Assert.Equal(System.Net.HttpStatusCode.NoContent, response.StatusCode);
        listener.RecordObservableInstruments();

        Assert.Contains("hooks.receiver.requests", measured);
        Assert.DoesNotContain("hooks.delivery.backlog", instruments);
        Assert.DoesNotContain("hooks.delivery.backlog", measured);
    }

    [Fact]
    public async Task A_producer_app_reports_its_delivery_backlog_until_it_stops()
    {
        var producer = await TestProducer.StartAsync();
        var backlog = new ConcurrentQueue<long>();
        using var listener = BacklogListener(producer, backlog);

        listener.RecordObservableInstruments();
        Assert.Equal([0L], backlog);

        await producer.DisposeAsync();
        backlog.Clear();
        listener.RecordObservableInstruments();
        Assert.Empty(backlog);
    }

    [Fact]
    public async Task The_backlog_is_counted_only_while_its_gauge_is_collected()
    {
        await using var producer = await TestProducer.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        await producer.SubscribeAsync(receiver.Url);
        var pollInterval = producer.Services.GetRequiredService<IOptions<WebHookProducerOptions>>().Value.PollInterval;

        // Each publish wakes the dispatcher's loop a poll interval after the last: a wake that would count the backlog
        // if anything collected it (it leases the delivery, so each attempt means one more wake).
        for (var i = 0; i < 3; i++)
        {
            producer.Time.Advance(pollInterval);
            await producer.Publisher.PublishAsync(new OrderCreated($"o-{i}", i));
            await producer.Store.NextAttemptAsync();
        }
        Assert.Equal(0, producer.Store.CountDueCalls);

        var backlog = new ConcurrentQueue<long>();
        using var listener = BacklogListener(producer, backlog);
        producer.Time.Advance(pollInterval);
        await producer.Publisher.PublishAsync(new OrderCreated("o-3", 3));

        Assert.True(await producer.Store.CountedAsync(TimeSpan.FromSeconds(10)), "the collected backlog was never counted");
        listener.RecordObservableInstruments();
        Assert.Single(backlog);
    }

    /// <summary>Collects the backlog gauge of <paramref name="producer"/>'s own meter (no other app's) into <paramref name="backlog"/>.</summary>
    private static MeterListener BacklogListener(TestProducer producer, ConcurrentQueue<long> backlog)
    {
        var factory = producer.Services.GetRequiredService<IMeterFactory>();
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "hooks.delivery.backlog" && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => backlog.Enqueue(value));
        listener.Start();
        return listener;
    }

    [Fact]
    public async Task Logs_never_contain_secrets_payloads_or_response_bodies()
    {
        var logs = new CapturingLogs();
        await using var producer = await TestProducer.StartAsync(logs: logs);
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = static (ctx, _) => { ctx.Response.StatusCode = 500; return ctx.Response.WriteAsync("RESPONSE-BODY-77"); };
        var secret = WebHookSecret.Generate();
        var subscription = await producer.SubscribeAsync(receiver.Url, secret);

        var published = await producer.Publisher.PublishAsync(new OrderCreated("PAYLOAD-VALUE-42", 1));
        var result = await producer.Store.NextAttemptAsync();
        Assert.Equal(WebHookAttemptOutcome.HttpError, result.Attempt.Outcome);

        var all = string.Join('\n', logs.Lines);
        Assert.Contains(published.MessageId, all, StringComparison.Ordinal); // the logs do say what happened
        Assert.Contains(subscription.Id, all, StringComparison.Ordinal);
        Assert.DoesNotContain("PAYLOAD-VALUE-42", all, StringComparison.Ordinal);
        Assert.DoesNotContain("RESPONSE-BODY-77", all, StringComparison.Ordinal);
        Assert.DoesNotContain(secret.Reveal()[WebHookSecret.Prefix.Length..], all, StringComparison.Ordinal);
        Assert.DoesNotContain("v1,", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_options_fail_when_the_host_starts()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddWebHooks().AddProducer(o =>
        {
            o.RetryJitter = 2;
            o.RetrySchedule.Clear();
            o.LeaseDuration = TimeSpan.FromSeconds(1);
        });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.Contains("RetryJitter", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("RetrySchedule", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("LeaseDuration", StringComparison.Ordinal));
    }
}
