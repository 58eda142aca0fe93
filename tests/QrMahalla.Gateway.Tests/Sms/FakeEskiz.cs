using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace QrMahalla.Gateway.Tests.Sms;

/// <summary>
/// A real HTTP server on loopback that plays Eskiz: it issues bearer tokens (JWTs with an expiry it chooses), takes
/// sends, and fails on request in the ways a real provider does (401, 5xx, a stall).
/// </summary>
public sealed class FakeEskiz : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<Func<HttpContext, Task<bool>>> sendScript = new();
    private readonly ConcurrentDictionary<string, bool> validTokens = new();
    private readonly SymmetricSecurityKey key = new(RandomNumberGenerator.GetBytes(32));

    private FakeEskiz(WebApplication app) => this.app = app;

    public const string Email = "ops@qrmahalla.uz";
    public const string Password = "eskiz-secret";

    public Uri BaseUrl => new(app.Urls.First() + "/");

    /// <summary>How long the tokens it issues are valid.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(30);

    public int Logins;
    public int SendAttempts;

    public ConcurrentQueue<(string Phone, string Message, string From)> Delivered { get; } = new();

    public static async Task<FakeEskiz> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeEskiz(app);
        app.MapPost("/api/auth/login", fake.LogInAsync);
        app.MapPost("/api/message/sms/send", fake.SendAsync);
        await app.StartAsync();
        return fake;
    }

    /// <summary>The next send answers with this status instead of delivering.</summary>
    public void FailNextSendWith(int status) => sendScript.Enqueue(async context =>
    {
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(new { status = "error" });
        return true;
    });

    /// <summary>The next send hangs longer than any SMS timeout.</summary>
    public void StallNextSend() => sendScript.Enqueue(async context =>
    {
        await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
        return true;
    });

    /// <summary>Every token issued so far stops working, as when Eskiz expires or revokes them early.</summary>
    public void RevokeTokens() => validTokens.Clear();

    private async Task LogInAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        if (form["email"] != Email || form["password"] != Password)
        {
            context.Response.StatusCode = 401;
            return;
        }

        Interlocked.Increment(ref Logins);
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Expires = DateTime.UtcNow + TokenLifetime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
            Claims = new Dictionary<string, object> { ["sub"] = Guid.NewGuid().ToString() },
        });
        validTokens[token] = true;
        await context.Response.WriteAsJsonAsync(new { message = "token_generated", data = new { token }, token_type = "bearer" });
    }

    private async Task SendAsync(HttpContext context)
    {
        Interlocked.Increment(ref SendAttempts);
        var bearer = context.Request.Headers.Authorization.ToString();
        if (!bearer.StartsWith("Bearer ", StringComparison.Ordinal) || !validTokens.ContainsKey(bearer["Bearer ".Length..]))
        {
            context.Response.StatusCode = 401;
            await context.Response.WriteAsJsonAsync(new { status = "token-invalid" });
            return;
        }

        if (sendScript.TryDequeue(out var scripted) && await scripted(context))
        {
            return;
        }

        var form = await context.Request.ReadFormAsync();
        Delivered.Enqueue((form["mobile_phone"].ToString(), form["message"].ToString(), form["from"].ToString()));
        await context.Response.WriteAsJsonAsync(new { id = Guid.NewGuid(), message = "Waiting for SMS provider", status = "waiting" });
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
