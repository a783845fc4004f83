using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Hooks.Diagnostics;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;

namespace Hooks.Tests.Diagnostics;

/// <summary>The tenant is a tag of spans and metrics only when the app opts in (one time series per tenant otherwise).</summary>
[Collection(nameof(TelemetryTestGroup))]
public sealed class TenantTelemetryTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Spans_and_metrics_carry_the_tenant_only_when_the_app_opts_in(bool optIn)
    {
        var metricTenants = new ConcurrentQueue<(string Instrument, string? Tenant)>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == WebHookDiagnostics.Name) l.EnableMeasurementEvents(instrument); },
        };
        meters.SetMeasurementEventCallback<long>((i, _, tags, _) => metricTenants.Enqueue((i.Name, Tenant(tags))));
        meters.SetMeasurementEventCallback<double>((i, _, tags, _) => metricTenants.Enqueue((i.Name, Tenant(tags))));
        meters.Start();
        var spans = new ConcurrentQueue<Activity>();
        using var tracing = new ActivityListener
        {
            ShouldListenTo = source => source.Name == WebHookDiagnostics.Name,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(tracing);

        await using var producer = await TestProducer.StartAsync(o => o.TenantInTelemetry = optIn);
        await using var receiver = await Receiver.StartAsync();
        var now = producer.Time.GetUtcNow();
        await producer.Store.CreateSubscriptionAsync(new WebHookSubscription
        {
            Id = WebHookIds.NewSubscriptionId(now),
            Tenant = "acme",
            Url = receiver.Url,
            Secrets = [new WebHookSubscriptionSecret(WebHookSecret.Generate(), now, null)],
            Status = WebHookSubscriptionStatus.Enabled,
        });
        var published = await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1), new WebHookTenant("acme"));
        await receiver.NextAsync();
        await producer.Store.NextAttemptAsync();

        var mine = spans.Where(s => (string?)s.GetTagItem("webhook.message_id") == published.MessageId).ToList();
        Assert.Contains(mine, s => s.OperationName == "webhook publish");
        Assert.Contains(mine, s => s.OperationName == "webhook attempt");
        Assert.All(mine, s => Assert.Equal(optIn ? "acme" : null, (string?)s.GetTagItem("webhook.tenant")));
        var published1 = metricTenants.Where(m => m.Instrument is "hooks.messages.published" or "hooks.delivery.attempts").ToList();
        Assert.Contains(published1, m => m.Instrument == "hooks.messages.published");
        Assert.Contains(published1, m => m.Instrument == "hooks.delivery.attempts");
        Assert.All(published1, m => Assert.Equal(optIn ? "acme" : null, m.Tenant));

        static string? Tenant(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "webhook.tenant") return tag.Value as string;
            }
            return null;
        }
    }
}
