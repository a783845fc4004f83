using System.Buffers;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using Hooks.Security;
using Microsoft.AspNetCore.Http;

namespace Hooks.Cli.Listen;

/// <summary>
/// The one endpoint of <c>hooks listen</c>: verifies a delivery that came over a reversed connection, forwards it
/// unchanged to the local app, and answers the producer with the local app's status, headers and (bounded) body, so
/// its retries and attempt log see the truth. Unverifiable deliveries are answered 401 and not forwarded; the local
/// app not answering is 502 (504 when it is too slow), which the producer retries.
/// </summary>
internal sealed class DeliveryForwarder(ListenSettings settings, HttpMessageInvoker client, WebHookVerifier verifier, ListenOutput output,
    TimeProvider time)
{
    /// <summary>The largest delivery body accepted (larger than any receiver accepts by default: 1 MiB).</summary>
    public const int MaxBodyBytes = Inputs.MaxBodyBytes;

    /// <summary>The most bytes of the local app's answer passed back (the producer records the first 1 KiB).</summary>
    public const int MaxAnswerBytes = 64 * 1024;

    // RFC 9110 7.6.1 connection-specific fields, plus what the forwarding hop sets itself.
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Host", "Content-Length",
    };

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (HttpMethods.IsOptions(request.Method) && request.Path == "/")
        {
            // The producer's liveness ping on an idle connection: answered here, never forwarded or printed.
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }
        var started = time.GetTimestamp();
        var id = Header(request, WebHookHeaders.Id, WebHookHeaders.SvixId);
        var line = new DeliveryLine(time.GetUtcNow(), Printable(id), Header(request, "webhook-attempt", null));
        if (settings.Path is { } path && !string.Equals(request.Path.Value, path, StringComparison.Ordinal))
        {
            await RefuseAsync(context, line, started, StatusCodes.Status404NotFound, "Not the path listened on",
                $"hooks listen forwards only deliveries to {path}.").ConfigureAwait(false);
            return;
        }
        if (request.ContentLength > MaxBodyBytes)
        {
            await RefuseAsync(context, line, started, StatusCodes.Status413PayloadTooLarge, "Body too large",
                $"hooks listen forwards bodies of up to {MaxBodyBytes} bytes.").ConfigureAwait(false);
            return;
        }
        var body = await ReadBodyAsync(request, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await RefuseAsync(context, line, started, StatusCodes.Status413PayloadTooLarge, "Body too large",
                $"hooks listen forwards bodies of up to {MaxBodyBytes} bytes.").ConfigureAwait(false);
            return;
        }
        line.Type = EventType(body);
        var verified = verifier.Verify(id, Header(request, WebHookHeaders.Timestamp, WebHookHeaders.SvixTimestamp),
            Header(request, WebHookHeaders.Signature, WebHookHeaders.SvixSignature), body);
        if (!verified.IsValid)
        {
            await RefuseAsync(context, line, started, StatusCodes.Status401Unauthorized, "Invalid webhook signature", verified.Describe()).ConfigureAwait(false);
            return;
        }
        await ForwardAsync(context, body, line, started).ConfigureAwait(false);
    }

    private async Task ForwardAsync(HttpContext context, byte[] body, DeliveryLine line, long started)
    {
        var request = context.Request;
        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), settings.Forward)
        {
            Version = HttpVersion.Version11,
            Content = new ByteArrayContent(body),
        };
        var dropped = ConnectionTokens(request.Headers.Connection);
        foreach (var (name, values) in request.Headers)
        {
            if (NotForwarded.Contains(name) || dropped?.Contains(name) == true)
            {
                continue;
            }
            if (!forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                forward.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(settings.Timeout);
        HttpResponseMessage answer;
        try
        {
            answer = await client.SendAsync(forward, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            await RefuseAsync(context, line, started, StatusCodes.Status504GatewayTimeout, "The local app did not answer in time",
                $"No answer from the local app within {settings.Timeout.TotalSeconds:0.#} s.", forwarded: true,
                note: $"no answer from {settings.Forward} within {settings.Timeout.TotalSeconds:0.#} s").ConfigureAwait(false);
            return;
        }
        catch (HttpRequestException ex)
        {
            var why = ex.HttpRequestError is HttpRequestError.Unknown ? "the request failed" : ex.HttpRequestError.ToString();
            // The producer (and its attempt log) learns that the local app is down, not where it lives.
            await RefuseAsync(context, line, started, StatusCodes.Status502BadGateway, "The local app is not answering",
                $"hooks listen could not forward the delivery to the local app: {why}.", forwarded: true,
                note: $"could not forward to {settings.Forward}: {why}").ConfigureAwait(false);
            return;
        }
        using (answer)
        {
            var response = context.Response;
            response.StatusCode = (int)answer.StatusCode;
            CopyHeaders(answer.Headers, response);
            CopyHeaders(answer.Content.Headers, response);
            var buffer = ArrayPool<byte>.Shared.Rent(MaxAnswerBytes);
            try
            {
                var length = 0;
                await using (var stream = await answer.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false))
                {
                    int read;
                    while (length < MaxAnswerBytes && (read = await stream.ReadAsync(buffer.AsMemory(length, MaxAnswerBytes - length), timeout.Token).ConfigureAwait(false)) > 0)
                    {
                        length += read;
                    }
                }
                response.ContentLength = length;
                await response.Body.WriteAsync(buffer.AsMemory(0, length), context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
            {
                // The status line and headers came but the body broke off: the status is still the local app's truth.
                line.Error = "the local app's answer broke off";
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            line.Status = response.StatusCode;
            line.Forwarded = true;
            line.Duration = time.GetElapsedTime(started);
            output.Delivery(line);
        }
    }

    /// <summary>Answers the producer itself with Problem Details (written by hand: no reflection) and prints the line.</summary>
    private async Task RefuseAsync(HttpContext context, DeliveryLine line, long started, int status, string title, string detail,
        bool forwarded = false, string? note = null)
    {
        line.Status = status;
        line.Forwarded = forwarded;
        line.Error = note ?? detail;
        line.Duration = time.GetElapsedTime(started);
        output.Delivery(line);
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/problem+json";
        var writer = new Utf8JsonWriter(response.BodyWriter);
        await using (writer.ConfigureAwait(false))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, $"https://tools.ietf.org/html/rfc9110#section-{status switch
            {
                401 => "15.5.2",
                404 => "15.5.5",
                413 => "15.5.14",
                502 => "15.6.3",
                504 => "15.6.5",
                _ => "15.6.1",
            }}");
            writer.WriteString("title"u8, title);
            writer.WriteNumber("status"u8, status);
            writer.WriteString("detail"u8, detail);
            writer.WriteEndObject();
        }
        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static void CopyHeaders(System.Net.Http.Headers.HttpHeaders headers, HttpResponse response)
    {
        HashSet<string>? dropped = null;
        if (headers.TryGetValues("Connection", out var connection))
        {
            dropped = ConnectionTokens(string.Join(',', connection));
        }
        foreach (var (name, values) in headers)
        {
            if (NotForwarded.Contains(name) || dropped?.Contains(name) == true)
            {
                continue;
            }
            response.Headers.Append(name, values.ToArray());
        }
    }

    /// <summary>The header names a <c>Connection</c> header lists: they belong to this hop only (RFC 9110 7.6.1).</summary>
    private static HashSet<string>? ConnectionTokens(string? connection)
    {
        if (string.IsNullOrEmpty(connection))
        {
            return null;
        }
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var token in connection.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            names.Add(token);
        }
        return names;
    }

    /// <summary>The body, or <c>null</c> when it is larger than <see cref="MaxBodyBytes"/> (chunked bodies have no length to check first).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } known)
        {
            var exact = new byte[known];
            await request.Body.ReadExactlyAsync(exact, cancellationToken).ConfigureAwait(false);
            return exact;
        }
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > MaxBodyBytes)
                {
                    return null;
                }
                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return buffer.ToArray();
    }

    private static string? Header(HttpRequest request, string name, string? alias)
    {
        var value = request.Headers[name];
        if (value.Count == 0 && alias is not null)
        {
            value = request.Headers[alias];
        }
        return value.Count == 0 ? null : value.ToString();
    }

    /// <summary>The envelope's <c>type</c>, for the line printed; <c>null</c> when the body is not a Hooks envelope.</summary>
    internal static string? EventType(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    return reader.Read() && reader.TokenType == JsonTokenType.String ? Printable(reader.GetString()) : null;
                }
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    /// <summary>A value from the wire fit for a terminal line: printable ASCII, at most 256 characters, or <c>null</c>.</summary>
    internal static string? Printable(string? value) =>
        value is { Length: > 0 and <= 256 } && !value.Any(c => c is < ' ' or > '~') ? value : null;
}
