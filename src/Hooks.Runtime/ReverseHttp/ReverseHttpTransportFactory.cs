using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hooks.ReverseHttp;

/// <summary>The Kestrel transport of Reverse HTTP: binds only <see cref="ReverseHttpEndPoint"/>, so sockets stay Kestrel's.</summary>
internal sealed class ReverseHttpTransportFactory(IOptions<WebHookReverseHttpClientOptions> options, IServiceProvider services,
    ILoggerFactory loggers) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => endpoint is ReverseHttpEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not ReverseHttpEndPoint)
        {
            throw new NotSupportedException($"The Reverse HTTP transport binds only its own endpoint, not {endpoint}.");
        }
        var time = services.GetService(typeof(TimeProvider)) as TimeProvider ?? TimeProvider.System;
        var listener = new ReverseHttpListener(endpoint, options.Value, time, loggers.CreateLogger("Hooks.ReverseHttp"));
        listener.Start();
        return ValueTask.FromResult<IConnectionListener>(listener);
    }
}
