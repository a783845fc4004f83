using System.Net;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;

namespace Hooks.Tests.Security;

public sealed class AddressGuardTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.255.254")]
    [InlineData("10.0.0.1")]
    [InlineData("10.255.255.255")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.255")]
    [InlineData("0.0.0.0")]
    [InlineData("0.1.2.3")]
    [InlineData("224.0.0.1")]
    [InlineData("239.255.255.250")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("febf::1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::127.0.0.1")]
    [InlineData("::10.1.2.3")]
    [InlineData("64:ff9b::127.0.0.1")]
    [InlineData("2002:7f00:1::")]
    [InlineData("2002:c0a8:101::1")]
    public void Refuses_restricted_addresses(string address)
    {
        var ip = IPAddress.Parse(address);
        Assert.True(WebHookAddressGuard.IsRestricted(ip));
        Assert.False(new WebHookAddressGuard([]).IsAllowed(ip));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.0")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.0")]
    [InlineData("192.169.0.1")]
    [InlineData("169.253.255.255")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2a00:1450:4001:80b::200e")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::8.8.8.8")]
    [InlineData("2002:0808:0808::1")]
    [InlineData("fec0::1")]
    public void Allows_public_addresses(string address)
    {
        var ip = IPAddress.Parse(address);
        // fec0::/10 (deprecated site-local) is refused; everything else in this list is public.
        Assert.Equal(address == "fec0::1", WebHookAddressGuard.IsRestricted(ip));
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.0/8", true)]
    [InlineData("::ffff:127.0.0.1", "127.0.0.0/8", true)]
    [InlineData("10.1.2.3", "10.1.0.0/16", true)]
    [InlineData("10.2.0.1", "10.1.0.0/16", false)]
    [InlineData("::1", "127.0.0.0/8", false)]
    [InlineData("::1", "::1/128", true)]
    public void The_allow_list_opens_only_its_ranges(string address, string network, bool allowed)
    {
        var guard = new WebHookAddressGuard([IPNetwork.Parse(network)]);
        Assert.Equal(allowed, guard.IsAllowed(IPAddress.Parse(address)));
    }

    [Fact]
    public async Task A_name_resolving_to_loopback_is_refused_without_the_allow_list()
    {
        await using var producer = await TestProducer.StartAsync(allowLoopback: false);
        await using var receiver = await Receiver.StartAsync();
        await producer.SubscribeAsync(new Uri($"http://localhost:{receiver.Port}/hook"));

        await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1));
        var result = await producer.Store.NextAttemptAsync();

        Assert.Equal(WebHookAttemptOutcome.AddressRefused, result.Attempt.Outcome);
        Assert.Contains("localhost", result.Attempt.Error, StringComparison.Ordinal);
        // The attempt log says which option opens it.
        Assert.Contains("WebHookProducerOptions.AllowedNetworks", result.Attempt.Error, StringComparison.Ordinal);
        Assert.False(receiver.TryTake(out _));
    }

    [Fact]
    public async Task A_loopback_literal_is_refused_without_the_allow_list()
    {
        await using var producer = await TestProducer.StartAsync(allowLoopback: false);
        await using var receiver = await Receiver.StartAsync();
        await producer.SubscribeAsync(receiver.Url);

        await producer.Publisher.PublishAsync(new OrderCreated("o-2", 1));
        var result = await producer.Store.NextAttemptAsync();

        Assert.Equal(WebHookAttemptOutcome.AddressRefused, result.Attempt.Outcome);
        Assert.False(receiver.TryTake(out _));
    }

    [Fact]
    public async Task A_name_resolving_to_loopback_is_delivered_with_the_allow_list()
    {
        await using var producer = await TestProducer.StartAsync(allowLoopback: true);
        await using var receiver = await Receiver.StartAsync();
        await producer.SubscribeAsync(new Uri($"http://localhost:{receiver.Port}/hook"));

        await producer.Publisher.PublishAsync(new OrderCreated("o-3", 1));
        var result = await producer.Store.NextAttemptAsync();

        Assert.Equal(WebHookAttemptOutcome.Succeeded, result.Attempt.Outcome);
        await receiver.NextAsync();
    }
}
