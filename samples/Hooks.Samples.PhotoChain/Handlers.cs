using Hooks.Publishing;

namespace Hooks.Samples.PhotoChain;

/// <summary>
/// Microblog: a photo came in, so the user posts it. The post is published for the same user (tenant), keyed by the
/// photo's message id: a photo delivered twice would still make one post. Each hop is signed and verified on its own.
/// </summary>
public sealed class MicroblogPhotoHandler(IWebHookPublisher publisher, Inbox inbox, Timeline timeline) : IWebHookHandler<PhotoUploaded>
{
    public async Task HandleAsync(PhotoUploaded photo, WebHookContext context, CancellationToken cancellationToken)
    {
        timeline.Add("Microblog", $"<- photo.uploaded {context.MessageId} from Photos ({photo.User}): {Timeline.Path(context)}, " +
            $"attempt {context.Attempt ?? 1}, signature verified");
        var post = new PostCreated("post_" + photo.PhotoId["photo_".Length..], photo.User, photo.Description, photo.Url);
        var published = await publisher.PublishAsync(post, new WebHookTenant(photo.User), idempotencyKey: context.MessageId, cancellationToken);
        timeline.Add("Microblog", $"-> post.created {published.MessageId} for {photo.User}: \"{post.Text}\" {post.Link} " +
            $"(to {published.Deliveries} of {photo.User}'s subscriptions)");
        inbox.Add(new Received(context.MessageId, context.EventType, photo.User, context.Source, context.Attempt ?? 1, published.MessageId));
    }
}

/// <summary>Lifestream: every post of its users, in one stream.</summary>
public sealed class LifestreamHandler(Inbox inbox, Timeline timeline) : IWebHookHandler<PostCreated>
{
    public Task HandleAsync(PostCreated post, WebHookContext context, CancellationToken cancellationToken)
    {
        timeline.Add("Lifestream", $"<- post.created {context.MessageId} from Microblog: {Timeline.Path(context)}, attempt {context.Attempt ?? 1}, " +
            $"signature verified; added to {post.Author}'s lifestream");
        inbox.Add(new Received(context.MessageId, context.EventType, post.Author, context.Source, context.Attempt ?? 1));
        return Task.CompletedTask;
    }
}

/// <summary>Where Kevin's filter forwards what it keeps: a file, one line per post.</summary>
/// <param name="Path">The mailbox file.</param>
public sealed record Mailbox(string Path);

/// <summary>
/// Kevin's filter: a user's own little script, subscribed to their posts, that forwards only the ones that mention
/// Kevin to a mailbox and ignores the rest.
/// </summary>
public sealed class KevinFilterHandler(Mailbox mailbox, Inbox inbox, Timeline timeline) : IWebHookHandler<PostCreated>
{
    public async Task HandleAsync(PostCreated post, WebHookContext context, CancellationToken cancellationToken)
    {
        var kevin = post.Text.Contains("Kevin", StringComparison.OrdinalIgnoreCase);
        if (kevin)
        {
            await File.AppendAllTextAsync(mailbox.Path, $"{post.Author}: {post.Text} {post.Link}{Environment.NewLine}", cancellationToken);
        }
        timeline.Add("Kevin's filter", $"<- post.created {context.MessageId} from Microblog: {Timeline.Path(context)}, attempt {context.Attempt ?? 1}, " +
            "signature verified; " + (kevin ? $"mentions Kevin: forwarded to {System.IO.Path.GetFileName(mailbox.Path)}" : "no Kevin: ignored"));
        inbox.Add(new Received(context.MessageId, context.EventType, post.Author, context.Source, context.Attempt ?? 1));
    }
}

/// <summary>Laptop: no listening port; its posts come down a connection it dialled out (Reverse HTTP).</summary>
public sealed class LaptopHandler(Inbox inbox, Timeline timeline) : IWebHookHandler<PostCreated>
{
    public Task HandleAsync(PostCreated post, WebHookContext context, CancellationToken cancellationToken)
    {
        timeline.Add("Laptop", $"<- post.created {context.MessageId} from Microblog: {Timeline.Path(context)}, attempt {context.Attempt ?? 1}, " +
            "signature verified; no listening port");
        inbox.Add(new Received(context.MessageId, context.EventType, post.Author, context.Source, context.Attempt ?? 1));
        return Task.CompletedTask;
    }
}

/// <summary>
/// Offline reader: alice's posts, kept for reading later. It is down while some are published; when it comes back,
/// its catch-up poller reads them from Microblog's feed and hands them to this same handler (Source = CatchUp).
/// </summary>
public sealed class OfflineReaderHandler(Inbox inbox, Timeline timeline) : IWebHookHandler<PostCreated>
{
    public Task HandleAsync(PostCreated post, WebHookContext context, CancellationToken cancellationToken)
    {
        var how = context.Source == WebHookSource.CatchUp
            ? "catch-up, read from Microblog's feed (a signed request)"
            : $"{Timeline.Path(context)}, attempt {context.Attempt ?? 1}, signature verified";
        timeline.Add("Offline reader", $"<- post.created {context.MessageId} from Microblog: {how}; saved for reading");
        inbox.Add(new Received(context.MessageId, context.EventType, post.Author, context.Source, context.Attempt ?? 1));
        return Task.CompletedTask;
    }
}

/// <summary>Lifestream is being deployed: its first delivery after <see cref="Arm"/> is answered 503 with Retry-After: 1.</summary>
public sealed class Deploying
{
    private int _armed;

    /// <summary>Makes the next delivery fail once.</summary>
    public void Arm() => Volatile.Write(ref _armed, 1);

    /// <summary>True (once) when this request is the one to refuse.</summary>
    public bool TryTrip() => Interlocked.Exchange(ref _armed, 0) == 1;
}
