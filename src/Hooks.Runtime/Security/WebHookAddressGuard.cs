using System.Buffers.Binary;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace Hooks.Security;

/// <summary>
/// The SSRF guard: refuses connections to addresses a webhook URL must not reach unless an allowed network contains
/// them: every IANA special-purpose range that is not globally reachable (loopback, private, link-local and cloud
/// metadata, CGNAT, documentation, benchmarking, reserved, multicast, unique-local, …), the IPv6 forms that embed a
/// refused IPv4 address, and every address of this machine's own interfaces (so its own host name is refused too).
/// It runs in <see cref="SocketsHttpHandler.ConnectCallback"/> on the addresses actually connected to, so a name that
/// resolves (or re-resolves) to 127.0.0.1 is refused.
/// </summary>
internal sealed class WebHookAddressGuard
{
    // IANA IPv4 Special-Purpose Address Registry (RFC 6890 and updates), entries not globally reachable:
    //   0.0.0.0/8 this network (0.0.0.0/32 this host)   10.0.0.0/8 private              100.64.0.0/10 shared (CGNAT)
    //   127.0.0.0/8 loopback                            169.254.0.0/16 link-local (cloud metadata 169.254.169.254)
    //   172.16.0.0/12 private                           192.0.0.0/24 IETF protocol assignments: 192.0.0.0/29 DS-Lite,
    //     192.0.0.8/32 dummy, 192.0.0.170-171 NAT64 discovery; its globally reachable 192.0.0.9 (PCP anycast) and
    //     192.0.0.10 (TURN anycast) are refused as well: an anycast service address reaches a nearby network's
    //     server (the user's gateway), which is exactly what the guard is for
    //   192.0.2.0/24 TEST-NET-1                         192.88.99.0/24 6to4 relay anycast (deprecated)
    //   192.168.0.0/16 private                          198.18.0.0/15 benchmarking
    //   198.51.100.0/24 TEST-NET-2                      203.0.113.0/24 TEST-NET-3
    //   240.0.0.0/4 reserved                            255.255.255.255/32 limited broadcast (inside 240/4)
    // plus 224.0.0.0/4 multicast (IPv4 multicast registry). Globally reachable and so let through: 192.31.196.0/24
    // and 192.175.48.0/24 (AS112), 192.52.193.0/24 (AMT).
    private static readonly V4Range[] RefusedV4 =
    [
        V4Range.Parse("0.0.0.0/8"),
        V4Range.Parse("10.0.0.0/8"),
        V4Range.Parse("100.64.0.0/10"),
        V4Range.Parse("127.0.0.0/8"),
        V4Range.Parse("169.254.0.0/16"),
        V4Range.Parse("172.16.0.0/12"),
        V4Range.Parse("192.0.0.0/24"),
        V4Range.Parse("192.0.2.0/24"),
        V4Range.Parse("192.88.99.0/24"),
        V4Range.Parse("192.168.0.0/16"),
        V4Range.Parse("198.18.0.0/15"),
        V4Range.Parse("198.51.100.0/24"),
        V4Range.Parse("203.0.113.0/24"),
        V4Range.Parse("224.0.0.0/4"),
        V4Range.Parse("240.0.0.0/4"),
    ];

    // IANA IPv6 Special-Purpose Address Registry (RFC 6890 and updates):
    //   ::/128 unspecified, ::1/128 loopback, ::ffff:0:0/96 IPv4-mapped, 64:ff9b::/96 NAT64 (globally reachable: the
    //   embedded IPv4 address decides), 64:ff9b:1::/48 local-use translation, 100::/64 discard-only,
    //   100:0:0:1::/64 dummy prefix, 2001::/23 IETF protocol assignments (2001::/32 Teredo, 2001:1::1-3 PCP/TURN/SRP
    //   anycast, 2001:2::/48 benchmarking, 2001:10::/28 ORCHID) except its globally reachable 2001:3::/32 (AMT),
    //   2001:4:112::/48 (AS112), 2001:20::/28 (ORCHIDv2) and 2001:30::/28 (DETs), 2001:db8::/32 documentation,
    //   2002::/16 6to4 (the embedded IPv4 address decides), 2620:4f:8000::/48 AS112 (globally reachable),
    //   3fff::/20 documentation, 5f00::/16 SRv6 SIDs, fc00::/7 unique-local (cloud metadata fd00:ec2::254),
    //   fe80::/10 link-local.
    // Only 2000::/3 is global unicast (IANA IPv6 Address Space registry), so everything outside it is refused with
    // one test once the embedding forms are judged: ::/96 (deprecated IPv4-compatible) and ::ffff:0:0:0/96
    // (IPv4-translated) included, as are 64:ff9b:1::/48, 100::/64, 100:0:0:1::/64, 5f00::/16, fc00::/7, fe80::/10,
    // fec0::/10 (deprecated site-local) and ff00::/8 (multicast). Inside 2000::/3 the ranges below are refused.
    private static readonly V6Range GlobalUnicast = V6Range.Parse("2000::/3");
    private static readonly V6Range Mapped = V6Range.Parse("::ffff:0:0/96");
    private static readonly V6Range Nat64 = V6Range.Parse("64:ff9b::/96");
    private static readonly V6Range SixToFour = V6Range.Parse("2002::/16");

    private static readonly V6Range[] RefusedV6 =
    [
        V6Range.Parse("2001::/23"),
        V6Range.Parse("2001:db8::/32"),
        V6Range.Parse("3fff::/20"),
    ];

    private static readonly V6Range[] GloballyReachableV6 =
    [
        V6Range.Parse("2001:3::/32"),
        V6Range.Parse("2001:4:112::/48"),
        V6Range.Parse("2001:20::/28"),
        V6Range.Parse("2001:30::/28"),
    ];

    private readonly V4Range[] _allowedV4;
    private readonly V6Range[] _allowedV6;
    private readonly HostAddresses _host;

    /// <summary>Creates a guard that also lets through <paramref name="allowedNetworks"/>.</summary>
    public WebHookAddressGuard(IEnumerable<IPNetwork> allowedNetworks)
        : this(allowedNetworks, HostAddresses.Shared)
    {
    }

    internal WebHookAddressGuard(IEnumerable<IPNetwork> allowedNetworks, HostAddresses host)
    {
        ArgumentNullException.ThrowIfNull(allowedNetworks);
        List<V4Range> v4 = [];
        List<V6Range> v6 = [];
        foreach (var network in allowedNetworks)
        {
            if (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork)
            {
                v4.Add(V4Range.From(network));
            }
            else
            {
                v6.Add(V6Range.From(network));
            }
        }
        _allowedV4 = [.. v4];
        _allowedV6 = [.. v6];
        _host = host;
    }

    /// <summary>
    /// Whether a delivery may connect to <paramref name="address"/>: it is not refused by default, or an allowed
    /// network contains it (this machine's own addresses included). An IPv4 network also opens the IPv4-mapped
    /// IPv6 form of its addresses.
    /// </summary>
    public bool IsAllowed(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            return false;
        }
        if (written == 4)
        {
            var v4 = BinaryPrimitives.ReadUInt32BigEndian(bytes);
            return !IsRestrictedV4(v4, _host) || AnyContains(_allowedV4, v4);
        }
        var v6 = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        return !IsRestrictedV6(v6, _host)
            || AnyContains(_allowedV6, v6)
            || (Mapped.Contains(v6) && AnyContains(_allowedV4, (uint)v6));
    }

    /// <summary>
    /// Whether <paramref name="address"/> is one the guard refuses by default: a special-purpose address that is not
    /// globally reachable, an IPv6 form embedding a refused IPv4 address, or an address of this machine.
    /// </summary>
    public static bool IsRestricted(IPAddress address) => IsRestricted(address, HostAddresses.Shared);

    private static bool IsRestricted(IPAddress address, HostAddresses host)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            return true;
        }
        return written == 4
            ? IsRestrictedV4(BinaryPrimitives.ReadUInt32BigEndian(bytes), host)
            : IsRestrictedV6(BinaryPrimitives.ReadUInt128BigEndian(bytes), host);
    }

    private static bool IsRestrictedV4(uint address, HostAddresses host) =>
        AnyContains(RefusedV4, address) || host.ContainsV4(address);

    private static bool IsRestrictedV6(UInt128 address, HostAddresses host)
    {
        // Forms that carry an IPv4 address reach it (mapped: this stack; NAT64 and 6to4: a gateway): judge that.
        if (Mapped.Contains(address) || Nat64.Contains(address))
        {
            return IsRestrictedV4((uint)address, host) || host.ContainsV6(address);
        }
        if (SixToFour.Contains(address))
        {
            return IsRestrictedV4((uint)(address >> 80), host) || host.ContainsV6(address);
        }
        if (!GlobalUnicast.Contains(address))
        {
            return true;
        }
        return (AnyContains(RefusedV6, address) && !AnyContains(GloballyReachableV6, address)) || host.ContainsV6(address);
    }

    private static bool AnyContains(V4Range[] ranges, uint address)
    {
        foreach (var range in ranges)
        {
            if (range.Contains(address))
            {
                return true;
            }
        }
        return false;
    }

    private static bool AnyContains(V6Range[] ranges, UInt128 address)
    {
        foreach (var range in ranges)
        {
            if (range.Contains(address))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// A <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves the host, drops refused addresses, and connects
    /// to the first remaining one that answers.
    /// </summary>
    /// <exception cref="WebHookAddressRefusedException">Every address the host resolved to is refused.</exception>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var endPoint = context.DnsEndPoint;
        IPAddress[] resolved = IPAddress.TryParse(endPoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endPoint.Host, cancellationToken).ConfigureAwait(false);
        var allowed = Array.FindAll(resolved, IsAllowed);
        if (allowed.Length == 0)
        {
            throw new WebHookAddressRefusedException(endPoint.Host);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endPoint.Port, cancellationToken).ConfigureAwait(false);
            // Defence in depth: the address actually connected must pass too.
            if (socket.RemoteEndPoint is IPEndPoint remote && !IsAllowed(remote.Address))
            {
                throw new WebHookAddressRefusedException(endPoint.Host);
            }
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>An IPv4 range as a prefix and mask over the address as a big-endian number.</summary>
    private readonly record struct V4Range(uint Prefix, uint Mask)
    {
        public bool Contains(uint address) => (address & Mask) == Prefix;

        public static V4Range Parse(string cidr) => From(IPNetwork.Parse(cidr));

        public static V4Range From(IPNetwork network)
        {
            Span<byte> bytes = stackalloc byte[4];
            network.BaseAddress.TryWriteBytes(bytes, out _);
            var mask = network.PrefixLength == 0 ? 0u : uint.MaxValue << (32 - network.PrefixLength);
            return new V4Range(BinaryPrimitives.ReadUInt32BigEndian(bytes) & mask, mask);
        }
    }

    /// <summary>An IPv6 range as a prefix and mask over the address as a big-endian number.</summary>
    private readonly record struct V6Range(UInt128 Prefix, UInt128 Mask)
    {
        public bool Contains(UInt128 address) => (address & Mask) == Prefix;

        public static V6Range Parse(string cidr) => From(IPNetwork.Parse(cidr));

        public static V6Range From(IPNetwork network)
        {
            Span<byte> bytes = stackalloc byte[16];
            network.BaseAddress.TryWriteBytes(bytes, out _);
            var mask = network.PrefixLength == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - network.PrefixLength);
            return new V6Range(BinaryPrimitives.ReadUInt128BigEndian(bytes) & mask, mask);
        }
    }
}

/// <summary>Every address a webhook URL's host resolved to is one the SSRF guard refuses.</summary>
internal sealed class WebHookAddressRefusedException : IOException
{
    /// <summary>Creates the exception for <paramref name="host"/>.</summary>
    public WebHookAddressRefusedException(string host)
        : base($"Refused to connect to '{host}': it resolves only to restricted addresses (loopback, private, link-local, special-purpose or this machine's own); to deliver there, add the network to WebHookProducerOptions.AllowedNetworks.") => Host = host;

    /// <summary>Creates the exception.</summary>
    public WebHookAddressRefusedException() : this("?") { }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    public WebHookAddressRefusedException(string message, Exception innerException) : base(message, innerException) => Host = "?";

    /// <summary>The host refused.</summary>
    public string Host { get; }
}
