namespace Hooks.Cli.Output;

/// <summary>A plain-text table: a header row, columns padded to their widest cell, long cells cut with an ellipsis.</summary>
internal sealed class TextTable(params string[] headers)
{
    private const int MaxCell = 60;
    private readonly List<string[]> _rows = [];

    public int Count => _rows.Count;

    public void Add(params string?[] cells) => _rows.Add([.. cells.Select(c => Cut(string.IsNullOrEmpty(c) ? "-" : Flatten(c)))]);

    public async Task WriteAsync(TextWriter writer)
    {
        var widths = headers.Select((h, i) => _rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        await writer.WriteLineAsync(Line(headers, widths)).ConfigureAwait(false);
        foreach (var row in _rows)
        {
            await writer.WriteLineAsync(Line(row, widths)).ConfigureAwait(false);
        }
    }

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();

    private static string Flatten(string text) => text.ReplaceLineEndings(" ");

    private static string Cut(string text) => text.Length <= MaxCell ? text : string.Concat(text.AsSpan(0, MaxCell - 1), "…");
}
