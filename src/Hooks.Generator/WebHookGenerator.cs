using Microsoft.CodeAnalysis;

namespace Hooks.Generator;

/// <summary>Emits the typed webhook code for [WebHookEvent] types and IWebHookHandler&lt;T&gt; implementations.</summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class WebHookGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // The pipeline is built by the generator issue; the project exists so packaging is settled first.
    }
}
