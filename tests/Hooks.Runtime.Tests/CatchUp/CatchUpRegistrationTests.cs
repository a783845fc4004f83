using Hooks.CatchUp;
using Hooks.Security;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Hooks.Tests.CatchUp;

/// <summary>AddCatchUp's mistakes stop the app at start with a message that says what to do.</summary>
public sealed class CatchUpRegistrationTests
{
    private static readonly string Secret = WebHookSecret.Generate().Reveal();

    private static Task<LoopbackApp> StartAsync(Action<Hooks.Hosting.WebHooksBuilder> hooks) =>
        LoopbackApp.StartAsync(s => hooks(s.AddWebHooks()), _ => { });

    [Fact]
    public async Task Catch_up_without_a_receiver_fails_at_start_and_says_to_add_one()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(h => h.AddCatchUp(o =>
        {
            o.FeedUrl = new Uri("http://127.0.0.1:1/webhooks/feed");
            o.SubscriptionId = "sub_x";
            o.Secret = Secret;
        })));

        Assert.Contains("AddReceiver", error.Message);
    }

    [Fact]
    public async Task Catch_up_naming_a_receiver_that_does_not_exist_fails_at_start()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(h => h.AddReceiver(o => o.Secrets.Add(Secret)).AddCatchUp(o =>
        {
            o.FeedUrl = new Uri("http://127.0.0.1:1/webhooks/feed");
            o.SubscriptionId = "sub_x";
            o.Secret = Secret;
            o.ReceiverName = "orders";
        })));

        Assert.Contains("'orders'", error.Message);
    }

    [Theory]
    [InlineData("ftp://producer.example/feed", "sub_x", 100)]
    [InlineData("https://producer.example/feed?after=1", "sub_x", 100)]
    [InlineData("https://producer.example/feed", "", 100)]
    [InlineData("https://producer.example/feed", "sub x", 100)]
    [InlineData("https://producer.example/feed", "sub_x", 0)]
    [InlineData("https://producer.example/feed", "sub_x", 1001)]
    public async Task Invalid_options_fail_at_start(string feed, string subscription, int pageSize)
    {
        await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(h => h.AddReceiver(o => o.Secrets.Add(Secret)).AddCatchUp(o =>
        {
            o.FeedUrl = new Uri(feed);
            o.SubscriptionId = subscription;
            o.Secret = Secret;
            o.PageSize = pageSize;
        })));
    }

    [Fact]
    public async Task A_secret_that_is_not_a_whsec_secret_fails_at_start_without_showing_it()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(h => h.AddReceiver(o => o.Secrets.Add(Secret)).AddCatchUp(o =>
        {
            o.FeedUrl = new Uri("https://producer.example/feed");
            o.SubscriptionId = "sub_x";
            o.Secret = "not-a-secret-value";
        })));

        Assert.DoesNotContain("not-a-secret-value", error.Message);
    }
}
