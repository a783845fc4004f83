using Hooks.CatchUp;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Storage.Tests.Cursors;

/// <summary>The store <c>AddReceiver</c> registers when no durable store is used.</summary>
public sealed class InMemoryCursorStoreConformanceTests : CursorStoreConformance
{
    private ServiceProvider? _services;
    private IWebHookCursorStore? _store;

    protected override Task<IWebHookCursorStore> CreateStoreAsync()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddWebHooks().AddReceiver(o => o.Secrets.Add(Hooks.Security.WebHookSecret.Generate().Reveal()));
        _services = services.BuildServiceProvider();
        return Task.FromResult(_store = _services.GetRequiredService<IWebHookCursorStore>());
    }

    // An in-process store has one "database": the instance itself.
    protected override Task<IWebHookCursorStore> OpenSecondStoreAsync() => Task.FromResult(_store!);

    public override async Task DisposeAsync()
    {
        if (_services is not null) await _services.DisposeAsync();
    }
}
