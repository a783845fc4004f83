using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hooks.Receiving;

/// <summary>Answers a verified <see cref="WebHookChallenge"/> by echoing its value.</summary>
internal static partial class ChallengeResponder
{
    public static async Task AnswerAsync(HttpContext http, ReadOnlyMemory<byte> data, ILogger logger, string receiver)
    {
        if (!TryReadChallenge(data.Span, out var challenge))
        {
            await Problem.WriteAsync(http, StatusCodes.Status400BadRequest, "Malformed challenge",
                $"A {WebHookChallenge.EventType} message needs data {{\"{WebHookChallenge.ChallengeProperty}\": \"…\"}} of at most {WebHookChallenge.MaxChallengeLength} chars.").ConfigureAwait(false);
            return;
        }

        Answered(logger, receiver);
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json";
        var writer = new Utf8JsonWriter(http.Response.BodyWriter);
        await using (writer.ConfigureAwait(false))
        {
            writer.WriteStartObject();
            writer.WriteString(WebHookChallenge.ChallengeProperty, challenge);
            writer.WriteEndObject();
        }
        await http.Response.BodyWriter.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }

    private static bool TryReadChallenge(ReadOnlySpan<byte> data, out string challenge)
    {
        challenge = "";
        try
        {
            var reader = new Utf8JsonReader(data);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isChallenge = reader.ValueTextEquals(WebHookChallenge.ChallengeProperty);
                reader.Read();
                if (isChallenge)
                {
                    if (reader.TokenType != JsonTokenType.String) return false;
                    var value = reader.GetString();
                    if (string.IsNullOrEmpty(value) || value.Length > WebHookChallenge.MaxChallengeLength) return false;
                    challenge = value;
                }
                else
                {
                    reader.Skip();
                }
            }
            return challenge.Length > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Webhook receiver {Receiver} answered an intent-verification challenge.")]
    private static partial void Answered(ILogger logger, string receiver);
}
