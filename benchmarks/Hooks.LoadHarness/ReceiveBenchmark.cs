using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Serialization;
using Hooks.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hooks.LoadHarness;

/// <summary>The event the receive benchmark sends: its code comes from the Hooks generator.</summary>
[WebHookEvent("bench.order_created", Description = "Load harness event.")]
public sealed partial record BenchOrder(string OrderId, decimal Total, string Customer, IReadOnlyList<string> Items);

/// <summary>What the bare endpoint deserializes: the same envelope, as a plain record.</summary>
public sealed record BareEnvelope(string Type, DateTimeOffset Timestamp, BenchOrder Data);

[JsonSerializable(typeof(BenchOrder))]
[JsonSerializable(typeof(BareEnvelope))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class ReceiveJson : JsonSerializerContext;

/// <summary>A trivial handler: counts.</summary>
public sealed class BenchOrderHandler : IWebHookHandler<BenchOrder>
{
    private static long _handled;

    public static long Handled => Interlocked.Read(ref _handled);

    public Task HandleAsync(BenchOrder message, WebHookContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _handled);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Requests per second through the generated receiver endpoint (verify + dedupe + deserialize + trivial handler)
/// next to a bare minimal-API endpoint that only deserializes the same body, in one process, alternating rounds.
/// </summary>
internal static class ReceiveBenchmark
{
    private static long _bareHandled;

    public static async Task RunAsync(int requests, int concurrency, int rounds, string store = "memory")
    {
        Console.WriteLine($"Receive benchmark: {requests} requests per round and endpoint, concurrency {concurrency}, {rounds} round(s), " +
                          $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, idempotency store: {store}");
        var secret = WebHookSecret.Generate();

        var builder = WebApplication.CreateSlimBuilder(LoadReceiver.HostOptions);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ReceiveJson.Default));
        var hooks = builder.Services.AddWebHooks();
        var sqliteFile = Path.Combine(Path.GetTempPath(), $"hooks-bench-{Guid.NewGuid():N}.db");
        switch (store)
        {
            case "sqlite":
                hooks.UseSqlite($"Data Source={sqliteFile}");
                break;
            case "postgres":
                hooks.UsePostgres(Environment.GetEnvironmentVariable("HOOKS_POSTGRES")
                    ?? throw new InvalidOperationException("--store postgres needs HOOKS_POSTGRES (a connection string)."));
                break;
        }
        hooks.AddReceiver(o => o.Secrets.Add(secret.Reveal()));
        var app = builder.Build();
        app.MapWebHooks("/webhooks");
        app.MapPost("/bare", (BareEnvelope envelope) =>
        {
            Interlocked.Increment(ref _bareHandled);
            return Results.NoContent();
        });
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());

        using var client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency,
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        })
        { BaseAddress = address };

        var body = BuildBody();
        await RunRoundAsync(client, "/webhooks", secret, body, requests, concurrency, "warm-up");
        await RunRoundAsync(client, "/bare", secret, body, requests, concurrency, "warm-up");

        var generatedRates = new List<double>();
        var bareRates = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            // Alternate the order so neither endpoint always runs on a warmer (or more tired) machine.
            if (round % 2 == 1)
            {
                generatedRates.Add(await RunRoundAsync(client, "/webhooks", secret, body, requests, concurrency, $"round {round}"));
                bareRates.Add(await RunRoundAsync(client, "/bare", secret, body, requests, concurrency, $"round {round}"));
            }
            else
            {
                bareRates.Add(await RunRoundAsync(client, "/bare", secret, body, requests, concurrency, $"round {round}"));
                generatedRates.Add(await RunRoundAsync(client, "/webhooks", secret, body, requests, concurrency, $"round {round}"));
            }
        }

        var generated = Median(generatedRates);
        var bare = Median(bareRates);
        Console.WriteLine();
        Console.WriteLine("| endpoint | median req/s | rounds (req/s) |");
        Console.WriteLine("|---|---:|---|");
        Console.WriteLine($"| generated MapWebHooks (verify + dedupe + deserialize + handler) | {generated:N0} | {string.Join(", ", generatedRates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))} |");
        Console.WriteLine($"| bare minimal API (deserialize only) | {bare:N0} | {string.Join(", ", bareRates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))} |");
        Console.WriteLine($"generated / bare = {generated / bare:P1}; handled: generated {BenchOrderHandler.Handled}, bare {Interlocked.Read(ref _bareHandled)}");

        await app.StopAsync();
        await app.DisposeAsync();
    }

    private static byte[] BuildBody()
    {
        var order = new BenchOrder("ord_0123456789", 1234.56m, "cus_abcdefghij",
            ["sku-1", "sku-2", "sku-3", "sku-4", "sku-5", "sku-6", "sku-7", "sku-8"]);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        WebHookEnvelope.Write(buffer, order, DateTimeOffset.UtcNow);
        return buffer.WrittenSpan.ToArray();
    }

    private static async Task<double> RunRoundAsync(HttpClient client, string path, WebHookSecret secret, byte[] body,
        int requests, int concurrency, string label)
    {
        // Sign every request before the clock starts: each has its own id (no dedupe hits) and a fresh timestamp.
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var tsText = ts.ToString(CultureInfo.InvariantCulture);
        var prefix = "msg_" + Guid.NewGuid().ToString("N")[..12] + "_";
        var ids = new string[requests];
        var signatures = new string[requests];
        for (var i = 0; i < requests; i++)
        {
            ids[i] = prefix + i.ToString(CultureInfo.InvariantCulture);
            signatures[i] = WebHookSigner.Sign(secret, ids[i], ts, body);
        }
        var contentType = new MediaTypeHeaderValue("application/json");

        var next = -1;
        var failures = 0;
        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = contentType;
                request.Headers.TryAddWithoutValidation(WebHookHeaders.Id, ids[i]);
                request.Headers.TryAddWithoutValidation(WebHookHeaders.Timestamp, tsText);
                request.Headers.TryAddWithoutValidation(WebHookHeaders.Signature, signatures[i]);
                using var response = await client.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.NoContent)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }).ToArray();
        await Task.WhenAll(workers);
        stopwatch.Stop();

        var rate = requests / stopwatch.Elapsed.TotalSeconds;
        Console.WriteLine($"  {label,-8} {path,-9} {requests} requests in {stopwatch.Elapsed.TotalSeconds:F2} s = {rate:N0} req/s{(failures > 0 ? $", {failures} not 204" : "")}");
        if (failures > 0)
        {
            throw new InvalidOperationException($"{failures} requests to {path} were not answered 204.");
        }
        return rate;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
