namespace Hooks.Delivery;

/// <summary>
/// Wakes dispatchers when deliveries became due now (a publish, a redelivery), so they need not poll for them. The
/// default works in process; a shared store's notifier (PostgreSQL's <c>LISTEN/NOTIFY</c>) also wakes the dispatchers
/// of the app's other instances. A lost notification only delays work until the dispatcher's next poll.
/// </summary>
public interface IWebHookNotifier
{
    /// <summary>
    /// Says deliveries are due now. Called on every publish, by many callers at once: implementations coalesce, so
    /// that while a notification is pending another costs a flag read.
    /// </summary>
    void Notify();

    /// <summary>
    /// Calls <paramref name="onWorkDue"/> whenever work may be due: on <see cref="Notify"/> here, on another instance's
    /// notification, and after a reconnection (when notifications may have been missed). The callback must be cheap and
    /// must not throw; it may run on any thread.
    /// </summary>
    /// <param name="onWorkDue">What to do; a dispatcher rings its own wake-up.</param>
    /// <returns>Disposing it stops the calls.</returns>
    IDisposable Subscribe(Action onWorkDue);
}
