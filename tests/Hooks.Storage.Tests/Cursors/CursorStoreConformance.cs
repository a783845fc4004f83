using Hooks.CatchUp;

namespace Hooks.Storage.Tests.Cursors;

/// <summary>What every <see cref="IWebHookCursorStore"/> does, run against each implementation.</summary>
public abstract class CursorStoreConformance : IAsyncLifetime
{
    /// <summary>A store on a fresh database.</summary>
    protected abstract Task<IWebHookCursorStore> CreateStoreAsync();

    /// <summary>Another store instance on the database of the last <see cref="CreateStoreAsync"/> (as a second process, or a restart, would open it).</summary>
    protected abstract Task<IWebHookCursorStore> OpenSecondStoreAsync();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    [SkippableFact]
    public async Task A_cursor_never_advanced_is_null()
    {
        var store = await CreateStoreAsync();

        Assert.Null(await store.GetAsync("default", "sub_a", default));
    }

    [SkippableFact]
    public async Task An_advanced_cursor_is_read_back()
    {
        var store = await CreateStoreAsync();

        Assert.Equal(41, await store.AdvanceAsync("default", "sub_a", 41, default));

        Assert.Equal(41, await store.GetAsync("default", "sub_a", default));
    }

    [SkippableFact]
    public async Task A_cursor_only_moves_forward()
    {
        var store = await CreateStoreAsync();
        await store.AdvanceAsync("default", "sub_a", 41, default);

        Assert.Equal(41, await store.AdvanceAsync("default", "sub_a", 39, default));
        Assert.Equal(41, await store.AdvanceAsync("default", "sub_a", 41, default));
        Assert.Equal(41, await store.GetAsync("default", "sub_a", default));
        Assert.Equal(42, await store.AdvanceAsync("default", "sub_a", 42, default));
        Assert.Equal(42, await store.GetAsync("default", "sub_a", default));
    }

    [SkippableFact]
    public async Task Cursors_are_kept_per_receiver_and_subscription_compared_exactly()
    {
        var store = await CreateStoreAsync();
        await store.AdvanceAsync("default", "sub_a", 10, default);
        await store.AdvanceAsync("default", "sub_b", 20, default);
        await store.AdvanceAsync("github", "sub_a", 30, default);

        Assert.Equal(10, await store.GetAsync("default", "sub_a", default));
        Assert.Equal(20, await store.GetAsync("default", "sub_b", default));
        Assert.Equal(30, await store.GetAsync("github", "sub_a", default));
        Assert.Null(await store.GetAsync("default", "SUB_A", default));
        Assert.Null(await store.GetAsync("Default", "sub_a", default));
    }

    [SkippableFact]
    public async Task Zero_and_the_largest_sequence_are_kept()
    {
        var store = await CreateStoreAsync();

        Assert.Equal(0, await store.AdvanceAsync("default", "sub_zero", 0, default));
        Assert.Equal(long.MaxValue, await store.AdvanceAsync("default", "sub_max", long.MaxValue, default));

        Assert.Equal(0, await store.GetAsync("default", "sub_zero", default));
        Assert.Equal(long.MaxValue, await store.GetAsync("default", "sub_max", default));
    }

    [SkippableFact]
    public async Task A_cursor_advanced_through_one_instance_is_seen_by_another()
    {
        var first = await CreateStoreAsync();
        await first.AdvanceAsync("default", "sub_a", 7, default);
        var second = await OpenSecondStoreAsync();

        Assert.Equal(7, await second.GetAsync("default", "sub_a", default));
        Assert.Equal(7, await second.AdvanceAsync("default", "sub_a", 3, default));
    }

    [SkippableFact]
    public async Task Concurrent_advances_on_two_instances_leave_the_greatest()
    {
        var first = await CreateStoreAsync();
        var second = await OpenSecondStoreAsync();
        await first.AdvanceAsync("default", "sub_race", 0, default);

        // Two writers advance one cursor at once through 1..200, each in its own order: it must end at 200 and
        // never be read lower than a value either writer has seen stored.
        var ascending = Enumerable.Range(1, 200).Select(i => (long)i).ToArray();
        var shuffled = ascending.OrderBy(i => (i * 7919) % 200).ToArray();
        var results = await Task.WhenAll(
            Task.Run(() => AdvanceAllAsync(first, ascending)),
            Task.Run(() => AdvanceAllAsync(second, shuffled)));

        Assert.Equal(200, await first.GetAsync("default", "sub_race", default));
        Assert.Equal(200, await second.GetAsync("default", "sub_race", default));
        foreach (var stored in results)
        {
            // What each writer was told is stored never goes down.
            Assert.Equal(stored.Order(), stored);
        }
    }

    private static async Task<List<long>> AdvanceAllAsync(IWebHookCursorStore store, long[] sequences)
    {
        var stored = new List<long>();
        foreach (var sequence in sequences)
        {
            stored.Add(await store.AdvanceAsync("default", "sub_race", sequence, default));
        }
        return stored;
    }

    [SkippableFact]
    public async Task Bad_arguments_are_refused()
    {
        var store = await CreateStoreAsync();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.AdvanceAsync("default", "sub_a", -1, default).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => store.AdvanceAsync("", "sub_a", 1, default).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => store.GetAsync("default", "", default).AsTask());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.GetAsync("default", new string('s', 257), default).AsTask());
        Assert.Null(await store.GetAsync("default", "sub_a", default));
    }
}
