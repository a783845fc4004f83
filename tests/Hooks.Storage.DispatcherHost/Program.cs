using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A dispatcher sharing a PostgreSQL store with others. Arguments: <connection string> <key ring directory> <name>
// <max concurrency> <per-subscription concurrency>. It sends as User-Agent "Hooks/<name>" (the tests' receiver counts
// deliveries per dispatcher) and writes "gc-heap <bytes>" to stdout once a second (the tests' memory bound).
if (args.Length < 5)
{
    Console.Error.WriteLine("usage: <connection string> <key ring directory> <name> <max concurrency> <per-subscription concurrency>");
    return 2;
}
var connectionString = args[0];
var keyRing = args[1];
var name = args[2];
var maxConcurrency = int.Parse(args[3], CultureInfo.InvariantCulture);
var perSubscription = int.Parse(args[4], CultureInfo.InvariantCulture);

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
// Instances sharing a store share the key ring that protects subscription secrets.
builder.Services.AddDataProtection().SetApplicationName("hooks-storage-tests").PersistKeysToFileSystem(new DirectoryInfo(keyRing));
builder.Services.AddWebHooks()
    .UsePostgres(connectionString)
    .AddProducer(o =>
    {
        o.AllowHttp = true;
        o.AllowedNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
        o.MaxConcurrency = maxConcurrency;
        o.MaxConcurrencyPerSubscription = perSubscription;
        o.PollInterval = TimeSpan.FromSeconds(1);
        o.UserAgent = "Hooks/" + name;
    });
using var host = builder.Build();
await host.StartAsync();
Console.WriteLine("started");
using var report = new PeriodicTimer(TimeSpan.FromSeconds(1));
var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
try
{
    while (await report.WaitForNextTickAsync(stopping))
    {
        Console.WriteLine("gc-heap " + GC.GetTotalMemory(forceFullCollection: false).ToString(CultureInfo.InvariantCulture));
    }
}
catch (OperationCanceledException)
{
}
await host.StopAsync();
return 0;
