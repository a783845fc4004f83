// The smallest consumer: receives the producer's order.created, verifies its signature, skips a message it already
// handled (the ids are kept in SQLite, so a restart forgets nothing) and calls the handler in Events.cs.
//
//   dotnet run --project samples/Hooks.Samples.Consumer -- --urls http://127.0.0.1:5001 --Hooks:Secret whsec_…
//
// The secret is the one the producer returned when the subscription was created (or the one passed to it).
var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.AddWebHooks()
    .UseSqlite(builder.Configuration["Hooks:Database"] ?? "Data Source=consumer.db")
    .AddReceiver(o =>
    {
        // Keep it out of source control: dotnet user-secrets set Hooks:Secret whsec_…   (or the variable Hooks__Secret).
        // Without it the app stops at start with a message saying so.
        if (builder.Configuration["Hooks:Secret"] is { } secret) o.Secrets.Add(secret);
    });

var app = builder.Build();
app.MapWebHooks();   // generated: POST /webhooks verifies, deduplicates and calls OrderCreatedHandler
app.Run();
