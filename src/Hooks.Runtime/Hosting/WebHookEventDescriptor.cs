namespace Hooks;

/// <summary>An event type a producer offers: its name and description, as listed to subscribers.</summary>
/// <param name="Type">The event type name, such as <c>order.created</c>.</param>
/// <param name="Description">The description from <see cref="WebHookEventAttribute.Description"/>.</param>
public sealed record WebHookEventDescriptor(string Type, string? Description)
{
    /// <summary>The descriptor of <typeparamref name="TEvent"/>, read from its generated static members.</summary>
    public static WebHookEventDescriptor Of<TEvent>() where TEvent : IWebHookEvent<TEvent> =>
        new(TEvent.EventType, TEvent.EventDescription);
}
