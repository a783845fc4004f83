using System.Text.Json;
using System.Text.Json.Serialization;
using Hooks;

/// <summary>The producer's event, declared here as the consumer reads it (the same name and JSON shape).</summary>
[WebHookEvent("order.created", Description = "An order was placed.")]
public partial record OrderCreated(string OrderId, decimal Total);

// JsonSerializerDefaults.Web: camelCase names ("orderId"), as the producer sends them. Hooks reads through this
// context (source-generated metadata), never reflection: the app publishes with Native AOT.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(OrderCreated))]
internal partial class AppJson : JsonSerializerContext;

/// <summary>Found and registered by the generator; resolved from DI per message, after the signature verified.</summary>
public sealed partial class OrderCreatedHandler(ILogger<OrderCreatedHandler> logger) : IWebHookHandler<OrderCreated>
{
    public Task HandleAsync(OrderCreated order, WebHookContext context, CancellationToken cancellationToken)
    {
        Handled(logger, order.OrderId, order.Total, context.MessageId, context.Attempt ?? 1);
        return Task.CompletedTask;
    }

    [LoggerMessage(1, LogLevel.Information, "Order {OrderId} placed, total {Total} ({MessageId}, attempt {Attempt})")]
    private static partial void Handled(ILogger logger, string orderId, decimal total, string messageId, int attempt);
}
