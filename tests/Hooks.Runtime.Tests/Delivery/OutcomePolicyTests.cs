using Hooks.Delivery;
using Hooks.Storage;

namespace Hooks.Tests.Delivery;

/// <summary>The outcome policy as a table: what an attempt's ending makes of its delivery.</summary>
public sealed class OutcomePolicyTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    // Three retries, no jitter: 5 s, 5 min, 30 min after attempts 1, 2, 3; none after attempt 4.
    private static readonly WebHookOutcomePolicy Policy = new(
        new WebHookRetrySchedule([TimeSpan.Zero, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30)], jitter: 0),
        maxRetryAfter: TimeSpan.FromHours(1),
        disableAfterFailingFor: TimeSpan.FromDays(5));

    public enum Expect { Succeeded, Retry, Exhausted, FailedAndDisabled }

    public static TheoryData<int, int, int?, Expect, int?> Responses => new()
    {
        // status, attempt, Retry-After seconds, step, seconds until the retry
        { 200, 1, null, Expect.Succeeded, null },
        { 204, 4, null, Expect.Succeeded, null },
        { 299, 1, null, Expect.Succeeded, null },
        { 410, 1, null, Expect.FailedAndDisabled, null },
        { 410, 4, 60, Expect.FailedAndDisabled, null },
        { 500, 1, null, Expect.Retry, 5 },
        { 500, 2, null, Expect.Retry, 300 },
        { 500, 3, 60, Expect.Retry, 1800 },          // Retry-After is honoured for back-off statuses only
        { 500, 4, null, Expect.Exhausted, null },
        { 400, 1, null, Expect.Retry, 5 },
        { 404, 1, null, Expect.Retry, 5 },
        { 301, 1, null, Expect.Retry, 5 },            // redirects are failures, not followed
        { 429, 1, null, Expect.Retry, 5 },            // no Retry-After: the schedule
        { 429, 1, 120, Expect.Retry, 120 },           // Retry-After replaces the schedule's delay
        { 503, 2, 1, Expect.Retry, 1 },
        { 502, 1, 7200, Expect.Retry, 3600 },         // capped by MaxRetryAfter
        { 504, 1, 0, Expect.Retry, 0 },
        { 429, 4, 120, Expect.Exhausted, null },      // Retry-After does not extend an exhausted schedule
    };

    [Theory]
    [MemberData(nameof(Responses))]
    public void A_response_decides_the_next_step(int status, int attempt, int? retryAfterSeconds, Expect expected, int? retryInSeconds)
    {
        var retryAfter = retryAfterSeconds is { } s ? TimeSpan.FromSeconds(s) : (TimeSpan?)null;

        var step = Policy.DecideForResponse(status, retryAfter, attempt, Start, failingSince: null);

        AssertStep(step, expected, retryInSeconds);
    }

    [Theory]
    [InlineData(WebHookAttemptOutcome.Timeout)]
    [InlineData(WebHookAttemptOutcome.ConnectionError)]
    [InlineData(WebHookAttemptOutcome.AddressRefused)]
    public void No_response_retries_on_the_schedule_and_ignores_retry_after(WebHookAttemptOutcome outcome)
    {
        AssertStep(Policy.Decide(outcome, TimeSpan.FromSeconds(1), 1, Start, null), Expect.Retry, 5);
        AssertStep(Policy.Decide(outcome, null, 4, Start, null), Expect.Exhausted, null);
    }

    [Fact]
    public void A_subscription_failing_for_the_whole_window_is_disabled_by_the_next_failure()
    {
        var since = Start - TimeSpan.FromDays(5);

        var step = Policy.Decide(WebHookAttemptOutcome.HttpError, null, 1, Start, since);

        Assert.Equal(WebHookDeliveryStatus.Pending, step.Status); // the delivery itself keeps its retries
        Assert.Equal($"Failing without a success since {since:O}.", step.DisableSubscriptionReason);
    }

    [Fact]
    public void A_subscription_failing_for_less_than_the_window_stays_enabled()
    {
        var step = Policy.Decide(WebHookAttemptOutcome.Timeout, null, 2, Start, Start - TimeSpan.FromDays(5) + TimeSpan.FromTicks(1));

        Assert.Null(step.DisableSubscriptionReason);
    }

    [Fact]
    public void A_success_never_disables_however_long_the_subscription_failed()
    {
        var step = Policy.Decide(WebHookAttemptOutcome.Succeeded, null, 1, Start, Start - TimeSpan.FromDays(30));

        AssertStep(step, Expect.Succeeded, null);
    }

    [Fact]
    public void A_zero_window_disables_on_the_first_failure()
    {
        var strict = new WebHookOutcomePolicy(new WebHookRetrySchedule([TimeSpan.Zero, TimeSpan.FromSeconds(5)], 0), TimeSpan.FromHours(1), TimeSpan.Zero);

        Assert.NotNull(strict.Decide(WebHookAttemptOutcome.HttpError, null, 1, Start, null).DisableSubscriptionReason);
    }

    private static void AssertStep(WebHookNextStep step, Expect expected, int? retryInSeconds)
    {
        switch (expected)
        {
            case Expect.Succeeded:
                Assert.Equal(new WebHookNextStep(WebHookDeliveryStatus.Succeeded, default, null, false), step);
                break;
            case Expect.FailedAndDisabled:
                Assert.Equal(new WebHookNextStep(WebHookDeliveryStatus.Failed, default, WebHookOutcomePolicy.GoneReason, false), step);
                break;
            case Expect.Exhausted:
                Assert.Equal(new WebHookNextStep(WebHookDeliveryStatus.Failed, default, null, true), step);
                break;
            case Expect.Retry:
                Assert.Equal(new WebHookNextStep(WebHookDeliveryStatus.Pending, Start + TimeSpan.FromSeconds(retryInSeconds!.Value), null, false), step);
                break;
        }
    }
}
