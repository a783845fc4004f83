using System.Globalization;
using System.Net;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A producer on SQLite that publishes events 0..count-1 to one subscription and keeps delivering until it is killed.
// Restarted, it resumes from its last checkpoint; what it publishes again (published before the kill, after the
// checkpoint) carries the same idempotency key, so the store keeps it once.
//   dotnet Hooks.Storage.CrashProducer.dll <folder> <consumer url> <whsec_…> <count>
// Writes lines the test waits on: "started <from>", "published <n>", "duplicates <n>" (publishes the store answered
// with the earlier message, so far in this run), "published all".
var folder = args[0];
var consumer = new Uri(args[1]);
var secret = WebHookSecret.Parse(args[2]);
var count = int.Parse(args[3], CultureInfo.InvariantCulture);
var progressFile = Path.Combine(folder, "progress.txt");

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
// Warnings and errors to standard error, which the test shows; standard output carries the progress lines.
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
// The subscription's secret is stored encrypted: the key ring must outlive the process, as it would in production.
builder.Services.AddDataProtection().SetApplicationName("crash-producer").PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(folder, "keys")));
builder.Services.AddWebHooks()
    .AddProducer(o =>
    {
        o.AllowedNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
        // A delivery leased when the process died is due again when its lease ends: short here, so the test is short.
        // A schedule long enough that a slow, shared test machine never exhausts it.
        o.RequestTimeout = TimeSpan.FromSeconds(5);
        o.LeaseDuration = TimeSpan.FromSeconds(6);
        o.PollInterval = TimeSpan.FromSeconds(1);
        o.MaxConcurrencyPerSubscription = 64;
        o.RetrySchedule.Clear();
        foreach (var delay in new[] { 0, 200, 500, 1000, 1000, 2000, 2000, 5000, 5000, 5000, 5000, 5000 })
        {
            o.RetrySchedule.Add(TimeSpan.FromMilliseconds(delay));
        }
    })
    .UseSqlite($"Data Source={Path.Combine(folder, "producer.db")}");
using var host = builder.Build();
await host.StartAsync();

var store = host.Services.GetRequiredService<IWebHookStore>();
var publisher = host.Services.GetRequiredService<IWebHookPublisher>();
var now = DateTimeOffset.UtcNow;
await store.CreateSubscriptionAsync(new WebHookSubscription
{
    Id = "sub_crash",
    Url = consumer,
    Secrets = [new WebHookSubscriptionSecret(secret, now, null)],
    Status = WebHookSubscriptionStatus.Enabled,
    CreatedAt = now,
    UpdatedAt = now,
});

var next = File.Exists(progressFile) ? int.Parse(File.ReadAllText(progressFile), CultureInfo.InvariantCulture) : 0;
Console.WriteLine($"started {next}");
Console.WriteLine($"published {next}");
const int Batch = 50;        // concurrent publishes, group-committed by the store
const int Checkpoint = 500;  // seldom, so a kill usually lands after publishes the checkpoint does not cover yet
var duplicates = 0;
while (next < count)
{
    var size = Math.Min(Batch, count - next);
    var results = await Task.WhenAll(Enumerable.Range(next, size).Select(n =>
        publisher.PublishAsync(new OrderCreated("ord_" + n.ToString(CultureInfo.InvariantCulture), n), "event-" + n.ToString(CultureInfo.InvariantCulture)).AsTask()));
    duplicates += results.Count(r => r.Duplicate);
    next += size;
    if (next % Checkpoint == 0 || next == count)
    {
        // After the publishes are durable; a kill before it re-publishes them under the same keys.
        File.WriteAllText(progressFile + ".tmp", next.ToString(CultureInfo.InvariantCulture));
        File.Move(progressFile + ".tmp", progressFile, overwrite: true);
    }
    Console.WriteLine($"duplicates {duplicates}");
    Console.WriteLine($"published {next}");
}
Console.WriteLine("published all");
await host.WaitForShutdownAsync();
