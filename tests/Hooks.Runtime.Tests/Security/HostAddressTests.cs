using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Threading.Channels;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Hooks.Tests.Security;

/// <summary>The SSRF guard refuses the machine's own addresses: its interfaces, and so its own host name.</summary>
public sealed class HostAddressTests
{
    [Fact]
    public void Every_address_of_this_machines_interfaces_is_refused()
    {
        var addresses = InterfaceAddresses();
        Assert.NotEmpty(addresses);

        foreach (var address in addresses)
        {
            Assert.True(HostAddresses.Shared.Contains(address), $"{address} is an interface address");
            Assert.True(WebHookAddressGuard.IsRestricted(address), $"{address} is an interface address");
            Assert.False(new WebHookAddressGuard([]).IsAllowed(address), $"{address} is an interface address");
        }
    }

    [Fact]
    public async Task Every_address_this_machines_host_name_resolves_to_is_refused()
    {
        var addresses = await Dns.GetHostAddressesAsync(Dns.GetHostName());
        Assert.NotEmpty(addresses);

        foreach (var address in addresses)
        {
            Assert.True(WebHookAddressGuard.IsRestricted(address), $"{address} is an address of this machine");
        }
    }

    [Fact]
    public void An_own_public_address_is_refused_in_every_form_unless_allow_listed()
    {
        var host = new HostAddresses(() => [IPAddress.Parse("8.8.4.4"), IPAddress.Parse("2606:4700::6810:1")],
            new FakeTimeProvider(), TimeSpan.FromSeconds(30));
        var guard = new WebHookAddressGuard([], host);

        Assert.False(guard.IsAllowed(IPAddress.Parse("8.8.4.4")));
        Assert.False(guard.IsAllowed(IPAddress.Parse("::ffff:8.8.4.4")));
        Assert.False(guard.IsAllowed(IPAddress.Parse("64:ff9b::8.8.4.4")));
        Assert.False(guard.IsAllowed(IPAddress.Parse("2002:808:404::1")));
        Assert.False(guard.IsAllowed(IPAddress.Parse("2606:4700::6810:1")));
        Assert.True(guard.IsAllowed(IPAddress.Parse("8.8.8.8")));
        Assert.True(guard.IsAllowed(IPAddress.Parse("2606:4700::6810:2")));

        var allowing = new WebHookAddressGuard([IPNetwork.Parse("8.8.4.0/24"), IPNetwork.Parse("2606:4700::/32")], host);
        Assert.True(allowing.IsAllowed(IPAddress.Parse("8.8.4.4")));
        Assert.True(allowing.IsAllowed(IPAddress.Parse("::ffff:8.8.4.4")));
        Assert.True(allowing.IsAllowed(IPAddress.Parse("2606:4700::6810:1")));
    }

    [Fact]
    public void An_address_the_host_gains_is_refused_once_the_addresses_are_read_again()
    {
        var time = new FakeTimeProvider();
        List<IPAddress> current = [IPAddress.Parse("8.8.4.4")];
        var host = new HostAddresses(() => [.. current], time, TimeSpan.FromSeconds(30));
        var guard = new WebHookAddressGuard([], host);
        Assert.False(guard.IsAllowed(IPAddress.Parse("8.8.4.4")));

        current.Add(IPAddress.Parse("1.1.1.1"));
        time.Advance(TimeSpan.FromSeconds(31));

        Assert.False(guard.IsAllowed(IPAddress.Parse("1.1.1.1")));
    }

    [Fact]
    public void An_address_change_the_system_reports_is_seen_at_once()
    {
        List<IPAddress> current = [IPAddress.Parse("8.8.4.4")];
        var host = new HostAddresses(() => [.. current], new FakeTimeProvider(), TimeSpan.FromHours(1));
        var guard = new WebHookAddressGuard([], host);
        Assert.True(guard.IsAllowed(IPAddress.Parse("1.1.1.1")));

        current.Add(IPAddress.Parse("1.1.1.1"));
        host.Invalidate();

        Assert.False(guard.IsAllowed(IPAddress.Parse("1.1.1.1")));
    }

    [Fact]
    public async Task Delivery_to_this_machines_host_name_or_interface_address_is_refused_at_connect_time()
    {
        // A listener on every interface, so each address below would be reached if the guard let it through.
        await using var listener = await AnyInterfaceListener.StartAsync();
        var hostName = Dns.GetHostName();
        var interfaceAddress = NonLoopbackInterfaceAddress();
        List<Uri> urls = [new($"http://{hostName}:{listener.Port}/hook")];
        if (interfaceAddress is not null)
        {
            urls.Add(new Uri($"http://{new IPEndPoint(interfaceAddress, listener.Port)}/hook"));
        }

        // The listener answers on each of them: without the guard, a delivery would arrive.
        using (var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
        {
            foreach (var url in urls)
            {
                Assert.Equal(HttpStatusCode.OK, (await plain.GetAsync(url)).StatusCode);
                await listener.NextAsync();
            }
        }

        await using var producer = await TestProducer.StartAsync(allowLoopback: false);
        foreach (var url in urls)
        {
            await producer.SubscribeAsync(url);
        }
        await producer.Publisher.PublishAsync(new OrderCreated("o-self", 1));

        for (var i = 0; i < urls.Count; i++)
        {
            var result = await producer.Store.NextAttemptAsync();
            Assert.Equal(WebHookAttemptOutcome.AddressRefused, result.Attempt.Outcome);
        }
        Assert.False(listener.TryTake(out _));
    }

    private static List<IPAddress> InterfaceAddresses() =>
        [.. NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(u => u.Address)];

    /// <summary>An address of an up, non-loopback interface, IPv4 first; <c>null</c> when the machine has none.</summary>
    private static IPAddress? NonLoopbackInterfaceAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .Where(a => !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal)
            .OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)
            .FirstOrDefault();

    /// <summary>A real Kestrel listener on every interface (dual-stack), port chosen by the OS.</summary>
    private sealed class AnyInterfaceListener : IAsyncDisposable
    {
        private readonly Channel<string> _requests = Channel.CreateUnbounded<string>();
        private WebApplication _app = null!;

        public int Port { get; private set; }

        public static async Task<AnyInterfaceListener> StartAsync()
        {
            var listener = new AnyInterfaceListener();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.ListenAnyIP(0));
            var app = builder.Build();
            app.Run(ctx =>
            {
                listener._requests.Writer.TryWrite(ctx.Request.Host.Value ?? "");
                ctx.Response.StatusCode = StatusCodes.Status200OK;
                return Task.CompletedTask;
            });
            await app.StartAsync();
            listener._app = app;
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            listener.Port = new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal)).Port;
            return listener;
        }

        public async Task<string> NextAsync()
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            return await _requests.Reader.ReadAsync(cts.Token);
        }

        public bool TryTake(out string? request) => _requests.Reader.TryRead(out request);

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
