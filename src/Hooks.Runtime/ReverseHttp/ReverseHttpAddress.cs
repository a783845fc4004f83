namespace Hooks.ReverseHttp;

/// <summary>
/// Subscription URLs that say "deliver over reversed connections": <c>ptth://{label}/{path}?{query}</c>. The label is
/// free text for the owner (the consumer's name, say); the path and query are the request target the consumer's app
/// receives, as for a direct URL. Such a URL names no host to connect to, so the SSRF guard has nothing to judge: the
/// only peers are consumers that dialled in with the subscription's secret.
/// </summary>
public static class WebHookReverseHttpAddress
{
    /// <summary>The URL scheme: <c>ptth</c>.</summary>
    public const string Scheme = "ptth";

    /// <summary>Whether deliveries to <paramref name="url"/> go over reversed connections.</summary>
    public static bool IsReversed(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return url.IsAbsoluteUri && string.Equals(url.Scheme, Scheme, StringComparison.Ordinal);
    }

    /// <summary>What is wrong with a <c>ptth</c> URL as a subscription's address, or <c>null</c>.</summary>
    internal static string? Problem(Uri url) =>
        !string.IsNullOrEmpty(url.UserInfo) ? "The URL must not contain credentials." :
        !string.IsNullOrEmpty(url.Fragment) ? "The URL must not have a fragment." :
        string.IsNullOrEmpty(url.Host) ? "A ptth URL needs a label as its host: ptth://{label}/{path}." :
        null;
}
