using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace Hooks.Security;

/// <summary>
/// The SSRF guard: refuses connections to addresses a webhook URL must not reach (loopback, private, link-local,
/// CGNAT, unique-local, multicast, unspecified, broadcast, cloud metadata, and IPv6 forms embedding such IPv4
/// addresses) unless an allowed network contains them. It runs in <see cref="SocketsHttpHandler.ConnectCallback"/>
/// on the addresses actually connected to, so a name that resolves (or re-resolves) to 127.0.0.1 is refused.
/// </summary>
public sealed class WebHookAddressGuard
{
    private static readonly IPNetwork[] RestrictedV4 =
    [
        IPNetwork.Parse("0.0.0.0/8"),        // "this network", unspecified
        IPNetwork.Parse("10.0.0.0/8"),       // private
        IPNetwork.Parse("100.64.0.0/10"),    // CGNAT
        IPNetwork.Parse("127.0.0.0/8"),      // loopback
        IPNetwork.Parse("169.254.0.0/16"),   // link-local, cloud metadata 169.254.169.254
        IPNetwork.Parse("172.16.0.0/12"),    // private
        IPNetwork.Parse("192.0.0.0/24"),     // IETF protocol assignments
        IPNetwork.Parse("192.168.0.0/16"),   // private
        IPNetwork.Parse("198.18.0.0/15"),    // benchmarking
        IPNetwork.Parse("224.0.0.0/4"),      // multicast
        IPNetwork.Parse("240.0.0.0/4"),      // reserved, broadcast
    ];

    private static readonly IPNetwork[] RestrictedV6 =
    [
        IPNetwork.Parse("::/128"),           // unspecified
        IPNetwork.Parse("::1/128"),          // loopback
        IPNetwork.Parse("fc00::/7"),         // unique-local, cloud metadata fd00:ec2::254
        IPNetwork.Parse("fe80::/10"),        // link-local
        IPNetwork.Parse("fec0::/10"),        // site-local (deprecated)
        IPNetwork.Parse("ff00::/8"),         // multicast
        IPNetwork.Parse("100::/64"),         // discard-only
        IPNetwork.Parse("2001:db8::/32"),    // documentation
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
    private static readonly IPNetwork V4Compatible = IPNetwork.Parse("::/96");

    private readonly IPNetwork[] _allowed;

    /// <summary>Creates a guard that also lets through <paramref name="allowedNetworks"/>.</summary>
    public WebHookAddressGuard(IEnumerable<IPNetwork> allowedNetworks)
    {
        ArgumentNullException.ThrowIfNull(allowedNetworks);
        _allowed = [.. allowedNetworks];
    }

    /// <summary>Whether a delivery may connect to <paramref name="address"/>.</summary>
    public bool IsAllowed(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!IsRestricted(address))
        {
            return true;
        }
        var normalized = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        foreach (var network in _allowed)
        {
            if (network.Contains(normalized) || network.Contains(address))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether <paramref name="address"/> is one the guard refuses by default.</summary>
    public static bool IsRestricted(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return IsIn(RestrictedV4, address);
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return true;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            return IsIn(RestrictedV4, address.MapToIPv4());
        }
        if (IsIn(RestrictedV6, address))
        {
            return true;
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        if (V4Compatible.Contains(address) || Nat64.Contains(address))
        {
            // ::a.b.c.d (deprecated IPv4-compatible) and 64:ff9b::a.b.c.d (NAT64) reach the embedded IPv4 address.
            return IsIn(RestrictedV4, new IPAddress(bytes[12..]));
        }
        if (SixToFour.Contains(address))
        {
            return IsIn(RestrictedV4, new IPAddress(bytes.Slice(2, 4)));
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

    private static bool IsIn(IPNetwork[] networks, IPAddress address)
    {
        foreach (var network in networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }
        return false;
    }
}

/// <summary>Every address a webhook URL's host resolved to is one the SSRF guard refuses.</summary>
public sealed class WebHookAddressRefusedException : IOException
{
    /// <summary>Creates the exception for <paramref name="host"/>.</summary>
    public WebHookAddressRefusedException(string host)
        : base($"Refused to connect to '{host}': it resolves only to restricted addresses (loopback, private, link-local, …).") => Host = host;

    /// <summary>Creates the exception.</summary>
    public WebHookAddressRefusedException() : this("?") { }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    public WebHookAddressRefusedException(string message, Exception innerException) : base(message, innerException) => Host = "?";

    /// <summary>The host refused.</summary>
    public string Host { get; }
}
