using System.Globalization;
using System.Reflection;

namespace Hooks.Storage.Postgres.Migrations;

/// <summary>One schema migration: an embedded <c>NNNN_name.sql</c> script, applied once, in version order.</summary>
internal sealed record StorageMigration(int Version, string Name, string Sql)
{
    private const string Prefix = "Hooks.Storage.Postgres.Migrations.";

    /// <summary>The scripts embedded in this assembly, in version order.</summary>
    public static IReadOnlyList<StorageMigration> Embedded { get; } = Load(typeof(StorageMigration).Assembly);

    private static StorageMigration[] Load(Assembly assembly)
    {
        var scripts = new List<StorageMigration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(Prefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }
            var name = resource[Prefix.Length..^".sql".Length];
            var separator = name.IndexOf('_', StringComparison.Ordinal);
            var version = int.Parse(name.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            scripts.Add(new StorageMigration(version, name, reader.ReadToEnd()));
        }
        scripts.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < scripts.Count; i++)
        {
            if (scripts[i].Version == scripts[i - 1].Version)
            {
                throw new InvalidOperationException($"Two migrations have version {scripts[i].Version}.");
            }
        }
        return [.. scripts];
    }
}
