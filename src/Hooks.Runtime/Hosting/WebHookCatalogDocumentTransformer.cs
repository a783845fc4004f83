using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Hooks.Hosting;

/// <summary>
/// Adds the event catalog to every OpenAPI document the app serves (<c>AddOpenApi()</c>): one OpenAPI 3.1
/// <c>webhooks</c> entry per registered event type, a signed POST whose body is the event's envelope, with its JSON
/// Schema made from the event's System.Text.Json metadata (no reflection). OpenAPI 3.0 has no <c>webhooks</c>
/// section: a 3.0 document leaves it out.
/// </summary>
internal sealed class WebHookCatalogDocumentTransformer : IOpenApiDocumentTransformer
{
    private const string Tag = "Webhooks";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(context);
        var catalog = context.ApplicationServices.GetService<WebHookEventCatalog>();
        if (catalog is null || catalog.All.Count == 0)
        {
            return Task.CompletedTask;
        }
        document.Webhooks ??= new Dictionary<string, IOpenApiPathItem>(StringComparer.Ordinal);
        document.Tags ??= new HashSet<OpenApiTag>();
        if (!document.Tags.Any(t => t.Name == Tag))
        {
            document.Tags.Add(new OpenApiTag { Name = Tag, Description = "The events this service POSTs to its subscribers' URLs, signed (Standard Webhooks 1.0)." });
        }
        var reader = new OpenApiJsonReader();
        foreach (var descriptor in catalog.All)
        {
            var schema = reader.ReadFragment<OpenApiSchema>(descriptor.GetEnvelopeSchema(), OpenApiSpecVersion.OpenApi3_1, document, out var diagnostic);
            if (schema is null || diagnostic.Errors.Count > 0)
            {
                throw new InvalidOperationException(
                    $"The JSON Schema of webhook event type '{descriptor.Type}' could not be read as an OpenAPI schema: " +
                    string.Join("; ", diagnostic.Errors.Select(e => e.Message)));
            }
            document.Webhooks[descriptor.Type] = PathItem(descriptor, schema);
        }
        return Task.CompletedTask;
    }

    private static OpenApiPathItem PathItem(WebHookEventDescriptor descriptor, OpenApiSchema envelope) => new()
    {
        Operations = new Dictionary<HttpMethod, OpenApiOperation>
        {
            [HttpMethod.Post] = new()
            {
                OperationId = descriptor.Type,
                Summary = descriptor.Type,
                Description = descriptor.Description,
                Tags = new HashSet<OpenApiTagReference> { new(Tag) },
                Parameters =
                [
                    Header(WebHookHeaders.Id, "The message id: the same on every attempt, the key for deduplication."),
                    Header(WebHookHeaders.Timestamp, "When this attempt was signed, in Unix seconds."),
                    Header(WebHookHeaders.Signature,
                        "Space-separated signatures, each v1,<base64 HMAC-SHA256 of id.timestamp.body> under one of the subscription's secrets (Standard Webhooks 1.0)."),
                ],
                RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
                    {
                        ["application/json"] = new() { Schema = envelope },
                    },
                },
                Responses = new OpenApiResponses
                {
                    ["2XX"] = new OpenApiResponse { Description = "Received: any 2xx ends the retries of this message." },
                    ["410"] = new OpenApiResponse { Description = "Gone: the producer disables the subscription." },
                    ["default"] = new OpenApiResponse
                    {
                        Description = "Any other answer (or none within the timeout) is a failure, retried on the schedule; 429 and 503 may carry Retry-After.",
                    },
                },
            },
        },
    };

    private static OpenApiParameter Header(string name, string description) => new()
    {
        Name = name,
        In = ParameterLocation.Header,
        Required = true,
        Description = description,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
    };
}
