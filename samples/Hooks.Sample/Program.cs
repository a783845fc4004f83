// The whole journey of an event in one app: a producer that stores, signs and delivers, and a consumer that
// verifies, deduplicates and handles. The consumer subscribes through the producer's management API, passes the
// intent-verification challenge automatically, and then receives two events published with PublishAsync: one for
// the default tenant (a single-tenant app's only one) and one for the tenant "acme", whose subscriptions live under
// /tenants/acme/api and are invisible to every other tenant.
//
//   dotnet run --project samples/Hooks.Sample            # runs the demo and exits
//   dotnet run --project samples/Hooks.Sample -- --serve  # keeps serving: POST /orders publishes an order.created,
//                                                        # GET /openapi/v1.json describes the API and the events
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hooks;
using Hooks.Publishing;
using Hooks.Sample;
using Hooks.Security;
using Hooks.Subscriptions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

var serve = args.Contains("--serve");
// The consumer's copy of the subscription secret. A real consumer gets it from the producer once and stores it.
var secret = WebHookSecret.Generate();

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton<HandledLog>();
builder.Services.AddWebHooks()
    .AddProducer(o =>
    {
        // The sample delivers to itself on loopback: allow plain http and open the SSRF guard for 127.0.0.0/8 only.
        o.AllowHttp = true;
        o.AllowedNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
    })
    .AddReceiver(o => o.Secrets.Add(secret.Reveal()));
builder.Services.AddOpenApi();                       // the management API and, under webhooks, every event's schema

var app = builder.Build();
if (builder.Configuration["urls"] is null)           // --urls (or ASPNETCORE_URLS) picks another address
{
    app.Urls.Add(serve ? "http://127.0.0.1:5080" : "http://127.0.0.1:0");
}
app.MapWebHooks();                                   // consumer, generated: POST /webhooks
app.MapWebHookSubscriptions("/api");                 // producer's management API (add RequireAuthorization in a real app)
// The same API for a service with many users: each tenant's own, confined to it (a real app also checks that the
// caller may act for the tenant the route names, or takes the tenant from a claim: WebHookTenantResolver.FromClaim).
app.MapWebHookSubscriptions("/tenants/{tenant}/api", WebHookTenantResolver.FromRouteValue("tenant"));
app.MapOpenApi();                                    // GET /openapi/v1.json
app.MapPost("/orders", async (IWebHookPublisher publisher) =>
{
    var published = await publisher.PublishAsync(new OrderCreated($"ord_{Random.Shared.Next(1000, 9999)}", 19.99m));
    return Results.Accepted(value: published.MessageId);
});
await app.StartAsync();
var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
Console.WriteLine($"Producer and consumer listening on {address}");

// 1. Subscribe: the producer challenges the URL; the consumer holds the secret, so it answers and the subscription is enabled.
using var http = new HttpClient { BaseAddress = address };
var consumerUrl = new Uri(address, "webhooks").ToString();
await SubscribeAsync("api/subscriptions", ["order.created"]);
var acme = await SubscribeAsync("tenants/acme/api/subscriptions", ["order.shipped"]);
using (var elsewhere = await http.GetAsync($"tenants/globex/api/subscriptions/{acme}"))
{
    Console.WriteLine($"Another tenant asking for acme's subscription: {(int)elsewhere.StatusCode}");
}

// 2. Publish: stored first (outbox), then delivered, signed, by the background dispatcher. A publish goes to one
//    tenant's subscriptions: the default tenant's unless one is named.
var publisher = app.Services.GetRequiredService<IWebHookPublisher>();
var first = await publisher.PublishAsync(new OrderCreated("ord_1001", 42.50m));
var second = await publisher.PublishAsync(new OrderShipped("ord_1001", "DHL"), new WebHookTenant("acme"));
Console.WriteLine($"Published {first.MessageId} to {first.Deliveries} subscription(s), {second.MessageId} to {second.Deliveries} of acme's");

// 3. Handled: the generated endpoint verified, deduplicated and routed each one to its typed handler.
var log = app.Services.GetRequiredService<HandledLog>();
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
for (var i = 0; i < 2; i++)
{
    Console.WriteLine("Handled " + await log.Lines.Reader.ReadAsync(timeout.Token));
}

if (serve)
{
    Console.WriteLine($"Serving; try: curl -X POST {address}orders   and   curl {address}openapi/v1.json");
    _ = Task.Run(async () =>
    {
        await foreach (var line in log.Lines.Reader.ReadAllAsync())
        {
            Console.WriteLine("Handled " + line);
        }
    });
    await app.WaitForShutdownAsync();
}
else
{
    await app.StopAsync();
}

async Task<string> SubscribeAsync(string path, string[] eventTypes)
{
    using var created = await http.PostAsJsonAsync(path, new SubscriptionRequest(consumerUrl, eventTypes, secret.Reveal()),
        SampleJson.Default.SubscriptionRequest);
    using var subscription = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
    var id = subscription.RootElement.GetProperty("id").GetString()!;
    Console.WriteLine($"Subscribed: {(int)created.StatusCode} {id} tenant={subscription.RootElement.GetProperty("tenant").GetString()} " +
                      $"status={subscription.RootElement.GetProperty("status").GetString()}");
    return id;
}

internal sealed record SubscriptionRequest(string Url, string[] EventTypes, string Secret);
