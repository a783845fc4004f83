using Hooks.Delivery;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Tests.Delivery;

/// <summary>The notifier seam: publishers notify through it, and the dispatcher wakes on whatever it rings.</summary>
public sealed class NotifierTests
{
    [Fact]
    public void In_process_notifier_rings_each_subscriber_until_it_unsubscribes()
    {
        var notifier = new InProcessWebHookNotifier();
        int first = 0, second = 0;
        var a = notifier.Subscribe(() => first++);
        using var b = notifier.Subscribe(() => second++);

        notifier.Notify();
        a.Dispose();
        a.Dispose();
        notifier.Notify();

        Assert.Equal(1, first);
        Assert.Equal(2, second);
    }

    [Fact]
    public async Task Publisher_notifies_and_dispatcher_wakes_through_the_registered_notifier()
    {
        // A notifier that counts publishes but does not wake anyone, as if the wake-up came from another instance:
        // with the clock stopped, the dispatcher sends only when the notifier rings it.
        var notifier = new ManualNotifier();
        await using var receiver = await Receiver.StartAsync();
        await using var producer = await ProducerApp.StartAsync(services: s => s.AddSingleton<IWebHookNotifier>(notifier));
        var now = producer.Time.GetUtcNow();
        Assert.True(await producer.Store.CreateSubscriptionAsync(new WebHookSubscription
        {
            Id = WebHookIds.NewSubscriptionId(now),
            Url = receiver.Url,
            Secrets = [new WebHookSubscriptionSecret(WebHookSecret.Generate(), now, null)],
            EventTypes = [],
            Status = WebHookSubscriptionStatus.Enabled,
            CreatedAt = now,
            UpdatedAt = now,
        }));
        await notifier.Subscribed.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var published = await producer.Publisher.PublishAsync(new OrderCreated("o-n", 1));
        Assert.Equal(1, notifier.Notifications);

        notifier.RingSubscribers();

        var request = await receiver.NextAsync();
        Assert.Equal(published.MessageId, request.Header("webhook-id"));
    }

    private sealed class ManualNotifier : IWebHookNotifier
    {
        private readonly WebHookNotifierSubscribers _subscribers = new();
        private int _notifications;

        public TaskCompletionSource Subscribed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Notifications => Volatile.Read(ref _notifications);

        public void Notify() => Interlocked.Increment(ref _notifications);

        public IDisposable Subscribe(Action onWorkDue)
        {
            var subscription = _subscribers.Add(onWorkDue);
            Subscribed.TrySetResult();
            return subscription;
        }

        public void RingSubscribers() => _subscribers.Ring();
    }
}
