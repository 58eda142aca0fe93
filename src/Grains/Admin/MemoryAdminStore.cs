using System.Collections.Concurrent;

namespace QrMahalla.Grains.Admin;

/// <summary>For <c>Storage:Provider=Memory</c> (tests only): the same contract, held by this process.</summary>
public sealed class MemoryAdminStore : IAdminStore
{
    private readonly ConcurrentDictionary<Guid, (UserRow Row, long Revision)> users = new();
    private readonly List<AuditEntry> audit = [];

    public Task UpsertUserAsync(UserRow row, long revision, CancellationToken cancellationToken = default)
    {
        users.AddOrUpdate(row.Id, (row, revision), (_, old) => revision >= old.Revision ? (row, revision) : old);
        return Task.CompletedTask;
    }

    public Task DeleteUserAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        users.TryRemove(userId, out _);
        return Task.CompletedTask;
    }

    public Task<UserPage> SearchUsersAsync(UserQuery query, CancellationToken cancellationToken = default)
    {
        var name = query.Name?.Trim().ToLowerInvariant();
        var matches = users.Values.Select(u => u.Row)
            .Where(u => query.PhonePrefix is not { Length: > 0 } || u.Phone.StartsWith(query.PhonePrefix, StringComparison.Ordinal))
            .Where(u => name is not { Length: > 0 } || SqlAdminStore.SearchName(u.FirstName, u.LastName).Contains(name, StringComparison.Ordinal))
            .Where(u => query.After is not { } after || u.DateJoined < after.DateJoined
                        || (u.DateJoined == after.DateJoined && string.CompareOrdinal(u.Id.ToString(), after.Id.ToString()) < 0))
            .OrderByDescending(u => u.DateJoined).ThenByDescending(u => u.Id.ToString(), StringComparer.Ordinal)
            .Take(query.Limit + 1).ToList();
        if (matches.Count <= query.Limit)
        {
            return Task.FromResult(new UserPage(matches, null));
        }

        matches.RemoveAt(matches.Count - 1);
        return Task.FromResult(new UserPage(matches, new UserCursor(matches[^1].DateJoined, matches[^1].Id)));
    }

    public Task AppendAuditAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        lock (audit)
        {
            audit.Add(new AuditEntry(audit.Count + 1, record.At, record.ActorId, record.Actor, record.Action, record.Target, record.Detail, record.Ip));
        }

        return Task.CompletedTask;
    }

    public Task ForgetPhoneAsync(string phone, string pseudonym, CancellationToken cancellationToken = default)
    {
        lock (audit)
        {
            for (var i = 0; i < audit.Count; i++)
            {
                audit[i] = audit[i] with
                {
                    Actor = audit[i].Actor == phone ? pseudonym : audit[i].Actor,
                    Target = audit[i].Target == phone ? pseudonym : audit[i].Target,
                };
            }
        }

        return Task.CompletedTask;
    }

    public Task<AuditPage> ListAuditAsync(int limit, long? before, CancellationToken cancellationToken = default)
    {
        lock (audit)
        {
            var page = audit.Where(e => before is null || e.Id < before).OrderByDescending(e => e.Id).Take(limit + 1).ToList();
            return Task.FromResult(page.Count <= limit
                ? new AuditPage(page, null)
                : new AuditPage(page[..limit], page[limit - 1].Id));
        }
    }
}
