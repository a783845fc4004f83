using System.Threading.Channels;

namespace Hooks.Delivery;

/// <summary>Wakes the dispatcher when something became due now (a publish, a redelivery, a freed slot).</summary>
internal sealed class WebHookDeliverySignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    public void Notify() => _channel.Writer.TryWrite(true);

    public ValueTask<bool> WaitAsync(CancellationToken cancellationToken) => _channel.Reader.WaitToReadAsync(cancellationToken);

    public void Reset() => _channel.Reader.TryRead(out _);
}
