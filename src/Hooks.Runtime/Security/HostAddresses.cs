using System.Buffers.Binary;
using System.Collections.Frozen;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Hooks.Security;

/// <summary>
/// The addresses of this machine's own network interfaces, which the SSRF guard refuses: the machine's host name
/// resolves to them, and every service the producer's host binds to all interfaces answers on them. They are read
/// once and kept as two frozen sets (IPv4 as 32-bit and IPv6 as 128-bit numbers), so the check at connect time is a
/// hash lookup that allocates nothing. They are read again at once when the system reports an address change, and
/// in any case once the last read is older than the maximum age (containers may not report changes).
/// </summary>
internal sealed class HostAddresses
{
    /// <summary>How long a read of the interfaces is trusted when no change is reported.</summary>
    public static readonly TimeSpan DefaultMaxAge = TimeSpan.FromSeconds(30);

    private readonly Func<IEnumerable<IPAddress>> _read;
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxAge;
    private volatile Snapshot? _snapshot;
    private int _refreshing;

    /// <param name="read">Reads the machine's addresses.</param>
    /// <param name="time">Measures the age of the last read.</param>
    /// <param name="maxAge">How long a read is trusted.</param>
    public HostAddresses(Func<IEnumerable<IPAddress>> read, TimeProvider time, TimeSpan maxAge)
    {
        _read = read;
        _time = time;
        _maxAge = maxAge;
    }

    /// <summary>This machine's interfaces, shared by every guard in the process.</summary>
    public static HostAddresses Shared { get; } = CreateShared();

    /// <summary>Whether <paramref name="address"/> is one of this machine's (IPv4-mapped IPv6 counts as IPv4).</summary>
    public bool Contains(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            return false;
        }
        return written == 4
            ? ContainsV4(BinaryPrimitives.ReadUInt32BigEndian(bytes))
            : ContainsV6(BinaryPrimitives.ReadUInt128BigEndian(bytes));
    }

    /// <summary>Whether the IPv4 address (as a big-endian number) is one of this machine's.</summary>
    public bool ContainsV4(uint address) => Current().V4.Contains(address);

    /// <summary>Whether the IPv6 address (as a big-endian number) is one of this machine's.</summary>
    public bool ContainsV6(UInt128 address) => Current().V6.Contains(address);

    /// <summary>Forgets the last read, so the next check reads the interfaces again.</summary>
    public void Invalidate() => _snapshot = null;

    private Snapshot Current()
    {
        var snapshot = _snapshot;
        if (snapshot is null)
        {
            return Refresh(null);
        }
        if (_time.GetElapsedTime(snapshot.ReadAt) >= _maxAge && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
        {
            // One caller reads again; the others go on with the previous read meanwhile.
            try
            {
                return Refresh(snapshot);
            }
            finally
            {
                Volatile.Write(ref _refreshing, 0);
            }
        }
        return snapshot;
    }

    private Snapshot Refresh(Snapshot? previous)
    {
        var readAt = _time.GetTimestamp();
        HashSet<uint> v4 = [];
        HashSet<UInt128> v6 = [];
        try
        {
            Span<byte> bytes = stackalloc byte[16];
            foreach (var read in _read())
            {
                var address = read.IsIPv4MappedToIPv6 ? read.MapToIPv4() : read;
                if (!address.TryWriteBytes(bytes, out var written))
                {
                    continue;
                }
                if (written == 4)
                {
                    v4.Add(BinaryPrimitives.ReadUInt32BigEndian(bytes));
                }
                else
                {
                    v6.Add(BinaryPrimitives.ReadUInt128BigEndian(bytes));
                }
            }
        }
        catch (Exception ex) when (ex is NetworkInformationException or SocketException or PlatformNotSupportedException)
        {
            // Keep what was known; the loopback and private ranges are refused whatever this says.
            var kept = (previous ?? Snapshot.Empty) with { ReadAt = readAt };
            _snapshot = kept;
            return kept;
        }
        var snapshot = new Snapshot(v4.ToFrozenSet(), v6.ToFrozenSet(), readAt);
        _snapshot = snapshot;
        return snapshot;
    }

    private static HostAddresses CreateShared()
    {
        var shared = new HostAddresses(ReadInterfaces, TimeProvider.System, DefaultMaxAge);
        try
        {
            NetworkChange.NetworkAddressChanged += (_, _) => shared.Invalidate();
        }
        catch (Exception ex) when (ex is NetworkInformationException or SocketException or PlatformNotSupportedException)
        {
            // No change notifications here: the maximum age alone bounds how stale a read is.
        }
        return shared;
    }

    private static IEnumerable<IPAddress> ReadInterfaces()
    {
        foreach (var networkInterface in NetworkInterface.GetAllNetworkInterfaces())
        {
            foreach (var unicast in networkInterface.GetIPProperties().UnicastAddresses)
            {
                yield return unicast.Address;
            }
        }
    }

    private sealed record Snapshot(FrozenSet<uint> V4, FrozenSet<UInt128> V6, long ReadAt)
    {
        public static readonly Snapshot Empty = new(FrozenSet<uint>.Empty, FrozenSet<UInt128>.Empty, 0);
    }
}
