namespace Hooks.Delivery;

/// <summary>When the next attempt of a delivery is due, from the configured schedule with jitter.</summary>
internal sealed class WebHookRetrySchedule(IReadOnlyList<TimeSpan> delays, double jitter)
{
    /// <summary>How many attempts the schedule allows.</summary>
    public int MaxAttempts => delays.Count;

    /// <summary>The delay before attempt <paramref name="attemptsMade"/> + 1, or <c>null</c> when none is left.</summary>
    public TimeSpan? DelayAfter(int attemptsMade)
    {
        if (attemptsMade >= delays.Count)
        {
            return null;
        }
        var delay = delays[attemptsMade];
        if (delay <= TimeSpan.Zero || jitter <= 0)
        {
            return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
        }
        // Jitter spreads retries of many deliveries that failed together; not security-relevant.
#pragma warning disable CA5394
        var factor = 1 + ((Random.Shared.NextDouble() * 2) - 1) * jitter;
#pragma warning restore CA5394
        return TimeSpan.FromTicks((long)(delay.Ticks * factor));
    }
}
