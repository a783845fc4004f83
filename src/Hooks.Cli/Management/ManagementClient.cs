using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Hooks.Cli.Output;

namespace Hooks.Cli.Management;

/// <summary>The options every management command takes: where the API is, the token, and --json.</summary>
internal sealed class ManagementOptions
{
    public const string ApiVariable = "HOOKS_API_URL";
    public const string TokenVariable = "HOOKS_API_TOKEN";

    public Option<string> Api { get; } = new("--api")
    {
        Description = $"The management API's base URL, where MapWebHookSubscriptions is mapped (such as https://example.com/api/webhooks). Default: ${ApiVariable}.",
        HelpName = "url",
    };

    public Option<string> Token { get; } = new("--token")
    {
        Description = $"A bearer token for the API. Default: ${TokenVariable} (keeps it out of shell history).",
        HelpName = "token",
    };

    public Option<bool> Json { get; } = new("--json") { Description = "Print the API's JSON answer for scripts instead of text." };

    public static ManagementOptions AddTo(Command command)
    {
        var options = new ManagementOptions();
        command.Options.Add(options.Api);
        command.Options.Add(options.Token);
        command.Options.Add(options.Json);
        return options;
    }

    public ManagementClient Client(ParseResult result, CliConsole console)
    {
        var text = result.GetValue(Api) ?? console.Variable(ApiVariable)
            ?? throw new CliFailure(ExitCodes.Usage, $"Where is the API? Pass --api <url> or set {ApiVariable}.");
        if (!Uri.TryCreate(text, UriKind.Absolute, out var api) || (api.Scheme != Uri.UriSchemeHttp && api.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliFailure(ExitCodes.Usage, "--api must be an absolute http or https URL.");
        }
        return new ManagementClient(api, result.GetValue(Token) ?? console.Variable(TokenVariable), console);
    }
}

/// <summary>
/// Calls the management API: answers under 4 MiB, errors as <see cref="CliFailure"/>s carrying the Problem Details
/// (exit code 3), no answer as exit code 4. The token is sent, never printed.
/// </summary>
internal sealed class ManagementClient(Uri api, string? token, CliConsole console)
{
    private const int MaxAnswerBytes = 4 * 1024 * 1024;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly Uri _base = api.AbsoluteUri.EndsWith('/') ? api : new Uri(api.AbsoluteUri + "/");

    public static ManagementJsonContext Json => ManagementJsonContext.Default;

    public static string Segment(string value) => Uri.EscapeDataString(value);

    /// <summary>Sends and returns the answer's JSON (empty for 204).</summary>
    public async Task<byte[]> SendAsync(HttpMethod method, string path, byte[]? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_base, path));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        using var client = Http.CreateClient(Timeout);
        using var response = await Http.SendAsync(client, request, cancellationToken).ConfigureAwait(false);
        var answer = await HttpAnswer.ReadAsync(response, MaxAnswerBytes, cancellationToken).ConfigureAwait(false);
        if (!answer.IsSuccess)
        {
            throw new CliFailure(ExitCodes.ApiError, Describe(answer, method, path));
        }
        if (answer.Truncated)
        {
            throw new CliFailure(ExitCodes.ApiError, $"The API's answer is larger than {MaxAnswerBytes / (1024 * 1024)} MiB.");
        }
        return answer.Body;
    }

    public async Task<T> SendAsync<T>(HttpMethod method, string path, byte[]? body, JsonTypeInfo<T> answer, bool json, CancellationToken cancellationToken)
        where T : class
    {
        var bytes = await SendAsync(method, path, body, cancellationToken).ConfigureAwait(false);
        try
        {
            if (json)
            {
                // Scripts get the API's answer itself, members this version does not know included.
                using var document = JsonDocument.Parse(bytes);
                await JsonOutput.WriteAsync(console, document.RootElement).ConfigureAwait(false);
            }
            return JsonSerializer.Deserialize(bytes, answer) ?? throw new JsonException("null");
        }
        catch (JsonException)
        {
            throw new CliFailure(ExitCodes.ApiError, $"The answer from {_base} is not the management API's JSON: is --api the prefix where MapWebHookSubscriptions is mapped?");
        }
    }

    public static byte[] Body<T>(T value, JsonTypeInfo<T> info) => JsonSerializer.SerializeToUtf8Bytes(value, info);

    private string Describe(HttpAnswer answer, HttpMethod method, string path)
    {
        var lines = new List<string> { $"the API answered {answer.StatusLine} to {method} {new Uri(_base, path).AbsolutePath}" };
        lines.AddRange(answer.Describe().Select(l => "  " + l));
        if (answer.Location is { } location)
        {
            lines.Add($"  Location: {location.OriginalString} (redirects are not followed: point --api at the final URL)");
        }
        switch (answer.Status)
        {
            case HttpStatusCode.Unauthorized:
                lines.Add(token is null
                    ? $"  The API wants credentials: pass --token or set {ManagementOptions.TokenVariable}."
                    : "  The API refused the token.");
                break;
            case HttpStatusCode.NotFound when answer.Body.Length == 0:
                lines.Add("  Nothing is mapped there: is --api the prefix where MapWebHookSubscriptions is mapped?");
                break;
            default:
                break;
        }
        return string.Join(Environment.NewLine, lines);
    }
}
