using Hooks.Publishing;
using Hooks.Storage;

namespace Hooks.Tests.Publishing;

public sealed class MessageIdTests
{
    [Fact]
    public void Ids_sort_in_time_order_and_are_unique()
    {
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var ids = Enumerable.Range(0, 1000).Select(i => WebHookMessageId.NewMessageId(t0.AddMilliseconds(i))).ToList();

        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.Matches("^msg_[0-9A-HJKMNP-TV-Z]{26}$", id));
        var sameMs = Enumerable.Range(0, 1000).Select(_ => WebHookMessageId.NewMessageId(t0)).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(1000, sameMs.Count);
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
