using System.Net;

namespace Hooks.Hosting;

/// <summary>Settings of the producer: delivery schedule, concurrency, HTTP, SSRF guard and subscription rules.</summary>
public sealed class WebHookProducerOptions
{
    /// <summary>
    /// The delay before each attempt: the first entry applies to the first attempt (normally zero), entry <c>n</c> to
    /// attempt <c>n + 1</c>. The default is the Standard Webhooks schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h,
    /// 10 h, 14 h, 20 h, 24 h. A delivery whose last entry failed is exhausted.
    /// </summary>
    public IList<TimeSpan> RetrySchedule { get; } =
    [
        TimeSpan.Zero, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(14), TimeSpan.FromHours(20), TimeSpan.FromHours(24),
    ];

    /// <summary>Random spread of each retry delay, as a fraction each way (0.2 = ±20%).</summary>
    public double RetryJitter { get; set; } = 0.2;

    /// <summary>The longest <c>Retry-After</c> honoured; longer values are cut to this.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long one attempt may take before it counts as a timeout.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long establishing a TCP (and TLS) connection may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a pooled connection is reused before it is replaced (so DNS changes are seen).</summary>
    public TimeSpan PooledConnectionLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Most attempts in flight at once, across all subscriptions.</summary>
    public int MaxConcurrency { get; set; } = 64;

    /// <summary>Most attempts in flight at once to one subscription.</summary>
    public int MaxConcurrencyPerSubscription { get; set; } = 16;

    /// <summary>Most deliveries leased in one store call.</summary>
    public int LeaseBatchSize { get; set; } = 100;

    /// <summary>How long a lease lasts; a delivery whose dispatcher died is due again after this.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the dispatcher looks for due deliveries when nothing woke it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A subscription failing without any success for this long is disabled.</summary>
    public TimeSpan DisableAfterFailingFor { get; set; } = TimeSpan.FromDays(5);

    /// <summary>
    /// How long finished messages (every delivery succeeded, failed or skipped) are kept, with their deliveries and
    /// attempts, before a background purge deletes them; 30 days by default. A feed cursor from before the window is
    /// answered 410 Gone.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the background purge runs (<see cref="Retention"/>); hourly by default.</summary>
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long the previous secret keeps signing after a rotation.</summary>
    public TimeSpan SecretRotationOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Whether plain <c>http</c> URLs are accepted (never in production).</summary>
    public bool AllowHttp { get; set; }

    /// <summary>Longest subscription URL accepted.</summary>
    public int MaxUrlLength { get; set; } = 2048;

    /// <summary>
    /// Whether a new subscription must answer the signed <c>webhook.challenge</c> before it receives events (see
    /// docs/intent-verification.md). Turn off only for trusted setups.
    /// </summary>
    public bool RequireIntentVerification { get; set; } = true;

    /// <summary>
    /// The name of the authorization policy a caller of the management API must pass to choose a subscription's
    /// <c>verification</c> mode other than <c>challenge</c> (<c>ping</c> for stock Standard Webhooks receivers, or
    /// <c>none</c>); <c>null</c> (the default) lets nobody choose them. See docs/intent-verification.md.
    /// </summary>
    public string? VerificationModePolicy { get; set; }

    /// <summary>
    /// Networks deliveries may connect to although the SSRF guard refuses them by default (loopback, private,
    /// link-local, …), in CIDR form such as <c>127.0.0.0/8</c>. Empty by default.
    /// </summary>
    public IList<IPNetwork> AllowedNetworks { get; } = [];

    /// <summary>
    /// The most subscriptions one tenant may have (whatever their status); creating one more is answered 409 Conflict.
    /// <c>null</c> (the default) sets no limit. Checked when the management API creates a subscription.
    /// </summary>
    public int? MaxSubscriptionsPerTenant { get; set; }

    /// <summary>
    /// Decides whether a tenant may subscribe to an event type (a plan's features, say); <c>null</c> (the default)
    /// lets every tenant subscribe to every registered type. A subscription whose filter takes a type the tenant may not
    /// have (<c>*</c>, a wildcard or an empty filter take every type they match) is refused with a validation error
    /// naming the refused types. It is checked when a filter is set: a type registered later reaches existing wildcard
    /// subscriptions unchecked.
    /// </summary>
    public Func<Publishing.WebHookTenant, string, bool>? TenantEventTypeFilter { get; set; }

    /// <summary>
    /// Whether spans and metrics carry the tenant (<c>webhook.tenant</c>). Off by default: a metric tag with one value
    /// per tenant can make a time series per tenant, which many metrics back ends charge for or refuse.
    /// </summary>
    public bool TenantInTelemetry { get; set; }

    /// <summary>The <c>User-Agent</c> of delivery requests.</summary>
    public string UserAgent { get; set; } = "Hooks/0.1";
}
