using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Hooks.Cli.Listen;

/// <summary>
/// What <c>hooks listen</c> prints on stdout: one line per delivery and one per connection change, as text for a
/// person or, with <c>--json</c>, one JSON object per line for a script. Lines from parallel connections never interleave.
/// </summary>
internal sealed class ListenOutput(CliConsole console, bool json, int connections)
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly Lock _gate = new();
    private int _open;

    public void Delivery(DeliveryLine line)
    {
        var ms = (long)line.Duration.TotalMilliseconds;
        if (json)
        {
            Write(w =>
            {
                w.WriteString("time", line.Time);
                w.WriteString("event", "delivery");
                Optional(w, "id", line.Id);
                Optional(w, "type", line.Type);
                if (line.Attempt is { } attempt && int.TryParse(attempt, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    w.WriteNumber("attempt", n);
                }
                w.WriteNumber("status", line.Status);
                w.WriteBoolean("forwarded", line.Forwarded);
                w.WriteNumber("durationMs", ms);
                Optional(w, "error", line.Error);
            });
            return;
        }
        var text = new StringBuilder()
            .Append(Clock(line.Time)).Append("  ")
            .Append(line.Id ?? "-").Append("  ")
            .Append(line.Type ?? "-").Append("  ")
            .Append(line.Status.ToString(CultureInfo.InvariantCulture)).Append("  ")
            .Append(ms.ToString(CultureInfo.InvariantCulture)).Append(" ms");
        if (line.Attempt is { } a && a != "1")
        {
            text.Append("  attempt ").Append(a);
        }
        if (line.Error is { } error)
        {
            text.Append("  (").Append(line.Forwarded ? "" : "not forwarded: ").Append(error).Append(')');
        }
        WriteLine(text.ToString());
    }

    public void Connected(DateTimeOffset time, Uri producer)
    {
        var open = Interlocked.Increment(ref _open);
        State(time, "connected", $"connected to {producer} ({open} of {connections} open)", open);
    }

    public void Disconnected(DateTimeOffset time)
    {
        var open = Math.Max(0, Interlocked.Decrement(ref _open));
        State(time, "disconnected", $"disconnected ({open} of {connections} open); reconnecting", open);
    }

    public void Retrying(DateTimeOffset time, Uri? producer, int? status, string? error, TimeSpan delay)
    {
        var why = status is { } s
            ? $"{producer} refused the connection with {s}{(s == 401 ? " (check --subscription and --secret)" : s == 403 ? " (the subscription's URL is not a ptth:// URL)" : "")}"
            : $"cannot reach {producer} ({error})";
        if (json)
        {
            Write(w =>
            {
                w.WriteString("time", time);
                w.WriteString("event", "retrying");
                if (status is { } code)
                {
                    w.WriteNumber("status", code);
                }
                Optional(w, "error", error);
                w.WriteNumber("retryInMs", (long)delay.TotalMilliseconds);
                w.WriteNumber("open", Volatile.Read(ref _open));
            });
            return;
        }
        WriteLine($"{Clock(time)}  {why}; retrying in {delay.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
    }

    public void Listening(DateTimeOffset time, ListenSettings settings)
    {
        if (json)
        {
            Write(w =>
            {
                w.WriteString("time", time);
                w.WriteString("event", "listening");
                w.WriteString("producer", settings.Producer.ToString());
                w.WriteString("subscription", settings.SubscriptionId);
                w.WriteString("forward", settings.Forward.ToString());
                w.WriteNumber("connections", settings.Connections);
            });
            return;
        }
        WriteLine($"{Clock(time)}  listening for {settings.SubscriptionId} at {settings.Producer}, forwarding to {settings.Forward} (Ctrl+C to stop)");
    }

    public void Stopped(DateTimeOffset time) => State(time, "stopped", "stopped", 0);

    private void State(DateTimeOffset time, string name, string text, int open)
    {
        if (json)
        {
            Write(w =>
            {
                w.WriteString("time", time);
                w.WriteString("event", name);
                w.WriteNumber("open", open);
            });
            return;
        }
        WriteLine($"{Clock(time)}  {text}");
    }

    private static string Clock(DateTimeOffset time) => time.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    private static void Optional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private void Write(Action<Utf8JsonWriter> members)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            writer.WriteStartObject();
            members(writer);
            writer.WriteEndObject();
        }
        WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    private void WriteLine(string line)
    {
        lock (_gate)
        {
            console.Out.WriteLine(line);
            console.Out.Flush();
        }
    }
}
