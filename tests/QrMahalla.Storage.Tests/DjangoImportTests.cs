using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using QrMahalla.Grains.Admin;
using QrMahalla.Grains.Phones;
using Xunit.Abstractions;

namespace QrMahalla.Storage.Tests;

/// <summary>
/// <c>import-django</c> against a real PostgreSQL database holding the old service's <c>users_user</c> table, into a
/// three-silo cluster on PostgreSQL.
/// </summary>
[Collection(PostgresClusterCollection.Name)]
public sealed class DjangoImportTests(PostgresClusterFixture fixture, ITestOutputHelper output)
{
    private DjangoImporter Importer => new(fixture.Grains, fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<PhoneNumberParser>());

    /// <summary>
    /// A thousand rows: enough for every kind of row the generator makes (admins, inactive, verified, with a last
    /// login, with a session) and for progress along the way. How long 10,000 take is <c>bench/import.sh</c>'s question.
    /// </summary>
    [Fact]
    public async Task A_thousand_old_users_are_imported_once_and_each_logs_in_with_a_code_to_its_old_profile()
    {
        const int count = 1_000;
        var users = DjangoDatabase.Users(count, firstId: 100_000);
        var source = await DjangoDatabase.CreateAsync(users);
        var reported = new List<DjangoImporter.Progress>();

        var first = await Importer.RunAsync(source, new SynchronousProgress(reported.Add), concurrency: 32);
        output.WriteLine($"import of {first.Read} rows: {first.Elapsed.TotalSeconds:0.0} s");

        Assert.Equal(count, first.Read);
        Assert.Equal(count, first.Imported);
        Assert.Empty(first.Problems);
        Assert.Equal(0, first.Failed);
        Assert.Equal([new(0, count), new(500, count), new(count, count)], reported);

        var again = await Importer.RunAsync(source, concurrency: 32);
        Assert.Equal(0, again.Imported);
        Assert.Equal(count, again.AlreadyImported);
        foreach (var old in users.Take(4))
        {
            var imported = (await fixture.Grains.GetGrain<IUserGrain>(LegacyIds.UserId(old.Id)).GetAccountAsync())!;
            Assert.Equal((old.IsVerified, old.IsActive, old.Id), (imported.Profile.IsVerified, imported.Profile.IsActive, imported.LegacyId));
        }

        var clock = Stopwatch.StartNew();
        var parser = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<PhoneNumberParser>();
        var byPhone = users.ToDictionary(u => parser.Parse(u.Phone).E164!);
        await Parallel.ForEachAsync(byPhone.Keys, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (phone, _) =>
            Assert.Equal(SendCodeStatus.Sent, (await fixture.Grains.GetGrain<IPhoneGrain>(phone).RequestCodeAsync(new ClientInfo("127.0.0.1", "tests"))).Status));
        var codes = fixture.Outbox.Messages().Where(m => byPhone.ContainsKey(m.Phone)).ToDictionary(m => m.Phone, m => m.Code);
        Assert.Equal(count, codes.Count);

        await Parallel.ForEachAsync(byPhone, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (entry, _) =>
        {
            var (phone, old) = entry;
            var verified = await fixture.Grains.GetGrain<IPhoneGrain>(phone).VerifyAsync(codes[phone], new DeviceInfo("app", "Old phone", "127.0.0.1", "tests"));
            if (!old.IsActive)
            {
                Assert.Equal(VerifyStatus.UserInactive, verified.Status);
                return;
            }

            Assert.Equal(VerifyStatus.Success, verified.Status);
            Assert.False(verified.NewUser);
            Assert.Equal(LegacyIds.UserId(old.Id), verified.User!.Id);
            var account = (await fixture.Grains.GetGrain<IUserGrain>(verified.User.Id).GetAccountAsync())!;
            var profile = account.Profile;
            Assert.Equal((phone, old.FirstName, old.LastName, old.PassportId ?? "", old.Address, old.Role), (profile.Phone, profile.FirstName, profile.LastName, profile.PassportId, profile.Address, profile.Role));
            Assert.Equal((old.IsStaff, old.DateJoined), (profile.IsStaff, profile.DateJoined));
            Assert.True(profile.IsVerified, "a correct code verifies the phone");
            Assert.Equal(old.Id, account.LegacyId);
            Assert.Single(account.Sessions);
        });
        output.WriteLine($"{count} logins: {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task Rows_that_do_not_parse_or_collide_after_normalisation_are_reported_not_guessed()
    {
        var users = DjangoDatabase.Users(6, firstId: 500);
        var twin = users[2].Phone.Replace(" ", "");
        var signedUpHere = TestSettings.NewPhone();
        users.Add(users[0] with { Id = 600, Phone = twin.StartsWith('+') ? twin[1..] : "+" + twin });
        users.Add(users[0] with { Id = 601, Phone = "12345" });
        users.Add(users[0] with { Id = 602, Phone = "+1 202 555 0143" });
        users.Add(users[0] with { Id = 603, Phone = signedUpHere });
        users.Add(users[0] with { Id = 604, Phone = TestSettings.NewPhone(), Role = "Super User" });
        await fixture.Grains.GetGrain<IPhoneGrain>(signedUpHere).RequestCodeAsync(new ClientInfo("127.0.0.1", "tests"));
        var here = await fixture.Grains.GetGrain<IPhoneGrain>(signedUpHere).VerifyAsync(fixture.Outbox.LatestCodeFor(signedUpHere), new DeviceInfo("d", "d", null, null));
        Assert.Equal(VerifyStatus.Success, here.Status);

        var summary = await Importer.RunAsync(await DjangoDatabase.CreateAsync(users));

        Assert.Equal(11, summary.Read);
        Assert.Equal(5, summary.Imported);
        Assert.Equal([users[2].Id, 600, 601, 602, 603, 604], summary.Problems.Select(p => p.LegacyId).Order());
        Assert.Contains("same phone as id 600 after normalisation, and more than one of them is verified", summary.Problems.Single(p => p.LegacyId == users[2].Id).Reason);
        Assert.Contains("not a valid mobile number", summary.Problems.Single(p => p.LegacyId == 601).Reason);
        Assert.Contains("region", summary.Problems.Single(p => p.LegacyId == 602).Reason);
        Assert.Contains("another account", summary.Problems.Single(p => p.LegacyId == 603).Reason);
        Assert.Contains("role", summary.Problems.Single(p => p.LegacyId == 604).Reason);
        Assert.DoesNotContain(summary.Problems, p => p.Phone.Contains(signedUpHere, StringComparison.Ordinal));
        Assert.Equal(here.User!.Id, await fixture.Grains.GetGrain<IPhoneGrain>(signedUpHere).GetUserIdAsync());
        Assert.Null(await fixture.Grains.GetGrain<IPhoneGrain>(twin.StartsWith('+') ? twin : "+" + twin).GetUserIdAsync());
    }

    [Fact]
    public async Task An_imported_user_who_deleted_the_account_is_not_brought_back_by_a_second_import()
    {
        var users = DjangoDatabase.Users(1, firstId: 700);
        var source = await DjangoDatabase.CreateAsync(users);
        Assert.Equal(1, (await Importer.RunAsync(source)).Imported);
        var userId = LegacyIds.UserId(700);
        var deleted = await fixture.Grains.GetGrain<IUserGrain>(userId).WipeAsync();
        await fixture.Grains.GetGrain<IPhoneGrain>(deleted.Phone!).UnbindAsync(userId);

        var again = await Importer.RunAsync(source);

        Assert.Equal(1, again.DeletedSinceImport);
        Assert.Equal(0, again.Imported);
        Assert.Null(await fixture.Grains.GetGrain<IPhoneGrain>(deleted.Phone!).GetUserIdAsync());
        Assert.Null(await fixture.Grains.GetGrain<IUserGrain>(userId).GetAccountAsync());
    }

    [Fact]
    public async Task An_orphan_stays_behind_unless_asked_for_while_rows_with_a_login_or_a_session_come_over()
    {
        var users = DjangoDatabase.Users(4, firstId: 800);
        var orphan = users[0] with { Id = 804, Phone = TestSettings.NewPhone(), IsVerified = false };
        users.Add(orphan);
        var source = await DjangoDatabase.CreateAsync(users);

        var first = await Importer.RunAsync(source);

        Assert.Equal((4, 0), (first.Imported, first.AlreadyImported));
        Assert.Equal([804L], first.Orphans);
        Assert.Empty(first.Problems);
        Assert.Null(await fixture.Grains.GetGrain<IPhoneGrain>(orphan.Phone).GetUserIdAsync());
        Assert.Null(await fixture.Grains.GetGrain<IUserGrain>(LegacyIds.UserId(804)).GetAccountAsync());
        Assert.NotNull(await fixture.Grains.GetGrain<IUserGrain>(LegacyIds.UserId(801)).GetAccountAsync()); // a last_login
        Assert.NotNull(await fixture.Grains.GetGrain<IUserGrain>(LegacyIds.UserId(803)).GetAccountAsync()); // a session

        var withOrphans = await Importer.RunAsync(source, includeUnverified: true);

        Assert.Equal((1, 4), (withOrphans.Imported, withOrphans.AlreadyImported));
        Assert.Empty(withOrphans.Orphans);
        Assert.Equal(LegacyIds.UserId(804), await fixture.Grains.GetGrain<IPhoneGrain>(orphan.Phone).GetUserIdAsync());
        Assert.False((await fixture.Grains.GetGrain<IUserGrain>(LegacyIds.UserId(804)).GetAccountAsync())!.Profile.IsVerified);
    }

    [Fact]
    public async Task The_verified_row_wins_over_its_orphan_duplicate_and_a_rerun_changes_nothing()
    {
        var phone = TestSettings.NewPhone();
        var real = DjangoDatabase.Users(1, firstId: 900)[0] with { Phone = phone, FirstName = "Dilnoza", IsActive = true, IsVerified = true, Sessions = 2 };
        var orphan = real with { Id = 901, Phone = $"{phone[..4]} {phone[4..6]} {phone[6..]}", FirstName = "", IsVerified = false, Sessions = 0 };
        var source = await DjangoDatabase.CreateAsync([orphan, real]);

        var first = await Importer.RunAsync(source);

        Assert.Equal(1, first.Imported);
        Assert.Equal([new DjangoImporter.Merge(901, PhoneMask.Mask(phone), 900)], first.Merged);
        Assert.Empty(first.Problems);
        Assert.Empty(first.Orphans);
        Assert.Equal(LegacyIds.UserId(900), await fixture.Grains.GetGrain<IPhoneGrain>(phone).GetUserIdAsync());

        // The real user logs in with a code and finds the old profile, not a new empty account.
        await fixture.Grains.GetGrain<IPhoneGrain>(phone).RequestCodeAsync(new ClientInfo("127.0.0.1", "tests"));
        var login = await fixture.Grains.GetGrain<IPhoneGrain>(phone).VerifyAsync(fixture.Outbox.LatestCodeFor(phone), new DeviceInfo("d", "d", null, null));
        Assert.Equal((VerifyStatus.Success, false, "Dilnoza"), (login.Status, login.NewUser, login.User!.FirstName));

        var again = await Importer.RunAsync(source);

        Assert.Equal((0, 1), (again.Imported, again.AlreadyImported));
        Assert.Equal(first.Merged, again.Merged);
    }

    [Fact]
    public async Task Two_verified_rows_of_one_phone_are_both_refused()
    {
        var phone = TestSettings.NewPhone();
        var one = DjangoDatabase.Users(1, firstId: 950)[0] with { Phone = phone, IsVerified = true };
        var other = one with { Id = 951, Phone = phone[1..], FirstName = "Boshqa" };

        var summary = await Importer.RunAsync(await DjangoDatabase.CreateAsync([one, other]));

        Assert.Equal(0, summary.Imported);
        Assert.Equal([950L, 951L], summary.Problems.Select(p => p.LegacyId));
        Assert.All(summary.Problems, p => Assert.Contains("more than one of them is verified", p.Reason));
        Assert.Null(await fixture.Grains.GetGrain<IPhoneGrain>(phone).GetUserIdAsync());
    }

    private sealed class SynchronousProgress(Action<DjangoImporter.Progress> report) : IProgress<DjangoImporter.Progress>
    {
        public void Report(DjangoImporter.Progress value) => report(value);
    }
}
