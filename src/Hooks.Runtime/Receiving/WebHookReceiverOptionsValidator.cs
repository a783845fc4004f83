using Hooks.Hosting;
using Hooks.Security;
using Microsoft.Extensions.Options;

namespace Hooks.Receiving;

/// <summary>Validates receiver options at start; messages name the problem, never a secret.</summary>
internal sealed class WebHookReceiverOptionsValidator : IValidateOptions<WebHookReceiverOptions>
{
    /// <summary>The largest body limit that can be configured: 64 MiB.</summary>
    public const int MaxConfigurableBodyBytes = 64 * 1024 * 1024;

    public ValidateOptionsResult Validate(string? name, WebHookReceiverOptions options)
    {
        var failures = new List<string>();
        var receiver = string.IsNullOrEmpty(name) ? "(unnamed)" : name;
        if (options.Secrets.Count == 0)
        {
            failures.Add($"Webhook receiver '{receiver}' has no secrets: add the producer's signing secret (whsec_…) to Secrets.");
        }
        if (options.Secrets.Count > WebHookVerifier.MaxSecrets)
        {
            failures.Add($"Webhook receiver '{receiver}' has more than {WebHookVerifier.MaxSecrets} secrets.");
        }
        for (var i = 0; i < options.Secrets.Count; i++)
        {
            if (!WebHookSecret.TryParse(options.Secrets[i], out _, out var error))
            {
                failures.Add($"Webhook receiver '{receiver}' secret #{i + 1}: {WebHookSecret.Describe(error)}");
            }
        }
        if (options.Tolerance < TimeSpan.Zero)
        {
            failures.Add($"Webhook receiver '{receiver}': Tolerance must not be negative.");
        }
        if (options.MaxBodyBytes is < 1 or > MaxConfigurableBodyBytes)
        {
            failures.Add($"Webhook receiver '{receiver}': MaxBodyBytes must be between 1 and {MaxConfigurableBodyBytes}.");
        }
        if (options.DeduplicationWindow <= TimeSpan.Zero)
        {
            failures.Add($"Webhook receiver '{receiver}': DeduplicationWindow must be positive.");
        }
        if (options.HandlerLease <= TimeSpan.Zero)
        {
            failures.Add($"Webhook receiver '{receiver}': HandlerLease must be positive.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
