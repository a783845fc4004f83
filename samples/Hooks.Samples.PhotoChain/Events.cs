using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hooks.Samples.PhotoChain;

/// <summary>Photos tells its subscribers that one of its users uploaded a photo.</summary>
[WebHookEvent("photo.uploaded", Description = "A user uploaded a photo.")]
public partial record PhotoUploaded(string PhotoId, string User, string Description, string Url);

/// <summary>Microblog tells its subscribers that one of its users posted (here: because a photo came in).</summary>
[WebHookEvent("post.created", Description = "A user posted to their microblog.")]
public partial record PostCreated(string PostId, string Author, string Text, string Link);

/// <summary>What a user sends to Photos to upload (the photo itself is left out of the story).</summary>
public sealed record Upload(string Description);

/// <summary>What Photos answers to an upload.</summary>
public sealed record Uploaded(string PhotoId, string MessageId, int Deliveries);

/// <summary>A subscription request to a management API.</summary>
public sealed record SubscriptionRequest(string Url, string[] EventTypes, string Secret, string Description);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PhotoUploaded))]
[JsonSerializable(typeof(PostCreated))]
[JsonSerializable(typeof(Upload))]
[JsonSerializable(typeof(Uploaded))]
[JsonSerializable(typeof(SubscriptionRequest))]
internal sealed partial class ChainJson : JsonSerializerContext;
