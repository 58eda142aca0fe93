using Microsoft.Extensions.Options;
using QrMahalla.Gateway.Auth;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Phones;
using QrMahalla.Grains.Telemetry;

namespace QrMahalla.Gateway.Apis;

/// <summary>The login endpoint of the old Django service, body for body, and token refresh.</summary>
public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder routes)
    {
        // "*/*" keeps routing from answering 415 itself: a body that is neither JSON nor a form must get this API's
        // 400 JSON error, as old clients expect.
        var api = routes.MapGroup("/api/users").WithTags("Auth");

        api.MapPost("/auth", AuthenticateAsync)
            .WithName("Authenticate")
            .WithSummary("Send {phone} to get an SMS code; send {phone, code, device_id, device_name} to get tokens.")
            .Accepts<AuthRequest>("application/json", "application/x-www-form-urlencoded", "*/*")
            .Produces<CodeSentResponse>()
            .Produces<LoginResponse>()
            .Produces<ApiError>(400).Produces<ApiError>(403).Produces<ApiError>(413).Produces<ApiError>(429)
            .Produces<ApiError>(502).Produces<ApiError>(503)
            .RequireCors(Hosting.HttpEdge.CorsPolicy);

        api.MapPost("/token/refresh", RefreshAsync)
            .WithName("RefreshToken")
            .WithSummary("Trade a refresh token for a new access and refresh token; the old refresh token dies.")
            .Accepts<RefreshRequestBody>("application/json", "application/x-www-form-urlencoded", "*/*")
            .Produces<TokenResponse>()
            .Produces<ApiError>(400).Produces<ApiError>(401).Produces<ApiError>(403).Produces<ApiError>(503);

        return routes;
    }

    private static async Task<IResult> AuthenticateAsync(
        HttpContext context, IGrainFactory grains, PhoneNumberParser phones, IOptions<OtpOptions> otp,
        IOptions<RateLimitingOptions> limits, QrMahallaMetrics metrics)
    {
        var (body, error) = await RequestBody.ReadAsync(context.Request);
        if (body is null)
        {
            return error!;
        }

        if (string.IsNullOrWhiteSpace(body["phone"]))
        {
            return Errors.InvalidRequest("Field 'phone' is required.");
        }

        var phone = phones.Parse(body["phone"]);
        switch (phone.Status)
        {
            case PhoneParseStatus.Invalid:
                return Errors.InvalidPhone();
            case PhoneParseStatus.RegionNotAllowed:
                return Errors.RegionNotAllowed();
        }

        var verifying = body.Has("code");
        var code = body["code"]?.Trim();
        if (verifying && !otp.Value.IsWellFormed(code))
        {
            return Errors.InvalidRequest("Field 'code' must be the digits of the code from the SMS.");
        }

        // Per-address limits come first and are cluster-wide: one grain per client address, whichever gateway asks.
        // A limit set to 0 is off: the request then skips the grain call altogether (one hop less).
        var action = verifying ? RateLimitedAction.VerifyCode : RateLimitedAction.SendCode;
        var address = grains.GetGrain<IClientAddressGrain>(ClientAddress.LimiterKey(context.Connection.RemoteIpAddress));
        if (limits.Value.IsLimited(action) && await address.TryAcquireAsync(action) is { Allowed: false } refused)
        {
            metrics.RateLimited("address", verifying ? "verify" : "send");
            return Errors.RateLimited(context, "Too many requests from this address; wait before trying again.", "rate_limited", refused.RetryAfterSeconds);
        }

        var grain = grains.GetGrain<IPhoneGrain>(phone.E164!);
        var client = context.ClientInfo();
        if (!verifying)
        {
            var sent = await grain.RequestCodeAsync(client);
            return Outcomes.ToHttp(sent, phone.E164!, context, metrics);
        }

        var device = new DeviceInfo(
            ClientAddress.Truncate(body["device_id"]?.Trim(), 128),
            ClientAddress.Truncate(body["device_name"]?.Trim(), 128),
            client.Ip,
            client.UserAgent);
        var verified = await grain.VerifyAsync(code!, device);
        return Outcomes.ToHttp(verified, context, metrics);
    }

    private static async Task<IResult> RefreshAsync(
        HttpContext context, IGrainFactory grains, RefreshTokenValidator validator, QrMahallaMetrics metrics)
    {
        var (body, error) = await RequestBody.ReadAsync(context.Request);
        if (body is null)
        {
            return error!;
        }

        var token = body["refresh"];
        if (string.IsNullOrWhiteSpace(token))
        {
            return Errors.InvalidRequest("Field 'refresh' is required.");
        }

        if (await validator.ValidateAsync(token, context.RequestAborted) is not { } claims || !Guid.TryParse(claims.UserId, out var userId))
        {
            metrics.Refreshed("invalid_token");
            return Errors.InvalidToken();
        }

        var result = await grains.GetGrain<IUserGrain>(userId)
            .RefreshAsync(new RefreshRequest(claims.SessionId, claims.TokenId, token, context.ClientInfo()));
        return Outcomes.ToHttp(result, metrics);
    }
}

/// <summary>Request body of <c>POST /api/users/auth/</c> (for the OpenAPI document; the handler reads JSON or a form).</summary>
public sealed record AuthRequest(
    string Phone,
    string? Code,
    string? DeviceId,
    string? DeviceName);

public sealed record RefreshRequestBody(string Refresh);

public sealed record CodeSentResponse(
    string Message,
    string Phone,
    string Detail,
    int ExpiresIn,
    int ResendAfter);

public sealed record LoginResponse(
    string Access,
    string Refresh,
    LoginUser User);

public sealed record LoginUser(
    Guid Id,
    string Phone,
    string Role,
    string FirstName,
    string LastName);

public sealed record TokenResponse(
    string Access,
    string Refresh);
