using Hooks.Publishing;
using Hooks.Storage;

namespace Hooks.Tests.Publishing;

public sealed class MessageIdTests
{
    [Fact]
    public void Ids_sort_in_time_order_and_are_unique()
    {
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var ids = Enumerable.Range(0, 1000).Select(i => WebHookIds.NewMessageId(t0.AddMilliseconds(i))).ToList();

        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.Matches("^msg_[0-9A-HJKMNP-TV-Z]{26}$", id));
        var sameMs = Enumerable.Range(0, 1000).Select(_ => WebHookIds.NewMessageId(t0)).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(1000, sameMs.Count);
    }

    [Fact]
    public void Ids_round_trip_through_their_bits_and_match_a_plain_base32_reading()
    {
        var random = new Random(7);
        var bytes = new byte[16];
        UInt128[] edges = [UInt128.Zero, UInt128.One, UInt128.MaxValue, (UInt128)ulong.MaxValue, (UInt128)ulong.MaxValue + 1, UInt128.MaxValue >> 1];
        var values = edges.Concat(Enumerable.Range(0, 2000).Select(_ =>
        {
            random.NextBytes(bytes);
            return System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(bytes);
        }));
        foreach (var value in values)
        {
            var id = WebHookIds.Format("msg_", value);
            Assert.Equal("msg_" + PlainBase32(value), id);
            Assert.True(WebHookIds.TryParse(id, "msg_", out var parsed));
            Assert.Equal(value, parsed);
        }
        var made = WebHookIds.NewMessageId(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.True(WebHookIds.TryParse(made, "msg_", out var bits));
        Assert.Equal(made, WebHookIds.Format("msg_", bits));
        Assert.Equal((ulong)new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), (ulong)(bits >> 80));
    }

    [Theory]
    [InlineData("msg_")]
    [InlineData("msg_0000000000000000000000000")]      // 25 chars
    [InlineData("msg_000000000000000000000000000")]    // 27 chars
    [InlineData("msg_8ZZZZZZZZZZZZZZZZZZZZZZZZZ")]     // over 128 bits
    [InlineData("msg_0000000000000000000000000I")]     // not in the alphabet
    [InlineData("msg_0000000000000000000000000a")]     // lower case
    [InlineData("sub_00000000000000000000000000")]     // another prefix
    public void Only_ids_that_format_back_exactly_parse(string id) =>
        Assert.False(WebHookIds.TryParse(id, "msg_", out _));

    private static string PlainBase32(UInt128 value)
    {
        var chars = new char[26];
        for (var i = 25; i >= 0; i--)
        {
            chars[i] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[(int)(value & 31)];
            value >>= 5;
        }
        return new string(chars);
    }

    [Theory]
    [InlineData("order.*", "order.created", true)]
    [InlineData("order.*", "order.item.added", true)]
    [InlineData("order.*", "order", false)]
    [InlineData("order.*", "orders.created", false)]
    [InlineData("order.created", "order.created", true)]
    [InlineData("order.created", "order.cancelled", false)]
    [InlineData("*", "anything.at.all", true)]
    public void Filters_match_exact_names_and_wildcards(string filter, string type, bool matches) =>
        Assert.Equal(matches, WebHookEventFilter.Matches(filter, type));

    [Fact]
    public void An_empty_filter_takes_every_type() => Assert.True(WebHookEventFilter.Matches([], "x.y"));
}
