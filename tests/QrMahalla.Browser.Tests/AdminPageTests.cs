using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using QrMahalla.Grains.Admin;
using QrMahalla.Gateway.Tests;

namespace QrMahalla.Browser.Tests;

/// <summary>
/// The admin page in a real browser: Debian's Chromium, headless, driven by Playwright, against the real gateway
/// listening on a loopback port. The page is used at a phone's screen size.
/// </summary>
public sealed class AdminPageTests : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly GatewayFactory gateway = new();
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        gateway.UseKestrel(TestSettings.FreePort());
        gateway.StartServer();
        http = gateway.CreateClient();
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: ./test.sh installs the chromium package.");
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // As root, without a sandbox; no background traffic to hosts this machine cannot reach.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
        http.Dispose();
        await gateway.DisposeAsync();
    }

    [Fact]
    public async Task An_admin_signs_in_finds_a_user_deactivates_it_and_that_users_next_login_is_refused()
    {
        var surname = "Browsertest" + Guid.NewGuid().ToString("N")[..6];
        var target = TestSettings.NewPhone();
        var targetLogin = await LoginAsync(target);
        // Markup in a name: the page must show it as text, never build elements from it.
        const string firstName = "<b id=\"injected\">Malika</b>";
        await SendAsync(HttpMethod.Patch, "/api/users/me/", targetLogin.Access, new { first_name = firstName, last_name = surname });

        await ListedAsync(new UserQuery(null, surname, 5));
        var page = await OpenAdminPageAsync();
        await SignInAsync(page, GatewayFactory.AdminPhone);
        Assert.NotNull(await page.EvaluateAsync<string?>("sessionStorage.getItem('access')"));
        Assert.Equal(0, await page.EvaluateAsync<int>("localStorage.length"));
        Assert.Empty(await page.Context.CookiesAsync());

        await page.FillAsync("#search-name", surname);
        await page.ClickAsync("#search-form button[type=submit]");
        var result = page.Locator("#results button", new() { HasText = surname });
        await Assertions.Expect(result).ToHaveCountAsync(1, new() { Timeout = 20_000 });
        await Assertions.Expect(result).ToContainTextAsync(target);
        await result.ClickAsync();

        await Assertions.Expect(page.Locator("#user-name")).ToHaveTextAsync($"{firstName} {surname}");
        Assert.Equal(0, await page.Locator("#injected").CountAsync());
        await Assertions.Expect(page.Locator("#sessions li")).ToHaveCountAsync(1);
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.ClickAsync("#toggle-active");
        await Assertions.Expect(page.Locator("#message")).ToHaveTextAsync("User deactivated; its sessions are revoked.");
        await Assertions.Expect(page.Locator("#toggle-active")).ToHaveTextAsync("Activate");
        await Assertions.Expect(page.Locator("#sessions li")).ToHaveTextAsync("No sessions.");
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways on a phone");

        gateway.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync("/api/users/auth/", new { phone = target })).StatusCode);
        var refused = await http.PostAsJsonAsync("/api/users/auth/", new { phone = target, code = gateway.Outbox.LatestCodeFor(target), device_id = "d" });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("user_inactive", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Get, "/api/users/me/", targetLogin.Access)).StatusCode);
    }

    [Fact]
    public async Task An_admin_revokes_a_users_sessions_and_unlocks_its_locked_phone()
    {
        var admin = TestSettings.NewPhone();
        await LoginAsync(admin);
        Assert.Equal(AdminStatus.Ok, (await gateway.Grains.GetGrain<IAdminGrain>(0).GrantRoleAsync(new OperatorActor("test", "tests", null), admin, "admin")).Status);
        var target = TestSettings.NewPhone();
        var targetLogin = await LoginAsync(target);
        for (var dead = 0; dead < 3; dead++)
        {
            gateway.Time.Advance(TimeSpan.FromSeconds(61));
            await http.PostAsJsonAsync("/api/users/auth/", new { phone = target });
            for (var guess = 0; guess < 5; guess++)
            {
                await http.PostAsJsonAsync("/api/users/auth/", new { phone = target, code = gateway.Outbox.LatestCodeFor(target) == "000000" ? "111111" : "000000" });
            }
        }

        gateway.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await http.PostAsJsonAsync("/api/users/auth/", new { phone = target })).StatusCode);

        await ListedAsync(new UserQuery(target, null, 5));
        var page = await OpenAdminPageAsync();
        await SignInAsync(page, admin);
        await page.FillAsync("#search-phone", target);
        await page.ClickAsync("#search-form button[type=submit]");
        await page.Locator("#results button", new() { HasText = target }).ClickAsync(new() { Timeout = 20_000 });

        await Assertions.Expect(page.Locator("#phone-fields")).ToContainTextAsync("Locked until");
        await Assertions.Expect(page.Locator("#unlock-phone")).ToBeEnabledAsync();
        await page.ClickAsync("#revoke-sessions");
        await Assertions.Expect(page.Locator("#message")).ToHaveTextAsync("All sessions revoked.");
        await page.ClickAsync("#unlock-phone");
        await Assertions.Expect(page.Locator("#message")).ToHaveTextAsync("Phone unlocked.");
        await Assertions.Expect(page.Locator("#phone-fields")).ToContainTextAsync("not locked");

        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Get, "/api/users/me/", targetLogin.Access)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync("/api/users/auth/", new { phone = target })).StatusCode);
    }

    [Fact]
    public async Task A_user_without_the_admin_role_is_told_so_and_signed_out()
    {
        var phone = TestSettings.NewPhone();
        var page = await OpenAdminPageAsync();

        await SignInAsync(page, phone, expectUsers: false);

        await Assertions.Expect(page.Locator("#message")).ToHaveTextAsync("This needs the admin role in a live session.");
        await Assertions.Expect(page.Locator("#sign-in")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#users")).ToBeHiddenAsync();
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('access')"));
        var userId = await gateway.Grains.GetGrain<IPhoneGrain>(phone).GetUserIdAsync();
        var account = await gateway.Grains.GetGrain<IUserGrain>(userId!.Value).GetAccountAsync();
        Assert.Empty(account!.Sessions);
    }

    /// <summary>The users read model follows the grains just after each response; the page searches it once.</summary>
    private Task ListedAsync(UserQuery query) => Eventually.ReturnsAsync(
        () => gateway.Services.GetRequiredService<IAdminStore>().SearchUsersAsync(query),
        page => page.Items.Count == 1, "the users read model");

    private async Task<IPage> OpenAdminPageAsync()
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = http.BaseAddress!.ToString(),
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
            IsMobile = true,
        });
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync("/admin");
        Assert.Equal(200, response!.Status);
        Assert.Equal(
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            response.Headers["content-security-policy"]);
        return page;
    }

    private async Task SignInAsync(IPage page, string phone, bool expectUsers = true)
    {
        await page.FillAsync("#phone", phone);
        await page.ClickAsync("#phone-form button[type=submit]");
        await Assertions.Expect(page.Locator("#code-form")).ToBeVisibleAsync();
        await page.FillAsync("#code", gateway.Outbox.LatestCodeFor(phone));
        await page.ClickAsync("#code-form button[type=submit]");
        if (expectUsers)
        {
            await Assertions.Expect(page.Locator("#users")).ToBeVisibleAsync();
        }
    }

    private async Task<(string Access, Guid Id)> LoginAsync(string phone)
    {
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync("/api/users/auth/", new { phone })).StatusCode);
        var verified = await http.PostAsJsonAsync("/api/users/auth/", new { phone, code = gateway.Outbox.LatestCodeFor(phone), device_id = "phone-1", device_name = "Phone" });
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        var json = await verified.Content.ReadFromJsonAsync<JsonElement>();
        return (json.GetProperty("access").GetString()!, json.GetProperty("user").GetProperty("id").GetGuid());
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string access, object? body = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", access);
        return http.SendAsync(request);
    }
}
