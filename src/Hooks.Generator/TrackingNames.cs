namespace Hooks.Generator;

/// <summary>The names of the pipeline steps, as tests look them up in the generator driver's run result.</summary>
internal static class TrackingNames
{
    public const string Events = nameof(Events);
    public const string EventSpecs = nameof(EventSpecs);
    public const string EventDiagnostics = nameof(EventDiagnostics);
    public const string DuplicateEventTypes = nameof(DuplicateEventTypes);
    public const string CollidingHintNames = nameof(CollidingHintNames);
    public const string JsonContextResults = nameof(JsonContextResults);
    public const string JsonContexts = nameof(JsonContexts);
    public const string AllJsonContexts = nameof(AllJsonContexts);
    public const string EventsWithJson = nameof(EventsWithJson);
    public const string Handlers = nameof(Handlers);
    public const string HandlerDiagnostics = nameof(HandlerDiagnostics);
    public const string CompilationInfo = nameof(CompilationInfo);
    public const string Assembly = nameof(Assembly);
    public const string StrictJson = nameof(StrictJson);

    public static readonly string[] All =
    [
        Events, EventSpecs, EventDiagnostics, DuplicateEventTypes, CollidingHintNames, JsonContextResults, JsonContexts, AllJsonContexts, EventsWithJson,
        Handlers, HandlerDiagnostics, CompilationInfo, Assembly, StrictJson,
    ];
}
