using Orleans.Concurrency;
using QrMahalla.Grains.Admin;
using QrMahalla.Grains.Rules;

namespace QrMahalla.Grains.Admin;

/// <summary>
/// Staff operations, each authorised against the actor's own user grain (a live session holding the admin role now)
/// and audited before the change it makes. Reads are not audited. Stateless: every silo runs it locally.
/// </summary>
[StatelessWorker]
public sealed class AdminGrain(IAdminStore store, AuditLog audit) : Grain, IAdminGrain
{
    public async Task<AdminResult<UserPage>> SearchUsersAsync(AdminActor actor, UserQuery query)
    {
        if (await AuthorizeAsync(actor) is null)
        {
            return Forbidden<UserPage>();
        }

        var page = await store.SearchUsersAsync(query with { Limit = AdminPaging.Clamp(query.Limit) });
        return new AdminResult<UserPage>(AdminStatus.Ok, page);
    }

    public async Task<AdminResult<AdminUserView>> GetUserAsync(AdminActor actor, Guid userId)
    {
        if (await AuthorizeAsync(actor) is null)
        {
            return Forbidden<AdminUserView>();
        }

        return await User(userId).GetAccountAsync() is { } account
            ? new AdminResult<AdminUserView>(AdminStatus.Ok, account)
            : NotFound<AdminUserView>();
    }

    public async Task<AdminResult<AdminUserView>> UpdateUserAsync(AdminActor actor, Guid userId, AdminUserUpdate update)
    {
        if (await AuthorizeAsync(actor) is not { } admin)
        {
            return Forbidden<AdminUserView>();
        }

        if (userId == actor.UserId && (update.IsActive == false || (update.Role is not null && update.Role != UserRoles.Admin)))
        {
            return Invalid<AdminUserView>("You cannot deactivate or demote your own account; ask another admin.");
        }

        if (AccountRules.Validate(update) is { } error)
        {
            return Invalid<AdminUserView>(error);
        }

        if (await User(userId).GetAccountAsync() is null)
        {
            return NotFound<AdminUserView>();
        }

        var detail = new { is_active = update.IsActive, role = update.Role, first_name = update.FirstName, last_name = update.LastName };
        await audit.RecordAsync(actor.UserId, admin, "user.update", userId.ToString(), detail, actor.Ip);
        return await User(userId).UpdateAccountAsync(update);
    }

    public async Task<AdminResult<int>> RevokeSessionsAsync(AdminActor actor, Guid userId)
    {
        if (await AuthorizeAsync(actor) is not { } admin)
        {
            return Forbidden<int>();
        }

        if (await User(userId).GetAccountAsync() is null)
        {
            return NotFound<int>();
        }

        await audit.RecordAsync(actor.UserId, admin, "user.revoke_sessions", userId.ToString(), null, actor.Ip);
        return await User(userId).RevokeAllSessionsAsync() is { } count
            ? new AdminResult<int>(AdminStatus.Ok, count)
            : NotFound<int>();
    }

    public async Task<AdminResult<bool>> DeleteUserAsync(AdminActor actor, Guid userId)
    {
        if (await AuthorizeAsync(actor) is not { } admin)
        {
            return Forbidden<bool>();
        }

        if (userId == actor.UserId)
        {
            return Invalid<bool>("Delete your own account with DELETE /api/users/me/.");
        }

        if (await User(userId).GetAccountAsync() is null)
        {
            return NotFound<bool>();
        }

        await audit.RecordAsync(actor.UserId, admin, "user.delete", userId.ToString(), null, actor.Ip);
        var deleted = await GrainFactory.GetGrain<IAccountDeletionGrain>(0).DeleteByStaffAsync(userId);
        return deleted.Status == AccountStatus.Ok ? new AdminResult<bool>(AdminStatus.Ok, true) : NotFound<bool>();
    }

    public async Task<AdminResult<PhoneStatus>> GetPhoneAsync(AdminActor actor, string phone)
    {
        if (await AuthorizeAsync(actor) is null)
        {
            return Forbidden<PhoneStatus>();
        }

        return new AdminResult<PhoneStatus>(AdminStatus.Ok, await GrainFactory.GetGrain<IPhoneGrain>(phone).GetStatusAsync());
    }

    public async Task<AdminResult<PhoneStatus>> UnlockPhoneAsync(AdminActor actor, string phone)
    {
        if (await AuthorizeAsync(actor) is not { } admin)
        {
            return Forbidden<PhoneStatus>();
        }

        await audit.RecordAsync(actor.UserId, admin, "phone.unlock", phone, null, actor.Ip);
        return new AdminResult<PhoneStatus>(AdminStatus.Ok, await GrainFactory.GetGrain<IPhoneGrain>(phone).UnlockAsync());
    }

    public async Task<AdminResult<AuditPage>> ListAuditAsync(AdminActor actor, int limit, long? before)
    {
        if (await AuthorizeAsync(actor) is null)
        {
            return Forbidden<AuditPage>();
        }

        return new AdminResult<AuditPage>(AdminStatus.Ok, await store.ListAuditAsync(AdminPaging.Clamp(limit), before));
    }

    public async Task<AdminResult<UserProfile>> GrantRoleAsync(OperatorActor actor, string phone, string role)
    {
        if (string.IsNullOrWhiteSpace(actor.User) || string.IsNullOrWhiteSpace(actor.Machine))
        {
            return Invalid<UserProfile>("The operator must name themselves and their machine.");
        }

        if (!UserRoles.IsValid(role))
        {
            return Invalid<UserProfile>(AccountRules.RoleRule);
        }

        if (await GrainFactory.GetGrain<IPhoneGrain>(phone).GetUserIdAsync() is not { } userId
            || await User(userId).GetAccountAsync() is null)
        {
            return new AdminResult<UserProfile>(AdminStatus.NotFound, Error: "No account is bound to this phone; it must log in once first.");
        }

        await audit.RecordAsync(null, actor.ToString(), "user.grant_role", userId.ToString(), new { role }, null);
        var updated = await User(userId).UpdateAccountAsync(new AdminUserUpdate(Role: role));
        return new AdminResult<UserProfile>(updated.Status, updated.Value?.Profile, updated.Error);
    }

    private Task<string?> AuthorizeAsync(AdminActor actor) => User(actor.UserId).GetAdminPhoneAsync(actor.SessionId);

    private IUserGrain User(Guid id) => GrainFactory.GetGrain<IUserGrain>(id);

    private static AdminResult<T> Forbidden<T>() => new(AdminStatus.Forbidden, Error: "This needs the admin role in a live session.");

    private static AdminResult<T> NotFound<T>() => new(AdminStatus.NotFound, Error: "No such user.");

    private static AdminResult<T> Invalid<T>(string error) => new(AdminStatus.Invalid, Error: error);
}
