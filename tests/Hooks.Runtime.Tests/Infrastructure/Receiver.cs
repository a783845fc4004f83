using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Tests.Infrastructure;

/// <summary>A request a receiver got.</summary>
public sealed record ReceivedRequest(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Header(string name) => Headers.TryGetValue(name, out var v) ? v : "";
}

/// <summary>A real Kestrel endpoint on 127.0.0.1 that records every request and answers with a settable handler.</summary>
public sealed class Receiver : IAsyncDisposable
{
    private readonly Channel<ReceivedRequest> _requests = Channel.CreateUnbounded<ReceivedRequest>();
    private LoopbackApp _app = null!;

    /// <summary>Answers each request; the default answers 200.</summary>
    public Func<HttpContext, ReceivedRequest, Task> Respond { get; set; } = static (ctx, _) => { ctx.Response.StatusCode = 200; return Task.CompletedTask; };

    public Uri Url { get; private set; } = null!;

    public int Port => Url.Port;

    public static async Task<Receiver> StartAsync()
    {
        var receiver = new Receiver();
        receiver._app = await LoopbackApp.StartAsync(_ => { }, app => app.Run(async ctx =>
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms);
            var headers = ctx.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var request = new ReceivedRequest(ctx.Request.Path, headers, ms.ToArray());
            receiver._requests.Writer.TryWrite(request);
            await receiver.Respond(ctx, request);
        }));
        receiver.Url = new Uri(receiver._app.Address, "/hook");
        return receiver;
    }

    /// <summary>The next request, waiting up to 30 s.</summary>
    public async Task<ReceivedRequest> NextAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await _requests.Reader.ReadAsync(cts.Token);
    }

    public bool TryTake(out ReceivedRequest? request) => _requests.Reader.TryRead(out request);

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
