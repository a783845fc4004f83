// The smallest producer: your users register URLs through the management API, and POST /orders publishes an
// order.created to them, signed, stored first and retried until it is delivered.
//
//   dotnet run --project samples/Hooks.Samples.Producer -- --urls http://127.0.0.1:5000 --Hooks:ApiToken dev-token
//   curl -X POST http://127.0.0.1:5000/api/webhooks/subscriptions -H 'Authorization: Bearer dev-token' \
//        -H 'Content-Type: application/json' -d '{"url":"http://127.0.0.1:5001/webhooks","eventTypes":["order.created"]}'
//   curl -X POST http://127.0.0.1:5000/orders
using System.Net;
using Hooks.Publishing;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddWebHooks()
    .UseSqlite(builder.Configuration["Hooks:Database"] ?? "Data Source=producer.db")
    .AddProducer(o =>
    {
        // This sample delivers to a consumer on this machine: plain http and loopback. Delete both lines in production.
        o.AllowHttp = true;
        o.AllowedNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
    });

var app = builder.Build();
// Your users' subscriptions: create, list, update, rotate secrets, see attempts, redeliver. Behind your own
// authentication in a real app; here a bearer token from configuration (the hooks CLI sends HOOKS_API_TOKEN as one).
app.MapWebHookSubscriptions("/api/webhooks").AddEndpointFilter(ApiToken.Require(builder.Configuration["Hooks:ApiToken"]));

app.MapPost("/orders", async (IWebHookPublisher publisher) =>
{
    var published = await publisher.PublishAsync(new OrderCreated($"ord_{Random.Shared.Next(1000, 9999)}", 42m));
    return Results.Accepted(value: published.MessageId);
});
app.Run();
