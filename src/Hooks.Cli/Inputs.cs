using System.Globalization;
using Hooks.Security;

namespace Hooks.Cli;

/// <summary>Reads the values commands take in more than one form: bodies, secrets, times.</summary>
internal static class Inputs
{
    /// <summary>The most bytes of a body or data file read: larger than any receiver accepts (1 MiB by default).</summary>
    public const int MaxBodyBytes = 4 * 1024 * 1024;

    /// <summary>The variable commands read a secret from when no <c>--secret</c> is given.</summary>
    public const string SecretVariable = "HOOKS_SECRET";

    /// <summary>
    /// <c>@path</c> reads a file, <c>-</c> (or nothing, when <paramref name="stdinByDefault"/>) reads stdin, anything
    /// else is the text itself as UTF-8. At most <see cref="MaxBodyBytes"/>.
    /// </summary>
    public static async Task<byte[]> ReadBodyAsync(string? value, CliConsole console, string option, bool stdinByDefault,
        CancellationToken cancellationToken)
    {
        if (value is null && !stdinByDefault)
        {
            throw new CliFailure(ExitCodes.Usage, $"{option} is required.");
        }
        if (value is null or "-")
        {
            if (console.InputIsTerminal)
            {
                throw new CliFailure(ExitCodes.Usage, $"No body: pipe one in (… | hooks …) or pass {option} @file.");
            }
            await using var input = console.OpenInput();
            return await ReadBoundedAsync(input, "standard input", cancellationToken).ConfigureAwait(false);
        }
        if (value.StartsWith('@'))
        {
            var path = value[1..];
            try
            {
                await using var file = File.OpenRead(path);
                return await ReadBoundedAsync(file, path, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliFailure(ExitCodes.Usage, $"{option}: cannot read {path}: {ex.Message}");
            }
        }
        return System.Text.Encoding.UTF8.GetBytes(value);
    }

    private static async Task<byte[]> ReadBoundedAsync(Stream stream, string name, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw new CliFailure(ExitCodes.Usage, $"{name} is larger than {MaxBodyBytes / (1024 * 1024)} MiB.");
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// The secrets given with <c>--secret</c>, else the one in <see cref="SecretVariable"/>. A malformed one is a usage
    /// error whose message says what is wrong with it and never contains it.
    /// </summary>
    public static WebHookSecret[] Secrets(IReadOnlyList<string>? given, CliConsole console)
    {
        IReadOnlyList<string> values = given is { Count: > 0 } ? given
            : console.Variable(SecretVariable) is { } fromEnvironment ? [fromEnvironment]
            : throw new CliFailure(ExitCodes.Usage, $"A secret is needed: pass --secret whsec_… or set {SecretVariable}.");
        var secrets = new WebHookSecret[values.Count];
        for (var i = 0; i < values.Count; i++)
        {
            if (!WebHookSecret.TryParse(values[i].Trim(), out var secret, out var error))
            {
                var which = values.Count > 1 ? $"Secret {i + 1}" : given is { Count: > 0 } ? "The secret" : $"The secret in {SecretVariable}";
                throw new CliFailure(ExitCodes.Usage, $"{which} is not usable: {WebHookSecret.Describe(error)} Secrets look like whsec_ followed by base64 of 24 to 64 bytes (hooks secret new makes one).");
            }
            secrets[i] = secret;
        }
        return secrets;
    }

    /// <summary>An ISO 8601 time, or a duration back from now: <c>90s</c>, <c>30m</c>, <c>2h</c>, <c>7d</c>.</summary>
    public static DateTimeOffset Time(string text, string option, TimeProvider time)
    {
        text = text.Trim();
        if (text.Length >= 2 && char.IsAsciiDigit(text[0]) &&
            long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            TimeSpan? ago = text[^1] switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (ago is { } span)
            {
                return time.GetUtcNow() - span;
            }
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return at;
        }
        throw new CliFailure(ExitCodes.Usage, $"{option} must be an ISO 8601 time (2026-11-01T12:00:00Z) or a duration ago (30m, 2h, 7d).");
    }

    /// <summary>The wire form of a time: ISO 8601 in UTC.</summary>
    public static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    /// <summary>A time for people: UTC, to the second.</summary>
    public static string Show(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";
}
