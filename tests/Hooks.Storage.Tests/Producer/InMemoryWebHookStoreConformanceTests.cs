namespace Hooks.Storage.Tests.Producer;

public sealed class InMemoryWebHookStoreConformanceTests : WebHookStoreConformance
{
    private InMemoryWebHookStore? _store;

    protected override Task<IWebHookStore> CreateStoreAsync() => Task.FromResult<IWebHookStore>(_store = new InMemoryWebHookStore());

    // An in-process store has one "database": the instance itself.
    protected override Task<IWebHookStore> OpenSecondStoreAsync() => Task.FromResult<IWebHookStore>(_store!);

    [Fact]
    public async Task Publishing_in_a_database_transaction_is_refused_with_what_to_use_instead()
    {
        var store = await CreateStoreAsync();
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var draft = Draft() with { Transaction = transaction };

        var error = await Assert.ThrowsAsync<NotSupportedException>(async () => await store.AppendMessageAsync(draft));

        Assert.Contains("UseSqlite", error.Message, StringComparison.Ordinal);
        Assert.Null(await store.GetMessageAsync(draft.Message.Id));
    }
}
