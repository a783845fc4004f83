namespace Hooks.Samples.PhotoChain;

/// <summary>The story as it happens: one line per step, printed at once and kept for the summary and the tests.</summary>
public sealed class Timeline(TextWriter output)
{
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];

    /// <summary>Every line so far, in the order they were added.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Adds what <paramref name="who"/> did.</summary>
    public void Add(string who, string what) => Write($"  {who,-15}{what}");

    /// <summary>Adds a line as it is (headings, the summary).</summary>
    public void Write(string line)
    {
        lock (_gate)
        {
            _lines.Add(line);
            output.WriteLine(line);
        }
    }

    /// <summary>How a message reached a consumer, as the timeline says it.</summary>
    public static string Path(WebHookContext context) => context.Source switch
    {
        WebHookSource.Push => "push",
        WebHookSource.Reversed => "reversed",
        _ => "catch-up",
    };
}
