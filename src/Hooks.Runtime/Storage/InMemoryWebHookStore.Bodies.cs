namespace Hooks.Storage;

// Bodies: copied into shared 64 KB slabs, which are recycled once every body in them is forgotten.
public sealed partial class InMemoryWebHookStore
{
    // Bodies, copied into slabs. Bodies leave the store as copies, so a slab whose messages are all forgotten is
    // kept for reuse (up to SpareSlabs): the heap does not grow and shrink with every burst of publishes, which
    // costs fresh pages from the kernel.
    private const int SlabSize = 64 * 1024 - 64;  // under the large object heap's threshold
    private const int OwnArrayAbove = SlabSize / 4;
    private readonly List<byte[]?> _slabs = [];
    private readonly List<int> _slabLive = [];
    private int _firstSlab;                        // the number of _slabs[0]
    private int _slabUsed = SlabSize;              // bytes used in the newest slab (full: none yet)
    private const int SpareSlabs = 256;            // 16 MB
    private readonly Stack<byte[]> _spareSlabs = new();

    private void StoreBody(ref MessageRecord message, ReadOnlySpan<byte> body)
    {
        message.Length = body.Length;
        if (body.IsEmpty)
        {
            message.Slab = -1;
            return;
        }
        if (body.Length > OwnArrayAbove || _slabUsed + body.Length > SlabSize)
        {
            // A large body gets an array of its own, and the slab after it starts afresh.
            if (_slabs.Count > 0 && _slabLive[^1] == 0)
            {
                Recycle(_slabs[^1]!); // every body in it was forgotten while it was the newest
                _slabs[^1] = null;
            }
            _slabs.Add(body.Length > OwnArrayAbove ? GC.AllocateUninitializedArray<byte>(body.Length)
                : _spareSlabs.TryPop(out var spare) ? spare : GC.AllocateUninitializedArray<byte>(SlabSize));
            _slabLive.Add(0);
            _slabUsed = 0;
        }
        var index = _slabs.Count - 1;
        body.CopyTo(_slabs[index].AsSpan(_slabUsed));
        message.Slab = _firstSlab + index;
        message.Offset = _slabUsed;
        _slabUsed = body.Length > OwnArrayAbove ? SlabSize : _slabUsed + body.Length;
        _slabLive[index]++;
    }

    private void ReleaseBody(ref MessageRecord message)
    {
        if (message.Slab < 0)
        {
            return;
        }
        var index = message.Slab - _firstSlab;
        if (--_slabLive[index] > 0 || index == _slabs.Count - 1)
        {
            return; // still holds bodies, or is the slab being filled
        }
        Recycle(_slabs[index]!);
        _slabs[index] = null;
        DropEmptySlabs();
    }

    private void Recycle(byte[] slab)
    {
        if (slab.Length == SlabSize && _spareSlabs.Count < SpareSlabs)
        {
            _spareSlabs.Push(slab); // bodies are copied out, so nothing outside the store points into it
        }
    }

    private void DropEmptySlabs()
    {
        var empty = 0;
        while (empty < _slabs.Count - 1 && _slabs[empty] is null)
        {
            empty++;
        }
        if (empty > 0)
        {
            _slabs.RemoveRange(0, empty);
            _slabLive.RemoveRange(0, empty);
            _firstSlab += empty;
        }
    }
}
