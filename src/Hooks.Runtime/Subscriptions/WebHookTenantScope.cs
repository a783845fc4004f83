using Hooks.Publishing;

namespace Hooks.Subscriptions;

/// <summary>
/// What a management API caller may see, as a <see cref="WebHookTenantResolver"/> decides it: one tenant's
/// subscriptions, or every tenant's (an operator view, only where the app's policy grants it).
/// </summary>
public sealed class WebHookTenantScope
{
    private WebHookTenantScope(string? tenant) => Tenant = tenant;

    /// <summary>The tenant the caller acts for; <c>null</c> in the operator view across tenants.</summary>
    public string? Tenant { get; }

    /// <summary>Whether this is the operator view across tenants.</summary>
    public bool IsAllTenants => Tenant is null;

    /// <summary>The default tenant's scope: what single-tenant apps use.</summary>
    public static WebHookTenantScope DefaultTenant { get; } = new(WebHookTenant.DefaultId);

    /// <summary>
    /// The operator view: every tenant's subscriptions may be listed, read and changed (not created: a subscription is
    /// created in a tenant's own scope). Return it only for callers the app's policy makes operators.
    /// </summary>
    public static WebHookTenantScope AllTenants { get; } = new(null);

    /// <summary>The scope of one tenant.</summary>
    public static WebHookTenantScope For(WebHookTenant tenant) =>
        tenant.Id == WebHookTenant.DefaultId ? DefaultTenant : new WebHookTenantScope(tenant.Id);
}
