namespace Hooks.Generator.Emit;

/// <summary>
/// Writes the per-assembly helper the event files read with: the app's context re-bound to strict options.
/// </summary>
internal static class StrictJsonEmitter
{
    public const string HintName = "Hooks.WebHookStrictJson.g.cs";

    public static SourceWriter Emit(string generatedNamespace)
    {
        var w = new SourceWriter();
        w.WriteLine(Sources.Header);
        w.OpenBlock($"namespace {generatedNamespace}");
        w.WriteLines(Sources.StrictJson);
        w.CloseBlock();
        return w;
    }
}
