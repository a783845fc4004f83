using Hooks.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hooks.Samples.PhotoChain;

/// <summary>One small ASP.NET Core app of the chain: real Kestrel on 127.0.0.1, a port the OS assigns, its own SQLite file.</summary>
public sealed class ChainApp : IAsyncDisposable
{
    private ChainApp(string name, WebApplication app, Uri? address, Inbox inbox)
    {
        Name = name;
        App = app;
        Address = address;
        Inbox = inbox;
    }

    /// <summary>The app's name in the story.</summary>
    public string Name { get; }

    /// <summary>The app.</summary>
    public WebApplication App { get; }

    /// <summary>Where it listens; <c>null</c> for an app with no listening port (Laptop).</summary>
    public Uri? Address { get; }

    /// <summary>What its handlers handled (empty for a producer only).</summary>
    public Inbox Inbox { get; }

    /// <summary>
    /// Builds and starts an app; <paramref name="configure"/> adds its Hooks services, <paramref name="map"/> its endpoints.
    /// An app that comes back (the Offline reader) passes its <paramref name="port"/> and keeps its <paramref name="inbox"/>.
    /// </summary>
    public static async Task<ChainApp> StartAsync(string name, string folder, Timeline timeline,
        Action<WebApplicationBuilder, WebHooksBuilder> configure, Action<WebApplication> map, bool listen = true, int port = 0, Inbox? inbox = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(ChainApp).Assembly.GetName().Name });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // The keys are this run's, in its temporary folder: that they are not encrypted at rest is no news here.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        if (listen)
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        }
        inbox ??= new Inbox();
        builder.Services.AddSingleton(inbox);
        builder.Services.AddSingleton(timeline);
        var file = name.ToLowerInvariant().Replace("'", "", StringComparison.Ordinal).Replace(' ', '-');
        // UseSqlite stores the consumer's handled ids and catch-up cursors, and the producer's outbox, in the run's folder; Data Protection keys (which encrypt subscription secrets at rest) go there too.
        var hooks = builder.Services.AddWebHooks().UseSqlite($"Data Source={Path.Combine(folder, file + ".db")}");
        builder.Services.AddDataProtection().SetApplicationName(name).PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(folder, file + "-keys")));
        configure(builder, hooks);
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        var address = listen ? new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First()) : null;
        return new ChainApp(name, app, address, inbox);
    }

    /// <summary>
    /// Keeps only this app's handler. The five apps of the chain share one assembly, and the generator registers
    /// every handler of an assembly in each <c>AddWebHooks()</c>; an app of its own (the usual case) needs none of this.
    /// </summary>
    public static void KeepOnlyHandler<TEvent, THandler>(IServiceCollection services)
        where TEvent : IWebHookEvent<TEvent>
        where THandler : class, IWebHookHandler<TEvent>
    {
        RemoveGeneratedHandlers(services);
        services.AddScoped<IWebHookHandler<TEvent>, THandler>();
    }

    /// <summary>Removes every handler the generator registered (see <see cref="KeepOnlyHandler{TEvent, THandler}"/>).</summary>
    public static void RemoveGeneratedHandlers(IServiceCollection services)
    {
        services.RemoveAll<IWebHookHandler<PhotoUploaded>>();
        services.RemoveAll<IWebHookHandler<PostCreated>>();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
