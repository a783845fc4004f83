using System.Net;
using System.Text;
using Hooks.Hosting;
using Hooks.Infrastructure;
using Hooks.Receiving;
using Hooks.Security;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Tests.Receiving;

/// <summary>
/// The processor non-HTTP sources (catch-up) call, on a real Kestrel consumer whose endpoint shares its pipeline:
/// pushes and direct calls of one id run the handler once between them.
/// </summary>
public sealed class MessageProcessorTests
{
    private static readonly WebHookSecret Secret = WebHookSecret.Generate();
    private static readonly DateTimeOffset Happened = new(2026, 11, 30, 6, 0, 0, TimeSpan.Zero);

    private static Task<LoopbackApp> StartAsync(HandlerLog log, Action<WebHookReceiverOptions>? configure = null, Action<IServiceCollection>? more = null) =>
        LoopbackApp.StartAsync(
            services =>
            {
                services.AddSingleton(log);
                services.AddScoped<IWebHookHandler<OrderCreated>, OrderCreatedHandler>();
                services.AddScoped<IWebHookHandler<InvoicePaid>, InvoicePaidHandler>();
                // What the generator registers for an assembly with handlers.
                services.AddSingleton<IWebHookDispatcher>(TestDispatcher.Instance);
                services.AddWebHooks().AddReceiver(o =>
                {
                    o.Secrets.Add(Secret.Reveal());
                    o.MaxBodyBytes = 4096;
                    configure?.Invoke(o);
                });
                more?.Invoke(services);
            },
            app => app.MapWebHookReceiver("/webhooks", TestDispatcher.Instance));

    private static WebHookInboundMessage Order(string id, string orderId = "o-1", string? receiver = null) =>
        Message(id, "order.created", $$"""{"orderId":"{{orderId}}","total":12.5}""", receiver);

    private static WebHookInboundMessage Message(string id, string type, string data, string? receiver = null) => new()
    {
        MessageId = id,
        EventType = type,
        Timestamp = Happened,
        Body = Encoding.UTF8.GetBytes(SignedRequests.Envelope(type, data, Happened)),
        ReceiverName = receiver,
    };

    private static WebHookMessageProcessor Processor(LoopbackApp app) => app.Services.GetRequiredService<WebHookMessageProcessor>();

    [Fact]
    public async Task A_message_runs_its_handler_with_a_catch_up_context()
    {
        var log = new HandlerLog();
        await using var app = await StartAsync(log);

        var result = await Processor(app).ProcessAsync(Order("msg_direct1", "o-7"));

        Assert.Equal(WebHookProcessingStatus.Handled, result.Status);
        Assert.Equal(WebHookProcessingFailure.None, result.Failure);
        Assert.True(result.IsSettled);
        var (evt, context) = Assert.Single(log.Calls);
        Assert.Equal(new OrderCreated("o-7", 12.5m), evt);
        Assert.Equal("msg_direct1", context.MessageId);
        Assert.Equal("order.created", context.EventType);
        Assert.Equal(Happened, context.Timestamp);
        Assert.Equal(WebHookSource.CatchUp, context.Source);
        Assert.Equal("default", context.ReceiverName);
        Assert.Null(context.Attempt);
    }

    [Fact]
    public async Task An_id_handled_by_a_push_is_a_duplicate_for_the_processor_and_the_reverse()
    {
        var log = new HandlerLog();
        await using var app = await StartAsync(log);
        var processor = Processor(app);

        using var pushed = await app.Client.SendAsync(SignedRequests.Order(Secret, id: "msg_pushed_first"));
        var afterPush = await processor.ProcessAsync(Order("msg_pushed_first"));
        var direct = await processor.ProcessAsync(Order("msg_direct_first"));
        using var pushedAfter = await app.Client.SendAsync(SignedRequests.Order(Secret, id: "msg_direct_first"));
        var again = await processor.ProcessAsync(Order("msg_direct_first"));

        Assert.Equal(HttpStatusCode.NoContent, pushed.StatusCode);
        Assert.Equal(WebHookProcessingStatus.Duplicate, afterPush.Status);
        Assert.Equal(WebHookProcessingStatus.Handled, direct.Status);
        Assert.Equal(HttpStatusCode.OK, pushedAfter.StatusCode);
        Assert.Equal(WebHookProcessingStatus.Duplicate, again.Status);
        Assert.Equal(["msg_direct_first", "msg_pushed_first"], log.Calls.Select(c => c.Context.MessageId).Order());
    }

    [Fact]
    public async Task Concurrent_pushes_and_direct_calls_of_the_same_ids_run_each_handler_once()
    {
        var log = new HandlerLog();
        await using var app = await StartAsync(log);
        var processor = Processor(app);
        var ids = Enumerable.Range(0, 50).Select(i => $"msg_race{i}").ToArray();

        // Each id arrives three times at once: a push and two direct calls. Whoever loses the claim gets 409 / InProgress
        // and tries again, as a producer and a poller would, until the id is settled everywhere.
        await Task.WhenAll(ids.SelectMany(id => new[]
        {
            Task.Run(async () =>
            {
                while (true)
                {
                    using var response = await app.Client.SendAsync(SignedRequests.Order(Secret, id: id));
                    if (response.StatusCode != HttpStatusCode.Conflict) { Assert.True(response.IsSuccessStatusCode); return; }
                }
            }),
            Task.Run(() => SettleAsync(processor, id)),
            Task.Run(() => SettleAsync(processor, id)),
        }));

        Assert.Equal(ids.Order(), log.Calls.Select(c => c.Context.MessageId).Order());
    }

    private static async Task SettleAsync(WebHookMessageProcessor processor, string id)
    {
        while (true)
        {
            var result = await processor.ProcessAsync(Order(id));
            if (result.IsSettled) return;
            Assert.Equal(WebHookProcessingFailure.InProgress, result.Failure);
        }
    }

    [Fact]
    public async Task A_message_held_by_a_push_in_its_handler_is_in_progress_then_a_duplicate()
    {
        var log = new HandlerLog { Gate = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var app = await StartAsync(log);
        var push = app.Client.SendAsync(SignedRequests.Order(Secret, id: "msg_held"));
        await log.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var during = await Processor(app).ProcessAsync(Order("msg_held"));
        log.Gate.SetResult();
        using var pushed = await push;
        var after = await Processor(app).ProcessAsync(Order("msg_held"));

        Assert.Equal(WebHookProcessingStatus.Failed, during.Status);
        Assert.Equal(WebHookProcessingFailure.InProgress, during.Failure);
        Assert.False(during.IsSettled);
        Assert.Equal(HttpStatusCode.NoContent, pushed.StatusCode);
        Assert.Equal(WebHookProcessingStatus.Duplicate, after.Status);
        Assert.Single(log.Calls);
    }

    [Fact]
    public async Task A_failing_handler_is_reported_and_the_next_call_runs_it_again()
    {
        var log = new HandlerLog { FailuresToThrow = 1 };
        await using var app = await StartAsync(log);

        var failed = await Processor(app).ProcessAsync(Order("msg_fails_once"));
        var retried = await Processor(app).ProcessAsync(Order("msg_fails_once"));

        Assert.Equal(WebHookProcessingFailure.HandlerFailed, failed.Failure);
        Assert.IsType<InvalidOperationException>(failed.Exception);
        Assert.False(failed.IsSettled);
        Assert.Equal(WebHookProcessingStatus.Handled, retried.Status);
        Assert.Single(log.Calls);
        Assert.Contains(app.Logs.Lines, line => line.StartsWith("Error ", StringComparison.Ordinal) && line.Contains("the handler for order.created failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Data_that_does_not_fit_the_event_type_is_refused_like_a_push_and_not_marked()
    {
        var log = new HandlerLog();
        await using var app = await StartAsync(log);

        var refused = await Processor(app).ProcessAsync(Message("msg_misfit", "order.created", """{"orderId":"o-1","total":"twelve"}"""));
        var fitting = await Processor(app).ProcessAsync(Order("msg_misfit"));

        Assert.Equal(WebHookProcessingFailure.PayloadDoesNotFit, refused.Failure);
        Assert.Contains("OrderCreated", refused.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("twelve", refused.Detail, StringComparison.Ordinal);
        Assert.Equal(WebHookProcessingStatus.Handled, fitting.Status);
        Assert.Single(log.Calls);
    }

    public static TheoryData<string, WebHookInboundMessage> MalformedMessages => new()
    {
        { "not an envelope", new() { MessageId = "msg_m1", EventType = "order.created", Timestamp = Happened, Body = "[1,2]"u8.ToArray() } },
        { "type differs from the body's", new() { MessageId = "msg_m2", EventType = "invoice.paid", Timestamp = Happened, Body = Order("msg_m2").Body } },
        { "timestamp differs from the body's", new() { MessageId = "msg_m3", EventType = "order.created", Timestamp = Happened.AddSeconds(1), Body = Order("msg_m3").Body } },
        { "id with a space", new() { MessageId = "msg m4", EventType = "order.created", Timestamp = Happened, Body = Order("msg_m4").Body } },
        { "empty id", new() { MessageId = "", EventType = "order.created", Timestamp = Happened, Body = Order("msg_m5").Body } },
        { "id over 256 characters", new() { MessageId = new string('a', 257), EventType = "order.created", Timestamp = Happened, Body = Order("msg_m6").Body } },
        { "body over the receiver's limit", Message("msg_m7", "order.created", $$"""{"orderId":"{{new string('x', 5000)}}","total":1}""") },
    };

    [Theory]
    [MemberData(nameof(MalformedMessages))]
    public async Task A_malformed_message_is_refused_before_any_handler(string why, WebHookInboundMessage message)
    {
        var log = new HandlerLog();
        await using var app = await StartAsync(log);

        var result = await Processor(app).ProcessAsync(message);

        Assert.True(result.Failure == WebHookProcessingFailure.MalformedMessage, why);
        Assert.False(string.IsNullOrEmpty(result.Detail));
        Assert.Empty(log.Calls);
    }

    [Fact]
    public async Task An_unknown_type_is_ignored_or_refused_as_the_receiver_says()
    {
        await using var acknowledging = await StartAsync(new HandlerLog());
        await using var rejecting = await StartAsync(new HandlerLog(), o => o.UnknownEventType = WebHookUnknownEventTypeBehavior.Reject);

        var ignored = await Processor(acknowledging).ProcessAsync(Message("msg_unknown", "shipment.sent", "{}"));
        var refused = await Processor(rejecting).ProcessAsync(Message("msg_unknown", "shipment.sent", "{}"));

        Assert.Equal(WebHookProcessingStatus.Ignored, ignored.Status);
        Assert.True(ignored.IsSettled);
        Assert.Equal(WebHookProcessingFailure.UnknownEventType, refused.Failure);
    }

    [Fact]
    public async Task Cancelling_throws_and_leaves_the_id_unhandled()
    {
        var log = new HandlerLog { Gate = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var app = await StartAsync(log);
        using var cancel = new CancellationTokenSource();

        var call = Processor(app).ProcessAsync(Order("msg_cancelled"), cancel.Token).AsTask();
        await log.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        log.Gate.SetResult();

        Assert.Equal(WebHookProcessingStatus.Handled, (await Processor(app).ProcessAsync(Order("msg_cancelled"))).Status);
    }

    [Fact]
    public async Task Ids_are_deduplicated_per_receiver()
    {
        var log = new HandlerLog();
        await using var app = await StartAsync(log, more: s => s.AddWebHooks().AddReceiver("github", o => o.Secrets.Add(Secret.Reveal())));

        var first = await Processor(app).ProcessAsync(Order("msg_shared", receiver: "default"));
        var second = await Processor(app).ProcessAsync(Order("msg_shared", receiver: "github"));

        Assert.Equal(WebHookProcessingStatus.Handled, first.Status);
        Assert.Equal(WebHookProcessingStatus.Handled, second.Status);
        Assert.Equal(["default", "github"], log.Calls.Select(c => c.Context.ReceiverName).Order());
        await Assert.ThrowsAsync<InvalidOperationException>(() => Processor(app).ProcessAsync(Order("msg_x", receiver: "nobody")).AsTask());
    }
}
