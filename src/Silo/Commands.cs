using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using QrMahalla.Grains;
using QrMahalla.Grains.Admin;
using QrMahalla.Grains.Hosting;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Phones;
using QrMahalla.Grains.Storage;

namespace QrMahalla.Silo;

/// <summary>
/// The operator commands of the silo executable. <c>migrate</c> and <c>reindex</c> work on the database directly;
/// <c>grant-role</c> and <c>import-django</c> are clients of a running cluster (they go through the grains, so
/// a running cluster never sees its state change behind its back).
/// </summary>
public static class Commands
{
    public static readonly string[] Names = ["migrate", "reindex", "grant-role", "import-django"];

    public const string Usage = """
        QrMahalla.Silo                                 run a silo
        QrMahalla.Silo migrate                         apply the storage (and membership) schema, then exit
        QrMahalla.Silo reindex                         rebuild the users read model from grain storage
        QrMahalla.Silo grant-role <phone> <role>       give the account bound to <phone> a role (e.g. admin)
        QrMahalla.Silo import-django --source "<PostgreSQL connection string of the old service>" [--include-unverified]
        """;

    /// <summary>Imports the old service's orphans too (unverified rows that were never used).</summary>
    public const string IncludeUnverified = "--include-unverified";

    /// <summary>
    /// The first argument may name a command; its own arguments follow (positional, <c>--source value</c> or
    /// <c>--include-unverified</c>), and everything else is configuration (<c>--Storage:Provider=PostgreSql</c>).
    /// </summary>
    public static (string? Command, string[] Arguments, string[] Configuration) Parse(string[] args)
    {
        if (args.Length == 0 || !Names.Contains(args[0]))
        {
            return (null, [], args);
        }

        var rest = args.Skip(1).ToList();
        var named = new List<string>();
        var source = rest.IndexOf("--source");
        if (source >= 0 && source + 1 < rest.Count)
        {
            named.AddRange(rest.GetRange(source, 2));
            rest.RemoveRange(source, 2);
        }

        if (rest.Remove(IncludeUnverified))
        {
            named.Add(IncludeUnverified);
        }

        var positional = rest.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        return (args[0], [.. named, .. positional], [.. rest.Skip(positional.Count)]);
    }

    public static async Task<int> RunAsync(string command, string[] arguments, HostApplicationBuilder builder)
    {
        var storage = EarlyOptions.Bind<StorageOptions>(builder.Services, builder.Configuration, StorageOptions.Section);
        var cluster = EarlyOptions.Bind<ClusteringOptions>(builder.Services, builder.Configuration, ClusteringOptions.Section);
        switch (command)
        {
            case "migrate":
                Validate(builder);
                SchemaInstaller.Apply(storage, cluster);
                Console.WriteLine($"Schema applied: storage on {storage.Provider}, clustering on {cluster.Provider}.");
                return 0;

            case "reindex":
                Validate(builder);
                return await ReindexAsync(storage, cluster);

            case "grant-role" when arguments.Length == 2:
                return await GrantRoleAsync(builder, arguments[0], arguments[1]);

            case "import-django" when arguments is ["--source", { Length: > 0 } source]:
                return await ImportDjangoAsync(builder, source, includeUnverified: false);

            case "import-django" when arguments is ["--source", { Length: > 0 } source, IncludeUnverified]:
                return await ImportDjangoAsync(builder, source, includeUnverified: true);

            default:
                Console.Error.WriteLine($"Usage:\n{Usage}");
                return 2;
        }
    }

    /// <summary>The commands that start no host check the storage and clustering settings as a host would at start.</summary>
    private static void Validate(HostApplicationBuilder builder)
    {
        builder.Services.AddSharedDomain();
        using var services = builder.Services.BuildServiceProvider();
        _ = services.GetRequiredService<IOptions<StorageOptions>>().Value;
        _ = services.GetRequiredService<IOptions<ClusteringOptions>>().Value;
    }

    private static async Task<int> ReindexAsync(StorageOptions storage, ClusteringOptions cluster)
    {
        if (storage.Provider == StorageProvider.Memory)
        {
            throw new InvalidOperationException("Storage:Provider is Memory; there is no database to reindex.");
        }

        SchemaInstaller.ApplyTo(storage.Provider, storage.ConnectionString, "Storage:ConnectionString");
        var store = new SqlAdminStore(Options.Create(storage), Options.Create(new ClusterOptions { ServiceId = cluster.ServiceId }));
        var reindexer = new UserReindexer(Options.Create(storage), Options.Create(new ClusterOptions { ServiceId = cluster.ServiceId }), store);
        var result = await reindexer.RunAsync(new Progress<int>(n =>
        {
            if (n % 5000 == 0)
            {
                Console.WriteLine($"  {n} user states read");
            }
        }));
        Console.WriteLine($"Users read model rebuilt: {result.Upserted} users written, {result.Deleted} deleted accounts removed.");
        return 0;
    }

    private static async Task<int> GrantRoleAsync(HostApplicationBuilder builder, string phoneInput, string role)
    {
        using var host = await ConnectAsync(builder);
        var phone = host.Services.GetRequiredService<PhoneNumberParser>().Parse(phoneInput).E164
            ?? throw new InvalidOperationException($"'{phoneInput}' is not a phone number.");
        var result = await host.Services.GetRequiredService<IGrainFactory>().GetGrain<IAdminGrain>(0)
            .GrantRoleAsync(Operator(builder.Configuration), phone, role.Trim());
        if (result.Status != AdminStatus.Ok)
        {
            Console.Error.WriteLine($"QrMahalla.Silo grant-role: {result.Error}");
            return 1;
        }

        Console.WriteLine($"{PhoneMask.Mask(phone)} (user {result.Value!.Id}) now has the role '{result.Value.Role}'.");
        return 0;
    }

    /// <summary>Who runs the command: the login, the machine, and the cluster certificate it connects with, if any.</summary>
    private static OperatorActor Operator(IConfiguration configuration)
    {
        var certificate = configuration["Cluster:Tls:CertificatePath"] is { } path
            ? X509Certificate2.CreateFromPemFile(path, configuration["Cluster:Tls:KeyPath"]).Subject
            : null;
        return new OperatorActor(Environment.UserName, Environment.MachineName, certificate);
    }

    private static async Task<int> ImportDjangoAsync(HostApplicationBuilder builder, string source, bool includeUnverified)
    {
        using var host = await ConnectAsync(builder);
        var importer = new DjangoImporter(host.Services.GetRequiredService<IGrainFactory>(), host.Services.GetRequiredService<PhoneNumberParser>());
        var summary = await importer.RunAsync(source, new SynchronousProgress(p =>
            Console.WriteLine(p.Done == 0 ? $"Importing {p.Total} users..." : $"  {p.Done}/{p.Total}")), includeUnverified: includeUnverified);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Read {summary.Read} rows in {summary.Elapsed.TotalSeconds:0.0} s: {summary.Imported} imported, {summary.AlreadyImported} already imported, " +
            $"{summary.Orphans.Count} orphans skipped, {summary.Merged.Count} merged duplicates, {summary.Problems.Count} refused, " +
            $"{summary.DeletedSinceImport} deleted here since their import."));
        if (summary.Orphans.Count > 0)
        {
            Console.WriteLine($"  orphans (unverified, never used; {IncludeUnverified} imports them): ids {string.Join(", ", summary.Orphans)}");
        }

        foreach (var merge in summary.Merged)
        {
            Console.WriteLine($"  id {merge.LegacyId} ({merge.Phone}): merged into id {merge.Into}");
        }

        foreach (var problem in summary.Problems)
        {
            Console.WriteLine($"  id {problem.LegacyId} ({problem.Phone}): {problem.Reason}");
        }

        return summary.Failed == 0 ? 0 : 1;
    }

    /// <summary>An Orleans client of the configured cluster, connected, or one sentence saying it could not be.</summary>
    private static async Task<IHost> ConnectAsync(HostApplicationBuilder builder)
    {
        // The command prints its own outcome; the host's and Orleans' logs would only bury it.
        builder.Logging.ClearProviders();
        builder.Services.AddSharedDomain();
        builder.UseOrleansClient(client => client.UseQrMahallaClusterClient(builder.Configuration));
        var host = builder.Build();
        try
        {
            await host.StartAsync();
            return host;
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or System.Net.Sockets.SocketException or System.Data.Common.DbException)
        {
            host.Dispose();
            throw new InvalidOperationException($"no silo of the cluster answered ({e.Message.Split('\n')[0].TrimEnd('.')}); start the cluster first.", e);
        }
    }

    /// <summary>Progress reported on the calling thread, so lines print in order.</summary>
    private sealed class SynchronousProgress(Action<DjangoImporter.Progress> report) : IProgress<DjangoImporter.Progress>
    {
        public void Report(DjangoImporter.Progress value) => report(value);
    }
}
