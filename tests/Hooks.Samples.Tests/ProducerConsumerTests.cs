using System.Net;
using System.Text;
using System.Text.Json;
using Hooks.Samples.Tests.Infrastructure;
using Hooks.Security;
using Xunit.Abstractions;

namespace Hooks.Samples.Tests;

/// <summary>The README's quick start as two programs: the producer delivers an order to the consumer, which verifies and handles it.</summary>
public sealed class ProducerConsumerTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hooks-samples-").FullName;

    [Fact]
    public async Task Producer_delivers_a_published_order_to_the_consumer_subscribed_through_its_api()
    {
        const string token = "test-token-1234";
        var secret = WebHookSecret.Generate();
        await using var consumer = SampleProcess.StartSample("Hooks.Samples.Consumer", output, new Dictionary<string, string>
        {
            ["Hooks__Secret"] = secret.Reveal(),
            ["Hooks__Database"] = $"Data Source={Path.Combine(_folder, "consumer.db")}",
        }, "--urls", "http://127.0.0.1:0");
        await using var producer = SampleProcess.StartSample("Hooks.Samples.Producer", output, new Dictionary<string, string>
        {
            ["Hooks__ApiToken"] = token,
            ["Hooks__Database"] = $"Data Source={Path.Combine(_folder, "producer.db")}",
        }, "--urls", "http://127.0.0.1:0");
        var consumerAddress = await ListeningAddress(consumer);
        var producerAddress = await ListeningAddress(producer);
        using var client = new HttpClient { BaseAddress = producerAddress, Timeout = SampleProcess.Timeout };

        var body = $$"""{"url":"{{new Uri(consumerAddress, "/webhooks")}}","eventTypes":["order.created"],"secret":"{{secret.Reveal()}}"}""";
        using (var anonymous = await client.PostAsync("/api/webhooks/subscriptions", Json(body)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }
        using var create = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/subscriptions") { Content = Json(body) };
        create.Headers.Authorization = new("Bearer", token);
        using var created = await client.SendAsync(create);
        var subscription = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, subscription);
        // The consumer held the secret, so it answered the producer's signed challenge: enabled at once.
        Assert.Equal("enabled", JsonDocument.Parse(subscription).RootElement.GetProperty("status").GetString());

        using var order = await client.PostAsync("/orders", null);
        Assert.Equal(HttpStatusCode.Accepted, order.StatusCode);
        var messageId = JsonDocument.Parse(await order.Content.ReadAsStringAsync()).RootElement.GetString()!;

        var handled = await consumer.WaitForLineAsync(l => l.Contains($"({messageId}, attempt 1)", StringComparison.Ordinal));
        Assert.Matches(@"Order ord_\d{4} placed, total 42", handled);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>The address from ASP.NET Core's "Now listening on:" line.</summary>
    private static async Task<Uri> ListeningAddress(SampleProcess process)
    {
        var line = await process.WaitForLineAsync(l => l.Contains("Now listening on: ", StringComparison.Ordinal));
        return new Uri(line[(line.IndexOf("Now listening on: ", StringComparison.Ordinal) + "Now listening on: ".Length)..].Trim());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
