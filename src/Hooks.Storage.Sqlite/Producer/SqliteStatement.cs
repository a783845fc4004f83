using Microsoft.Data.Sqlite;

namespace Hooks.Storage.Sqlite.Producer;

/// <summary>
/// One SQL statement kept for reuse on its connection: Microsoft.Data.Sqlite keeps a command's compiled statements
/// while its text does not change, so a kept command is parsed once. Parameters are bound by name and kept.
/// </summary>
internal sealed class SqliteStatement : IDisposable
{
    private readonly SqliteCommand _command;

    public SqliteStatement(SqliteConnection connection, string sql)
    {
        _command = connection.CreateCommand();
        _command.CommandText = sql;
    }

    /// <summary>Sets a parameter (adding it the first time).</summary>
    public SqliteStatement Bind(string name, object? value)
    {
        var parameters = _command.Parameters;
        var index = parameters.IndexOf(name);
        if (index < 0)
        {
            parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        else
        {
            parameters[index].Value = value ?? DBNull.Value;
        }
        return this;
    }

    /// <summary>The command, enlisted in <paramref name="transaction"/>.</summary>
    public SqliteCommand In(SqliteTransaction transaction)
    {
        _command.Transaction = transaction;
        return _command;
    }

    public void Dispose() => _command.Dispose();
}
