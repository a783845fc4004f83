using Hooks.ReverseHttp;
using Hooks.Security;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hooks.Tests.ReverseHttp;

/// <summary>The consumer's listener as Kestrel drives it: accept honours cancellation, unbinding ends accepting.</summary>
public sealed class ReverseHttpListenerTests
{
    private static ReverseHttpListener Listener() => new(new ReverseHttpEndPoint(), new WebHookReverseHttpClientOptions
    {
        ProducerUrl = new Uri("http://127.0.0.1:9/webhooks/ptth"),
        SubscriptionId = "sub_x",
        Secret = WebHookSecret.Generate().Reveal(),
    }, TimeProvider.System, NullLogger.Instance);

    [Fact]
    public async Task Accept_honours_cancellation()
    {
        await using var listener = Listener();
        using var cancel = new CancellationTokenSource();
        var accept = listener.AcceptAsync(cancel.Token).AsTask();
        Assert.False(accept.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => accept.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Unbinding_ends_a_pending_accept_with_null()
    {
        await using var listener = Listener();
        listener.Start(); // dialling a closed port: refused and retried until unbound
        var accept = listener.AcceptAsync().AsTask();
        await listener.UnbindAsync();
        Assert.Null(await accept.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
