using System.Text.Encodings.Web;
using System.Text.Json;

namespace Hooks.Cli.Output;

/// <summary>Writes <c>--json</c> output: indented, written by hand or copied from the API's answer (no reflection).</summary>
internal static class JsonOutput
{
    // Written to a terminal or a pipe, never into HTML: secrets such as whsec_ab+c/d= come out as they must be pasted.
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteAsync(CliConsole console, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            write(writer);
        }
        await console.Out.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)).ConfigureAwait(false);
    }

    public static Task WriteAsync(CliConsole console, JsonElement element) => WriteAsync(console, element.WriteTo);
}
