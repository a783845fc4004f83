using System.Net;
using System.Net.Sockets;
using System.Text;
using Hooks.Hosting;
using Hooks.Infrastructure;
using Microsoft.AspNetCore.Http.Features;
using Hooks.Publishing;
using Hooks.ReverseHttp;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hooks.Tests.ReverseHttp;

/// <summary>
/// A producer on real Kestrel with the upgrade endpoint at /webhooks/ptth, the real clock (the consumer verifies its
/// signatures) and a retry schedule of 100 ms steps, so a delivery made while no consumer is connected is retried
/// soon after it dials in.
/// </summary>
public sealed class PtthProducer : IAsyncDisposable
{
    private PtthProducer(WebApplication app, Uri address, RecordingStore store, CapturingLoggerProvider logs)
    {
        App = app;
        Address = address;
        Store = store;
        Logs = logs;
        Client.BaseAddress = address;
    }

    public WebApplication App { get; }

    public Uri Address { get; }

    public Uri UpgradeUrl => new(Address, "/webhooks/ptth");

    public RecordingStore Store { get; }

    public CapturingLoggerProvider Logs { get; }

    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    public IWebHookPublisher Publisher => App.Services.GetRequiredService<IWebHookPublisher>();

    internal ReversedConnections Connections => App.Services.GetRequiredService<ReversedConnections>();

    public static async Task<PtthProducer> StartAsync(RecordingStore? store = null, int port = 0,
        Action<WebHookReverseHttpOptions>? reverse = null, Action<WebHookProducerOptions>? producer = null,
        System.Security.Cryptography.X509Certificates.X509Certificate2? https = null)
    {
        store ??= new RecordingStore();
        var builder = WebApplication.CreateSlimBuilder();
        if (https is null)
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        }
        else
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.UseHttps(https)));
        }
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSingleton<IWebHookStore>(store);
        builder.Services.AddWebHooks().AddEvent<OrderCreated>().AddEvent<OrderCancelled>()
            .AddProducer(o =>
            {
                o.AllowHttp = true;
                o.RequireIntentVerification = false;
                o.RetrySchedule.Clear();
                o.RetrySchedule.Add(TimeSpan.Zero);
                for (var i = 0; i < 200; i++)
                {
                    o.RetrySchedule.Add(TimeSpan.FromMilliseconds(100));
                }
                o.RetryJitter = 0;
                o.PollInterval = TimeSpan.FromMilliseconds(100);
                producer?.Invoke(o);
            })
            .AddReverseHttp(o => reverse?.Invoke(o));
        var app = builder.Build();
        app.MapReverseHttp();
        app.MapWebHookSubscriptions("/api");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new PtthProducer(app, new Uri(address), store, logs);
    }

    /// <summary>Stores an enabled subscription delivered over reversed connections to the consumer's /webhooks.</summary>
    public async Task<WebHookSubscription> SubscribeAsync(WebHookSecret secret, string url = "ptth://laptop/webhooks")
    {
        var now = DateTimeOffset.UtcNow;
        var subscription = new WebHookSubscription
        {
            Id = WebHookIds.NewSubscriptionId(now),
            Url = new Uri(url),
            Secrets = [new WebHookSubscriptionSecret(secret, now, null)],
            Status = WebHookSubscriptionStatus.Enabled,
            CreatedAt = now,
            UpdatedAt = now,
        };
        Assert.True(await Store.CreateSubscriptionAsync(subscription));
        return (await Store.GetSubscriptionAsync(subscription.Id))!; // as stored: with the version an update names
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>A consumer app with no listening socket: its only endpoint is reversed connections to a producer.</summary>
public sealed class PtthConsumer : IAsyncDisposable
{
    private PtthConsumer(WebApplication app, HandlerLog log, CapturingLoggerProvider logs)
    {
        App = app;
        Log = log;
        Logs = logs;
    }

    public WebApplication App { get; }

    public HandlerLog Log { get; }

    public CapturingLoggerProvider Logs { get; }

    public IReadOnlyCollection<string> Addresses =>
        [.. App.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses];

    public static async Task<PtthConsumer> StartAsync(Uri producer, string subscriptionId, WebHookSecret secret,
        Action<WebHookReverseHttpClientOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.WebHost.UseReverseHttp(o =>
        {
            o.ProducerUrl = producer;
            o.SubscriptionId = subscriptionId;
            o.Secret = secret.Reveal();
            o.ReconnectDelay = TimeSpan.FromMilliseconds(100);
            o.MaxReconnectDelay = TimeSpan.FromMilliseconds(500);
            configure?.Invoke(o);
        });
        var log = new HandlerLog();
        builder.Services.AddSingleton(log);
        builder.Services.AddScoped<IWebHookHandler<OrderCreated>, OrderCreatedHandler>();
        builder.Services.AddWebHooks().AddReceiver(o => o.Secrets.Add(secret.Reveal()));
        var app = builder.Build();
        app.MapWebHookReceiver("/webhooks", TestDispatcher.Instance);
        await app.StartAsync();
        return new PtthConsumer(app, log, logs);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>HTTP/1.1 written and read by hand on a socket: what another implementation of the protocol would see.</summary>
public sealed class RawHttpConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly List<byte> _buffer = [];

    private RawHttpConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<RawHttpConnection> ConnectAsync(Uri address)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, address.Port);
        return new RawHttpConnection(socket);
    }

    public static RawHttpConnection Over(Socket socket) => new(socket);

    /// <summary>A signed upgrade request's head for <paramref name="subscriptionId"/>.</summary>
    public static string UpgradeHead(string subscriptionId, WebHookSecret secret, string protocol = "PTTH/1.0", string? nonce = null,
        DateTimeOffset? at = null, string path = "/webhooks/ptth", string extra = "", int contentLength = 0)
    {
        nonce ??= WebHookRequestSigner.NewNonce();
        var timestamp = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        var signature = WebHookRequestSigner.Sign(secret, nonce, timestamp, "POST", path, []);
        return $"POST {path} HTTP/1.1\r\nHost: producer\r\nUpgrade: {protocol}\r\nConnection: Upgrade\r\nContent-Length: {contentLength}\r\n" +
            $"webhook-subscription: {subscriptionId}\r\nwebhook-id: {nonce}\r\nwebhook-timestamp: {timestamp}\r\nwebhook-signature: {signature}\r\n{extra}\r\n";
    }

    public Task WriteAsync(string text) => WriteAsync(Encoding.ASCII.GetBytes(text));

    public async Task WriteAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Reads one message's head (start line and headers) and its Content-Length body.</summary>
    public async Task<RawMessage> ReadMessageAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int end;
        while ((end = IndexOfHeadEnd()) < 0)
        {
            if (await FillAsync(deadline.Token) == 0)
            {
                throw new IOException("The connection closed before a message head arrived.");
            }
        }
        var head = Encoding.ASCII.GetString([.. _buffer.GetRange(0, end)]);
        _buffer.RemoveRange(0, end + 4);
        var lines = head.Split("\r\n");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }
        var length = headers.TryGetValue("Content-Length", out var l) ? int.Parse(l, System.Globalization.CultureInfo.InvariantCulture) : 0;
        while (_buffer.Count < length)
        {
            if (await FillAsync(deadline.Token) == 0)
            {
                throw new IOException("The connection closed inside a body.");
            }
        }
        var body = _buffer.GetRange(0, length).ToArray();
        _buffer.RemoveRange(0, length);
        return new RawMessage(lines[0], headers, body);
    }

    /// <summary>Reads until the peer closes; returns once it has (or throws after 30 s).</summary>
    public async Task ReadToEndAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (await FillAsync(deadline.Token) > 0)
            {
            }
        }
        catch (IOException)
        {
            // reset: closed as well
        }
    }

    private async Task<int> FillAsync(CancellationToken cancellationToken)
    {
        var chunk = new byte[4096];
        var read = await _stream.ReadAsync(chunk, cancellationToken);
        _buffer.AddRange(chunk.AsSpan(0, read));
        return read;
    }

    private int IndexOfHeadEnd()
    {
        for (var i = 0; i + 3 < _buffer.Count; i++)
        {
            if (_buffer[i] == '\r' && _buffer[i + 1] == '\n' && _buffer[i + 2] == '\r' && _buffer[i + 3] == '\n')
            {
                return i;
            }
        }
        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}

public sealed record RawMessage(string StartLine, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public int Status => int.Parse(StartLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
}
