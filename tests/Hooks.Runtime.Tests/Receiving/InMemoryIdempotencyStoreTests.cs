using Hooks.Receiving;
using Microsoft.Extensions.Time.Testing;

namespace Hooks.Tests.Receiving;

public sealed class InMemoryIdempotencyStoreTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Claim_then_handled_then_duplicate()
    {
        var store = new InMemoryWebHookIdempotencyStore(_clock);
        var now = _clock.GetUtcNow();

        Assert.Equal(WebHookIdempotencyClaim.Claimed, await store.TryClaimAsync("r:a", now.AddMinutes(5), default));
        Assert.Equal(WebHookIdempotencyClaim.InProgress, await store.TryClaimAsync("r:a", now.AddMinutes(5), default));
        await store.MarkHandledAsync("r:a", now.AddDays(7), default);
        Assert.Equal(WebHookIdempotencyClaim.AlreadyHandled, await store.TryClaimAsync("r:a", now.AddMinutes(5), default));
        Assert.Equal(WebHookIdempotencyClaim.Claimed, await store.TryClaimAsync("r:b", now.AddMinutes(5), default));
    }

    [Fact]
    public async Task Released_claim_can_be_claimed_again()
    {
        var store = new InMemoryWebHookIdempotencyStore(_clock);
        var lease = _clock.GetUtcNow().AddMinutes(5);

        await store.TryClaimAsync("k", lease, default);
        await store.ReleaseAsync("k", default);

        Assert.Equal(WebHookIdempotencyClaim.Claimed, await store.TryClaimAsync("k", lease, default));
    }

    [Fact]
    public async Task Expired_lease_and_expired_memory_free_the_id()
    {
        var store = new InMemoryWebHookIdempotencyStore(_clock);
        var now = _clock.GetUtcNow();
        await store.TryClaimAsync("k", now.AddMinutes(5), default);

        _clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(WebHookIdempotencyClaim.Claimed, await store.TryClaimAsync("k", _clock.GetUtcNow().AddMinutes(5), default));
        await store.MarkHandledAsync("k", _clock.GetUtcNow().AddDays(7), default);

        _clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1));
        Assert.Equal(WebHookIdempotencyClaim.Claimed, await store.TryClaimAsync("k", _clock.GetUtcNow().AddMinutes(5), default));
    }

    [Fact]
    public async Task Memory_is_bounded_by_capacity_forgetting_the_oldest()
    {
        var store = new InMemoryWebHookIdempotencyStore(_clock, capacity: 100);
        var until = _clock.GetUtcNow().AddDays(7);
        for (var i = 0; i < 1000; i++)
        {
            await store.TryClaimAsync($"k{i}", until, default);
            await store.MarkHandledAsync($"k{i}", until, default);
        }

        Assert.Equal(100, store.Count);
        Assert.Equal(WebHookIdempotencyClaim.AlreadyHandled, await store.TryClaimAsync("k999", until, default));
        Assert.Equal(WebHookIdempotencyClaim.Claimed, await store.TryClaimAsync("k0", until, default));
    }

    [Fact]
    public async Task Expired_entries_are_swept_as_new_ones_arrive()
    {
        var store = new InMemoryWebHookIdempotencyStore(_clock);
        for (var i = 0; i < 50; i++)
        {
            await store.MarkHandledAsync($"old{i}", _clock.GetUtcNow().AddMinutes(1), default);
        }
        _clock.Advance(TimeSpan.FromMinutes(2));

        await store.TryClaimAsync("new", _clock.GetUtcNow().AddMinutes(5), default);

        Assert.Equal(1, store.Count);
    }
}
