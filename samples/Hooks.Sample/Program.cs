// A consumer that receives signed webhooks, and a minimal producer half that signs and POSTs two events to it.
using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using Hooks;
using Hooks.Sample;
using Hooks.Security;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

var secret = WebHookSecret.Generate();

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton<HandledLog>();
builder.Services.AddWebHooks().AddReceiver(o => o.Secrets.Add(secret.Reveal()));

var app = builder.Build();
app.Urls.Add("http://127.0.0.1:0");
app.MapWebHooks();                       // generated: verifies, dedupes, routes by type to the handlers above
await app.StartAsync();
var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
Console.WriteLine($"Consumer listening on {address}webhooks");

using var http = new HttpClient { BaseAddress = address };
await SendAsync(new OrderCreated("ord_1001", 42.50m));
await SendAsync(new OrderShipped("ord_1001", "DHL"));

var log = app.Services.GetRequiredService<HandledLog>();
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
for (var i = 0; i < 2; i++)
{
    Console.WriteLine("Handled " + await log.Lines.Reader.ReadAsync(timeout.Token));
}
await app.StopAsync();

// The producer half: the generated serializer writes the envelope, the signing core signs it.
async Task SendAsync<TEvent>(TEvent @event) where TEvent : IWebHookEvent<TEvent>
{
    var body = new ArrayBufferWriter<byte>();
    WebHookEnvelope.Write(body, @event, DateTimeOffset.UtcNow);
    var id = "msg_" + Guid.NewGuid().ToString("N");
    var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    using var request = new HttpRequestMessage(HttpMethod.Post, "webhooks") { Content = new ByteArrayContent(body.WrittenMemory.ToArray()) };
    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
    request.Headers.Add(WebHookHeaders.Id, id);
    request.Headers.Add(WebHookHeaders.Timestamp, timestamp.ToString(CultureInfo.InvariantCulture));
    request.Headers.Add(WebHookHeaders.Signature, WebHookSigner.Sign(secret, id, timestamp, body.WrittenSpan));
    using var response = await http.SendAsync(request);
    Console.WriteLine($"POST {TEvent.EventType} -> {(int)response.StatusCode}");
}
