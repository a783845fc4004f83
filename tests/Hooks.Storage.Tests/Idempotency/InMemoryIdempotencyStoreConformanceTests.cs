using Hooks.Receiving;

namespace Hooks.Storage.Tests.Idempotency;

public sealed class InMemoryIdempotencyStoreConformanceTests : IdempotencyStoreConformance
{
    private InMemoryWebHookIdempotencyStore? _store;

    protected override Task<IWebHookIdempotencyStore> CreateStoreAsync() =>
        Task.FromResult<IWebHookIdempotencyStore>(_store = new InMemoryWebHookIdempotencyStore(Clock));

    // An in-process store has one "database": the instance itself.
    protected override Task<IWebHookIdempotencyStore> OpenSecondStoreAsync() => Task.FromResult<IWebHookIdempotencyStore>(_store!);
}
