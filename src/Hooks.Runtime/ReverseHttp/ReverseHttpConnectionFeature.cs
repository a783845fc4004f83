namespace Hooks.ReverseHttp;

/// <summary>
/// Marks a connection the consumer dialled out and the producer reversed, so the receiver serving a request on it can
/// say so in <see cref="WebHookContext.Source"/>. It carries nothing: its presence is the information.
/// </summary>
internal sealed class ReverseHttpConnectionFeature
{
    public static readonly ReverseHttpConnectionFeature Instance = new();

    private ReverseHttpConnectionFeature()
    {
    }
}
