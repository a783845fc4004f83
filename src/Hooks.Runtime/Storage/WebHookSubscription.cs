using Hooks.Security;

namespace Hooks.Storage;

/// <summary>A URL a user registered to receive events, as the store keeps it.</summary>
public sealed record WebHookSubscription
{
    /// <summary>The subscription id, <c>sub_…</c>.</summary>
    public required string Id { get; init; }

    /// <summary>
    /// The tenant the subscription belongs to (see <see cref="Publishing.WebHookTenant"/>): it receives only that
    /// tenant's events and only that tenant sees it. Fixed at creation. <see cref="Publishing.WebHookTenant.DefaultId"/>
    /// unless set.
    /// </summary>
    public string Tenant { get; init; } = Publishing.WebHookTenant.DefaultId;

    /// <summary>The absolute URL deliveries are POSTed to.</summary>
    public required Uri Url { get; init; }

    /// <summary>The signing secrets, newest first; more than one during a rotation's overlap.</summary>
    public required IReadOnlyList<WebHookSubscriptionSecret> Secrets { get; init; }

    /// <summary>Event type filters: exact names or <c>prefix.*</c> wildcards; empty means every event type.</summary>
    public IReadOnlyList<string> EventTypes { get; init; } = [];

    /// <summary>A free-text description for the owner.</summary>
    public string? Description { get; init; }

    /// <summary>Free key/value metadata for the owner.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = EmptyMetadata;

    /// <summary>Whether deliveries are created and sent.</summary>
    public WebHookSubscriptionStatus Status { get; init; }

    /// <summary>
    /// How the subscription proves its URL wants events when the producer requires intent verification: the signed
    /// challenge by default; an administrator may choose a signed ping or none (see docs/intent-verification.md).
    /// </summary>
    public WebHookIntentVerificationMode Verification { get; init; }

    /// <summary>
    /// The URL that last passed intent verification in <see cref="Verification"/>'s mode, or <c>null</c>. With
    /// verification required, a subscription becomes enabled only when this is its <see cref="Url"/> (or its mode is
    /// <see cref="WebHookIntentVerificationMode.None"/>).
    /// </summary>
    public Uri? VerifiedUrl { get; init; }

    /// <summary>
    /// A new URL the owner asked for that has not passed intent verification yet; deliveries keep going to
    /// <see cref="Url"/> meanwhile, and it replaces <see cref="Url"/> once it passes. Only on enabled subscriptions.
    /// </summary>
    public Uri? PendingUrl { get; init; }

    /// <summary>Why the subscription is disabled or pending, when it is.</summary>
    public string? StatusReason { get; init; }

    /// <summary>When the subscription was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the subscription was last changed by its owner or by the dispatcher.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>
    /// The version the store gave this record: 1 when created, one more on every write, the owner's or the
    /// dispatcher's. Assigned by the store (what a record to create says is ignored). A record read from the store and
    /// changed with <c>with</c> carries the version it was read at, which is what
    /// <see cref="IWebHookStore.UpdateSubscriptionAsync"/> checks; the management API shows it as the ETag.
    /// </summary>
    public long Version { get; init; }

    /// <summary>The first failed attempt since the last success, or <c>null</c> when the last attempt succeeded.</summary>
    public DateTimeOffset? FailingSince { get; init; }

    /// <summary>The secrets still valid at <paramref name="now"/>, newest first.</summary>
    public IEnumerable<WebHookSecret> ActiveSecrets(DateTimeOffset now)
    {
        foreach (var s in Secrets)
        {
            if (s.ExpiresAt is null || s.ExpiresAt > now)
            {
                yield return s.Secret;
            }
        }
    }

    /// <summary>The secrets still valid at <paramref name="now"/>, newest first, as an array cached per record.</summary>
    internal Hooks.Security.WebHookSecret[] ActiveSecretArray(DateTimeOffset now)
    {
        var cached = _activeSecrets;
        if (cached is not null && ReferenceEquals(cached.Source, Secrets) && now < cached.ValidUntil)
        {
            return cached.Secrets;
        }
        var secrets = ActiveSecrets(now).ToArray();
        var validUntil = DateTimeOffset.MaxValue;
        foreach (var s in Secrets)
        {
            if (s.ExpiresAt is { } e && e > now && e < validUntil)
            {
                validUntil = e;
            }
        }
        _activeSecrets = new SecretCache(Secrets, secrets, validUntil);
        return secrets;
    }

    // `with` copies this field too, hence the Source check; one reference, so concurrent readers never see it torn.
    private SecretCache? _activeSecrets;

    private sealed record SecretCache(IReadOnlyList<WebHookSubscriptionSecret> Source, WebHookSecret[] Secrets, DateTimeOffset ValidUntil);

    /// <summary>Whether the subscription's filter takes <paramref name="eventType"/>.</summary>
    public bool Accepts(string eventType) => WebHookEventFilter.Matches(EventTypes, eventType);

    private static readonly IReadOnlyDictionary<string, string> EmptyMetadata =
        new Dictionary<string, string>(0, StringComparer.Ordinal);
}

/// <summary>What <see cref="IWebHookStore.UpdateSubscriptionAsync"/> did.</summary>
public enum WebHookSubscriptionUpdateResult
{
    /// <summary>The subscription was replaced; its version is one more than the one the writer read.</summary>
    Updated,

    /// <summary>No such subscription (in the record's tenant): nothing changed.</summary>
    NotFound,

    /// <summary>
    /// The stored subscription has another version than the writer read (another write came first): nothing changed.
    /// </summary>
    VersionConflict,
}

/// <summary>One signing secret of a subscription.</summary>
/// <param name="Secret">The secret.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="ExpiresAt">When a rotation retires it; <c>null</c> for the current secret.</param>
public sealed record WebHookSubscriptionSecret(WebHookSecret Secret, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

/// <summary>How a subscription's URL proves that it asked for events (when the producer requires it).</summary>
public enum WebHookIntentVerificationMode
{
    /// <summary>The URL must echo a signed <c>webhook.challenge</c> (Hooks receivers do it by themselves).</summary>
    Challenge,

    /// <summary>
    /// The URL must answer a signed <c>webhook.ping</c> message with any 2xx: what stock Standard Webhooks receivers
    /// can do. Weaker (any endpoint that accepts every POST passes), so only an administrator may choose it.
    /// </summary>
    Ping,

    /// <summary>No check: an administrator vouched for the URL. Changing the URL ends it.</summary>
    None,
}

/// <summary>Whether a subscription receives deliveries.</summary>
public enum WebHookSubscriptionStatus
{
    /// <summary>Waiting for its URL to answer the intent-verification challenge; receives nothing.</summary>
    Pending,

    /// <summary>Receives deliveries.</summary>
    Enabled,

    /// <summary>Disabled by its owner, by a 410 answer or by failing for too long; receives nothing.</summary>
    Disabled,
}
