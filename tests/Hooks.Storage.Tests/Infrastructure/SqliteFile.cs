using Microsoft.Data.Sqlite;

namespace Hooks.Storage.Tests.Infrastructure;

/// <summary>A SQLite database file in a temporary folder of its own, deleted on dispose.</summary>
public sealed class SqliteFile : IDisposable
{
    private readonly string _folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hooks-sqlite-" + Guid.NewGuid().ToString("N"));

    public SqliteFile()
    {
        Directory.CreateDirectory(_folder);
        Path = System.IO.Path.Combine(_folder, "hooks.db");
    }

    public string Path { get; }

    public string ConnectionString => $"Data Source={Path}";

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A handle still open somewhere: the temp folder is cleaned by the OS.
        }
    }
}
