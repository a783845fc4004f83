namespace Hooks.Publishing;

/// <summary>
/// The user of the producer a subscription belongs to and an event is published for: a customer, an account, a user.
/// An opaque id the app chooses, 1 to <see cref="MaxLength"/> ASCII letters, digits and <c>- _ . : @ |</c> (so a
/// GUID, a user name, an e-mail address or an <c>auth0|…</c> subject fits as it is). Single-tenant apps never name
/// one: everything belongs to <see cref="Default"/>, whose id is <see cref="DefaultId"/>.
/// </summary>
public readonly struct WebHookTenant : IEquatable<WebHookTenant>
{
    /// <summary>The id of the default tenant, which single-tenant apps use without naming it.</summary>
    public const string DefaultId = "default";

    /// <summary>The longest tenant id.</summary>
    public const int MaxLength = 128;

    private readonly string? _id;

    /// <summary>The tenant with this id.</summary>
    /// <param name="id">1 to <see cref="MaxLength"/> chars of <c>A–Z a–z 0–9 - _ . : @ |</c>.</param>
    /// <exception cref="ArgumentException">The id is empty, too long or has another char.</exception>
    public WebHookTenant(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!IsValid(id))
        {
            // The value is not echoed: it may come from a request.
            throw new ArgumentException($"A tenant id has 1 to {MaxLength} chars of A-Z a-z 0-9 - _ . : @ |.", nameof(id));
        }
        _id = id;
    }

    /// <summary>The default tenant (also <c>default(WebHookTenant)</c>).</summary>
    public static WebHookTenant Default => default;

    /// <summary>The tenant id.</summary>
    public string Id => _id ?? DefaultId;

    /// <summary>Whether <paramref name="id"/> is a valid tenant id.</summary>
    public static bool IsValid(string? id)
    {
        if (id is not { Length: > 0 and <= MaxLength })
        {
            return false;
        }
        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '@' or '|'))
            {
                return false;
            }
        }
        return true;
    }

    /// <inheritdoc />
    public bool Equals(WebHookTenant other) => string.Equals(Id, other.Id, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is WebHookTenant other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Id);

    /// <summary>The tenant id.</summary>
    public override string ToString() => Id;

    /// <summary>Whether two tenants are the same.</summary>
    public static bool operator ==(WebHookTenant left, WebHookTenant right) => left.Equals(right);

    /// <summary>Whether two tenants differ.</summary>
    public static bool operator !=(WebHookTenant left, WebHookTenant right) => !left.Equals(right);
}
