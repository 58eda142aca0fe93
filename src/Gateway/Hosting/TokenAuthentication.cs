using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using QrMahalla.Gateway.Auth;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Tokens;

namespace QrMahalla.Gateway.Hosting;

/// <summary>Access tokens checked against the keys the cluster publishes; a refused token gets the API's own 401 body.</summary>
public static class TokenAuthentication
{
    public static WebApplicationBuilder AddTokenAuthentication(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(sp => new ClusterSigningKeys(sp.GetRequiredService<IGrainFactory>(), TimeProvider.System));
        builder.Services.AddSingleton<RefreshTokenValidator>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<JwtOptions>, RuleClock, ClusterSigningKeys>((options, jwt, clock, keys) =>
            {
                options.MapInboundClaims = false;
                options.RequireHttpsMetadata = false;
                options.ConfigurationManager = new ClusterKeysConfigurationManager(keys);
                options.TokenValidationParameters = TokenValidation.Parameters(jwt.Value, clock, TokenIssuer.AccessTokenType);
                options.Events = new JwtBearerEvents
                {
                    OnChallenge = async context =>
                    {
                        context.HandleResponse();
                        await Errors.InvalidToken().ExecuteAsync(context.HttpContext);
                    },
                };
            });
        builder.Services.AddAuthorization();
        return builder;
    }
}
