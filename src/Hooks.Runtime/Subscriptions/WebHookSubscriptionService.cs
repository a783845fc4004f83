using System.Net;
using System.Text;
using Hooks.Delivery;
using Hooks.Hosting;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Microsoft.Extensions.Options;

namespace Hooks.Subscriptions;

/// <summary>What an owner may set on a subscription; <c>null</c> members are left as they are on update.</summary>
internal sealed record SubscriptionInput(string? Url, IReadOnlyList<string>? EventTypes, string? Description,
    IReadOnlyDictionary<string, string>? Metadata, string? Secret, string? Verification = null);

/// <summary>How a subscription write ended.</summary>
internal enum SubscriptionWrite
{
    /// <summary>Written.</summary>
    Done,

    /// <summary>The subscription does not exist (any more).</summary>
    NotFound,

    /// <summary>The caller's <c>If-Match</c> named another version than the stored one (412).</summary>
    PreconditionFailed,

    /// <summary>Other writes kept coming first, every retry (409).</summary>
    Conflict,
}

/// <summary>Validates owner input and applies subscription changes to the store.</summary>
internal sealed class WebHookSubscriptionService(IWebHookStore store, WebHookEventCatalog catalog, TimeProvider time,
    IOptions<WebHookProducerOptions> options, WebHookIntentVerifier verifier, WebHookPublisher publisher, IWebHookNotifier signal,
    WebHookAddressGuard guard) : IDisposable
{
    public const int MaxEventTypes = 64;
    public const int MaxEventTypeLength = 256; // as long as an event type name may be ([WebHookEvent])
    public const int MaxDescriptionLength = 1024;
    public const int MaxMetadataEntries = 32;
    public const int MaxMetadataKeyLength = 64;
    public const int MaxMetadataValueLength = 512;
    public const int MaxSecrets = 5;
    public const string TestEventType = "webhook.test";

    public WebHookEventCatalog Catalog => catalog;

    public WebHookProducerOptions Options => options.Value;

    private bool VerificationRequired => options.Value.RequireIntentVerification;

    /// <summary>Checks input; every problem is keyed by the JSON member it concerns.</summary>
    public Dictionary<string, string[]> Validate(SubscriptionInput input, bool creating, out Uri? url, out WebHookSecret? secret,
        out WebHookIntentVerificationMode? verification)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        url = null;
        secret = null;
        verification = null;
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
            else if (ReverseHttp.WebHookReverseHttpAddress.IsReversed(parsed))
            {
                // Delivered over connections the consumer opens: no host is connected to, so no address rule applies.
                if (ReverseHttp.WebHookReverseHttpAddress.Problem(parsed) is { } problem) errors["url"] = [problem];
                else url = parsed;
            }
            else if (parsed.Scheme != Uri.UriSchemeHttps && !(o.AllowHttp && parsed.Scheme == Uri.UriSchemeHttp))
            {
                errors["url"] = [o.AllowHttp
                    ? "The URL must use https or http."
                    : $"The URL must use https (http is accepted only with {nameof(WebHookProducerOptions)}.{nameof(WebHookProducerOptions.AllowHttp)}, never in production)."];
            }
            else if (!string.IsNullOrEmpty(parsed.UserInfo))
            {
                errors["url"] = ["The URL must not contain credentials."];
            }
            else if (!string.IsNullOrEmpty(parsed.Fragment))
            {
                errors["url"] = ["The URL must not have a fragment."];
            }
            else if (parsed.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 &&
                     IPAddress.TryParse(parsed.DnsSafeHost, out var address) && !guard.IsAllowed(address))
            {
                // Refused now rather than retried for days; a name is checked on each connection (DNS can change).
                errors["url"] = [$"The URL's host is a loopback, private or otherwise reserved address, which deliveries may not reach; " +
                    $"add its network to {nameof(WebHookProducerOptions)}.{nameof(WebHookProducerOptions.AllowedNetworks)} to allow it (tests, samples)."];
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
        if (input.Verification is not null)
        {
            if (TryParseMode(input.Verification) is { } mode)
            {
                verification = mode;
            }
            else
            {
                errors["verification"] = ["verification must be challenge, ping or none."];
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

    /// <summary>
    /// Refuses (into <paramref name="errors"/>, under <c>eventTypes</c>) the filters that take an event type
    /// <see cref="WebHookProducerOptions.TenantEventTypeFilter"/> does not allow the tenant; returns whether any was.
    /// An empty filter takes every type.
    /// </summary>
    public bool ValidateTenantEventTypes(string tenant, IReadOnlyList<string> filters, Dictionary<string, string[]> errors)
    {
        if (options.Value.TenantEventTypeFilter is not { } allows || errors.ContainsKey("eventTypes"))
        {
            return false;
        }
        var owner = new WebHookTenant(tenant);
        var refused = catalog.All
            .Where(d => WebHookEventFilter.Matches(filters, d.Type) && !allows(owner, d.Type))
            .Select(d => d.Type)
            .ToList();
        if (refused.Count == 0)
        {
            return false;
        }
        errors["eventTypes"] = [$"The tenant may not subscribe to {string.Join(", ", refused)}" +
            (filters.Count == 0 ? " (an empty filter takes every event type): name the types it may have." : ".")];
        return true;
    }

    /// <summary>
    /// The registered event types <paramref name="tenant"/> may subscribe to (every one when no
    /// <see cref="WebHookProducerOptions.TenantEventTypeFilter"/> is set, or for the operator view's <c>null</c>).
    /// </summary>
    public IEnumerable<WebHookEventDescriptor> EventTypesFor(string? tenant)
    {
        if (tenant is null || options.Value.TenantEventTypeFilter is not { } allows)
        {
            return catalog.All;
        }
        var owner = new WebHookTenant(tenant);
        return catalog.All.Where(d => allows(owner, d.Type));
    }

    // One create at a time when a per-tenant limit is set, so two at once cannot both pass the count.
    private readonly SemaphoreSlim _creating = new(1, 1);

    public void Dispose() => _creating.Dispose();

    /// <summary>
    /// Creates the tenant's subscription; <c>(null, null)</c> when the tenant already has
    /// <see cref="WebHookProducerOptions.MaxSubscriptionsPerTenant"/>.
    /// </summary>
    public async Task<(WebHookSubscription? Subscription, WebHookSecret? Secret)> CreateAsync(string tenant, SubscriptionInput input, Uri url,
        WebHookSecret? secret, WebHookIntentVerificationMode verification, CancellationToken cancellationToken)
    {
        WebHookSubscription subscription;
        if (options.Value.MaxSubscriptionsPerTenant is not { } max)
        {
            (subscription, secret) = await StoreNewAsync(tenant, input, url, secret, verification, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _creating.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (await store.CountSubscriptionsAsync(tenant, cancellationToken).ConfigureAwait(false) >= max)
                {
                    return (null, null);
                }
                (subscription, secret) = await StoreNewAsync(tenant, input, url, secret, verification, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _creating.Release();
            }
        }
        // The intent check runs outside the lock: it waits on the subscriber's URL.
        if (subscription.Status == WebHookSubscriptionStatus.Pending)
        {
            subscription = await VerifyAsync(subscription, enabling: true, cancellationToken).ConfigureAwait(false);
        }
        return (subscription, secret);
    }

    private async Task<(WebHookSubscription Subscription, WebHookSecret Secret)> StoreNewAsync(string tenant, SubscriptionInput input, Uri url,
        WebHookSecret? secret, WebHookIntentVerificationMode verification, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        secret ??= WebHookSecret.Generate();
        var subscription = new WebHookSubscription
        {
            Id = WebHookIds.NewSubscriptionId(now),
            Tenant = tenant,
            Url = url,
            Secrets = [new WebHookSubscriptionSecret(secret, now, null)],
            EventTypes = [.. input.EventTypes ?? []],
            Description = input.Description,
            Metadata = new Dictionary<string, string>(input.Metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal),
            Verification = verification,
            CreatedAt = now,
            UpdatedAt = now,
            Version = 1, // what the store gives a new subscription
        };
        subscription = MayReceive(subscription)
            ? subscription with { Status = WebHookSubscriptionStatus.Enabled }
            : subscription with { Status = WebHookSubscriptionStatus.Pending, StatusReason = WaitingReason };
        await store.CreateSubscriptionAsync(subscription, cancellationToken).ConfigureAwait(false);
        return (subscription, secret);
    }

    private const string WaitingReason = "Waiting for the URL to pass intent verification.";

    /// <summary>
    /// Whether the subscription may be enabled at its current URL: verification is off, an administrator exempted it,
    /// or this very URL passed the check (so no path to enabled skips it: enable, a URL change, a mode change).
    /// </summary>
    private bool MayReceive(WebHookSubscription s) =>
        !VerificationRequired || s.Verification == WebHookIntentVerificationMode.None || s.Url.Equals(s.VerifiedUrl);

    /// <summary>
    /// Checks the URL waiting for verification (<see cref="WebHookSubscription.PendingUrl"/>, else the URL) and applies
    /// the outcome to the subscription as it is then: a passed check makes that URL current and verified, and enables
    /// the subscription unless it is disabled and <paramref name="enabling"/> is false; a failed one leaves an
    /// enabled subscription sending to its verified URL, and any other pending with the reason.
    /// </summary>
    public async Task<WebHookSubscription> VerifyAsync(WebHookSubscription subscription, bool enabling, CancellationToken cancellationToken)
    {
        var target = subscription.PendingUrl ?? subscription.Url;
        var failure = subscription.Verification == WebHookIntentVerificationMode.None || !VerificationRequired
            ? null
            : await verifier.VerifyAsync(subscription, target, cancellationToken).ConfigureAwait(false);

        // The check took a while: apply it to what is stored now, and only if it is still for the URL wanted. Another
        // write meanwhile (the dispatcher's, the owner's): read again and apply the outcome to that.
        for (var write = 0; ; write++)
        {
            var latest = await store.GetSubscriptionAsync(subscription.Id, cancellationToken).ConfigureAwait(false);
            if (latest is null || !target.Equals(latest.PendingUrl ?? latest.Url) || latest.Verification != subscription.Verification)
            {
                return latest ?? subscription;
            }
            var updated = ApplyVerification(latest, failure, enabling);
            var result = await store.UpdateSubscriptionAsync(updated, cancellationToken).ConfigureAwait(false);
            if (result == WebHookSubscriptionUpdateResult.Updated)
            {
                if (updated.Status == WebHookSubscriptionStatus.Enabled && latest.Status != WebHookSubscriptionStatus.Enabled)
                {
                    signal.Notify();
                }
                return updated with { Version = latest.Version + 1 };
            }
            if (result == WebHookSubscriptionUpdateResult.NotFound || write >= MaxWriteRetries)
            {
                return latest;
            }
        }
    }

    private WebHookSubscription ApplyVerification(WebHookSubscription latest, string? failure, bool enabling)
    {
        var target = latest.PendingUrl ?? latest.Url;
        var now = time.GetUtcNow();
        if (failure is null)
        {
            var enable = enabling || latest.Status != WebHookSubscriptionStatus.Disabled;
            return latest with
            {
                Url = target,
                PendingUrl = null,
                VerifiedUrl = latest.Verification == WebHookIntentVerificationMode.None ? latest.VerifiedUrl : target,
                Status = enable ? WebHookSubscriptionStatus.Enabled : latest.Status,
                StatusReason = enable ? null : latest.StatusReason,
                FailingSince = enable && (latest.Status != WebHookSubscriptionStatus.Enabled || !target.Equals(latest.Url)) ? null : latest.FailingSince,
                UpdatedAt = now,
            };
        }
        if (latest.Status == WebHookSubscriptionStatus.Enabled && latest.PendingUrl is not null)
        {
            return latest with
            {
                StatusReason = $"The new URL has not passed intent verification; deliveries still go to the previous URL. {failure}",
                UpdatedAt = now,
            };
        }
        return latest with { Url = target, PendingUrl = null, Status = WebHookSubscriptionStatus.Pending, StatusReason = failure, UpdatedAt = now };
    }

    /// <summary>How many times a write without If-Match re-reads and re-applies its change after a version conflict.</summary>
    internal const int MaxWriteRetries = 5;

    /// <summary>
    /// Applies <paramref name="change"/> to <paramref name="current"/> and writes it when the store still has the
    /// version it was read at. With <paramref name="ifMatch"/> (the version the caller's <c>If-Match</c> named), a
    /// subscription at another version is <see cref="SubscriptionWrite.PreconditionFailed"/>; without, a conflict reads
    /// the subscription again and re-applies the change to it (up to <see cref="MaxWriteRetries"/> times), so an owner's
    /// change never undoes the dispatcher's (a 410 disable, failing-since) written meanwhile.
    /// </summary>
    private async Task<(SubscriptionWrite Result, WebHookSubscription? Subscription)> WriteAsync(WebHookSubscription current, long? ifMatch,
        Func<WebHookSubscription, WebHookSubscription> change, CancellationToken cancellationToken)
    {
        for (var write = 0; ; write++)
        {
            if (ifMatch is { } expected && current.Version != expected)
            {
                return (SubscriptionWrite.PreconditionFailed, null);
            }
            var updated = change(current);
            switch (await store.UpdateSubscriptionAsync(updated, cancellationToken).ConfigureAwait(false))
            {
                case WebHookSubscriptionUpdateResult.Updated:
                    return (SubscriptionWrite.Done, updated with { Version = current.Version + 1 });
                case WebHookSubscriptionUpdateResult.NotFound:
                    return (SubscriptionWrite.NotFound, null);
            }
            if (ifMatch is not null)
            {
                return (SubscriptionWrite.PreconditionFailed, null);
            }
            if (write >= MaxWriteRetries)
            {
                return (SubscriptionWrite.Conflict, null);
            }
            if (await store.GetSubscriptionAsync(current.Tenant, current.Id, cancellationToken).ConfigureAwait(false) is not { } reread)
            {
                return (SubscriptionWrite.NotFound, null);
            }
            current = reread;
        }
    }

    /// <summary>
    /// Applies owner changes. With verification required, a new URL of an enabled subscription waits in
    /// <see cref="WebHookSubscription.PendingUrl"/> while deliveries go on to the verified one, and replaces it once it
    /// passes; a new URL or mode otherwise needs a passed check before the subscription is enabled. A URL change ends the
    /// <c>none</c> mode unless the same request chooses it again.
    /// </summary>
    public async Task<(SubscriptionWrite Result, WebHookSubscription? Subscription)> UpdateAsync(WebHookSubscription current,
        SubscriptionInput input, Uri? url, WebHookIntentVerificationMode? verification, long? ifMatch, CancellationToken cancellationToken)
    {
        var urlChanged = false;
        var (result, updated) = await WriteAsync(current, ifMatch, latest =>
        {
            urlChanged = url is not null && !url.Equals(latest.PendingUrl ?? latest.Url);
            return ApplyUpdate(latest, input, url, verification);
        }, cancellationToken).ConfigureAwait(false);
        if (result != SubscriptionWrite.Done)
        {
            return (result, null);
        }
        var waiting = updated!.PendingUrl is not null && (urlChanged || verification is not null);
        if (waiting || (updated.Status == WebHookSubscriptionStatus.Pending && (urlChanged || verification is not null)))
        {
            return (result, await VerifyAsync(updated, enabling: false, cancellationToken).ConfigureAwait(false));
        }
        return (result, updated);
    }

    private WebHookSubscription ApplyUpdate(WebHookSubscription current, SubscriptionInput input, Uri? url, WebHookIntentVerificationMode? verification)
    {
        var urlChanged = url is not null && !url.Equals(current.PendingUrl ?? current.Url);
        // "none" vouched for one URL; "ping" and "challenge" check each new URL themselves.
        var mode = verification ?? (urlChanged && current.Verification == WebHookIntentVerificationMode.None
            ? WebHookIntentVerificationMode.Challenge
            : current.Verification);
        var updated = current with
        {
            EventTypes = input.EventTypes is { } t ? [.. t] : current.EventTypes,
            Description = input.Description ?? current.Description,
            Metadata = input.Metadata is { } m ? new Dictionary<string, string>(m, StringComparer.Ordinal) : current.Metadata,
            Verification = mode,
            // A URL passed in one mode has not passed in another.
            VerifiedUrl = mode == current.Verification ? current.VerifiedUrl : null,
            UpdatedAt = time.GetUtcNow(),
        };
        if (url is not null)
        {
            // Asking for the current URL again withdraws a pending one.
            updated = url.Equals(current.Url)
                ? updated with { PendingUrl = null, StatusReason = current.PendingUrl is not null && current.Status == WebHookSubscriptionStatus.Enabled ? null : current.StatusReason }
                : updated with { Url = url, PendingUrl = null };
        }
        if (updated.Status == WebHookSubscriptionStatus.Enabled && !MayReceive(updated))
        {
            if (!updated.Url.Equals(current.Url) && MayReceive(updated with { Url = current.Url }))
            {
                // Deliveries keep going to the verified URL until the new one passes: nothing is held or lost meanwhile.
                updated = updated with { Url = current.Url, PendingUrl = updated.Url, StatusReason = "Waiting for the new URL to pass intent verification; deliveries still go to the previous URL." };
            }
            else
            {
                // The mode changed and the URL has not passed in the new one: nothing is sent until it does.
                updated = updated with { Status = WebHookSubscriptionStatus.Pending, StatusReason = WaitingReason };
            }
        }
        return updated;
    }

    public async Task<(SubscriptionWrite Result, WebHookSubscription? Subscription)> SetEnabledAsync(WebHookSubscription current, bool enabled,
        string? reason, long? ifMatch, CancellationToken cancellationToken)
    {
        if (ifMatch is { } expected && current.Version != expected)
        {
            return (SubscriptionWrite.PreconditionFailed, null);
        }
        if (enabled && (!MayReceive(current) || current.PendingUrl is not null))
        {
            // Enabled only through a passed check of the URL it would send to.
            return (SubscriptionWrite.Done, await VerifyAsync(current, enabling: true, cancellationToken).ConfigureAwait(false));
        }
        var now = time.GetUtcNow();
        var written = await WriteAsync(current, ifMatch, latest => enabled
            ? latest with { Status = WebHookSubscriptionStatus.Enabled, StatusReason = null, FailingSince = null, UpdatedAt = now }
            : latest with { Status = WebHookSubscriptionStatus.Disabled, StatusReason = reason ?? "Disabled by its owner.", UpdatedAt = now },
            cancellationToken).ConfigureAwait(false);
        if (enabled && written.Result == SubscriptionWrite.Done)
        {
            signal.Notify();
        }
        return written;
    }

    internal static WebHookIntentVerificationMode? TryParseMode(string text) => text switch
    {
        "challenge" => WebHookIntentVerificationMode.Challenge,
        "ping" => WebHookIntentVerificationMode.Ping,
        "none" => WebHookIntentVerificationMode.None,
        _ => null,
    };

    internal static string Name(WebHookIntentVerificationMode mode) => mode switch
    {
        WebHookIntentVerificationMode.Ping => "ping",
        WebHookIntentVerificationMode.None => "none",
        _ => "challenge",
    };

    /// <summary>Adds a new secret; the current ones keep signing for the overlap, then retire.</summary>
    public async Task<(SubscriptionWrite Result, WebHookSubscription? Subscription, WebHookSecret Secret)> RotateAsync(WebHookSubscription current,
        WebHookSecret? secret, long? ifMatch, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var retireAt = now + options.Value.SecretRotationOverlap;
        secret ??= WebHookSecret.Generate();
        var created = secret;
        var (result, updated) = await WriteAsync(current, ifMatch, latest =>
        {
            var secrets = new List<WebHookSubscriptionSecret> { new(created, now, null) };
            foreach (var s in latest.Secrets)
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
            return latest with { Secrets = secrets, UpdatedAt = now };
        }, cancellationToken).ConfigureAwait(false);
        return (result, updated, secret);
    }

    /// <summary>The subscription when the caller's scope includes it; <c>null</c> otherwise, as for one that does not exist.</summary>
    public ValueTask<WebHookSubscription?> GetAsync(WebHookTenantScope scope, string id, CancellationToken cancellationToken) =>
        scope.Tenant is { } tenant
            ? store.GetSubscriptionAsync(tenant, id, cancellationToken)
            : store.GetSubscriptionAsync(id, cancellationToken);

    public ValueTask<IReadOnlyList<WebHookSubscription>> ListAsync(WebHookTenantScope scope, string? after, int limit, CancellationToken cancellationToken) =>
        store.ListSubscriptionsAsync(scope.Tenant, after, limit, cancellationToken);

    public ValueTask<bool> DeleteAsync(string id, CancellationToken cancellationToken) =>
        store.DeleteSubscriptionAsync(id, cancellationToken);

    public ValueTask<IReadOnlyList<WebHookDelivery>> ListDeliveriesAsync(WebHookDeliveryQuery query, CancellationToken cancellationToken) =>
        store.ListDeliveriesAsync(query, cancellationToken);

    /// <summary>The attempts of one of the subscription's deliveries, or <c>null</c> when it has no such delivery.</summary>
    public async Task<IReadOnlyList<WebHookAttempt>?> ListAttemptsAsync(string subscriptionId, long deliveryId, CancellationToken cancellationToken) =>
        await store.GetDeliveryAsync(subscriptionId, deliveryId, cancellationToken).ConfigureAwait(false) is null
            ? null
            : await store.ListAttemptsAsync(subscriptionId, deliveryId, cancellationToken).ConfigureAwait(false);

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
    public async Task<WebHookPublishResult> SendTestAsync(WebHookSubscription subscription, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var body = Encoding.UTF8.GetBytes(
            $"{{\"type\":\"{TestEventType}\",\"timestamp\":\"{now.ToUniversalTime():yyyy-MM-ddTHH:mm:ss.fffffffK}\",\"data\":{{\"subscriptionId\":\"{subscription.Id}\"}}}}");
        return await publisher.AppendAsync(TestEventType, body, now, null, subscription.Tenant, subscription.Id, cancellationToken).ConfigureAwait(false);
    }
}
