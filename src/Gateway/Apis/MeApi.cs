using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;

namespace QrMahalla.Gateway.Apis;

/// <summary>The signed-in user's own account and sessions. Every call re-checks that the token's session is live.</summary>
public static class MeApi
{
    public static IEndpointRouteBuilder MapMeApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/users").WithTags("Account").RequireAuthorization();

        api.MapPost("/logout", LogoutAsync).WithName("Logout").WithSummary("Revoke the current session.").Produces(204);
        api.MapPost("/logout/all", LogoutAllAsync).WithName("LogoutAll").WithSummary("Revoke every session of the user.").Produces(204);
        api.MapGet("/me", GetProfileAsync).WithName("GetProfile").WithSummary("The signed-in user's profile.").Produces<ProfileResponse>();
        api.MapPatch("/me", UpdateProfileAsync).WithName("UpdateProfile")
            .WithSummary("Update first_name, last_name, passport_id or address.")
            .Accepts<ProfilePatch>("application/json").Produces<ProfileResponse>().Produces<ApiError>(400);
        api.MapDelete("/me", DeleteAccountAsync).WithName("DeleteAccount")
            .WithSummary("Delete the account: profile, sessions and phone binding.").Produces(204);
        api.MapGet("/me/sessions", GetSessionsAsync).WithName("ListSessions").WithSummary("The user's device sessions.")
            .Produces<List<SessionResponse>>();
        api.MapDelete("/me/sessions/{deviceId}", RevokeSessionAsync).WithName("RevokeSession")
            .WithSummary("Revoke the session of one device.").Produces(204).Produces<ApiError>(404);
        return routes;
    }

    private static async Task<IResult> LogoutAsync(ClaimsPrincipal user, IGrainFactory grains)
    {
        var (grain, sid) = Caller(user, grains);
        return Outcomes.ToHttp((await grain.LogoutAsync(sid)).Status, TypedResults.NoContent);
    }

    private static async Task<IResult> LogoutAllAsync(ClaimsPrincipal user, IGrainFactory grains)
    {
        var (grain, sid) = Caller(user, grains);
        return Outcomes.ToHttp((await grain.LogoutAllAsync(sid)).Status, TypedResults.NoContent);
    }

    private static async Task<IResult> GetProfileAsync(ClaimsPrincipal user, IGrainFactory grains)
    {
        var (grain, sid) = Caller(user, grains);
        var result = await grain.GetProfileAsync(sid);
        return Outcomes.ToHttp(result.Status, () => TypedResults.Ok(ProfileResponse.From(result.Profile!)));
    }

    private static async Task<IResult> UpdateProfileAsync(HttpContext context, ClaimsPrincipal user, IGrainFactory grains)
    {
        var (body, error) = await RequestBody.ReadAsync(context.Request);
        if (body is null)
        {
            return error!;
        }

        var (grain, sid) = Caller(user, grains);
        var update = new ProfileUpdate(body["first_name"], body["last_name"], body["passport_id"], body["address"]);
        var result = await grain.UpdateProfileAsync(sid, update);
        return result.Status == AccountStatus.Invalid
            ? Errors.InvalidRequest(result.Error!)
            : Outcomes.ToHttp(result.Status, () => TypedResults.Ok(ProfileResponse.From(result.Profile!)));
    }

    private static async Task<IResult> DeleteAccountAsync(HttpContext context, ClaimsPrincipal user, IGrainFactory grains)
    {
        var (grain, sid) = Caller(user, grains);
        var deleted = await grains.GetGrain<IAccountDeletionGrain>(0).DeleteOwnAsync(grain.GetPrimaryKey(), sid, context.ClientInfo());
        return Outcomes.ToHttp(deleted.Status, TypedResults.NoContent);
    }

    private static async Task<IResult> GetSessionsAsync(ClaimsPrincipal user, IGrainFactory grains)
    {
        var (grain, sid) = Caller(user, grains);
        var result = await grain.GetSessionsAsync(sid);
        return Outcomes.ToHttp(result.Status, () => TypedResults.Ok(result.Sessions.Select(SessionResponse.From).ToList()));
    }

    private static async Task<IResult> RevokeSessionAsync(string deviceId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var (grain, sid) = Caller(user, grains);
        return Outcomes.ToHttp((await grain.RevokeDeviceAsync(sid, deviceId)).Status, TypedResults.NoContent);
    }

    /// <summary>The user grain and session named by a validated access token (sub is a Guid: the silo minted it).</summary>
    private static (IUserGrain Grain, string SessionId) Caller(ClaimsPrincipal user, IGrainFactory grains) =>
        (grains.GetGrain<IUserGrain>(Guid.Parse(user.FindFirstValue(JwtRegisteredClaimNames.Sub)!)), user.FindFirstValue("sid") ?? "");
}

public sealed record ProfilePatch(
    string? FirstName,
    string? LastName,
    string? PassportId,
    string? Address);

public record ProfileResponse(
    Guid Id,
    string Phone,
    string FirstName,
    string LastName,
    string PassportId,
    string Address,
    string Role,
    bool IsActive,
    bool IsVerified,
    bool IsStaff,
    DateTimeOffset DateJoined)
{
    public static ProfileResponse From(UserProfile p) => new(
        p.Id, p.Phone, p.FirstName, p.LastName, p.PassportId, p.Address, p.Role, p.IsActive, p.IsVerified, p.IsStaff, p.DateJoined);
}

public sealed record SessionResponse(
    string DeviceId,
    string DeviceName,
    string? Ip,
    string? UserAgent,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastSeenAt,
    bool Current)
{
    public static SessionResponse From(SessionView s) => new(s.DeviceId, s.DeviceName, s.Ip, s.UserAgent, s.CreatedAt, s.LastSeenAt, s.Current);
}
