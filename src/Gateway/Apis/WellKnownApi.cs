using Microsoft.IdentityModel.Tokens;
using QrMahalla.Gateway.Auth;
using Scalar.AspNetCore;

namespace QrMahalla.Gateway.Apis;

public static class WellKnownApi
{
    public static IEndpointRouteBuilder MapWellKnownApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/.well-known/jwks.json", GetJwksAsync)
            .WithTags("Keys").WithName("Jwks").WithSummary("The public keys that verify this service's tokens.");
        return routes;
    }

    /// <summary>The OpenAPI document at <c>/openapi/v1.json</c> and a readable reference at <c>/scalar/v1</c>.</summary>
    public static IEndpointRouteBuilder MapApiReference(this IEndpointRouteBuilder routes)
    {
        routes.MapOpenApi();
        routes.MapScalarApiReference();
        return routes;
    }

    private static async Task<Ok<JwksDocument>> GetJwksAsync(ClusterSigningKeys keys, HttpContext context)
    {
        var snapshot = await keys.GetAsync(context.RequestAborted);
        context.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Ok(new JwksDocument(snapshot.Published
            .Select(k => new Jwk("EC", k.Crv, k.X, k.Y, k.Kid, JsonWebKeyUseNames.Sig, SecurityAlgorithms.EcdsaSha256))
            .ToList()));
    }
}

public sealed record JwksDocument(IReadOnlyList<Jwk> Keys);

/// <summary>Only public members exist on this type: there is nowhere for <c>d</c> to go.</summary>
public sealed record Jwk(
    string Kty,
    string Crv,
    string X,
    string Y,
    string Kid,
    string Use,
    string Alg);
