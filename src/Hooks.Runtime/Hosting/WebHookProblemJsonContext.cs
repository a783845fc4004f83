using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Hooks.Hosting;

/// <summary>
/// Metadata for the Problem Details the receiver and management endpoints declare, so an app's OpenAPI document can
/// describe them under Native AOT, where nothing falls back to reflection (ASP.NET Core adds its own only with
/// <c>AddProblemDetails()</c>).
/// </summary>
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(HttpValidationProblemDetails))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(string))]
internal sealed partial class WebHookProblemJsonContext : JsonSerializerContext;
