using System.Runtime.CompilerServices;

namespace Hooks.Storage;

/// <summary>
/// Records of one kind (<typeparamref name="T"/>, a struct without references) kept by a key the store hands out in
/// increasing order (a message's sequence, a delivery's id), in chunks of 4 096. The garbage collector never looks
/// inside a chunk (it holds no references), so a backlog of a million records costs it a few hundred objects, not
/// millions; a chunk whose records are all removed is cleared and kept for reuse (up to 16), or dropped.
/// </summary>
internal sealed class InMemoryRecordTable<T> where T : struct
{
    private const int Shift = 12;
    private const int ChunkSize = 1 << Shift;
    private const int Mask = ChunkSize - 1;
    // Emptied chunks kept for reuse, so a burst of records does not make the heap grow and shrink each time.
    private const int SpareChunks = 16;

    private sealed class Chunk(T[] items)
    {
        public readonly T[] Items = items;
        public int Live;
    }

    // _chunks[i] holds keys [(_first + i) << Shift, (_first + i + 1) << Shift); null when all its records are gone.
    private readonly List<Chunk?> _chunks = [];
    private long _first;
    private readonly Stack<T[]> _spare = new();

    /// <summary>How many records are stored.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Makes room for <paramref name="key"/>, which is above every key added before, and returns its record (all
    /// zero) to fill in.
    /// </summary>
    public ref T Add(long key)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(key);
        var number = key >> Shift;
        if (number < _first)
        {
            throw new InvalidOperationException("Keys are added in increasing order.");
        }
        while (_first + _chunks.Count <= number)
        {
            _chunks.Add(null);
        }
        var index = (int)(number - _first);
        var chunk = _chunks[index] ??= new Chunk(_spare.TryPop(out var reused) ? reused : new T[ChunkSize]);
        chunk.Live++;
        Count++;
        return ref chunk.Items[key & Mask];
    }

    /// <summary>
    /// The record at <paramref name="key"/>, or a null reference when its chunk is gone (test with
    /// <see cref="Unsafe.IsNullRef{T}(ref readonly T)"/>). A record inside a live chunk that was never added or was
    /// removed reads as all zero: callers keep a presence flag in it.
    /// </summary>
    public ref T Find(long key)
    {
        var index = (key >> Shift) - _first;
        if (key < 0 || (ulong)index >= (ulong)_chunks.Count || _chunks[(int)index] is not { } chunk)
        {
            return ref Unsafe.NullRef<T>();
        }
        return ref chunk.Items[key & Mask];
    }

    /// <summary>Forgets the record at <paramref name="key"/>, which the caller found and has cleared.</summary>
    public void Remove(long key)
    {
        var index = (int)((key >> Shift) - _first);
        var chunk = _chunks[index]!;
        Count--;
        if (--chunk.Live > 0)
        {
            return;
        }
        Array.Clear(chunk.Items); // a reused chunk must read as empty
        if (_spare.Count < SpareChunks)
        {
            _spare.Push(chunk.Items);
        }
        _chunks[index] = null;
        // Drop empty chunks from the front, keeping the last slot: the next key may still fall in it.
        var empty = 0;
        while (empty < _chunks.Count - 1 && _chunks[empty] is null)
        {
            empty++;
        }
        if (empty > 0)
        {
            _chunks.RemoveRange(0, empty);
            _first += empty;
        }
    }

    /// <summary>How many chunk slots there are, for <see cref="ChunkAt"/>.</summary>
    public int ChunkCount => _chunks.Count;

    /// <summary>The records of a chunk slot (empty when the chunk is gone); absent records read as all zero.</summary>
    public Span<T> ChunkAt(int index) => _chunks[index] is { } chunk ? chunk.Items : [];
}
