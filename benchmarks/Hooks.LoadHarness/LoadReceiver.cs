using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hooks.LoadHarness;

/// <summary>A Kestrel receiver on 127.0.0.1 that drains the body, answers 204 and counts.</summary>
public sealed class LoadReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private long _count;
    private long _inFlight;
    private long _inFlightSum;

    /// <summary>Average requests in progress (including this one) seen by arriving requests since the last <see cref="Expect"/>.</summary>
    public double AverageInFlight => Interlocked.Read(ref _count) == 0 ? 0 : (double)Interlocked.Read(ref _inFlightSum) / Interlocked.Read(ref _count);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _connections = new();

    /// <summary>Distinct connections seen since the last <see cref="Expect"/>.</summary>
    public int Connections => _connections.Count;
    private long _target = long.MaxValue;
    private long _lastArrival;
    private long _longestGap;

    /// <summary>The longest pause between two arrivals since the last <see cref="Expect"/> (a stalled sender shows here).</summary>
    public TimeSpan LongestGap => System.Diagnostics.Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _longestGap));
    private TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private LoadReceiver(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>
    /// The harness's web hosts: their content root is the harness's own folder, not the working directory. A host
    /// watches its content root, subfolders included, for configuration changes; run from /tmp, that watch saw every
    /// write of the benchmark's SQLite files and PostgreSQL's data folder (their temporary folders are there): its
    /// thread took 7 % of the CPU and SQLite delivered up to a quarter fewer events per second.
    /// </summary>
    public static WebApplicationOptions HostOptions => new() { ContentRootPath = AppContext.BaseDirectory };

    /// <summary>Starts a receiver that answers after <paramref name="delay"/> (a receiver's own processing time).</summary>
    public static async Task<LoadReceiver> StartAsync(TimeSpan delay = default)
    {
        var builder = WebApplication.CreateSlimBuilder(LoadReceiver.HostOptions);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        var receiver = new LoadReceiver(app);
        var buffer = new byte[16 * 1024];
        app.Run(async ctx =>
        {
            var arrival = System.Diagnostics.Stopwatch.GetTimestamp();
            var previous = Interlocked.Exchange(ref receiver._lastArrival, arrival);
            if (previous != 0 && arrival - previous > Interlocked.Read(ref receiver._longestGap))
            {
                Interlocked.Exchange(ref receiver._longestGap, arrival - previous);
            }
            var inFlight = Interlocked.Increment(ref receiver._inFlight);
            Interlocked.Add(ref receiver._inFlightSum, inFlight);
            var body = ctx.Request.Body;
            var scratch = new byte[4096];
            while (await body.ReadAsync(scratch) > 0)
            {
            }
            if (string.IsNullOrEmpty(ctx.Request.Headers["webhook-signature"]))
            {
                ctx.Response.StatusCode = 400;
                return;
            }
            Interlocked.Decrement(ref receiver._inFlight);
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay);
            }
            ctx.Response.StatusCode = 204;
            receiver._connections.TryAdd(ctx.Connection.Id, 0);
            if (Interlocked.Increment(ref receiver._count) == Interlocked.Read(ref receiver._target))
            {
                receiver._reached.TrySetResult();
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = new Uri(address + "/hook");
        return receiver;
    }

    /// <summary>Resets the counter and returns a task completing when <paramref name="target"/> requests arrived.</summary>
    public Task Expect(long target)
    {
        _reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _count, 0);
        Interlocked.Exchange(ref _inFlightSum, 0);
        Interlocked.Exchange(ref _lastArrival, 0);
        Interlocked.Exchange(ref _longestGap, 0);
        _connections.Clear();
        Interlocked.Exchange(ref _target, target);
        return _reached.Task;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
