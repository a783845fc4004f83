namespace Hooks;

/// <summary>
/// Marks a <c>partial</c> class, record or struct as a webhook event. The Hooks source generator implements
/// <see cref="IWebHookEvent{TSelf}"/> for it: the event type name, the JSON envelope writer and the strict reader.
/// </summary>
/// <remarks>
/// The type name is 1 to 256 characters of <c>[a-zA-Z0-9-_.]</c> (what Svix accepts), for example
/// <c>order.created</c> or <c>payment-intent.succeeded</c>. It is what travels in the envelope's <c>type</c> field and
/// what subscriptions filter on (<c>order.*</c> takes every name starting with <c>order.</c>).
/// </remarks>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = false, Inherited = false)]
public sealed class WebHookEventAttribute : Attribute
{
    /// <summary>Declares the event's type name, such as <c>order.created</c>.</summary>
    /// <param name="type">The event type name.</param>
    public WebHookEventAttribute(string type) => Type = type;

    /// <summary>The event type name, such as <c>order.created</c>.</summary>
    public string Type { get; }

    /// <summary>A human-readable description, listed with the event types a producer offers.</summary>
    public string? Description { get; set; }
}
