using Hooks.Publishing;
using Microsoft.AspNetCore.Http;

namespace Hooks.Subscriptions;

/// <summary>
/// Finds the tenant a management API request acts for. The API confines every operation to it: another tenant's
/// subscription, delivery, attempt or message answers 404. When the resolver finds none (<c>null</c>), the request is
/// answered 401 if its caller is not authenticated and 403 if it is; nothing is read or changed.
/// </summary>
/// <remarks>
/// The built-in resolvers (claim, route value, header) only ever give one tenant, and treat a value that is not a
/// valid tenant id (see <see cref="WebHookTenant"/>) as none. Only a custom resolver can grant the operator view
/// (<see cref="WebHookTenantScope.AllTenants"/>).
/// </remarks>
public sealed class WebHookTenantResolver
{
    private readonly Func<HttpContext, ValueTask<WebHookTenantScope?>> _resolve;

    /// <summary>A resolver that runs <paramref name="resolve"/>, the app's own policy.</summary>
    /// <param name="resolve">Gives the caller's scope, or <c>null</c> when the caller has none.</param>
    public WebHookTenantResolver(Func<HttpContext, ValueTask<WebHookTenantScope?>> resolve)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        _resolve = resolve;
    }

    /// <summary>Every caller acts for the default tenant: single-tenant apps (the default).</summary>
    public static WebHookTenantResolver DefaultTenant { get; } =
        new(static _ => ValueTask.FromResult<WebHookTenantScope?>(WebHookTenantScope.DefaultTenant));

    /// <summary>The tenant is the value of the authenticated user's claim <paramref name="claimType"/>.</summary>
    /// <param name="claimType">The claim, <c>tenant_id</c> or <c>org_id</c> say.</param>
    public static WebHookTenantResolver FromClaim(string claimType)
    {
        ArgumentException.ThrowIfNullOrEmpty(claimType);
        return new(context => ValueTask.FromResult(
            context.User.Identity?.IsAuthenticated == true ? Scope(context.User.FindFirst(claimType)?.Value) : null));
    }

    /// <summary>
    /// The tenant is a route value of the API's prefix, as in <c>/tenants/{tenant}/webhooks</c>. The app's
    /// authorization must make sure the caller may act for the tenant the route names.
    /// </summary>
    /// <param name="routeValueName">The route parameter, <c>tenant</c> by default.</param>
    public static WebHookTenantResolver FromRouteValue(string routeValueName = "tenant")
    {
        ArgumentException.ThrowIfNullOrEmpty(routeValueName);
        return new(context => ValueTask.FromResult(Scope(context.Request.RouteValues[routeValueName] as string)));
    }

    /// <summary>
    /// The tenant is the value of a request header that a trusted back end (a gateway, a back-office service) sets.
    /// Use it only where clients cannot reach the API without passing that back end, which must drop the header from
    /// what clients send: anyone who can set it can act for any tenant.
    /// </summary>
    /// <param name="headerName">The header, <c>X-Tenant-Id</c> say.</param>
    public static WebHookTenantResolver FromHeader(string headerName)
    {
        ArgumentException.ThrowIfNullOrEmpty(headerName);
        // Exactly one value: a second one (appended on the way) makes the tenant ambiguous.
        return new(context => ValueTask.FromResult(
            context.Request.Headers[headerName] is { Count: 1 } values ? Scope(values[0]) : null));
    }

    /// <summary>The caller's scope, or <c>null</c> when it has none.</summary>
    public ValueTask<WebHookTenantScope?> ResolveAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return _resolve(context);
    }

    private static WebHookTenantScope? Scope(string? tenant) =>
        WebHookTenant.IsValid(tenant) ? WebHookTenantScope.For(new WebHookTenant(tenant!)) : null;
}
