using QrMahalla.Grains.Accounts;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Rules;
using QrMahalla.Grains;

namespace QrMahalla.Unit.Tests;

/// <summary>Device sessions: one per device, a cap with least-recently-used eviction, refresh rotation, replay and grace.</summary>
public sealed class SessionRulesTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
    private readonly UserState user = new() { Registered = true, IsActive = true };
    private int idCounter;

    [Fact]
    public void A_login_opens_a_session_for_its_device_with_the_ids_it_was_given()
    {
        var rules = new SessionRules(new JwtOptions());

        var session = rules.Open(user, new DeviceInfo("phone-1", "Pixel", "10.0.0.1", "app/1"), Start, new NewIds("s1", "r1", "x"));

        Assert.Same(session, user.Sessions["phone-1"]);
        Assert.Equal(("s1", "r1", "Pixel", "10.0.0.1", "app/1"), (session.SessionId, session.RefreshTokenId, session.DeviceName, session.Ip, session.UserAgent));
        Assert.Equal((Start, Start), (session.CreatedAt, session.LastSeenAt));
        Assert.True(rules.IsLive(user, "s1", Start));
    }

    [Fact]
    public void A_login_without_a_device_id_gets_a_web_device_of_its_own()
    {
        var rules = new SessionRules(new JwtOptions());

        var first = rules.Open(user, new DeviceInfo(null, null, null, null), Start, new NewIds("s1", "r1", "abc"));
        var second = rules.Open(user, new DeviceInfo(" ", null, null, null), Start, new NewIds("s2", "r2", "def"));

        Assert.Equal("web-abc", first.DeviceId);
        Assert.Equal("", first.DeviceName);
        Assert.Equal("web-def", second.DeviceId);
        Assert.Equal(2, user.Sessions.Count);
    }

    [Fact]
    public void A_second_login_from_the_same_device_replaces_its_session()
    {
        var rules = new SessionRules(new JwtOptions());
        Open(rules, "phone-1", Start);

        var again = Open(rules, "phone-1", Start.AddMinutes(1));

        Assert.Single(user.Sessions);
        Assert.False(rules.IsLive(user, "s1", Start));
        Assert.True(rules.IsLive(user, again.SessionId, Start));
    }

    [Fact]
    public void Past_the_cap_the_least_recently_used_session_goes()
    {
        var rules = new SessionRules(new JwtOptions { MaxSessionsPerUser = 2 });
        var oldest = Open(rules, "a", Start);
        var used = Open(rules, "b", Start.AddMinutes(1));
        used.LastSeenAt = Start.AddMinutes(10);
        var middle = Open(rules, "c", Start.AddMinutes(2));

        Assert.Equal(["b", "c"], user.Sessions.Keys.Order());
        Assert.False(rules.IsLive(user, oldest.SessionId, Start));
        Assert.True(rules.IsLive(user, middle.SessionId, Start));
    }

    [Fact]
    public void A_refresh_rotates_the_refresh_token_and_remembers_the_one_it_replaced()
    {
        var rules = new SessionRules(new JwtOptions());
        var session = Open(rules, "a", Start);
        var at = Start.AddMinutes(5);

        var decision = rules.Refresh(user, Request(session, session.RefreshTokenId, "10.0.0.9", null), at, () => "r-new");

        Assert.Equal(RefreshOutcome.Rotated, decision.Outcome);
        Assert.Equal(("r-new", "r1", at, at), (session.RefreshTokenId, session.PreviousRefreshTokenId, session.RotatedAt, session.LastSeenAt));
        Assert.Equal(("10.0.0.9", "ua"), (session.Ip, session.UserAgent));
    }

    [Fact]
    public void A_rotated_away_token_presented_again_revokes_its_session()
    {
        var rules = new SessionRules(new JwtOptions());
        var session = Open(rules, "a", Start);
        rules.Refresh(user, Request(session, "r1"), Start.AddMinutes(1), () => "r2");

        var replay = rules.Refresh(user, Request(session, "r1"), Start.AddMinutes(1), () => "r3");

        Assert.Equal(RefreshOutcome.Replayed, replay.Outcome);
        Assert.Empty(user.Sessions);
        Assert.Equal(RefreshOutcome.Unknown, rules.Refresh(user, Request(session, "r2"), Start.AddMinutes(2), () => "r4").Outcome);
    }

    [Fact]
    public void Inside_the_grace_the_previous_token_is_a_retry_that_changes_nothing()
    {
        var rules = new SessionRules(new JwtOptions { RefreshReuseGrace = TimeSpan.FromSeconds(30) });
        var session = Open(rules, "a", Start);
        rules.Refresh(user, Request(session, "r1"), Start, () => "r2");

        var retry = rules.Refresh(user, Request(session, "r1"), Start.AddSeconds(30), () => "r3");

        Assert.Equal(RefreshOutcome.Retried, retry.Outcome);
        Assert.Same(session, retry.Session);
        Assert.Equal(("r2", "r1"), (session.RefreshTokenId, session.PreviousRefreshTokenId));

        var late = rules.Refresh(user, Request(session, "r1"), Start.AddSeconds(31), () => "r4");
        Assert.Equal(RefreshOutcome.Replayed, late.Outcome);
    }

    [Fact]
    public void Without_rotation_a_refresh_keeps_the_token_and_extends_the_session()
    {
        var rules = new SessionRules(new JwtOptions { RotateRefreshTokens = false });
        var session = Open(rules, "a", Start);

        var decision = rules.Refresh(user, Request(session, "r1"), Start.AddHours(1), () => throw new InvalidOperationException("no new id"));

        Assert.Equal(RefreshOutcome.Extended, decision.Outcome);
        Assert.Equal(("r1", Start.AddHours(1)), (session.RefreshTokenId, session.LastSeenAt));
        Assert.Null(session.PreviousRefreshTokenId);
    }

    [Fact]
    public void A_deactivated_account_refreshes_nothing_and_has_no_live_session()
    {
        var rules = new SessionRules(new JwtOptions());
        var session = Open(rules, "a", Start);
        user.IsActive = false;

        Assert.Equal(RefreshOutcome.UserInactive, rules.Refresh(user, Request(session, "r1"), Start, () => "r2").Outcome);
        Assert.False(rules.IsLive(user, session.SessionId, Start));
        Assert.Equal("r1", session.RefreshTokenId);
    }

    [Fact]
    public void An_unknown_session_or_an_unregistered_account_refreshes_nothing()
    {
        var rules = new SessionRules(new JwtOptions());
        var session = Open(rules, "a", Start);

        Assert.Equal(RefreshOutcome.Unknown, rules.Refresh(user, new RefreshRequest("nope", "r1", "t", new ClientInfo(null, null)), Start, () => "r2").Outcome);
        Assert.Equal(RefreshOutcome.Unknown, rules.Refresh(new UserState(), Request(session, "r1"), Start, () => "r2").Outcome);
        Assert.False(rules.IsLive(new UserState(), session.SessionId, Start));
    }

    [Fact]
    public void A_session_refreshed_regularly_still_ends_ninety_days_after_its_sign_in()
    {
        var rules = new SessionRules(new JwtOptions());
        var session = Open(rules, "a", Start);
        var at = Start;
        for (var i = 0; i < 4; i++)
        {
            at = at.AddDays(20);
            Assert.Equal(RefreshOutcome.Rotated, rules.Refresh(user, Request(session, session.RefreshTokenId), at, NewTokenId).Outcome);
        }

        Assert.Equal(Start.AddDays(90), rules.AbsoluteEnd(session));
        Assert.True(rules.IsLive(user, session.SessionId, Start.AddDays(90).AddSeconds(-1)));
        Assert.False(rules.IsLive(user, session.SessionId, Start.AddDays(90)));

        var late = rules.Refresh(user, Request(session, session.RefreshTokenId), Start.AddDays(90), NewTokenId);

        Assert.Equal(RefreshOutcome.Ended, late.Outcome);
        Assert.Empty(user.Sessions);
    }

    [Fact]
    public void A_session_idle_for_thirty_days_ends()
    {
        var rules = new SessionRules(new JwtOptions());
        var session = Open(rules, "a", Start);
        var kept = Open(rules, "b", Start);
        rules.Refresh(user, Request(kept, kept.RefreshTokenId), Start.AddDays(29), NewTokenId);

        Assert.Equal(["b"], rules.Live(user, Start.AddDays(30)).Select(s => s.DeviceId));
        Assert.Equal(RefreshOutcome.Ended, rules.Refresh(user, Request(session, session.RefreshTokenId), Start.AddDays(30), NewTokenId).Outcome);
        Assert.Equal(["b"], user.Sessions.Keys);
    }

    [Fact]
    public void The_lifetimes_come_from_the_options_and_a_login_forgets_ended_sessions()
    {
        var rules = new SessionRules(new JwtOptions { SessionLifetime = TimeSpan.FromDays(2), SessionIdleTimeout = TimeSpan.FromHours(1) });
        var old = Open(rules, "a", Start);

        Assert.True(rules.HasEnded(old, Start.AddHours(1)));
        Assert.False(rules.HasEnded(old, Start.AddMinutes(59)));
        Assert.Equal(Start.AddDays(2), rules.AbsoluteEnd(old));

        Open(rules, "b", Start.AddHours(2));
        Assert.Equal(["b"], user.Sessions.Keys);
    }

    [Fact]
    public void A_refresh_keeps_the_address_and_agent_it_is_not_told_and_takes_the_ones_it_is()
    {
        var rules = new SessionRules(new JwtOptions());
        var session = Open(rules, "a", Start);

        rules.Refresh(user, Request(session, session.RefreshTokenId, null, "app/2"), Start.AddMinutes(1), NewTokenId);

        Assert.Equal(("10.0.0.1", "app/2"), (session.Ip, session.UserAgent));
    }

    private string NewTokenId() => $"r-{++idCounter}";

    private SessionState Open(SessionRules rules, string device, DateTimeOffset at)
    {
        idCounter++;
        return rules.Open(user, new DeviceInfo(device, device, "10.0.0.1", "ua"), at, new NewIds($"s{idCounter}", $"r{idCounter}", $"w{idCounter}"));
    }

    private static RefreshRequest Request(SessionState session, string tokenId, string? ip = null, string? userAgent = null) =>
        new(session.SessionId, tokenId, "token", new ClientInfo(ip, userAgent));
}
