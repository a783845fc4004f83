using System.Diagnostics;
using System.Threading.Channels;
using Xunit.Abstractions;

namespace Hooks.Generator.Tests.Packaging;

/// <summary>A built app run as a child process: its output lines can be waited for, and it is killed on dispose.</summary>
internal sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly ITestOutputHelper _output;
    private readonly TimeSpan _timeout;

    private AppProcess(ProcessStartInfo start, ITestOutputHelper output, TimeSpan timeout)
    {
        _output = output;
        _timeout = timeout;
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _lines.Writer.TryWrite(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _lines.Writer.TryWrite("stderr: " + e.Data); } };
    }

    public static AppProcess Start(ProcessStartInfo start, ITestOutputHelper output, TimeSpan timeout)
    {
        var app = new AppProcess(start, output, timeout);
        app._process.Start();
        app._process.BeginOutputReadLine();
        app._process.BeginErrorReadLine();
        return app;
    }

    /// <summary>The first line (from now on) that <paramref name="matches"/> says is the one; fails after the timeout.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> matches)
    {
        using var cancellation = new CancellationTokenSource(_timeout);
        while (true)
        {
            var line = await _lines.Reader.ReadAsync(cancellation.Token);
            _output.WriteLine(line);
            if (matches(line))
            {
                return line;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
