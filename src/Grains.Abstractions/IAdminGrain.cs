namespace QrMahalla.Grains;

/// <summary>
/// Staff operations. Every call first checks that the actor holds the admin role in a live session, and every
/// change is written to the audit log. A stateless worker: any silo serves it locally.
/// </summary>
[Alias("qrm.admin")]
public interface IAdminGrain : IGrainWithIntegerKey
{
    [Alias("users")] Task<AdminResult<UserPage>> SearchUsersAsync(AdminActor actor, UserQuery query);
    [Alias("user")] Task<AdminResult<AdminUserView>> GetUserAsync(AdminActor actor, Guid userId);
    [Alias("update-user")] Task<AdminResult<AdminUserView>> UpdateUserAsync(AdminActor actor, Guid userId, AdminUserUpdate update);
    [Alias("revoke-sessions")] Task<AdminResult<int>> RevokeSessionsAsync(AdminActor actor, Guid userId);
    [Alias("delete-user")] Task<AdminResult<bool>> DeleteUserAsync(AdminActor actor, Guid userId);
    [Alias("phone")] Task<AdminResult<PhoneStatus>> GetPhoneAsync(AdminActor actor, string phone);
    [Alias("unlock-phone")] Task<AdminResult<PhoneStatus>> UnlockPhoneAsync(AdminActor actor, string phone);
    [Alias("audit")] Task<AdminResult<AuditPage>> ListAuditAsync(AdminActor actor, int limit, long? before);

    /// <summary>
    /// The operator's bootstrap (<c>QrMahalla.Silo grant-role</c>): reachable from inside the cluster only (with
    /// <c>Cluster:Tls</c>, with a cluster certificate), and audited under the operator it names.
    /// </summary>
    [Alias("grant-role-by")] Task<AdminResult<UserProfile>> GrantRoleAsync(OperatorActor actor, string phone, string role);
}
