namespace Hooks.Samples.Tests.Infrastructure;

/// <summary>
/// A copy of the repository's build files and src/ in a temporary folder, so a Release publish or a fresh app built
/// there never meets a build running in the repository (deleted on dispose).
/// </summary>
public sealed class SourceCopy : IDisposable
{
    public SourceCopy()
    {
        var repo = SampleProcess.RepositoryRoot;
        foreach (var file in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json", "nuget.config", ".editorconfig" })
        {
            if (File.Exists(Path.Combine(repo, file)))
            {
                File.Copy(Path.Combine(repo, file), Path.Combine(Root, file));
            }
        }
        CopyDirectory(Path.Combine(repo, "src"), Path.Combine(Root, "src"));
    }

    public string Root { get; } = Directory.CreateTempSubdirectory("hooks-samples-src-").FullName;

    /// <summary>Copies a folder of the repository (say <c>samples/Hooks.Samples.Consumer</c>) into the copy, without bin and obj.</summary>
    public void Add(string relativePath) =>
        CopyDirectory(Path.Combine(SampleProcess.RepositoryRoot, relativePath), Path.Combine(Root, relativePath));

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        foreach (var directory in Directory.EnumerateDirectories(from))
        {
            var name = Path.GetFileName(directory);
            if (name is not ("bin" or "obj"))
            {
                CopyDirectory(directory, Path.Combine(to, name));
            }
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
