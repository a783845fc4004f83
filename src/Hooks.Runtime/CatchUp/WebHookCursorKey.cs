namespace Hooks.CatchUp;

/// <summary>The argument rules every <see cref="IWebHookCursorStore"/> applies, so all of them refuse the same input.</summary>
internal static class WebHookCursorKey
{
    /// <summary>The longest receiver name or subscription id a cursor is kept for.</summary>
    public const int MaxLength = 256;

    public static void Validate(string receiverName, string subscriptionId)
    {
        ArgumentException.ThrowIfNullOrEmpty(receiverName);
        ArgumentException.ThrowIfNullOrEmpty(subscriptionId);
        if (receiverName.Length > MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(receiverName), $"Receiver names are at most {MaxLength} characters.");
        }
        if (subscriptionId.Length > MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(subscriptionId), $"Subscription ids are at most {MaxLength} characters.");
        }
    }

    public static void Validate(string receiverName, string subscriptionId, long sequence)
    {
        Validate(receiverName, subscriptionId);
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
    }
}
