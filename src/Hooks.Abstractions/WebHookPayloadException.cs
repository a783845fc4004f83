namespace Hooks;

/// <summary>
/// The JSON of a webhook message does not fit its event type: malformed JSON, a missing required member, <c>null</c>
/// where the type forbids it, or a value of the wrong JSON kind. The message never contains payload values.
/// </summary>
public sealed class WebHookPayloadException : Exception
{
    /// <summary>Creates the exception with a message that says what did not fit.</summary>
    public WebHookPayloadException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public WebHookPayloadException(string message, Exception innerException) : base(message, innerException) { }
}
