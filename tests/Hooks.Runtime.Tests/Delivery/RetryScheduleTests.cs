using Hooks.Delivery;
using Hooks.Hosting;

namespace Hooks.Tests.Delivery;

public sealed class RetryScheduleTests
{
    [Fact]
    public void Delays_stay_within_the_jitter_bounds_and_run_out()
    {
        var options = new WebHookProducerOptions();
        var schedule = new WebHookRetrySchedule([.. options.RetrySchedule], 0.2);
        Assert.Equal(10, schedule.MaxAttempts);
        for (var attempt = 1; attempt < 10; attempt++)
        {
            var nominal = options.RetrySchedule[attempt];
            var seen = Enumerable.Range(0, 200).Select(_ => schedule.DelayAfter(attempt)!.Value).ToList();
            Assert.All(seen, d => Assert.InRange(d, nominal * 0.8, nominal * 1.2));
            Assert.True(seen.Distinct().Count() > 1, "jitter spreads the delays");
        }
        Assert.Null(schedule.DelayAfter(10));
    }
}
