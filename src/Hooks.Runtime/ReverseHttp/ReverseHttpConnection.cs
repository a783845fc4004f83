using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Hooks.ReverseHttp;

/// <summary>
/// A reversed connection as Kestrel sees it on the consumer: an accepted connection whose transport is the upgraded
/// stream. Liveness: with no request in progress (everything read has been answered), a connection from which
/// nothing arrived for <see cref="WebHookReverseHttpClientOptions.IdleTimeout"/> is closed (the producer pings idle
/// connections well within it), so a silently dead peer is noticed.
/// </summary>
internal sealed class ReverseHttpConnection : ConnectionContext
{
    private static long s_next;

    private readonly HttpResponseMessage _response;
    private readonly Stream _stream;
    private readonly CancellationTokenSource _closedToken = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeProvider _time;
    private readonly TimeSpan _idleTimeout;
    private readonly ITimer _watch;
    private readonly ILogger _logger;
    private readonly Uri _producer;
    private long _lastRead;
    private long _lastWrite;

    public ReverseHttpConnection(HttpResponseMessage response, Stream stream, EndPoint local, TimeSpan idleTimeout, TimeProvider time,
        ILogger logger, Uri producer)
    {
        _response = response;
        _stream = stream;
        _time = time;
        _idleTimeout = idleTimeout;
        _logger = logger;
        _producer = producer;
        _lastRead = _lastWrite = time.GetTimestamp();
        ConnectionId = "ptth-" + Interlocked.Increment(ref s_next).ToString(System.Globalization.CultureInfo.InvariantCulture);
        LocalEndPoint = local;
        var watched = new WatchedStream(this, stream);
        Transport = new DuplexPipe(
            PipeReader.Create(watched, new StreamPipeReaderOptions(leaveOpen: true)),
            PipeWriter.Create(watched, new StreamPipeWriterOptions(leaveOpen: true)));
        ConnectionClosed = _closedToken.Token;
        // Requests on this connection see it through their features (Kestrel falls back to the connection's): the
        // receiver tells handlers the message came over a reversed connection.
        Features.Set(ReverseHttpConnectionFeature.Instance);
        var period = idleTimeout / 4;
        _watch = time.CreateTimer(static s => ((ReverseHttpConnection)s!).Check(), this, period, period);
    }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override IDuplexPipe Transport { get; set; }

    public Task Closed => _closed.Task;

    private void Check()
    {
        var lastRead = Volatile.Read(ref _lastRead);
        var lastWrite = Volatile.Read(ref _lastWrite);
        // A request in progress (read after the last answer) is the producer's to time out.
        if (lastWrite >= lastRead && _time.GetElapsedTime(lastWrite) > _idleTimeout && _time.GetElapsedTime(lastRead) > _idleTimeout)
        {
            ReverseHttpLog.Silent(_logger, _producer, _idleTimeout);
            Close();
        }
    }

    public override void Abort(ConnectionAbortedException abortReason) => Close();

    public override async ValueTask DisposeAsync()
    {
        Close();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Closes the connection (either side's end, shutdown, liveness); idempotent.</summary>
    public void Close()
    {
        if (!_closed.TrySetResult())
        {
            return;
        }
        _watch.Dispose();
        try
        {
            _stream.Dispose();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }
        _response.Dispose();
        try
        {
            _closedToken.Cancel();
        }
        catch (AggregateException)
        {
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>Notes when bytes arrive and leave (for liveness); end of input closes the connection.</summary>
    private sealed class WatchedStream(ReverseHttpConnection owner, Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read > 0)
            {
                Volatile.Write(ref owner._lastRead, owner._time.GetTimestamp());
            }
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref owner._lastWrite, owner._time.GetTimestamp());
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
