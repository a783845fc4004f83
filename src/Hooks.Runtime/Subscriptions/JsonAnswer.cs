using System.Reflection;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace Hooks.Subscriptions;

/// <summary>A status code an answer is declared with, so OpenAPI sees it without running the endpoint.</summary>
internal interface IAnswerStatus
{
    static abstract int Code { get; }
}

internal sealed class Status200 : IAnswerStatus
{
    public static int Code => StatusCodes.Status200OK;
}

internal sealed class Status201 : IAnswerStatus
{
    public static int Code => StatusCodes.Status201Created;
}

internal sealed class Status202 : IAnswerStatus
{
    public static int Code => StatusCodes.Status202Accepted;
}

/// <summary>
/// A management API answer written with its own source-generated metadata (the management API's JSON settings, not
/// the app's), that declares its status and type to the endpoint's metadata like <c>TypedResults.Ok</c> does.
/// </summary>
internal sealed class JsonAnswer<TValue, TStatus>(TValue value, JsonTypeInfo<TValue> typeInfo, string? location = null)
    : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IValueHttpResult<TValue>, IValueHttpResult
    where TStatus : IAnswerStatus
{
    public TValue Value => value;

    object? IValueHttpResult.Value => value;

    int? IStatusCodeHttpResult.StatusCode => TStatus.Code;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        httpContext.Response.StatusCode = TStatus.Code;
        if (location is not null)
        {
            httpContext.Response.Headers.Location = location;
        }
        return httpContext.Response.WriteAsJsonAsync(value, typeInfo, contentType: null, httpContext.RequestAborted);
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(TStatus.Code, typeof(TValue), ["application/json"]));
    }
}
