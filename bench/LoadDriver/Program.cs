using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using QrMahalla.Grains.Hosting;

// The load driver: one workload against a gateway (or a database), closed-loop with N clients or open-loop at a fixed
// rate, bounded in time, loopback only. It prints one JSON object with throughput and latency percentiles.
var options = Options.Parse(args);
var result = options.Workload switch
{
    "activations" => await Activations.CountAsync(options),
    "sqlite-upsert" => await Run(options, SqliteUpsert.Create(options)),
    _ => await Run(options, await HttpWorkloads.CreateAsync(options)),
};
var json = JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = false });
Console.WriteLine(json);
if (options.Out is { } outPath)
{
    await File.AppendAllTextAsync(outPath, json + Environment.NewLine);
}

return 0;

static async Task<Dictionary<string, object?>> Run(Options options, Func<long, CancellationToken, Task<bool>> operation)
{
    var cpuBefore = options.Pids.ToDictionary(pid => pid, ProcessStats.CpuSeconds);
    var latencies = new ConcurrentBag<double>();
    var trace = options.Trace is { } tracePath ? new ConcurrentQueue<string>() : null;
    long ok = 0, failed = 0, next = 0;
    using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(options.DurationSeconds));
    var clock = Stopwatch.StartNew();

    async Task One()
    {
        var id = Interlocked.Increment(ref next);
        var started = Stopwatch.GetTimestamp();
        var startedAt = clock.Elapsed.TotalSeconds;
        bool success;
        try
        {
            success = await operation(id, CancellationToken.None);
        }
        catch (Exception)
        {
            success = false;
        }

        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        Interlocked.Increment(ref success ? ref ok : ref failed);
        trace?.Enqueue(string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalSeconds:0.000} {(success ? 1 : 0)} {HttpWorkloads.Phone(options, id)} {startedAt:0.000}"));
    }

    if (options.Rate > 0)
    {
        // Open loop: starts follow the clock, not the answers, so a slow server shows as latency, not as fewer requests.
        var inflight = new List<Task>();
        var interval = TimeSpan.FromSeconds(1.0 / options.Rate);
        var due = Stopwatch.GetTimestamp();
        while (!stop.IsCancellationRequested)
        {
            inflight.Add(One());
            due += (long)(interval.TotalSeconds * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                try { await Task.Delay(wait, stop.Token); } catch (OperationCanceledException) { }
            }

            inflight.RemoveAll(t => t.IsCompleted);
        }

        await Task.WhenAll(inflight);
    }
    else
    {
        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(async _ =>
        {
            while (!stop.IsCancellationRequested && (options.Max == 0 || Interlocked.Read(ref next) < options.Max))
            {
                await One();
            }
        }));
    }

    var elapsed = clock.Elapsed.TotalSeconds;
    if (trace is not null)
    {
        await File.WriteAllLinesAsync(options.Trace!, trace);
    }

    var sorted = latencies.Order().ToArray();
    double Percentile(double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    return new Dictionary<string, object?>
    {
        ["label"] = options.Label,
        ["workload"] = options.Workload,
        ["mode"] = options.Rate > 0 ? $"open {options.Rate}/s" : $"closed {options.Concurrency}",
        ["seconds"] = Math.Round(elapsed, 2),
        ["ok"] = ok,
        ["failed"] = failed,
        ["per_second"] = Math.Round(ok / elapsed, 1),
        ["p50_ms"] = Math.Round(Percentile(0.50), 2),
        ["p90_ms"] = Math.Round(Percentile(0.90), 2),
        ["p99_ms"] = Math.Round(Percentile(0.99), 2),
        ["max_ms"] = Math.Round(sorted.LastOrDefault(), 2),
        ["cpu_seconds"] = options.Pids.ToDictionary(pid => pid.ToString(CultureInfo.InvariantCulture), pid => Math.Round(ProcessStats.CpuSeconds(pid) - cpuBefore[pid], 2)),
        ["peak_rss_mb"] = options.Pids.ToDictionary(pid => pid.ToString(CultureInfo.InvariantCulture), ProcessStats.PeakRssMegabytes),
        ["failures"] = Failures.Reasons.ToDictionary(r => r.Key, r => r.Value),
    };
}

sealed record Options(
    string Workload, string Target, int Concurrency, int Rate, int DurationSeconds, string? Outbox, long PhoneOffset,
    string? Out, string Label, int[] Pids, string? Database, string? ClusterConnection, string? ClusterId, long Max, string? Trace)
{
    public static Options Parse(string[] args)
    {
        var map = new Dictionary<string, string>();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            map[args[i].TrimStart('-')] = args[i + 1];
        }

        System.Net.IPNetwork namespaceHosts = System.Net.IPNetwork.Parse("10.199.77.0/24");
        string Get(string key, string fallback) => map.TryGetValue(key, out var value) ? value : fallback;
        var target = Get("target", "http://127.0.0.1:5080");
        foreach (var one in target.Split(','))
        {
            // Loopback, or the private subnet of the namespace hosts that tools/netns.sh makes (and removes) for the drills.
            if (!Uri.TryCreate(one, UriKind.Absolute, out var uri)
                || Dns.GetHostAddresses(uri.Host)[0] is var address && !IPAddress.IsLoopback(address) && !namespaceHosts.Contains(address))
            {
                throw new ArgumentException("The load driver only targets loopback addresses and the namespace hosts (10.199.77.0/24).");
            }
        }

        return new Options(
            Get("workload", "send"), target, int.Parse(Get("concurrency", "16")), int.Parse(Get("rate", "0")),
            int.Parse(Get("duration", "20")), map.GetValueOrDefault("outbox"), long.Parse(Get("phone-offset", "0")),
            map.GetValueOrDefault("out"), Get("label", ""),
            Get("pids", "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray(),
            map.GetValueOrDefault("db"), map.GetValueOrDefault("cluster-connection"), map.GetValueOrDefault("cluster-id"),
            long.Parse(Get("max", "0")), map.GetValueOrDefault("trace"));
    }
}

/// <summary>Why operations failed, by reason, for the result line.</summary>
static class Failures
{
    public static readonly ConcurrentDictionary<string, long> Reasons = new();

    public static bool Count(string reason)
    {
        Reasons.AddOrUpdate(reason, 1, (_, n) => n + 1);
        return false;
    }
}

static class ProcessStats
{
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;
    }

    public static double PeakRssMegabytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return Math.Round(long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0, 1);
    }
}

/// <summary>The workloads that go through a gateway over HTTP.</summary>
static class HttpWorkloads
{
    public static string Phone(Options options, long id) => $"+99890{(options.PhoneOffset + id) % 10_000_000:D7}";

    public static async Task<Func<long, CancellationToken, Task<bool>>> CreateAsync(Options options)
    {
        var http = new Balancer(options.Target.Split(','));
        string Phone(long id) => HttpWorkloads.Phone(options, id);

        switch (options.Workload)
        {
            case "empty":
                return async (_, ct) => (await http.GetAsync("/health/live", ct)).IsSuccessStatusCode;
            case "send":
                return async (id, ct) => (await http.PostAsJsonAsync("/api/users/auth/", new { phone = Phone(id) }, ct)).IsSuccessStatusCode;
            case "login":
            {
                var codes = new OutboxTail(options.Outbox ?? throw new ArgumentException("login needs --outbox"));
                return async (id, ct) =>
                {
                    var phone = Phone(id);
                    var sent = await http.PostAsJsonAsync("/api/users/auth/", new { phone }, ct);
                    if (!sent.IsSuccessStatusCode)
                    {
                        return Failures.Count($"send {(int)sent.StatusCode}");
                    }

                    var code = await codes.WaitForAsync(phone, TimeSpan.FromSeconds(10));
                    if (code is null)
                    {
                        return Failures.Count("code never reached the outbox");
                    }

                    var verified = await http.PostAsJsonAsync("/api/users/auth/", new { phone, code, device_id = "bench", device_name = "bench" }, ct);
                    return verified.IsSuccessStatusCode || Failures.Count($"verify {(int)verified.StatusCode}");
                };
            }

            case "refresh":
            {
                // Each client keeps its own session and rotates its refresh token, as an app does.
                var codes = new OutboxTail(options.Outbox ?? throw new ArgumentException("refresh needs --outbox"));
                var tokens = new ConcurrentQueue<string>();
                for (var i = 1; i <= options.Concurrency; i++)
                {
                    var phone = Phone(i);
                    await http.PostAsJsonAsync("/api/users/auth/", new { phone });
                    var code = await codes.WaitForAsync(phone, TimeSpan.FromSeconds(10)) ?? throw new InvalidOperationException("no code");
                    var login = await (await http.PostAsJsonAsync("/api/users/auth/", new { phone, code, device_id = "bench" })).Content.ReadFromJsonAsync<JsonElement>();
                    tokens.Enqueue(login.GetProperty("refresh").GetString()!);
                }

                return async (_, ct) =>
                {
                    if (!tokens.TryDequeue(out var refresh))
                    {
                        return false;
                    }

                    var response = await http.PostAsJsonAsync("/api/users/token/refresh/", new { refresh }, ct);
                    if (!response.IsSuccessStatusCode)
                    {
                        return false;
                    }

                    tokens.Enqueue((await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("refresh").GetString()!);
                    return true;
                };
            }

            default:
                throw new ArgumentException($"Unknown workload '{options.Workload}'.");
        }
    }
}

/// <summary>Follows the File SMS sink as it grows and answers "what code did this phone get".</summary>
sealed class OutboxTail
{
    private readonly ConcurrentDictionary<string, string> latest = new();

    public OutboxTail(string path)
    {
        // Where the file ends now, before any request of this run can add to it.
        var start = File.Exists(path) ? new FileInfo(path).Length : 0;
        _ = Task.Run(async () =>
        {
            while (!File.Exists(path))
            {
                await Task.Delay(50);
            }

            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(start, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            var partial = "";
            while (true)
            {
                var line = await reader.ReadLineAsync();
                if (line is null)
                {
                    await Task.Delay(5);
                    continue;
                }

                line = partial + line;
                try
                {
                    var json = JsonDocument.Parse(line).RootElement;
                    latest[json.GetProperty("phone").GetString()!] = json.GetProperty("code").GetString()!;
                    partial = "";
                }
                catch (JsonException)
                {
                    partial = line;
                }
            }
        });
    }

    public async Task<string?> WaitForAsync(string phone, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (latest.TryRemove(phone, out var code))
            {
                return code;
            }

            await Task.Delay(2);
        }

        return null;
    }
}

/// <summary>SQLite's own ceiling for the durable work a send does: one single-row upsert per operation.</summary>
static class SqliteUpsert
{
    public static Func<long, CancellationToken, Task<bool>> Create(Options options)
    {
        var connectionString = $"Data Source={options.Database ?? throw new ArgumentException("sqlite-upsert needs --db")};Default Timeout=30";
        using (var setup = new SqliteConnection(connectionString))
        {
            setup.Open();
            using var command = setup.CreateCommand();
            command.CommandText = "PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS bench_upsert (k INTEGER PRIMARY KEY, v BLOB NOT NULL, version INTEGER NOT NULL);";
            command.ExecuteNonQuery();
        }

        var payload = new byte[300];
        return async (id, ct) =>
        {
            await using var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync(ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO bench_upsert (k, v, version) VALUES ($k, $v, 1) ON CONFLICT (k) DO UPDATE SET v = excluded.v, version = version + 1";
            command.Parameters.AddWithValue("$k", id % 100_000);
            command.Parameters.AddWithValue("$v", payload);
            return await command.ExecuteNonQueryAsync(ct) == 1;
        };
    }
}

/// <summary>Activations per silo, from the Orleans management grain, as a client of the cluster.</summary>
static class Activations
{
    public static async Task<Dictionary<string, object?>> CountAsync(Options options)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "PostgreSql",
            ["Storage:ConnectionString"] = options.ClusterConnection,
            ["Cluster:Provider"] = "PostgreSql",
            ["Cluster:ClusterId"] = options.ClusterId ?? "qrmahalla",
        });
        builder.UseOrleansClient(client => client.UseQrMahallaClusterClient(builder.Configuration));
        using var host = builder.Build();
        await host.StartAsync();
        var statistics = await host.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        var perSilo = statistics.GroupBy(s => s.SiloAddress.ToString())
            .ToDictionary(g => g.Key, g => (object?)g.Where(s => s.GrainType.Contains("Phone", StringComparison.OrdinalIgnoreCase) || s.GrainType.Contains("User", StringComparison.OrdinalIgnoreCase))
                .ToDictionary(s => s.GrainType.Split(',')[0].Split('.').Last(), s => s.ActivationCount));
        await host.StopAsync();
        return new Dictionary<string, object?> { ["label"] = options.Label, ["workload"] = "activations", ["per_silo"] = perSilo };
    }
}

/// <summary>
/// Plays the load balancer in front of several gateways: requests go round-robin, and one refused at the socket
/// (a stopped gateway) is sent once to the next gateway, as a balancer's health check would route it.
/// </summary>
sealed class Balancer(string[] targets)
{
    private readonly HttpClient[] clients = targets.Select(t => new HttpClient(
        new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    { BaseAddress = new Uri(t), Timeout = TimeSpan.FromSeconds(30) }).ToArray();
    private int next;

    public Task<HttpResponseMessage> GetAsync(string path, CancellationToken ct = default) => SendAsync(c => c.GetAsync(path, ct));

    // The body is serialized ahead so the request carries a Content-Length: a WSGI server (the Django peer's gunicorn)
    // reads no body from a chunked request and answers 400.
    public Task<HttpResponseMessage> PostAsJsonAsync<T>(string path, T body, CancellationToken ct = default) =>
        SendAsync(c => c.PostAsync(path, new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, JsonSerializerOptions.Web))
        { Headers = { ContentType = new("application/json") { CharSet = "utf-8" } } }, ct));

    private async Task<HttpResponseMessage> SendAsync(Func<HttpClient, Task<HttpResponseMessage>> send)
    {
        var first = (int)((uint)Interlocked.Increment(ref next) % clients.Length);
        try
        {
            return await send(clients[first]);
        }
        catch (HttpRequestException) when (clients.Length > 1)
        {
            return await send(clients[(first + 1) % clients.Length]);
        }
    }
}
