using System;
using Hooks.Generator.Model;
using Microsoft.CodeAnalysis;

namespace Hooks.Generator.Diagnostics;

/// <summary>
/// The generator's last line: an exception escaping a step would make Roslyn drop every generated file (CS8785), so
/// unrelated events would break too. Each step's failure becomes HOOK999 and only that step's output is missing.
/// Cancellation still propagates.
/// </summary>
internal static class Guard
{
    public static T Parse<T>(Func<T> parse, string doing, Func<EquatableArray<DiagnosticInfo>, T> failed)
    {
        try
        {
            return parse();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return failed(new[] { Failure(doing, exception) }.ToEquatableArray());
        }
    }

    public static void Emit(SourceProductionContext context, string doing, Action emit)
    {
        try
        {
            emit();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.GeneratorFailure, Location.None, doing, Describe(exception)));
        }
    }

    private static DiagnosticInfo Failure(string doing, Exception exception) =>
        DiagnosticInfo.Create(DiagnosticDescriptors.GeneratorFailure, null, doing, Describe(exception));

    // The type and message only: a stack trace would make the model differ on every run and defeat caching.
    private static string Describe(Exception exception) => exception.GetType().Name + ": " + exception.Message;
}
