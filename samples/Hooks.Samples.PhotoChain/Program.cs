// The essay's photo chain, end to end, in one process: Photos → Microblog → Lifestream, Kevin's filter and a Laptop
// with no listening port. Every hop is a signed webhook, verified on arrival; the summary checks that every event
// reached every subscriber exactly once, from the apps' own records, and the exit code says whether it did.
//
//   dotnet run --project samples/Hooks.Samples.PhotoChain              # plays the story and exits (0: all delivered)
//   dotnet run --project samples/Hooks.Samples.PhotoChain -- --serve   # then keeps the apps running, with commands to try
using Hooks.Samples.PhotoChain;

var serve = args.Contains("--serve");
await using var chain = await Chain.StartAsync(Console.Out);
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
var report = await chain.PlayAsync(timeout.Token);
if (serve)
{
    chain.PrintServeHelp();
    await chain.WaitForShutdownAsync();   // Ctrl+C or SIGTERM: the apps stop, then the folder is deleted
}
return report.Passed ? 0 : 1;
