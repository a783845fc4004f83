using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Hooks.Receiving;

/// <summary>
/// Writes RFC 9457 Problem Details without reflection. Titles and details are fixed sentences of ours: nothing from
/// the request (no header values, no signatures, no secrets) is echoed.
/// </summary>
internal static class Problem
{
    public static async Task WriteAsync(HttpContext http, int status, string title, string detail)
    {
        var response = http.Response;
        response.StatusCode = status;
        response.ContentType = "application/problem+json";
        var writer = new Utf8JsonWriter(response.BodyWriter);
        await using (writer.ConfigureAwait(false))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, TypeFor(status));
            writer.WriteString("title"u8, title);
            writer.WriteNumber("status"u8, status);
            writer.WriteString("detail"u8, detail);
            writer.WriteEndObject();
        }
        await response.BodyWriter.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }

    private static string TypeFor(int status) => status switch
    {
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        401 => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        404 => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        409 => "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        410 => "https://tools.ietf.org/html/rfc9110#section-15.5.11",
        413 => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        415 => "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        429 => "https://tools.ietf.org/html/rfc6585#section-4",
        _ => "https://tools.ietf.org/html/rfc9110#section-15.6.1",
    };
}
