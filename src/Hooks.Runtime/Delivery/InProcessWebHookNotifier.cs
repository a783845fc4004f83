namespace Hooks.Delivery;

/// <summary>The default <see cref="IWebHookNotifier"/>: wakes the dispatcher of this process only.</summary>
internal sealed class InProcessWebHookNotifier : IWebHookNotifier
{
    private readonly WebHookNotifierSubscribers _subscribers = new();

    // The dispatcher's own signal coalesces: after the first ring, the others read a flag.
    public void Notify() => _subscribers.Ring();

    public IDisposable Subscribe(Action onWorkDue) => _subscribers.Add(onWorkDue);
}
