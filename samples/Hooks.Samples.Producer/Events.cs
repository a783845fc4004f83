using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hooks;

/// <summary>What this service tells its subscribers; the generator writes the rest.</summary>
[WebHookEvent("order.created", Description = "An order was placed.")]
public partial record OrderCreated(string OrderId, decimal Total);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(OrderCreated))]
internal partial class AppJson : JsonSerializerContext;

/// <summary>
/// A stand-in for your app's authentication: the caller must send <c>Authorization: Bearer {token}</c>, compared in
/// constant time. No token configured: every call is refused (401), so the API is never open by accident.
/// </summary>
internal static class ApiToken
{
    public static Func<EndpointFilterInvocationContext, EndpointFilterDelegate, ValueTask<object?>> Require(string? token) =>
        (context, next) =>
        {
            var sent = context.HttpContext.Request.Headers.Authorization.ToString();
            var ok = token is { Length: > 0 } && sent.StartsWith("Bearer ", StringComparison.Ordinal) &&
                CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent[7..]), Encoding.UTF8.GetBytes(token));
            return ok ? next(context) : ValueTask.FromResult<object?>(Results.Problem(statusCode: 401, title: "A bearer token is required."));
        };
}
