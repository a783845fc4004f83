using System.Text.RegularExpressions;
using Hooks.Samples.Tests.Infrastructure;

namespace Hooks.Samples.Tests;

/// <summary>
/// The README's commands name projects that exist, so they work on a fresh clone. What they do is pinned elsewhere:
/// the PhotoChain's run by <see cref="PhotoChainTests"/>, the producer and consumer pair by
/// <see cref="ProducerConsumerTests"/>, the quick start snippets by PackageTests.Readme in Hooks.Generator.Tests.
/// </summary>
public sealed partial class ReadmeCommandsTests
{
    [Fact]
    public void Every_project_a_readme_command_runs_exists()
    {
        var readme = File.ReadAllText(Path.Combine(SampleProcess.RepositoryRoot, "README.md"));
        var projects = ProjectArgument().Matches(readme).Select(m => m.Groups[1].Value).Distinct().ToList();

        Assert.Contains("samples/Hooks.Samples.PhotoChain", projects);
        Assert.All(projects, project =>
        {
            var folder = Path.Combine(SampleProcess.RepositoryRoot, project);
            Assert.True(Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*.csproj").Any(),
                $"README.md runs '{project}', which has no project file.");
        });
    }

    [Fact]
    public void Readme_runs_the_tests_with_the_solution_file_it_names()
    {
        var readme = File.ReadAllText(Path.Combine(SampleProcess.RepositoryRoot, "README.md"));

        Assert.Contains("dotnet test Hooks.sln", readme, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(SampleProcess.RepositoryRoot, "Hooks.sln")));
    }

    [GeneratedRegex(@"--project (samples/[\w.]+|src/[\w.]+|benchmarks/[\w.]+)")]
    private static partial Regex ProjectArgument();
}
