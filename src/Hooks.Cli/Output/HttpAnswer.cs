using System.Net;
using System.Text;
using System.Text.Json;

namespace Hooks.Cli.Output;

/// <summary>An HTTP answer read with a bound, and described for people (RFC 9457 Problem Details readably).</summary>
internal sealed class HttpAnswer
{
    private const int MaxShownChars = 2048;

    private HttpAnswer(HttpStatusCode status, string? reason, string? mediaType, byte[] body, bool truncated, Uri? location)
    {
        Status = status;
        Reason = reason;
        MediaType = mediaType;
        Body = body;
        Truncated = truncated;
        Location = location;
    }

    public HttpStatusCode Status { get; }

    public string? Reason { get; }

    public string? MediaType { get; }

    public byte[] Body { get; }

    public bool Truncated { get; }

    public Uri? Location { get; }

    public bool IsSuccess => (int)Status is >= 200 and < 300;

    public bool IsJson => MediaType is { } type && (type.Equals("application/json", StringComparison.OrdinalIgnoreCase) ||
        type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads at most <paramref name="maxBytes"/> of the body; the rest is dropped unread.</summary>
    public static async Task<HttpAnswer> ReadAsync(HttpResponseMessage response, int maxBytes, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[Math.Min(maxBytes, 64 * 1024)];
        using var body = new MemoryStream();
        var truncated = false;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            var room = maxBytes - (int)body.Length;
            if (read > room)
            {
                body.Write(buffer, 0, room);
                truncated = true;
                break;
            }
            body.Write(buffer, 0, read);
        }
        return new HttpAnswer(response.StatusCode, response.ReasonPhrase, response.Content.Headers.ContentType?.MediaType, body.ToArray(), truncated,
            response.Headers.Location);
    }

    /// <summary><c>404 Not Found</c>.</summary>
    public string StatusLine => $"{(int)Status} {Reason ?? Status.ToString()}";

    /// <summary>The body for people: a Problem Details' title, detail and errors, else the text as it came.</summary>
    public IEnumerable<string> Describe()
    {
        if (Body.Length == 0)
        {
            yield break;
        }
        if (IsJson && !Truncated && TryProblem(out var lines))
        {
            foreach (var line in lines)
            {
                yield return line;
            }
            yield break;
        }
        var text = Encoding.UTF8.GetString(Body);
        yield return Truncated || text.Length > MaxShownChars ? string.Concat(text.AsSpan(0, Math.Min(text.Length, MaxShownChars)), "… (cut)") : text;
    }

    private bool TryProblem(out List<string> lines)
    {
        lines = [];
        try
        {
            using var document = JsonDocument.Parse(Body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !(root.TryGetProperty("title", out _) || root.TryGetProperty("detail", out _)))
            {
                return false;
            }
            if (Text(root, "title") is { } title)
            {
                lines.Add(title);
            }
            if (Text(root, "detail") is { } detail && detail != lines.FirstOrDefault())
            {
                lines.Add(detail);
            }
            if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
            {
                foreach (var member in errors.EnumerateObject())
                {
                    var messages = member.Value.ValueKind == JsonValueKind.Array
                        ? member.Value.EnumerateArray().Select(m => m.ToString())
                        : [member.Value.ToString()];
                    foreach (var message in messages)
                    {
                        lines.Add($"  {member.Name}: {message}");
                    }
                }
            }
            return lines.Count > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
