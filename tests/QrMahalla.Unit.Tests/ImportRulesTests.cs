using QrMahalla.Grains.Rules;

namespace QrMahalla.Unit.Tests;

/// <summary>Which rows of the old service come over: orphans stay behind, the one real row of a phone wins.</summary>
public sealed class ImportRulesTests
{
    private static readonly DateTimeOffset Login = new(2025, 5, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_row_nobody_used_is_an_orphan_and_any_sign_of_use_makes_it_real()
    {
        Assert.True(ImportRules.IsOrphan(Row(1)));
        Assert.False(ImportRules.IsOrphan(Row(1, verified: true)));
        Assert.False(ImportRules.IsOrphan(Row(1, sessions: true)));
        Assert.False(ImportRules.IsOrphan(Row(1, lastLogin: Login)));
    }

    [Fact]
    public void A_lone_orphan_stays_behind_unless_unverified_rows_are_asked_for()
    {
        Assert.Equal([1L], ImportRules.Choose([Row(1)], includeUnverified: false).Orphaned);
        Assert.Equal(1, ImportRules.Choose([Row(1)], includeUnverified: true).Winner);
        Assert.Equal(1, ImportRules.Choose([Row(1, lastLogin: Login)], includeUnverified: false).Winner);
    }

    [Fact]
    public void The_one_verified_row_wins_and_the_others_merge_into_it()
    {
        var choice = ImportRules.Choose([Row(1), Row(2, verified: true), Row(3, sessions: true)], includeUnverified: false);

        Assert.Equal(2, choice.Winner);
        Assert.Equal([1L, 3L], choice.Merged);
        Assert.Empty(choice.Refused);
        Assert.Empty(choice.Orphaned);
    }

    [Fact]
    public void Two_verified_rows_are_refused_together()
    {
        var choice = ImportRules.Choose([Row(1, verified: true), Row(2, verified: true), Row(3)], includeUnverified: true);

        Assert.Null(choice.Winner);
        Assert.Equal([1L, 2L, 3L], choice.Refused);
        Assert.Equal("more than one of them is verified", choice.Reason);
    }

    [Fact]
    public void With_none_verified_sessions_win_then_the_latest_login()
    {
        Assert.Equal(2, ImportRules.Choose([Row(1, lastLogin: Login.AddDays(9)), Row(2, sessions: true)], false).Winner);
        Assert.Equal(1, ImportRules.Choose([Row(1, lastLogin: Login.AddDays(9)), Row(2, lastLogin: Login), Row(3)], false).Winner);
        Assert.Equal(2, ImportRules.Choose([Row(1, sessions: true), Row(2, sessions: true, lastLogin: Login)], false).Winner);
    }

    [Fact]
    public void The_one_used_row_among_orphans_wins()
    {
        var choice = ImportRules.Choose([Row(1), Row(2, sessions: true), Row(3)], includeUnverified: false);

        Assert.Equal(2, choice.Winner);
        Assert.Equal([1L, 3L], choice.Merged);
    }

    [Fact]
    public void Rows_nothing_tells_apart_are_refused()
    {
        var tied = ImportRules.Choose([Row(1, sessions: true), Row(2, sessions: true)], includeUnverified: false);
        Assert.Equal([1L, 2L], tied.Refused);
        Assert.Equal("nothing tells which of them is the real user", tied.Reason);

        var orphans = ImportRules.Choose([Row(1), Row(2)], includeUnverified: false);
        Assert.Equal([1L, 2L], orphans.Orphaned);
        Assert.Empty(orphans.Refused);

        var askedFor = ImportRules.Choose([Row(1), Row(2)], includeUnverified: true);
        Assert.Equal([1L, 2L], askedFor.Refused);
        Assert.Equal("none of them was ever used", askedFor.Reason);
    }

    private static LegacyEvidence Row(long id, bool verified = false, bool sessions = false, DateTimeOffset? lastLogin = null) =>
        new(id, verified, sessions, lastLogin);
}
