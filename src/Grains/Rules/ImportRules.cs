namespace QrMahalla.Grains.Rules;

/// <summary>
/// Which rows of the old service's <c>users_user</c> come over. The old service created a user whenever a code was
/// sent, so many rows are orphans nobody ever used; and it kept differently written copies of one number apart, so
/// one phone may have several rows, of which at most one is a real user.
/// </summary>
public static class ImportRules
{
    /// <summary>Unverified, never given a session, never logged in: a code was sent and nobody typed it.</summary>
    public static bool IsOrphan(LegacyEvidence row) => !row.IsVerified && !row.HasSessions && row.LastLogin is null;

    /// <summary>
    /// What to do with the rows of one phone (one row, or several that are one number after normalisation). The one
    /// verified row wins; with none verified, the row with sessions, then the latest login; the others are merged into
    /// it. Two verified rows, or rows nothing tells apart, are refused: a person has to decide.
    /// </summary>
    public static ImportChoice Choose(IReadOnlyList<LegacyEvidence> samePhone, bool includeUnverified)
    {
        if (samePhone.Count == 1)
        {
            var only = samePhone[0];
            return IsOrphan(only) && !includeUnverified ? ImportChoice.Orphans([only.LegacyId]) : ImportChoice.Import(only.LegacyId, []);
        }

        var verified = samePhone.Where(r => r.IsVerified).ToList();
        if (verified.Count > 1)
        {
            return ImportChoice.Refuse(samePhone, "more than one of them is verified");
        }

        if (verified.Count == 1)
        {
            return Win(verified[0], samePhone);
        }

        var used = samePhone.Where(r => !IsOrphan(r))
            .OrderByDescending(r => r.HasSessions).ThenByDescending(r => r.LastLogin).ToList();
        if (used.Count == 0)
        {
            return includeUnverified
                ? ImportChoice.Refuse(samePhone, "none of them was ever used")
                : ImportChoice.Orphans([.. samePhone.Select(r => r.LegacyId)]);
        }

        if (used.Count > 1 && used[0].HasSessions == used[1].HasSessions && used[0].LastLogin == used[1].LastLogin)
        {
            return ImportChoice.Refuse(samePhone, "nothing tells which of them is the real user");
        }

        return Win(used[0], samePhone);
    }

    private static ImportChoice Win(LegacyEvidence winner, IReadOnlyList<LegacyEvidence> samePhone) =>
        ImportChoice.Import(winner.LegacyId, [.. samePhone.Where(r => r != winner).Select(r => r.LegacyId)]);
}

/// <summary>What the old database tells about whether a person ever used a row.</summary>
public sealed record LegacyEvidence(long LegacyId, bool IsVerified, bool HasSessions, DateTimeOffset? LastLogin);

/// <summary>The row to import (if any), the rows merged into it, orphans left behind, and rows refused with the reason.</summary>
public sealed record ImportChoice(long? Winner, IReadOnlyList<long> Merged, IReadOnlyList<long> Orphaned, IReadOnlyList<long> Refused, string? Reason)
{
    public static ImportChoice Import(long winner, IReadOnlyList<long> merged) => new(winner, merged, [], [], null);

    public static ImportChoice Orphans(IReadOnlyList<long> orphans) => new(null, [], orphans, [], null);

    public static ImportChoice Refuse(IReadOnlyList<LegacyEvidence> rows, string reason) =>
        new(null, [], [], [.. rows.Select(r => r.LegacyId)], reason);
}
