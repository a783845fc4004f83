namespace Hooks.Cli;

/// <summary>What the tool's exit code means; the README lists these for scripts.</summary>
internal static class ExitCodes
{
    /// <summary>Done: sent and accepted, signed, verified, or the API answered with success.</summary>
    public const int Ok = 0;

    /// <summary>Refused: a signature did not verify, or the receiver answered <c>hooks send</c> with a non-2xx status.</summary>
    public const int Refused = 1;

    /// <summary>Usage: unknown command or option, a missing or malformed value (a secret, JSON data, a time).</summary>
    public const int Usage = 2;

    /// <summary>The management API answered with an error status (its Problem Details are printed).</summary>
    public const int ApiError = 3;

    /// <summary>No answer: the connection failed or timed out.</summary>
    public const int Network = 4;

    /// <summary>Stopped by Ctrl+C (SIGINT), as shells report it: <c>hooks listen</c> ends this way.</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM (a service manager, <c>kill</c>): <c>hooks listen</c> closes cleanly and exits with this.</summary>
    public const int Terminated = 143;
}

/// <summary>Stops a command with an exit code and a message for stderr (never a secret).</summary>
internal sealed class CliFailure(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
