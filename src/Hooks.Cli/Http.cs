using System.Net.Sockets;

namespace Hooks.Cli;

/// <summary>The tool's HTTP: no redirects followed, bounded waits, and network failures as exit code 4.</summary>
internal static class Http
{
    public static HttpClient CreateClient(TimeSpan timeout) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(Math.Min(10, timeout.TotalSeconds)),
        AutomaticDecompression = System.Net.DecompressionMethods.All,
    })
    {
        Timeout = timeout,
    };

    /// <summary>Sends; a connection that fails or an answer that does not come in time is a <see cref="CliFailure"/> with <see cref="ExitCodes.Network"/>.</summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var target = request.RequestUri!.GetLeftPart(UriPartial.Authority);
        try
        {
            return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            var reason = ex.InnerException is SocketException socket ? socket.Message : ex.Message;
            throw new CliFailure(ExitCodes.Network, $"could not reach {target}: {reason}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliFailure(ExitCodes.Network, $"{target} did not answer within {client.Timeout.TotalSeconds:0} s.");
        }
    }
}
