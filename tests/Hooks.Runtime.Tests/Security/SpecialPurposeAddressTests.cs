using System.Net;
using Hooks.Security;

namespace Hooks.Tests.Security;

/// <summary>
/// The IANA IPv4 and IPv6 special-purpose address registries, entry by entry: the first and last address of each
/// range that is not globally reachable is refused, and the address just outside it is let through where that
/// neighbour is itself a public address.
/// </summary>
public sealed class SpecialPurposeAddressTests
{
    public static TheoryData<string, string> Refused => new()
    {
        // IPv4 special-purpose registry
        { "0.0.0.0", "0.0.0.0/8 this network" },
        { "0.255.255.255", "0.0.0.0/8 this network" },
        { "10.0.0.0", "10.0.0.0/8 private" },
        { "10.255.255.255", "10.0.0.0/8 private" },
        { "100.64.0.0", "100.64.0.0/10 shared address space" },
        { "100.127.255.255", "100.64.0.0/10 shared address space" },
        { "127.0.0.0", "127.0.0.0/8 loopback" },
        { "127.255.255.255", "127.0.0.0/8 loopback" },
        { "169.254.0.0", "169.254.0.0/16 link-local" },
        { "169.254.169.254", "169.254.0.0/16 cloud metadata" },
        { "169.254.255.255", "169.254.0.0/16 link-local" },
        { "172.16.0.0", "172.16.0.0/12 private" },
        { "172.31.255.255", "172.16.0.0/12 private" },
        { "192.0.0.0", "192.0.0.0/24 IETF protocol assignments" },
        { "192.0.0.9", "192.0.0.9/32 PCP anycast (a nearby network's service)" },
        { "192.0.0.10", "192.0.0.10/32 TURN anycast (a nearby network's service)" },
        { "192.0.0.255", "192.0.0.0/24 IETF protocol assignments" },
        { "192.0.2.0", "192.0.2.0/24 TEST-NET-1" },
        { "192.0.2.2", "192.0.2.0/24 TEST-NET-1" },
        { "192.0.2.255", "192.0.2.0/24 TEST-NET-1" },
        { "192.88.99.0", "192.88.99.0/24 6to4 relay anycast (deprecated)" },
        { "192.88.99.255", "192.88.99.0/24 6to4 relay anycast (deprecated)" },
        { "192.168.0.0", "192.168.0.0/16 private" },
        { "192.168.255.255", "192.168.0.0/16 private" },
        { "198.18.0.0", "198.18.0.0/15 benchmarking" },
        { "198.19.255.255", "198.18.0.0/15 benchmarking" },
        { "198.51.100.0", "198.51.100.0/24 TEST-NET-2" },
        { "198.51.100.255", "198.51.100.0/24 TEST-NET-2" },
        { "203.0.113.0", "203.0.113.0/24 TEST-NET-3" },
        { "203.0.113.255", "203.0.113.0/24 TEST-NET-3" },
        { "224.0.0.0", "224.0.0.0/4 multicast" },
        { "239.255.255.255", "224.0.0.0/4 multicast" },
        { "240.0.0.0", "240.0.0.0/4 reserved" },
        { "255.255.255.254", "240.0.0.0/4 reserved" },
        { "255.255.255.255", "255.255.255.255/32 limited broadcast" },

        // IPv6 special-purpose registry
        { "::", "::/128 unspecified" },
        { "::1", "::1/128 loopback" },
        { "::0.0.0.2", "::/96 IPv4-compatible (deprecated)" },
        { "::8.8.8.8", "::/96 IPv4-compatible (deprecated)" },
        { "::255.255.255.255", "::/96 IPv4-compatible (deprecated)" },
        { "::ffff:0.0.0.0", "::ffff:0:0/96 IPv4-mapped 0.0.0.0" },
        { "::ffff:127.0.0.1", "::ffff:0:0/96 IPv4-mapped loopback" },
        { "::ffff:192.0.2.2", "::ffff:0:0/96 IPv4-mapped TEST-NET-1" },
        { "::ffff:203.0.113.255", "::ffff:0:0/96 IPv4-mapped TEST-NET-3" },
        { "::ffff:255.255.255.255", "::ffff:0:0/96 IPv4-mapped broadcast" },
        { "::ffff:0:8.8.8.8", "::ffff:0:0:0/96 IPv4-translated (outside 2000::/3)" },
        { "64:ff9b::", "64:ff9b::/96 NAT64 of 0.0.0.0" },
        { "64:ff9b::10.0.0.1", "64:ff9b::/96 NAT64 of a private address" },
        { "64:ff9b::192.0.2.2", "64:ff9b::/96 NAT64 of TEST-NET-1" },
        { "64:ff9b::198.51.100.255", "64:ff9b::/96 NAT64 of TEST-NET-2" },
        { "64:ff9b::ffff:ffff", "64:ff9b::/96 NAT64 of broadcast" },
        { "64:ff9b:1::", "64:ff9b:1::/48 local-use translation" },
        { "64:ff9b:1::8.8.8.8", "64:ff9b:1::/48 local-use translation" },
        { "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "64:ff9b:1::/48 local-use translation" },
        { "100::", "100::/64 discard-only" },
        { "100::ffff:ffff:ffff:ffff", "100::/64 discard-only" },
        { "100:0:0:1::", "100:0:0:1::/64 dummy prefix" },
        { "100:0:0:1:ffff:ffff:ffff:ffff", "100:0:0:1::/64 dummy prefix" },
        { "2001::", "2001::/32 Teredo (in 2001::/23)" },
        { "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "2001::/32 Teredo (in 2001::/23)" },
        { "2001:1::", "2001::/23 IETF protocol assignments" },
        { "2001:1::1", "2001:1::1/128 PCP anycast (a nearby network's service)" },
        { "2001:1::2", "2001:1::2/128 TURN anycast (a nearby network's service)" },
        { "2001:1::3", "2001:1::3/128 DNS-SD SRP anycast (a nearby network's service)" },
        { "2001:2::", "2001:2::/48 benchmarking" },
        { "2001:2:0:ffff:ffff:ffff:ffff:ffff", "2001:2::/48 benchmarking" },
        { "2001:2:ffff:ffff:ffff:ffff:ffff:ffff", "2001::/23 just before 2001:3::/32" },
        { "2001:4::", "2001::/23 just after 2001:3::/32" },
        { "2001:4:111:ffff:ffff:ffff:ffff:ffff", "2001::/23 just before 2001:4:112::/48" },
        { "2001:4:113::", "2001::/23 just after 2001:4:112::/48" },
        { "2001:10::", "2001:10::/28 ORCHID (deprecated)" },
        { "2001:1f:ffff:ffff:ffff:ffff:ffff:ffff", "2001:10::/28 ORCHID (deprecated)" },
        { "2001:40::", "2001::/23 just after 2001:30::/28" },
        { "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "2001::/23 last address" },
        { "2001:db8::", "2001:db8::/32 documentation" },
        { "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::/32 documentation" },
        { "2002:a00:1::", "2002::/16 6to4 of a private address" },
        { "2002:c000:202::1", "2002::/16 6to4 of TEST-NET-1" },
        { "2002:7f00:1::", "2002::/16 6to4 of loopback" },
        { "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2002::/16 6to4 of broadcast" },
        { "3fff::", "3fff::/20 documentation" },
        { "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", "3fff::/20 documentation" },
        { "5f00::", "5f00::/16 SRv6 SIDs" },
        { "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "5f00::/16 SRv6 SIDs" },
        { "fc00::", "fc00::/7 unique-local" },
        { "fd00:ec2::254", "fc00::/7 cloud metadata" },
        { "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fc00::/7 unique-local" },
        { "fe80::", "fe80::/10 link-local" },
        { "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe80::/10 link-local" },
        { "fec0::", "fec0::/10 site-local (deprecated)" },
        { "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fec0::/10 site-local (deprecated)" },
        { "ff00::", "ff00::/8 multicast" },
        { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ff00::/8 multicast" },
        { "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "outside 2000::/3 global unicast" },
        { "4000::", "outside 2000::/3 global unicast" },
    };

    public static TheoryData<string, string> Allowed => new()
    {
        { "1.0.0.0", "just after 0.0.0.0/8" },
        { "9.255.255.255", "just before 10.0.0.0/8" },
        { "11.0.0.0", "just after 10.0.0.0/8" },
        { "100.63.255.255", "just before 100.64.0.0/10" },
        { "100.128.0.0", "just after 100.64.0.0/10" },
        { "126.255.255.255", "just before 127.0.0.0/8" },
        { "128.0.0.0", "just after 127.0.0.0/8" },
        { "169.253.255.255", "just before 169.254.0.0/16" },
        { "169.255.0.0", "just after 169.254.0.0/16" },
        { "172.15.255.255", "just before 172.16.0.0/12" },
        { "172.32.0.0", "just after 172.16.0.0/12" },
        { "191.255.255.255", "just before 192.0.0.0/24" },
        { "192.0.1.0", "between 192.0.0.0/24 and 192.0.2.0/24" },
        { "192.0.1.255", "between 192.0.0.0/24 and 192.0.2.0/24" },
        { "192.0.3.0", "just after 192.0.2.0/24" },
        { "192.31.196.1", "192.31.196.0/24 AS112 (globally reachable)" },
        { "192.52.193.1", "192.52.193.0/24 AMT (globally reachable)" },
        { "192.88.98.255", "just before 192.88.99.0/24" },
        { "192.88.100.0", "just after 192.88.99.0/24" },
        { "192.167.255.255", "just before 192.168.0.0/16" },
        { "192.169.0.0", "just after 192.168.0.0/16" },
        { "192.175.48.1", "192.175.48.0/24 AS112 (globally reachable)" },
        { "198.17.255.255", "just before 198.18.0.0/15" },
        { "198.20.0.0", "just after 198.18.0.0/15" },
        { "198.51.99.255", "just before 198.51.100.0/24" },
        { "198.51.101.0", "just after 198.51.100.0/24" },
        { "203.0.112.255", "just before 203.0.113.0/24" },
        { "203.0.114.0", "just after 203.0.113.0/24" },
        { "223.255.255.255", "just before 224.0.0.0/4" },
        { "8.8.8.8", "public" },
        { "::ffff:8.8.8.8", "IPv4-mapped public address" },
        { "64:ff9b::8.8.8.8", "NAT64 of a public address (64:ff9b::/96 is globally reachable)" },
        { "64:ff9b::203.0.114.0", "NAT64 of a public address" },
        { "2000::", "first of 2000::/3" },
        { "2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "just before 2001::/23" },
        { "2001:3::", "2001:3::/32 AMT (globally reachable)" },
        { "2001:3:ffff:ffff:ffff:ffff:ffff:ffff", "2001:3::/32 AMT (globally reachable)" },
        { "2001:4:112::", "2001:4:112::/48 AS112 (globally reachable)" },
        { "2001:4:112:ffff:ffff:ffff:ffff:ffff", "2001:4:112::/48 AS112 (globally reachable)" },
        { "2001:20::", "2001:20::/28 ORCHIDv2 (globally reachable)" },
        { "2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", "2001:20::/28 ORCHIDv2 (globally reachable)" },
        { "2001:30::", "2001:30::/28 DET (globally reachable)" },
        { "2001:3f:ffff:ffff:ffff:ffff:ffff:ffff", "2001:30::/28 DET (globally reachable)" },
        { "2001:200::", "just after 2001::/23" },
        { "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "just before 2001:db8::/32" },
        { "2001:db9::", "just after 2001:db8::/32" },
        { "2002:808:808::1", "6to4 of a public address" },
        { "2620:4f:8000::1", "2620:4f:8000::/48 AS112 (globally reachable)" },
        { "2606:4700:4700::1111", "public" },
        { "3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "just before 3fff::/20" },
        { "3fff:1000::", "just after 3fff::/20" },
        { "3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "last of 2000::/3" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Refuses_every_address_that_is_not_globally_reachable(string address, string range)
    {
        var ip = IPAddress.Parse(address);

        Assert.True(WebHookAddressGuard.IsRestricted(ip), $"{address} ({range}) should be refused");
        Assert.False(new WebHookAddressGuard([]).IsAllowed(ip), $"{address} ({range}) should be refused");
    }

    [Theory]
    [MemberData(nameof(Allowed))]
    public void Lets_through_globally_reachable_neighbours(string address, string range)
    {
        var ip = IPAddress.Parse(address);

        Assert.False(WebHookAddressGuard.IsRestricted(ip), $"{address} ({range}) should be allowed");
        Assert.True(new WebHookAddressGuard([]).IsAllowed(ip), $"{address} ({range}) should be allowed");
    }

    [Fact]
    public void Checking_an_address_allocates_nothing()
    {
        var guard = new WebHookAddressGuard([IPNetwork.Parse("198.51.100.0/24")]);
        IPAddress[] addresses = [.. new[] { "8.8.8.8", "10.1.2.3", "198.51.100.7", "2606:4700:4700::1111", "fd00::1", "::ffff:192.0.2.2", "64:ff9b::8.8.8.8", "2002:808:808::1", "2001:3::1" }.Select(IPAddress.Parse)];
        foreach (var address in addresses)
        {
            guard.IsAllowed(address);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            foreach (var address in addresses)
            {
                guard.IsAllowed(address);
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData("192.0.2.2", "192.0.2.0/24")]
    [InlineData("::ffff:192.0.2.2", "192.0.2.0/24")]
    [InlineData("198.51.100.7", "198.51.100.0/24")]
    [InlineData("240.0.0.1", "240.0.0.0/4")]
    [InlineData("2001:db8::1", "2001:db8::/32")]
    [InlineData("3fff::1", "3fff::/20")]
    [InlineData("5f00::1", "5f00::/16")]
    [InlineData("64:ff9b:1::1", "64:ff9b:1::/48")]
    public void The_allow_list_opens_special_purpose_ranges(string address, string network)
    {
        var guard = new WebHookAddressGuard([IPNetwork.Parse(network)]);

        Assert.True(guard.IsAllowed(IPAddress.Parse(address)));
    }
}
