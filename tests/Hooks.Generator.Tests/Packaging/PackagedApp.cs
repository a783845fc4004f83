using System.Runtime.CompilerServices;

namespace Hooks.Generator.Tests.Packaging;

/// <summary>
/// Packs Hooks.Abstractions and Hooks.Runtime (which carries the generator) from a copy of the sources into a local
/// feed with a version no cache has seen, and writes a fresh web app outside the solution that references only that
/// package through its own nuget.config.
/// </summary>
public sealed class PackagedApp : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "hooks-package-" + Guid.NewGuid().ToString("N")[..12]);

    public string Version { get; } = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss") + "." + Environment.ProcessId;

    public string AppDirectory => Path.Combine(Root, "app");

    /// <summary>A class library referencing only the Hooks.Abstractions package: the recommended contracts setup.</summary>
    public string ContractsDirectory => Path.Combine(Root, "contracts");

    /// <summary>A web app referencing Hooks.Runtime and the contracts project, handling the contracts' event.</summary>
    public string ContractsConsumerDirectory => Path.Combine(Root, "contracts-consumer");

    public string FeedDirectory => Path.Combine(Root, "feed");

    public string PackOutput { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var repo = RepositoryRoot();
        var sources = Path.Combine(Root, "sources");
        foreach (var file in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "README.md", "global.json", "nuget.config", ".editorconfig" })
        {
            CopyIfExists(Path.Combine(repo, file), Path.Combine(sources, file));
        }
        // All of src/, so the copy still packs when Hooks.Runtime gains project references.
        CopyDirectory(Path.Combine(repo, "src"), Path.Combine(sources, "src"));

        var feed = FeedDirectory;
        var output = "";
        foreach (var project in new[] { "Hooks.Abstractions", "Hooks.Runtime" })
        {
            output += await DotNet.RunAsync(sources, TimeSpan.FromMinutes(10), "pack", $"src/{project}/{project}.csproj",
                "-c", "Release", "-o", feed, $"-p:Version={Version}", "-nodeReuse:false", "--disable-build-servers");
        }
        PackOutput = output;

        foreach (var directory in new[] { AppDirectory, ContractsDirectory, ContractsConsumerDirectory })
        {
            WriteIsolation(directory, feed);
        }
        WriteApp();
        WriteContracts();
    }

    internal static void WriteIsolation(string directory, string feed)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        // A global.json pins nothing: the machine's SDK builds it, as for any user.
        File.WriteAllText(Path.Combine(directory, "Directory.Build.props"), "<Project />");
    }

    /// <summary>
    /// Writes a project as <c>dotnet new</c> would (net10.0, nullable, implicit usings), outside the solution, in a folder
    /// <see cref="WriteIsolation"/> prepared; <paramref name="extra"/> goes into its property group, <paramref name="items"/>
    /// into its item group.
    /// </summary>
    internal static void WriteProject(string directory, string name, string sdk, string extra, string items) =>
        File.WriteAllText(Path.Combine(directory, name + ".csproj"), $"""
            <Project Sdk="{sdk}">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
            {extra}
              </PropertyGroup>
              <ItemGroup>
            {items}
              </ItemGroup>
            </Project>
            """);

    private void WriteApp()
    {
        WriteProject(AppDirectory, "PackagedConsumer", "Microsoft.NET.Sdk.Web", """
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <InvariantGlobalization>true</InvariantGlobalization>
                <CppCompilerAndLinker>clang-14</CppCompilerAndLinker>
            """, $"""    <PackageReference Include="Hooks.Runtime" Version="{Version}" />""");
        File.WriteAllText(Path.Combine(AppDirectory, "Program.cs"), """
            using System.Text.Json.Serialization;
            using Hooks;
            using Microsoft.AspNetCore.Hosting.Server;
            using Microsoft.AspNetCore.Hosting.Server.Features;

            var builder = WebApplication.CreateSlimBuilder(args);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddWebHooks()
                .AddReceiver(o => o.Secrets.Add(Environment.GetEnvironmentVariable("HOOKS_SECRET")!))
                .AddProducer();
            builder.Services.AddOpenApi();
            var app = builder.Build();
            app.Urls.Add("http://127.0.0.1:0");
            app.MapWebHooks();
            app.MapWebHookSubscriptions("/api/webhooks");
            app.MapOpenApi();
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            Console.WriteLine($"LISTENING {address}");
            await app.WaitForShutdownAsync();

            [WebHookEvent("order.created", Description = "An order was placed.")]
            public partial record OrderCreated(string OrderId, decimal Total);

            [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
            [JsonSerializable(typeof(OrderCreated))]
            internal partial class AppJson : JsonSerializerContext;

            public sealed class OrderCreatedHandler : IWebHookHandler<OrderCreated>
            {
                public Task HandleAsync(OrderCreated message, WebHookContext context, CancellationToken cancellationToken)
                {
                    Console.WriteLine($"HANDLED {context.EventType} {message.OrderId} {message.Total}");
                    return Task.CompletedTask;
                }
            }
            """);
    }

    private void WriteContracts()
    {
        WriteProject(ContractsDirectory, "Contracts", "Microsoft.NET.Sdk", "    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>",
            $"""    <PackageReference Include="Hooks.Abstractions" Version="{Version}" />""");
        File.WriteAllText(Path.Combine(ContractsDirectory, "Events.cs"), """
            using System.Text.Json;
            using System.Text.Json.Serialization;
            using Hooks;

            namespace Contracts;

            [WebHookEvent("shipment.dispatched", Description = "A shipment left the warehouse.")]
            public partial record ShipmentDispatched(string ShipmentId, int Parcels);

            [JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
            [JsonSerializable(typeof(ShipmentDispatched))]
            internal partial class ContractsJson : JsonSerializerContext;
            """);

        WriteProject(ContractsConsumerDirectory, "ContractsConsumer", "Microsoft.NET.Sdk.Web", """
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <InvariantGlobalization>true</InvariantGlobalization>
            """, $"""
                <PackageReference Include="Hooks.Runtime" Version="{Version}" />
                <ProjectReference Include="../contracts/Contracts.csproj" />
            """);
        File.WriteAllText(Path.Combine(ContractsConsumerDirectory, "Program.cs"), """
            using Contracts;
            using Hooks;
            using Microsoft.AspNetCore.Hosting.Server;
            using Microsoft.AspNetCore.Hosting.Server.Features;

            var builder = WebApplication.CreateSlimBuilder(args);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddWebHooks().AddReceiver(o => o.Secrets.Add(Environment.GetEnvironmentVariable("HOOKS_SECRET")!));
            var app = builder.Build();
            app.Urls.Add("http://127.0.0.1:0");
            app.MapWebHooks();
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            // Generated in the contracts library, which references only Hooks.Abstractions.
            Console.WriteLine($"CONTRACT {ShipmentDispatched.EventType} {ShipmentDispatched.EventDescription}");
            Console.WriteLine($"LISTENING {address}");
            await app.WaitForShutdownAsync();

            public sealed class ShipmentHandler : IWebHookHandler<ShipmentDispatched>
            {
                public Task HandleAsync(ShipmentDispatched message, WebHookContext context, CancellationToken cancellationToken)
                {
                    Console.WriteLine($"HANDLED {context.EventType} {message.ShipmentId} {message.Parcels}");
                    return Task.CompletedTask;
                }
            }
            """);
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
        return Task.CompletedTask;
    }

    private static string RepositoryRoot([CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", "..", ".."));

    private static void CopyIfExists(string from, string to)
    {
        if (File.Exists(from))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(from, to);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                continue;
            }
            CopyIfExists(file, Path.Combine(to, relative));
        }
    }
}
