using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;

namespace Hooks.Cli.Tests.Infrastructure;

/// <summary>
/// The tool running as a process (<c>hooks listen</c>): its stdout read line by line as it comes, Ctrl+C sent as a
/// real SIGINT, killed on dispose if it is still running.
/// </summary>
public sealed partial class RunningTool : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _seen = new();
    private readonly StringBuilder _error = new();

    private RunningTool(Process process) => _process = process;

    internal static RunningTool Start(ProcessStartInfo start)
    {
        var tool = new RunningTool(new Process { StartInfo = start, EnableRaisingEvents = true });
        tool._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                tool._lines.Writer.TryComplete();
                return;
            }
            tool._lines.Writer.TryWrite(e.Data);
        };
        tool._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (tool._error)
                {
                    tool._error.AppendLine(e.Data);
                }
            }
        };
        tool._process.Start();
        tool._process.StandardInput.Close();
        tool._process.BeginOutputReadLine();
        tool._process.BeginErrorReadLine();
        return tool;
    }

    /// <summary>Everything read from stdout so far, and stderr: for failure messages.</summary>
    public string Transcript
    {
        get
        {
            lock (_error)
            {
                return $"--- stdout\n{_seen}--- stderr\n{_error}";
            }
        }
    }

    /// <summary>Reads stdout up to and including the next line that matches, waiting up to 30 s.</summary>
    public async Task<string> NextLineAsync(Func<string, bool> match, string what)
    {
        using var deadline = new CancellationTokenSource(Wait);
        try
        {
            while (await _lines.Reader.WaitToReadAsync(deadline.Token))
            {
                while (_lines.Reader.TryRead(out var line))
                {
                    _seen.AppendLine(line);
                    if (match(line))
                    {
                        return line;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No line with {what} within {Wait.TotalSeconds} s.\n{Transcript}");
        }
        throw new InvalidOperationException($"hooks exited before printing a line with {what}.\n{Transcript}");
    }

    /// <summary>Sends SIGINT, as Ctrl+C in a terminal does.</summary>
    public void Interrupt()
    {
        if (kill(_process.Id, 2) != 0)
        {
            throw new InvalidOperationException($"kill(SIGINT) failed: {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>The exit code, once it has exited (within 30 s).</summary>
    public async Task<int> ExitCodeAsync()
    {
        using var deadline = new CancellationTokenSource(Wait);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"hooks did not exit within {Wait.TotalSeconds} s.\n{Transcript}");
        }
        return _process.ExitCode;
    }

    /// <summary>What stdout printed after the lines already read, once it has exited.</summary>
    public async Task<string> RestAsync()
    {
        var rest = new StringBuilder();
        await foreach (var line in _lines.Reader.ReadAllAsync())
        {
            _seen.AppendLine(line);
            rest.AppendLine(line);
        }
        return rest.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
