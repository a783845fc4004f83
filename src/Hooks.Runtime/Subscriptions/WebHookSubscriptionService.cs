using System.Text;
using Hooks.Delivery;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Microsoft.Extensions.Options;

namespace Hooks.Subscriptions;

/// <summary>What an owner may set on a subscription; <c>null</c> members are left as they are on update.</summary>
internal sealed record SubscriptionInput(string? Url, IReadOnlyList<string>? EventTypes, string? Description,
    IReadOnlyDictionary<string, string>? Metadata, string? Secret);

/// <summary>Validates owner input and applies subscription changes to the store.</summary>
internal sealed class WebHookSubscriptionService(IWebHookStore store, WebHookEventCatalog catalog, TimeProvider time,
    IOptions<WebHookProducerOptions> options, WebHookIntentVerifier verifier, WebHookPublisher publisher, WebHookDeliverySignal signal)
{
    public const int MaxEventTypes = 64;
    public const int MaxEventTypeLength = 128;
    public const int MaxDescriptionLength = 1024;
    public const int MaxMetadataEntries = 32;
    public const int MaxMetadataKeyLength = 64;
    public const int MaxMetadataValueLength = 512;
    public const int MaxSecrets = 5;
    public const string TestEventType = "webhook.test";

    public IWebHookStore Store => store;

    public WebHookEventCatalog Catalog => catalog;

    public TimeProvider Time => time;

    /// <summary>Checks input; every problem is keyed by the JSON member it concerns.</summary>
    public Dictionary<string, string[]> Validate(SubscriptionInput input, bool creating, out Uri? url, out WebHookSecret? secret)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        url = null;
        secret = null;
        var o = options.Value;
        if (input.Url is not null || creating)
        {
            if (string.IsNullOrEmpty(input.Url))
            {
                errors["url"] = ["The URL is required."];
            }
            else if (input.Url.Length > o.MaxUrlLength)
            {
                errors["url"] = [$"The URL is longer than {o.MaxUrlLength} chars."];
            }
            else if (!Uri.TryCreate(input.Url, UriKind.Absolute, out var parsed))
            {
                errors["url"] = ["The URL is not an absolute URL."];
            }
            else if (parsed.Scheme != Uri.UriSchemeHttps && !(o.AllowHttp && parsed.Scheme == Uri.UriSchemeHttp))
            {
                errors["url"] = [o.AllowHttp ? "The URL must use https or http." : "The URL must use https."];
            }
            else if (!string.IsNullOrEmpty(parsed.UserInfo))
            {
                errors["url"] = ["The URL must not contain credentials."];
            }
            else if (!string.IsNullOrEmpty(parsed.Fragment))
            {
                errors["url"] = ["The URL must not have a fragment."];
            }
            else
            {
                url = parsed;
            }
        }

        if (input.EventTypes is { } types)
        {
            var problems = new List<string>();
            if (types.Count > MaxEventTypes)
            {
                problems.Add($"At most {MaxEventTypes} event type filters are allowed.");
            }
            else
            {
                foreach (var type in types)
                {
                    if (string.IsNullOrEmpty(type) || type.Length > MaxEventTypeLength)
                    {
                        problems.Add($"Event type filters have 1 to {MaxEventTypeLength} chars.");
                    }
                    else if (WebHookEventFilter.IsWildcard(type))
                    {
                        if (!catalog.All.Any(d => WebHookEventFilter.Matches(type, d.Type)))
                        {
                            problems.Add($"The filter '{type}' matches no event type.");
                        }
                    }
                    else if (!catalog.TryGet(type, out _))
                    {
                        problems.Add($"Unknown event type '{type}'.");
                    }
                }
            }
            if (problems.Count > 0)
            {
                errors["eventTypes"] = [.. problems];
            }
        }

        if (input.Description is { Length: > MaxDescriptionLength })
        {
            errors["description"] = [$"The description is longer than {MaxDescriptionLength} chars."];
        }
        if (input.Metadata is { } metadata)
        {
            if (metadata.Count > MaxMetadataEntries)
            {
                errors["metadata"] = [$"At most {MaxMetadataEntries} metadata entries are allowed."];
            }
            else if (metadata.Any(kv => kv.Key.Length is 0 or > MaxMetadataKeyLength || kv.Value is null || kv.Value.Length > MaxMetadataValueLength))
            {
                errors["metadata"] = [$"Metadata keys have 1 to {MaxMetadataKeyLength} chars and values at most {MaxMetadataValueLength}."];
            }
        }
        if (input.Secret is not null)
        {
            if (!WebHookSecret.TryParse(input.Secret, out secret, out var error))
            {
                errors["secret"] = [WebHookSecret.Describe(error)];
            }
        }
        return errors;
    }

    public async Task<(WebHookSubscription Subscription, WebHookSecret Secret)> CreateAsync(SubscriptionInput input, Uri url,
        WebHookSecret? secret, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        secret ??= WebHookSecret.Generate();
        var verify = options.Value.RequireIntentVerification;
        var subscription = new WebHookSubscription
        {
            Id = WebHookMessageId.NewSubscriptionId(now),
            Url = url,
            Secrets = [new WebHookSubscriptionSecret(secret, now, null)],
            EventTypes = [.. input.EventTypes ?? []],
            Description = input.Description,
            Metadata = new Dictionary<string, string>(input.Metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal),
            Status = verify ? WebHookSubscriptionStatus.Pending : WebHookSubscriptionStatus.Enabled,
            StatusReason = verify ? "Waiting for the URL to answer the intent-verification challenge." : null,
            CreatedAt = now,
            UpdatedAt = now,
        };
        await store.CreateSubscriptionAsync(subscription, cancellationToken).ConfigureAwait(false);
        if (verify)
        {
            subscription = await VerifyAsync(subscription, cancellationToken).ConfigureAwait(false);
        }
        return (subscription, secret);
    }

    /// <summary>Runs the challenge for a pending subscription; enables it when answered.</summary>
    public async Task<WebHookSubscription> VerifyAsync(WebHookSubscription subscription, CancellationToken cancellationToken)
    {
        var failure = await verifier.VerifyAsync(subscription, cancellationToken).ConfigureAwait(false);
        var updated = subscription with
        {
            Status = failure is null ? WebHookSubscriptionStatus.Enabled : WebHookSubscriptionStatus.Pending,
            StatusReason = failure,
            UpdatedAt = time.GetUtcNow(),
        };
        await store.UpdateSubscriptionAsync(updated, cancellationToken).ConfigureAwait(false);
        return updated;
    }

    public async Task<WebHookSubscription> UpdateAsync(WebHookSubscription current, SubscriptionInput input, Uri? url, CancellationToken cancellationToken)
    {
        var updated = current with
        {
            Url = url ?? current.Url,
            EventTypes = input.EventTypes is { } t ? [.. t] : current.EventTypes,
            Description = input.Description ?? current.Description,
            Metadata = input.Metadata is { } m ? new Dictionary<string, string>(m, StringComparer.Ordinal) : current.Metadata,
            UpdatedAt = time.GetUtcNow(),
        };
        if (url is not null && url != current.Url && options.Value.RequireIntentVerification)
        {
            // A new URL must prove its intent again.
            updated = updated with { Status = WebHookSubscriptionStatus.Pending, StatusReason = "Waiting for the new URL to answer the intent-verification challenge." };
            await store.UpdateSubscriptionAsync(updated, cancellationToken).ConfigureAwait(false);
            return await VerifyAsync(updated, cancellationToken).ConfigureAwait(false);
        }
        await store.UpdateSubscriptionAsync(updated, cancellationToken).ConfigureAwait(false);
        return updated;
    }

    public async Task<WebHookSubscription> SetEnabledAsync(WebHookSubscription current, bool enabled, string? reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var updated = enabled
            ? current with { Status = WebHookSubscriptionStatus.Enabled, StatusReason = null, FailingSince = null, UpdatedAt = now }
            : current with { Status = WebHookSubscriptionStatus.Disabled, StatusReason = reason ?? "Disabled by its owner.", UpdatedAt = now };
        if (enabled && current.Status == WebHookSubscriptionStatus.Pending && options.Value.RequireIntentVerification)
        {
            return await VerifyAsync(current, cancellationToken).ConfigureAwait(false);
        }
        await store.UpdateSubscriptionAsync(updated, cancellationToken).ConfigureAwait(false);
        if (enabled)
        {
            signal.Notify();
        }
        return updated;
    }

    /// <summary>Adds a new secret; the current ones keep signing for the overlap, then retire.</summary>
    public async Task<(WebHookSubscription Subscription, WebHookSecret Secret)> RotateAsync(WebHookSubscription current, WebHookSecret? secret,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var retireAt = now + options.Value.SecretRotationOverlap;
        secret ??= WebHookSecret.Generate();
        var secrets = new List<WebHookSubscriptionSecret> { new(secret, now, null) };
        foreach (var s in current.Secrets)
        {
            if (s.ExpiresAt is null || s.ExpiresAt > now)
            {
                secrets.Add(s with { ExpiresAt = s.ExpiresAt is { } e && e < retireAt ? e : retireAt });
            }
        }
        if (secrets.Count > MaxSecrets)
        {
            secrets.RemoveRange(MaxSecrets, secrets.Count - MaxSecrets);
        }
        var updated = current with { Secrets = secrets, UpdatedAt = now };
        await store.UpdateSubscriptionAsync(updated, cancellationToken).ConfigureAwait(false);
        return (updated, secret);
    }

    public async Task<bool> RedeliverAsync(string subscriptionId, string messageId, CancellationToken cancellationToken)
    {
        var done = await store.RedeliverAsync(subscriptionId, messageId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (done)
        {
            signal.Notify();
        }
        return done;
    }

    public async Task<int> RecoverAsync(string subscriptionId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var count = await store.RecoverAsync(subscriptionId, since, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (count > 0)
        {
            signal.Notify();
        }
        return count;
    }

    /// <summary>Publishes a <c>webhook.test</c> message to this subscription only.</summary>
    public async Task<PublishedMessage> SendTestAsync(WebHookSubscription subscription, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var body = Encoding.UTF8.GetBytes(
            $"{{\"type\":\"{TestEventType}\",\"timestamp\":\"{now.ToUniversalTime():yyyy-MM-ddTHH:mm:ss.fffffffK}\",\"data\":{{\"subscriptionId\":\"{subscription.Id}\"}}}}");
        return await publisher.AppendAsync(TestEventType, body, now, null, subscription.Id, cancellationToken).ConfigureAwait(false);
    }
}
