using System.Linq;
using Hooks.Generator.Model;

namespace Hooks.Generator.Emit;

/// <summary>Writes one event's <c>IWebHookEvent&lt;TSelf&gt;</c> implementation.</summary>
internal static class EventEmitter
{
    public static SourceWriter Emit(EventEmitSpec spec)
    {
        var e = spec.Event;
        var self = e.FullyQualifiedName;
        var iface = $"global::Hooks.IWebHookEvent<{self}>";
        var w = new SourceWriter();
        w.WriteLine(Sources.Header);
        if (e.Namespace.Length > 0)
        {
            w.OpenBlock($"namespace {e.Namespace}");
        }
        foreach (var containing in e.ContainingTypes)
        {
            w.OpenBlock(containing);
        }

        w.WriteLine(Sources.GeneratedCodeAttribute);
        w.OpenBlock($"partial {e.Keyword} {e.Name} : {iface}");
        w.WriteLine($"/// <summary>The event type name carried in the envelope's <c>type</c> field: <c>{e.EventType}</c>.</summary>");
        var hide = e.HidesInheritedMembers ? "new " : "";
        w.WriteLine($"public {hide}static string EventType => \"{e.EventType}\";");
        w.WriteLine();
        w.WriteLine("/// <summary>The description given in <c>[WebHookEvent(Description = …)]</c>, or <c>null</c>.</summary>");
        w.WriteLine($"public {hide}static string? EventDescription => {e.DescriptionLiteral};");
        w.WriteLine();

        if (spec.JsonContext is null)
        {
            // HOOK005, HOOK012 or HOOK013 was reported: without STJ metadata the payload cannot be handled, and reflection is never used.
            var diagnostic = spec.JsonDiagnostic!;
            var severity = Diagnostics.DiagnosticDescriptors.ById(diagnostic.Id).DefaultSeverity.ToString().ToLowerInvariant();
            var message = Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral($"{diagnostic.Message()} ({severity} {diagnostic.Id}).", quote: true);
            w.WriteLine($"static void {iface}.WriteData(global::System.Text.Json.Utf8JsonWriter writer, {self} value) =>");
            w.WriteLine($"    throw new global::System.InvalidOperationException({message});");
            w.WriteLine();
            w.WriteLine($"static {self} {iface}.ReadData(global::System.ReadOnlySpan<byte> utf8Data) =>");
            w.WriteLine($"    throw new global::System.InvalidOperationException({message});");
            w.CloseBlock();
        }
        else
        {
            w.OpenBlock($"static void {iface}.WriteData(global::System.Text.Json.Utf8JsonWriter writer, {self} value)");
            w.WriteLine("global::System.ArgumentNullException.ThrowIfNull(writer);");
            w.WriteLine($"global::System.Text.Json.JsonSerializer.Serialize(writer, value, {spec.JsonContext}.Default.{spec.JsonProperty});");
            w.CloseBlock();
            w.WriteLine();
            w.OpenBlock($"static {self} {iface}.ReadData(global::System.ReadOnlySpan<byte> utf8Data)");
            w.WriteLine($"{self}{(e.IsValueType ? "" : "?")} value;");
            w.OpenBlock("try");
            w.WriteLine($"value = global::System.Text.Json.JsonSerializer.Deserialize(utf8Data, {JsonHolder(e)}.TypeInfo);");
            w.CloseBlock();
            w.OpenBlock("catch (global::System.Text.Json.JsonException exception)");
            w.WriteLine("// The message names the member and its path only, never a payload value.");
            w.WriteLine($"throw new global::Hooks.WebHookPayloadException(");
            w.WriteLine($"    \"The data of the '{e.EventType}' event does not fit {Display(self)}\" + global::{e.GeneratedNamespace}.WebHookStrictJson.Describe(exception.Path, utf8Data, {JsonHolder(e)}.TypeInfo), exception);");
            w.CloseBlock();
            if (!e.IsValueType)
            {
                w.OpenBlock("if (value is null)");
                w.WriteLine($"throw new global::Hooks.WebHookPayloadException(\"The data of the '{e.EventType}' event is null.\");");
                w.CloseBlock();
            }
            w.WriteLine("return value;");
            w.CloseBlock();
            w.WriteLine();
            w.WriteLine($"static global::System.Text.Json.Serialization.Metadata.JsonTypeInfo<{self}>? {iface}.DataTypeInfo => {spec.JsonContext}.Default.{spec.JsonProperty};");
            w.CloseBlock();
        }

        foreach (var _ in e.ContainingTypes)
        {
            w.CloseBlock();
        }
        if (spec.JsonContext is not null)
        {
            var typeInfo = $"global::System.Text.Json.Serialization.Metadata.JsonTypeInfo<{self}>";
            w.WriteLine();
            w.WriteLine("/// <summary>The context's metadata for the event, re-bound to the strict reading options.</summary>");
            w.WriteLine(Sources.GeneratedCodeAttribute);
            w.OpenBlock($"file static class {JsonHolder(e)}");
            w.WriteLine($"internal static readonly {typeInfo} TypeInfo =");
            w.WriteLine($"    global::{e.GeneratedNamespace}.WebHookStrictJson.Create<{self}>({spec.JsonContext}.Default, \"{e.EventType}\");");
            w.CloseBlock();
        }
        if (e.Namespace.Length > 0)
        {
            w.CloseBlock();
        }
        return w;
    }

    private static string JsonHolder(EventSpec e) => string.Join("", e.ContainingTypes.Select(c => c.Substring(c.LastIndexOf(' ') + 1))) + e.Name + "WebHookJson";

    /// <summary>The type as a user writes it in C#, for messages.</summary>
    private static string Display(string fullyQualifiedName) =>
        fullyQualifiedName.StartsWith("global::", System.StringComparison.Ordinal) ? fullyQualifiedName.Substring(8) : fullyQualifiedName;
}
