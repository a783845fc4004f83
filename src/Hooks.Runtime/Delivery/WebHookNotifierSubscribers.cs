namespace Hooks.Delivery;

/// <summary>
/// The callbacks of an <see cref="IWebHookNotifier"/>: copy-on-write, so ringing them (on every publish) reads one
/// array and takes no lock. Notifiers other than the in-process one use it too.
/// </summary>
public sealed class WebHookNotifierSubscribers
{
    private readonly Lock _gate = new();
    private Action[] _callbacks = [];

    /// <summary>Whether anyone is subscribed.</summary>
    public bool Any => Volatile.Read(ref _callbacks).Length > 0;

    /// <summary>Calls every subscribed callback.</summary>
    public void Ring()
    {
        var callbacks = Volatile.Read(ref _callbacks);
        for (var i = 0; i < callbacks.Length; i++)
        {
            callbacks[i]();
        }
    }

    /// <summary>Adds <paramref name="callback"/> until the returned handle is disposed.</summary>
    public IDisposable Add(Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        lock (_gate)
        {
            _callbacks = [.. _callbacks, callback];
        }
        return new Subscription(this, callback);
    }

    private void Remove(Action callback)
    {
        lock (_gate)
        {
            var index = Array.IndexOf(_callbacks, callback);
            if (index >= 0)
            {
                _callbacks = [.. _callbacks.AsSpan(0, index), .. _callbacks.AsSpan(index + 1)];
            }
        }
    }

    private sealed class Subscription(WebHookNotifierSubscribers owner, Action callback) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Remove(callback);
            }
        }
    }
}
