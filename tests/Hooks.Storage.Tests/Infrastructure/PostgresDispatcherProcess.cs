using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Xunit.Abstractions;

namespace Hooks.Storage.Tests.Infrastructure;

/// <summary>
/// A dispatcher in a process of its own (tests/Hooks.Storage.DispatcherHost, started with <c>dotnet &lt;dll&gt;</c>) on a
/// PostgreSQL store: several of them share one database as several producer hosts would. Tracks the largest GC heap
/// it reports; killed on dispose.
/// </summary>
public sealed class PostgresDispatcherProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ITestOutputHelper _output;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _maxGcHeap;

    private PostgresDispatcherProcess(Process process, string name, ITestOutputHelper output)
    {
        _process = process;
        Name = name;
        _output = output;
    }

    /// <summary>The name it sends in its User-Agent (<c>Hooks/&lt;name&gt;</c>).</summary>
    public string Name { get; }

    /// <summary>The largest GC heap the process reported (once a second).</summary>
    public long MaxGcHeapBytes => Interlocked.Read(ref _maxGcHeap);

    public static PostgresDispatcherProcess Start(string connectionString, string keyRing, string name, int maxConcurrency,
        int perSubscription, ITestOutputHelper output)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(HostPath());
        start.ArgumentList.Add(connectionString);
        start.ArgumentList.Add(keyRing);
        start.ArgumentList.Add(name);
        start.ArgumentList.Add(maxConcurrency.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(perSubscription.ToString(CultureInfo.InvariantCulture));
        var dispatcher = new PostgresDispatcherProcess(new Process { StartInfo = start }, name, output);
        dispatcher._process.OutputDataReceived += (_, e) => dispatcher.OnLine(e.Data);
        dispatcher._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                dispatcher.Write("stderr: " + e.Data);
            }
        };
        dispatcher._process.Exited += (_, _) => dispatcher._started.TrySetException(new InvalidOperationException($"Dispatcher {name} exited."));
        dispatcher._process.EnableRaisingEvents = true;
        dispatcher._process.Start();
        dispatcher._process.BeginOutputReadLine();
        dispatcher._process.BeginErrorReadLine();
        return dispatcher;
    }

    /// <summary>Completes once its host has started (schema migrated, dispatcher running).</summary>
    public Task Started => _started.Task;

    /// <summary>The process's peak resident set (VmHWM), in bytes.</summary>
    public long PeakWorkingSetBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                var kb = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kb * 1024;
            }
        }
        _process.Refresh();
        return _process.PeakWorkingSet64;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        if (line == "started")
        {
            _started.TrySetResult();
        }
        else if (line.StartsWith("gc-heap ", StringComparison.Ordinal))
        {
            var heap = long.Parse(line["gc-heap ".Length..], CultureInfo.InvariantCulture);
            long seen;
            while (heap > (seen = Interlocked.Read(ref _maxGcHeap)) && Interlocked.CompareExchange(ref _maxGcHeap, heap, seen) != seen)
            {
            }
            return; // once a second: not worth the test output
        }
        Write(line);
    }

    private void Write(string line)
    {
        try
        {
            _output.WriteLine($"[{Name}] {line}");
        }
        catch (InvalidOperationException)
        {
            // The test has finished; the process is being killed.
        }
    }

    // tests/Hooks.Storage.Tests/bin/<configuration>/<tfm>/ → tests/Hooks.Storage.DispatcherHost/bin/<configuration>/<tfm>/
    private static string HostPath([CallerFilePath] string here = "")
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = output.Parent!.Name;
        var tests = Path.GetDirectoryName(Path.GetDirectoryName(here))!;
        var path = Path.Combine(Path.GetDirectoryName(tests)!, "Hooks.Storage.DispatcherHost", "bin", configuration, output.Name,
            "Hooks.Storage.DispatcherHost.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build tests/Hooks.Storage.DispatcherHost first.", path);
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
