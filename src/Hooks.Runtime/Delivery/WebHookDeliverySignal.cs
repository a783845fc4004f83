using System.Threading.Channels;

namespace Hooks.Delivery;

/// <summary>
/// Wakes the dispatcher when something became due now (the <see cref="IWebHookNotifier"/>'s publish and redelivery
/// notifications, a low queue, the retry timer). Many publishers ring it at once: after the first ring, others only
/// read a flag until the dispatcher resets it.
/// </summary>
internal sealed class WebHookDeliverySignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private int _rung;

    public void Notify()
    {
        if (Volatile.Read(ref _rung) == 0 && Interlocked.Exchange(ref _rung, 1) == 0)
        {
            _channel.Writer.TryWrite(true);
        }
    }

    public ValueTask<bool> WaitAsync(CancellationToken cancellationToken) => _channel.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>
    /// Called by the dispatcher before it looks for work: a ring before this is covered by that look, a ring after
    /// it wakes the next wait.
    /// </summary>
    public void Reset()
    {
        _channel.Reader.TryRead(out _);
        Volatile.Write(ref _rung, 0);
    }
}
