namespace Hooks.Cli;

/// <summary>Where a command reads and writes: the process's console, or a test's buffers.</summary>
internal sealed class CliConsole(TextWriter output, TextWriter error, Func<Stream> openInput, Func<string, string?> variables, bool inputIsTerminal = false)
{
    /// <summary>The real console and environment.</summary>
    public static CliConsole System { get; } = new(Console.Out, Console.Error, Console.OpenStandardInput, global::System.Environment.GetEnvironmentVariable,
        !Console.IsInputRedirected);

    /// <summary>Whether stdin is a terminal (nothing piped in): reading a body from it would wait for typing.</summary>
    public bool InputIsTerminal { get; } = inputIsTerminal;

    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    /// <summary>Opens standard input (bodies piped into <c>sign</c>, <c>verify</c> and <c>send</c>).</summary>
    public Stream OpenInput() => openInput();

    /// <summary>Reads an environment variable; empty counts as unset.</summary>
    public string? Variable(string name) => variables(name) is { Length: > 0 } value ? value : null;
}
