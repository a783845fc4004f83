using System.Text;
using System.Text.Json;

namespace Hooks.Tests.Security;

/// <summary>The Standard Webhooks vectors copied into this repository (Vectors/standard-webhooks.json).</summary>
internal static class Vectors
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Vectors", "standard-webhooks.json"))));

    public static JsonElement Root => Document.Value.RootElement;

    public static IEnumerable<object[]> Named(string section) =>
        Root.GetProperty(section).EnumerateArray().Select(e => new object[] { e.GetProperty("name").GetString()! });

    public static JsonElement Get(string section, string name) =>
        Root.GetProperty(section).EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);

    public static byte[] Body(JsonElement vector)
    {
        if (vector.TryGetProperty("body_repeat", out var repeat))
        {
            var c = repeat.GetProperty("char").GetString()!;
            return Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(c, repeat.GetProperty("count").GetInt32())));
        }
        return Encoding.UTF8.GetBytes(vector.GetProperty("body").GetString()!);
    }

    /// <summary>The timestamp as the header would carry it: numbers as digits, strings verbatim.</summary>
    public static string TimestampText(JsonElement vector)
    {
        var ts = vector.GetProperty("timestamp");
        return ts.ValueKind == JsonValueKind.Number ? ts.GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture) : ts.GetString()!;
    }
}
