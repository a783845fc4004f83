namespace Hooks.ReverseHttp;

/// <summary>
/// One reversed connection on the producer: the upgraded stream of a consumer's request, handed once to the reverse
/// delivery handler (through its <c>ConnectCallback</c>, under an authority of its own, so the handler keeps it as the
/// one pooled connection of that authority). It is used by one attempt or ping at a time (<see cref="ReversedConnections"/>
/// hands it out); it closes when the consumer closes it, when the handler disposes it, or when a ping fails.
/// </summary>
internal sealed class ReversedConnection
{
    private readonly Stream _upgraded;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _taken;
    private Uri? _lastUrl;
    private Uri? _lastRequestUri;

    public ReversedConnection(string id, string subscriptionId, Stream upgraded, long now)
    {
        Id = id;
        SubscriptionId = subscriptionId;
        _upgraded = upgraded;
        IdleSince = now;
    }

    /// <summary>The authority the reverse handler addresses this connection by (<c>ptth-{n}</c>).</summary>
    public string Id { get; }

    public string SubscriptionId { get; }

    /// <summary>Completes when the connection is closed, by either side.</summary>
    public Task Closed => _closed.Task;

    public bool IsClosed => _closed.Task.IsCompleted;

    // Guarded by the registry's lock.
    internal bool Busy;
    internal long IdleSince;

    /// <summary>The request URI for a delivery to <paramref name="url"/> (a <c>ptth</c> URL) over this connection.</summary>
    public Uri RequestUri(Uri url)
    {
        // One attempt at a time uses a connection, and a subscription's URL object is the same for every delivery:
        // made once, not per attempt.
        if (!ReferenceEquals(_lastUrl, url) || _lastRequestUri is null)
        {
            _lastRequestUri = new Uri("http://" + Id + url.PathAndQuery);
            _lastUrl = url;
        }
        return _lastRequestUri;
    }

    /// <summary>The stream for the handler, once; <c>null</c> after (a second connect for this authority fails).</summary>
    public Stream? Take() =>
        Interlocked.Exchange(ref _taken, 1) == 0 && !IsClosed ? new OwnedStream(this, _upgraded) : null;

    public void Close()
    {
        if (_closed.TrySetResult())
        {
            try
            {
                _upgraded.Dispose();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }
    }

    /// <summary>The upgraded stream as the handler sees it: end of input or disposal closes the connection.</summary>
    private sealed class OwnedStream(ReversedConnection owner, Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int read;
            try
            {
                read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                owner.Close();
                throw;
            }
            if (read == 0 && !buffer.IsEmpty)
            {
                owner.Close(); // the consumer closed it
            }
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                owner.Close();
                throw;
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                owner.Close();
            }
            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync()
        {
            owner.Close();
            return base.DisposeAsync();
        }
    }
}
