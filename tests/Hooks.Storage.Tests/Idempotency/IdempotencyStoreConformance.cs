using Hooks.Receiving;
using Microsoft.Extensions.Time.Testing;

namespace Hooks.Storage.Tests.Idempotency;

/// <summary>
/// What every <see cref="IWebHookIdempotencyStore"/> does, run against each implementation. Times come from one fake
/// clock that the stores and the test share, as the receiver's clock is shared with its store.
/// </summary>
public abstract class IdempotencyStoreConformance : IAsyncLifetime
{
    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero));

    /// <summary>A store on a fresh database.</summary>
    protected abstract Task<IWebHookIdempotencyStore> CreateStoreAsync();

    /// <summary>Another store instance on the database of the last <see cref="CreateStoreAsync"/> (as a second process would open it).</summary>
    protected abstract Task<IWebHookIdempotencyStore> OpenSecondStoreAsync();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private DateTimeOffset Lease => Clock.GetUtcNow().AddMinutes(5);

    private DateTimeOffset Window => Clock.GetUtcNow().AddDays(7);

    [SkippableFact]
    public async Task First_claim_wins_then_the_key_is_in_progress()
    {
        var store = await CreateStoreAsync();

        Assert.Equal(WebHookIdempotencyClaim.Claimed, await store.TryClaimAsync("r:a", Lease, default));
        Assert.Equal(WebHookIdempotencyClaim.InProgress, await store.TryClaimAsync("r:a", Lease, default));
        Assert.Equal(WebHookIdempotencyClaim.Claimed, await store.TryClaimAsync("r:b", Lease, default));
    }

    [SkippableFact]
    public async Task A_handled_key_is_refused_as_already_handled()
    {
        var store = await CreateStoreAsync();
        await store.TryClaimAsync("r:a", Lease, default);

        await store.MarkHandledAsync("r:a", Window, default);

        Assert.Equal(WebHookIdempotencyClaim.AlreadyHandled, await store.TryClaimAsync("r:a", Lease, default));
    }

    [SkippableFact]
    public async Task A_released_claim_can_be_claimed_again()
    {
        var store = await CreateStoreAsync();
        await store.TryClaimAsync("r:a", Lease, default);

        await store.ReleaseAsync("r:a", default);

        Assert.Equal(WebHookIdempotencyClaim.Claimed, await store.TryClaimAsync("r:a", Lease, default));
    }

    [SkippableFact]
    public async Task Releasing_a_handled_key_does_not_forget_it()
    {
        var store = await CreateStoreAsync();
        await store.TryClaimAsync("r:a", Lease, default);
        await store.MarkHandledAsync("r:a", Window, default);

        await store.ReleaseAsync("r:a", default);

        Assert.Equal(WebHookIdempotencyClaim.AlreadyHandled, await store.TryClaimAsync("r:a", Lease, default));
    }

    [SkippableFact]
    public async Task An_expired_claim_can_be_taken_over()
    {
        var store = await CreateStoreAsync();
        await store.TryClaimAsync("r:a", Clock.GetUtcNow().AddMinutes(5), default);

        Clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(WebHookIdempotencyClaim.InProgress, await store.TryClaimAsync("r:a", Lease, default));
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(WebHookIdempotencyClaim.Claimed, await store.TryClaimAsync("r:a", Lease, default));
    }

    [SkippableFact]
    public async Task A_handled_key_is_forgotten_when_its_window_ends()
    {
        var store = await CreateStoreAsync();
        await store.TryClaimAsync("r:a", Lease, default);
        await store.MarkHandledAsync("r:a", Clock.GetUtcNow().AddDays(7), default);

        Clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(WebHookIdempotencyClaim.AlreadyHandled, await store.TryClaimAsync("r:a", Lease, default));
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(WebHookIdempotencyClaim.Claimed, await store.TryClaimAsync("r:a", Lease, default));
    }

    [SkippableFact]
    public async Task Keys_are_compared_exactly()
    {
        var store = await CreateStoreAsync();
        await store.TryClaimAsync("r:msg_a", Lease, default);
        await store.MarkHandledAsync("r:msg_a", Window, default);

        Assert.Equal(WebHookIdempotencyClaim.Claimed, await store.TryClaimAsync("r:MSG_A", Lease, default));
        Assert.Equal(WebHookIdempotencyClaim.Claimed, await store.TryClaimAsync("r:msg_a ", Lease, default));
    }

    [SkippableFact]
    public async Task Of_two_concurrent_claimers_of_one_key_exactly_one_wins()
    {
        var store = await CreateStoreAsync();
        await AssertOneWinnerPerKeyAsync(store, store);
    }

    [SkippableFact]
    public async Task Of_two_concurrent_claimers_on_two_store_instances_exactly_one_wins()
    {
        var first = await CreateStoreAsync();
        var second = await OpenSecondStoreAsync();
        await AssertOneWinnerPerKeyAsync(first, second);
    }

    [SkippableFact]
    public async Task A_key_handled_through_one_instance_is_handled_for_another()
    {
        var first = await CreateStoreAsync();
        var second = await OpenSecondStoreAsync();
        await first.TryClaimAsync("r:a", Lease, default);

        Assert.Equal(WebHookIdempotencyClaim.InProgress, await second.TryClaimAsync("r:a", Lease, default));
        await first.MarkHandledAsync("r:a", Window, default);
        Assert.Equal(WebHookIdempotencyClaim.AlreadyHandled, await second.TryClaimAsync("r:a", Lease, default));
    }

    [SkippableFact]
    public async Task Expired_keys_make_room_without_changing_live_ones()
    {
        var store = await CreateStoreAsync();
        for (var i = 0; i < 300; i++)
        {
            await store.MarkHandledAsync($"old{i}", Clock.GetUtcNow().AddMinutes(1), default);
        }
        await store.MarkHandledAsync("live", Clock.GetUtcNow().AddDays(1), default);
        Clock.Advance(TimeSpan.FromMinutes(2));

        for (var i = 0; i < 300; i++)
        {
            Assert.Equal(WebHookIdempotencyClaim.Claimed, await store.TryClaimAsync($"old{i}", Lease, default));
        }
        Assert.Equal(WebHookIdempotencyClaim.AlreadyHandled, await store.TryClaimAsync("live", Lease, default));
    }

    private async Task AssertOneWinnerPerKeyAsync(IWebHookIdempotencyStore a, IWebHookIdempotencyStore b)
    {
        const int Keys = 40;
        var lease = Lease;
        for (var i = 0; i < Keys; i++)
        {
            var key = $"race:{i}";
            using var start = new Barrier(2);
            var claims = await Task.WhenAll(
                Task.Run(async () => { start.SignalAndWait(TimeSpan.FromSeconds(10)); return await a.TryClaimAsync(key, lease, default); }),
                Task.Run(async () => { start.SignalAndWait(TimeSpan.FromSeconds(10)); return await b.TryClaimAsync(key, lease, default); }));

            Assert.Equal(1, claims.Count(c => c == WebHookIdempotencyClaim.Claimed));
            Assert.Equal(1, claims.Count(c => c == WebHookIdempotencyClaim.InProgress));
        }
    }
}
