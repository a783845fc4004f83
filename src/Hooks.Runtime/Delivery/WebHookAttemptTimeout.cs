namespace Hooks.Delivery;

/// <summary>
/// A reusable request timeout owned by one dispatcher worker: one <see cref="CancellationTokenSource"/> on the
/// configured <see cref="TimeProvider"/>, re-armed per attempt and reset after it, instead of two new ones (timeout
/// plus linked) per attempt. Shutdown cancels it too.
/// </summary>
internal sealed class WebHookAttemptTimeout : IDisposable
{
    private readonly TimeProvider _time;
    private readonly CancellationToken _stoppingToken;
    private CancellationTokenSource _source;
    private CancellationTokenRegistration _registration;

    public WebHookAttemptTimeout(TimeProvider time, CancellationToken stoppingToken)
    {
        _time = time;
        _stoppingToken = stoppingToken;
        (_source, _registration) = Create();
    }

    /// <summary>Arms the timeout; the token is cancelled when it elapses or the service stops.</summary>
    public CancellationToken Start(TimeSpan timeout)
    {
        _source.CancelAfter(timeout);
        return _source.Token;
    }

    /// <summary>Whether the token was cancelled by the timeout rather than by shutdown.</summary>
    public bool TimedOut => _source.IsCancellationRequested && !_stoppingToken.IsCancellationRequested;

    /// <summary>Whether the service is stopping.</summary>
    public bool IsStopping => _stoppingToken.IsCancellationRequested;

    /// <summary>Disarms the timeout so the source can serve the next attempt.</summary>
    public void Stop()
    {
        if (!_source.TryReset())
        {
            Dispose();
            (_source, _registration) = Create();
        }
    }

    public void Dispose()
    {
        _registration.Dispose();
        _source.Dispose();
    }

    private (CancellationTokenSource, CancellationTokenRegistration) Create()
    {
        var source = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        // One registration per source, not per attempt.
        var registration = _stoppingToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), source);
        return (source, registration);
    }
}
