using Microsoft.Extensions.Logging;

namespace Hooks.Cli.Listen;

/// <summary>
/// Turns the Reverse HTTP transport's and Kestrel's connection logs into <c>hooks listen</c>'s connection lines
/// (connected, disconnected, retrying), so the runtime's transport is used as it is. Errors from anywhere go to
/// stderr as one line; everything else is dropped.
/// </summary>
internal sealed class ConnectionEvents(ListenOutput output, CliConsole console, TimeProvider time) : ILoggerProvider
{
    public const string TransportCategory = "Hooks.ReverseHttp";
    public const string KestrelConnectionsCategory = "Microsoft.AspNetCore.Server.Kestrel.Connections";

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Log<TState>(string category, LogLevel level, EventId id, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state as IReadOnlyList<KeyValuePair<string, object?>>;
        if (category == TransportCategory)
        {
            switch (id.Id)
            {
                case 310: // dialled: a reversed connection is open
                    output.Connected(time.GetUtcNow(), Value<Uri>(values, "Producer")!);
                    return;
                case 311: // refused (401, 403, 429, …)
                    output.Retrying(time.GetUtcNow(), Value<Uri>(values, "Producer"), Value<int>(values, "StatusCode"), null, Value<TimeSpan>(values, "Delay"));
                    return;
                case 312: // unreachable
                    output.Retrying(time.GetUtcNow(), Value<Uri>(values, "Producer"), null, Value<string>(values, "Error"), Value<TimeSpan>(values, "Delay"));
                    return;
                default:
                    break;
            }
        }
        else if (category == KestrelConnectionsCategory && id.Name == "ConnectionStop")
        {
            output.Disconnected(time.GetUtcNow());
            return;
        }
        if (level >= LogLevel.Error)
        {
            lock (console.Error)
            {
                console.Error.WriteLine($"error: {formatter(state, null)}{(exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})")}");
            }
        }
    }

    private static T? Value<T>(IReadOnlyList<KeyValuePair<string, object?>>? values, string name)
    {
        foreach (var (key, value) in values ?? [])
        {
            if (key == name && value is T typed)
            {
                return typed;
            }
        }
        return default;
    }

    private sealed class Logger(ConnectionEvents owner, string category) : ILogger
    {
        private readonly bool _connections = category is TransportCategory or KestrelConnectionsCategory;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => _connections ? logLevel != LogLevel.None : logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.Log(category, logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
