using System.Collections.Concurrent;
using Hooks.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hooks.Receiving;

/// <summary>The app's named receivers, each built once from its validated options (and told of the catch-up feeds, when <c>AddCatchUp</c> registered any).</summary>
internal sealed class WebHookReceivers(
    IOptionsMonitor<WebHookReceiverOptions> options,
    IEnumerable<WebHookReceiverName> names,
    IWebHookIdempotencyStore idempotency,
    TimeProvider time,
    ILoggerFactory loggers,
    CatchUp.WebHookCatchUpFeeds? catchUp = null) : IDisposable
{
    private readonly HashSet<string> _names = names.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, WebHookReceiver> _receivers = new(StringComparer.Ordinal);
    private readonly ILogger _logger = loggers.CreateLogger("Hooks.Receiving");

    public WebHookReceiver Get(string name)
    {
        if (!_names.Contains(name))
        {
            throw new InvalidOperationException(
                $"No webhook receiver named '{name}' is configured. Add it with services.AddWebHooks().AddReceiver(\"{name}\", o => o.Secrets.Add(\"whsec_…\")).");
        }
        return _receivers.GetOrAdd(name, n => new WebHookReceiver(n, options.Get(n), idempotency, time, _logger, catchUp));
    }

    /// <summary>Stops the receivers' refusal summaries.</summary>
    public void Dispose()
    {
        foreach (var receiver in _receivers.Values)
        {
            receiver.Dispose();
        }
    }
}

/// <summary>Records that a receiver of this name was added, so mapping an unknown name fails clearly.</summary>
internal sealed record WebHookReceiverName(string Name);
