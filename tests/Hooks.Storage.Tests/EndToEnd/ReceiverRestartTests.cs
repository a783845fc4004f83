using System.Net;
using Hooks.Hosting;
using Hooks.Infrastructure;
using Hooks.Receiving;
using Hooks.Security;
using Hooks.Storage.Tests.Infrastructure;
using Hooks.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Storage.Tests.EndToEnd;

/// <summary>A consumer on a durable store, restarted: what it handled before, it does not handle again.</summary>
public sealed class ReceiverRestartTests
{
    private static readonly WebHookSecret Secret = WebHookSecret.Parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");

    [Fact]
    public async Task A_receiver_on_SQLite_restarted_on_the_same_file_does_not_run_a_handler_twice()
    {
        using var file = new SqliteFile();
        await AssertSurvivesRestartAsync(hooks => hooks.UseSqlite(file.ConnectionString));
    }

    [SkippableFact]
    public async Task A_receiver_on_PostgreSQL_restarted_does_not_run_a_handler_twice()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        await AssertSurvivesRestartAsync(hooks => hooks.UsePostgres(db.ConnectionString));
    }

    private static async Task AssertSurvivesRestartAsync(Action<WebHooksBuilder> useStore)
    {
        var before = new HandlerLog();
        await using (var app = await StartAsync(before, useStore))
        {
            Assert.IsNotType<InMemoryWebHookIdempotencyStore>(app.Services.GetRequiredService<IWebHookIdempotencyStore>());
            var first = await app.Client.SendAsync(SignedRequests.Order(Secret, id: "msg_before_restart"));
            Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
            Assert.Equal(1, before.Count);
        }

        var after = new HandlerLog();
        await using (var app = await StartAsync(after, useStore))
        {
            var again = await app.Client.SendAsync(SignedRequests.Order(Secret, id: "msg_before_restart"));
            var fresh = await app.Client.SendAsync(SignedRequests.Order(Secret, id: "msg_after_restart"));

            Assert.Equal(HttpStatusCode.OK, again.StatusCode);        // answered as a duplicate: success, no handler
            Assert.Equal(HttpStatusCode.NoContent, fresh.StatusCode); // the restarted receiver does handle new ids
            var (_, context) = Assert.Single(after.Calls);
            Assert.Equal("msg_after_restart", context.MessageId);
        }
    }

    private static Task<LoopbackApp> StartAsync(HandlerLog log, Action<WebHooksBuilder> useStore) =>
        LoopbackApp.StartAsync(
            services =>
            {
                services.AddSingleton(log);
                services.AddScoped<IWebHookHandler<OrderCreated>, OrderCreatedHandler>();
                services.AddScoped<IWebHookHandler<InvoicePaid>, InvoicePaidHandler>();
                var hooks = services.AddWebHooks();
                useStore(hooks);
                hooks.AddReceiver(o => o.Secrets.Add(Secret.Reveal()));
            },
            app => app.MapWebHookReceiver("/webhooks", TestDispatcher.Instance));
}
