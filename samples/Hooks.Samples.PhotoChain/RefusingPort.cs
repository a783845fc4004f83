using System.Net;
using System.Net.Sockets;

namespace Hooks.Samples.PhotoChain;

/// <summary>
/// The Offline reader's port while its app is down: every connection is reset at once (nothing answers, as on a
/// stopped app's port), and each one is counted, so the story knows Microblog tried (and failed) to push. Holding the
/// port also keeps it for the reader's return on the same address, where its subscription points.
/// </summary>
public sealed class RefusingPort : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly SemaphoreSlim _refused = new(0);
    private readonly Task _loop;

    private RefusingPort(TcpListener listener)
    {
        _listener = listener;
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _loop = RefuseAsync();
    }

    /// <summary>The port held.</summary>
    public int Port { get; }

    /// <summary>Holds <paramref name="port"/> on 127.0.0.1 (0: one the OS assigns) and refuses every connection to it.</summary>
    public static RefusingPort Hold(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        // The reader's app just closed its connections on this port (TIME_WAIT): bind anyway.
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        return new RefusingPort(listener);
    }

    /// <summary>Completes once <paramref name="count"/> connections were refused.</summary>
    public async Task WaitForRefusedAsync(int count, CancellationToken cancellationToken)
    {
        for (var i = 0; i < count; i++)
        {
            await _refused.WaitAsync(cancellationToken);
        }
    }

    private async Task RefuseAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;   // stopped
            }
            socket.LingerState = new LingerOption(enable: true, seconds: 0);   // close with a reset: no response at all
            socket.Dispose();
            _refused.Release();
        }
    }

    /// <summary>Frees the port.</summary>
    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _loop;
        _refused.Dispose();
    }
}
