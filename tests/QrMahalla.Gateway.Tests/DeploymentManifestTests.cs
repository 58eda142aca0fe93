using System.Collections;
using System.Diagnostics;
using System.Reflection;
using Orleans.Configuration;
using QrMahalla.Gateway.Hosting;
using QrMahalla.Grains.Options;

namespace QrMahalla.Gateway.Tests;

/// <summary>
/// deploy/kubernetes as <c>kubectl kustomize</c> renders it: every object valid against the Kubernetes API schema
/// (offline, npm's kubernetes-models), and every environment variable a container gets a key the code binds.
/// </summary>
public sealed class DeploymentManifestTests
{
    /// <summary>The option types bound from configuration, by section.</summary>
    private static readonly (string Section, Type Options)[] Bound =
    [
        (OtpOptions.Section, typeof(OtpOptions)), (JwtOptions.Section, typeof(JwtOptions)), (SmsOptions.Section, typeof(SmsOptions)),
        (PhoneOptions.Section, typeof(PhoneOptions)), (StorageOptions.Section, typeof(StorageOptions)),
        (ClusteringOptions.Section, typeof(ClusteringOptions)), (AuthOptions.Section, typeof(AuthOptions)),
        (RateLimitingOptions.Section, typeof(RateLimitingOptions)), (ClusterDashboardOptions.Section, typeof(ClusterDashboardOptions)),
        (HttpGatewayOptions.Section, typeof(HttpGatewayOptions)), ("Cluster:Membership", typeof(ClusterMembershipOptions)),
    ];

    /// <summary>Keys the hosts read themselves: the environment, the listen addresses, the silo's health port.</summary>
    private static readonly string[] HostKeys = ["DOTNET_ENVIRONMENT", "ASPNETCORE_ENVIRONMENT", "Urls", "Silo:HealthPort"];

    [Fact]
    public void The_manifests_render_validate_against_the_kubernetes_schema_and_set_only_keys_the_code_binds()
    {
        var rendered = Run("kubectl", ["kustomize", Path.Combine(Root, "deploy", "kubernetes")], "");
        var checkedLines = Run("node", [Path.Combine(Root, "deploy", "kubernetes", "validate", "validate.mjs")], rendered).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        var objects = checkedLines.Where(l => !l.StartsWith("env ", StringComparison.Ordinal)).ToList();
        var keys = checkedLines.Where(l => l.StartsWith("env ", StringComparison.Ordinal)).Select(l => l[4..].Replace("__", ":")).ToList();
        Assert.Equal(
            ["ConfigMap/qrmahalla-config", "Deployment/qrmahalla-gateway", "Deployment/qrmahalla-silo", "Job/qrmahalla-migrate", "Namespace/qrmahalla",
             "NetworkPolicy/qrmahalla-gateway", "NetworkPolicy/qrmahalla-silo", "PodDisruptionBudget/qrmahalla-gateway", "PodDisruptionBudget/qrmahalla-silo",
             "Secret/qrmahalla-cluster-tls", "Secret/qrmahalla-secrets", "Service/qrmahalla-gateway"],
            objects.Order());
        Assert.Contains("Cluster:AdvertisedAddress", keys);
        Assert.DoesNotContain(keys, key => !IsBound(key));
    }

    [Theory]
    [InlineData("Cluster:Tls:CertificatePath", true)]
    [InlineData("Jwt:SigningKeys:0:Pem", true)]
    [InlineData("Gateway:KnownProxies:3", true)]
    [InlineData("Otp:TestNumbers:998901111111", true)]
    [InlineData("Cluster:Membership:ProbeTimeout", true)]
    [InlineData("Cluster:Tls:CertificatPath", false)]
    [InlineData("Gateway:KnownProxies:first", false)]
    [InlineData("Storage:Provider:Name", false)]
    [InlineData("Gateway__CoHostSilo", false)]
    public void A_key_is_bound_only_when_an_options_type_has_that_path(string key, bool bound)
    {
        Assert.Equal(bound, IsBound(key));
    }

    private static bool IsBound(string key)
    {
        if (HostKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
        {
            return true;
        }

        return Bound.Where(b => key.StartsWith(b.Section + ":", StringComparison.OrdinalIgnoreCase))
            .Any(b => Walk(b.Options, key[(b.Section.Length + 1)..].Split(':')));
    }

    /// <summary>Follows the path through properties, list indexes and dictionary keys, as the configuration binder does.</summary>
    private static bool Walk(Type type, ReadOnlySpan<string> path)
    {
        if (path.IsEmpty)
        {
            return type == typeof(string) || !type.IsClass;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() is var definition
            && (definition == typeof(Dictionary<,>) || definition == typeof(IDictionary<,>)))
        {
            return Walk(type.GetGenericArguments()[1], path[1..]);
        }

        if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) && type.IsGenericType)
        {
            return int.TryParse(path[0], out _) && Walk(type.GetGenericArguments()[0], path[1..]);
        }

        var property = type.GetProperty(path[0], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        return property is { CanWrite: true } && Walk(Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType, path[1..]);
    }

    private static string Root
    {
        get
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "QrMahalla.Orleans.sln")))
            {
                root = root.Parent;
            }

            return root!.FullName;
        }
    }

    private static string Run(string program, string[] arguments, string input)
    {
        var info = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Root,
        };
        using var process = Process.Start(info)!;
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {error}");
        return output.Result;
    }
}
