using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace QrMahalla.Cluster.Tests;

[Collection(ClusterCollection.Name)]
public sealed class PhoneGrainTests(ClusterFixture fixture)
{
    private static readonly ClientInfo Client = new("127.0.0.1", "tests");
    private static DeviceInfo Device(string id = "device-1") => new(id, "Test phone", "127.0.0.1", "tests");

    private IPhoneGrain Phone(string phone) => fixture.Grains.GetGrain<IPhoneGrain>(phone);

    private static string WrongCode(string right) => right == "000000" ? "111111" : "000000";

    [Fact]
    public async Task Request_code_sends_one_sms_and_creates_no_user()
    {
        var phone = TestSettings.NewPhone();

        var result = await Phone(phone).RequestCodeAsync(Client);

        Assert.Equal(SendCodeStatus.Sent, result.Status);
        Assert.Equal(120, result.ExpiresInSeconds);
        Assert.Equal(60, result.ResendAfterSeconds);
        Assert.Equal(1, fixture.Outbox.CountFor(phone));
        Assert.Matches("^[0-9]{6}$", fixture.Outbox.LatestCodeFor(phone));
        Assert.Equal(0, StorageRows.Count(fixture.DatabasePath, "binding", phone));
    }

    [Fact]
    public async Task Stored_code_state_holds_a_hash_never_the_code()
    {
        var phone = TestSettings.NewPhone();
        await Phone(phone).RequestCodeAsync(Client);
        var code = fixture.Outbox.LatestCodeFor(phone);

        var payload = StorageRows.Payload(fixture.DatabasePath, "code", phone);
        var stored = JsonDocument.Parse(payload).RootElement.GetProperty("codeHash").GetBytesFromBase64();

        // Exactly HMAC-SHA256 under the server key over the phone and the code: not the code, not an unkeyed hash.
        var expected = HMACSHA256.HashData(Convert.FromBase64String(TestSettings.Secrets.HashKey), Encoding.UTF8.GetBytes($"{phone}\n{code}"));
        Assert.Equal(expected, stored);
        Assert.DoesNotContain(code, payload);
    }

    [Fact]
    public async Task Codes_are_random_twenty_phones_get_twenty_different_codes()
    {
        var phones = Enumerable.Range(0, 20).Select(_ => TestSettings.NewPhone()).ToList();
        foreach (var phone in phones)
        {
            Assert.Equal(SendCodeStatus.Sent, (await Phone(phone).RequestCodeAsync(Client)).Status);
        }

        var codes = phones.Select(fixture.Outbox.LatestCodeFor).ToList();

        // Two of twenty random 6-digit codes are equal once in ~5,000 runs, three never in practice: a fixed or
        // counter-like code fails at once.
        Assert.True(codes.Distinct().Count() >= 19, string.Join(", ", codes));
        Assert.All(codes, c => Assert.Matches("^[0-9]{6}$", c));
    }

    [Fact]
    public async Task User_exists_only_after_the_correct_code()
    {
        var phone = TestSettings.NewPhone();
        var usersBefore = StorageRows.Count(fixture.DatabasePath, "user");
        await Phone(phone).RequestCodeAsync(Client);
        var code = fixture.Outbox.LatestCodeFor(phone);

        var wrong = await Phone(phone).VerifyAsync(WrongCode(code), Device());
        Assert.Equal(VerifyStatus.InvalidCode, wrong.Status);
        Assert.Equal(4, wrong.AttemptsLeft);
        Assert.Equal(0, StorageRows.Count(fixture.DatabasePath, "binding", phone));

        // No account row of any kind was written by the send or the wrong guess (the tests of this collection run one
        // at a time), and staff cannot find the phone.
        Assert.Equal(usersBefore, StorageRows.Count(fixture.DatabasePath, "user"));
        Assert.Equal(0, StorageRows.ReadModelRows(fixture.DatabasePath, phone));

        var right = await Phone(phone).VerifyAsync(code, Device());

        Assert.Equal(VerifyStatus.Success, right.Status);
        Assert.NotNull(right.Tokens);
        Assert.Equal(phone, right.User!.Phone);
        Assert.Equal("user", right.User.Role);
        Assert.Equal(1, StorageRows.Count(fixture.DatabasePath, "binding", phone));
        Assert.True(StorageRows.UserExists(fixture.DatabasePath, right.User.Id));
    }

    [Fact]
    public async Task A_code_works_once()
    {
        var phone = TestSettings.NewPhone();
        await Phone(phone).RequestCodeAsync(Client);
        var code = fixture.Outbox.LatestCodeFor(phone);

        Assert.Equal(VerifyStatus.Success, (await Phone(phone).VerifyAsync(code, Device())).Status);
        var again = await Phone(phone).VerifyAsync(code, Device());

        Assert.Equal(VerifyStatus.InvalidCode, again.Status);
        Assert.Null(again.AttemptsLeft);
    }

    [Fact]
    public async Task Verify_with_wrong_code_five_times_kills_the_code()
    {
        var phone = TestSettings.NewPhone();
        await Phone(phone).RequestCodeAsync(Client);
        var code = fixture.Outbox.LatestCodeFor(phone);

        var attemptsLeft = new List<int?>();
        for (var i = 0; i < 4; i++)
        {
            attemptsLeft.Add((await Phone(phone).VerifyAsync(WrongCode(code), Device())).AttemptsLeft);
        }

        var fifth = await Phone(phone).VerifyAsync(WrongCode(code), Device());
        var rightAfterDeath = await Phone(phone).VerifyAsync(code, Device());

        Assert.Equal([4, 3, 2, 1], attemptsLeft);
        Assert.Equal(VerifyStatus.TooManyAttempts, fifth.Status);
        Assert.Equal(VerifyStatus.TooManyAttempts, rightAfterDeath.Status);
        Assert.Equal(0, StorageRows.Count(fixture.DatabasePath, "binding", phone));
    }

    [Fact]
    public async Task Expired_code_is_refused_as_expired_not_dead()
    {
        var phone = TestSettings.NewPhone();
        await Phone(phone).RequestCodeAsync(Client);
        var code = fixture.Outbox.LatestCodeFor(phone);

        fixture.Time.Advance(TimeSpan.FromSeconds(121));
        var expired = await Phone(phone).VerifyAsync(code, Device());

        Assert.Equal(VerifyStatus.CodeExpired, expired.Status);
        Assert.Equal(SendCodeStatus.Sent, (await Phone(phone).RequestCodeAsync(Client)).Status);
        Assert.Equal(VerifyStatus.Success, (await Phone(phone).VerifyAsync(fixture.Outbox.LatestCodeFor(phone), Device())).Status);
    }

    [Fact]
    public async Task A_new_code_replaces_the_old_one()
    {
        var phone = TestSettings.NewPhone();
        await Phone(phone).RequestCodeAsync(Client);
        var first = fixture.Outbox.LatestCodeFor(phone);
        fixture.Time.Advance(TimeSpan.FromSeconds(61));
        await Phone(phone).RequestCodeAsync(Client);
        var second = fixture.Outbox.LatestCodeFor(phone);
        for (var resend = 0; second == first && resend < 3; resend++)
        {
            // One time in a million the new code equals the old; another resend makes the check below mean something.
            fixture.Time.Advance(TimeSpan.FromSeconds(61));
            await Phone(phone).RequestCodeAsync(Client);
            second = fixture.Outbox.LatestCodeFor(phone);
        }

        Assert.NotEqual(first, second);
        Assert.Equal(VerifyStatus.InvalidCode, (await Phone(phone).VerifyAsync(first, Device())).Status);
        Assert.Equal(VerifyStatus.Success, (await Phone(phone).VerifyAsync(second, Device())).Status);
    }

    [Fact]
    public async Task Twenty_concurrent_verifies_with_the_right_code_succeed_once()
    {
        var phone = TestSettings.NewPhone();
        await Phone(phone).RequestCodeAsync(Client);
        var code = fixture.Outbox.LatestCodeFor(phone);

        var results = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(i => fixture.Grains.GetGrain<IPhoneGrain>(phone).VerifyAsync(code, Device($"device-{i}"))));

        Assert.Single(results, r => r.Status == VerifyStatus.Success);
        Assert.All(results.Where(r => r.Status != VerifyStatus.Success), r => Assert.Equal(VerifyStatus.InvalidCode, r.Status));
    }

    [Fact]
    public async Task Later_logins_reuse_the_bound_user()
    {
        var phone = TestSettings.NewPhone();
        await Phone(phone).RequestCodeAsync(Client);
        var first = await Phone(phone).VerifyAsync(fixture.Outbox.LatestCodeFor(phone), Device("a"));
        fixture.Time.Advance(TimeSpan.FromSeconds(61));
        await Phone(phone).RequestCodeAsync(Client);
        var second = await Phone(phone).VerifyAsync(fixture.Outbox.LatestCodeFor(phone), Device("b"));

        Assert.Equal(first.User!.Id, second.User!.Id);
        var sessions = await fixture.Grains.GetGrain<IUserGrain>(first.User.Id).GetSessionsAsync(SessionOf(second.Tokens!.Access));
        Assert.Equal(["a", "b"], sessions.Sessions.Select(s => s.DeviceId).Order());
    }

    internal static string SessionOf(string jwt)
    {
        var payload = jwt.Split('.')[1];
        var json = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=').Replace('-', '+').Replace('_', '/')));
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return document.RootElement.GetProperty("sid").GetString()!;
    }
}
