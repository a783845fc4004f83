using System.Net.Http;
using Hooks.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hooks.Cli.Listen;

/// <summary>
/// The tiny in-process app behind <c>hooks listen</c>: Kestrel on the runtime's Reverse HTTP transport (connections
/// dialled out to the producer, nothing listened on) with one catch-all endpoint, <see cref="DeliveryForwarder"/>.
/// An empty builder: no appsettings.json or ASPNETCORE_* settings from the directory it runs in can add endpoints.
/// </summary>
internal static class ListenRelay
{
    public static WebApplication Build(ListenSettings settings, CliConsole console)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "hooks-listen" });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseReverseHttp(o =>
        {
            o.ProducerUrl = settings.Producer;
            o.SubscriptionId = settings.SubscriptionId;
            o.Secret = settings.Secret.Reveal();
            o.Connections = settings.Connections;
        });
        // Ctrl+C belongs to the command line (it cancels the command, which stops this app), not to the host.
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
        var output = new ListenOutput(console, settings.Json, settings.Connections);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(new ConnectionEvents(output, console, TimeProvider.System));
        builder.Services.AddSingleton(output);
        var app = builder.Build();
        var forwarder = new DeliveryForwarder(settings, CreateClient(), new WebHookVerifier(settings.Secret, TimeProvider.System, settings.Tolerance),
            output, TimeProvider.System);
        app.Run(forwarder.HandleAsync);
        return app;
    }

    /// <summary>The client deliveries are forwarded with: no redirects followed, no cookies, no proxy (the target is local).</summary>
    public static HttpMessageInvoker CreateClient() => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(5),
    });

    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
