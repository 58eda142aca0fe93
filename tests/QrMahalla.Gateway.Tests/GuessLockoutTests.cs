using System.Net;

namespace QrMahalla.Gateway.Tests;

/// <summary>The shared settings with the lockout for wrong guesses in a row back at its default (10).</summary>
public sealed class GuessLockoutFactory() : GatewayFactory(TestSettings.NewTempFolder("guess-lockout"), new()
{
    ["Otp:MaxFailedVerifications"] = "10",
});

/// <summary>Wrong guesses are counted per phone across codes, so new codes do not buy an attacker new guesses.</summary>
public sealed class GuessLockoutTests(GuessLockoutFactory factory) : IClassFixture<GuessLockoutFactory>
{
    private readonly Api api = new(factory.CreateClient(), factory.Outbox);

    [Fact]
    public async Task Ten_wrong_guesses_in_a_row_across_codes_lock_the_phone_and_the_next_lockout_lasts_twice_as_long()
    {
        var phone = TestSettings.NewPhone();

        var first = await GuessWrongUntilLockedAsync(phone);

        Assert.Equal(10, first.Guesses);
        Assert.Equal(3600, first.RetryAfter);
        await Api.Error(await api.SendCodeAsync(phone), HttpStatusCode.TooManyRequests, "rate_limited");
        await Api.Error(await api.VerifyAsync(phone, factory.Outbox.LatestCodeFor(phone)), HttpStatusCode.TooManyRequests, "rate_limited");
        var status = await factory.Grains.GetGrain<IPhoneGrain>(phone).GetStatusAsync();
        Assert.Equal(factory.Time.GetUtcNow().AddHours(1), status.LockedUntil);

        factory.Time.Advance(TimeSpan.FromHours(1));
        var second = await GuessWrongUntilLockedAsync(phone);

        Assert.Equal(10, second.Guesses);
        Assert.Equal(7200, second.RetryAfter);
    }

    [Fact]
    public async Task A_login_starts_the_count_again()
    {
        var phone = TestSettings.NewPhone();
        await GuessWrongAsync(phone, 5);
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        await GuessWrongAsync(phone, 4);
        Assert.Equal(HttpStatusCode.OK, (await api.VerifyAsync(phone, factory.Outbox.LatestCodeFor(phone))).StatusCode);

        factory.Time.Advance(TimeSpan.FromSeconds(61));
        await GuessWrongAsync(phone, 5);
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        await GuessWrongAsync(phone, 4);

        Assert.Equal(HttpStatusCode.OK, (await api.VerifyAsync(phone, factory.Outbox.LatestCodeFor(phone))).StatusCode);
        Assert.Null((await factory.Grains.GetGrain<IPhoneGrain>(phone).GetStatusAsync()).LockedUntil);
    }

    /// <summary>Fresh codes after each cooldown, each guessed wrong, until an answer says the phone is locked.</summary>
    private async Task<(int Guesses, int RetryAfter)> GuessWrongUntilLockedAsync(string phone)
    {
        var guesses = 0;
        while (true)
        {
            Assert.Equal(HttpStatusCode.OK, (await api.SendCodeAsync(phone)).StatusCode);
            var wrong = Wrong(factory.Outbox.LatestCodeFor(phone));
            for (var i = 0; i < 5; i++)
            {
                var answer = await api.VerifyAsync(phone, wrong);
                guesses++;
                if (answer.StatusCode == HttpStatusCode.TooManyRequests
                    && (await factory.Grains.GetGrain<IPhoneGrain>(phone).GetStatusAsync()).LockedUntil is not null)
                {
                    var body = await Api.Error(answer, HttpStatusCode.TooManyRequests, "too_many_attempts");
                    return (guesses, body.GetProperty("retry_after").GetInt32());
                }
            }

            Assert.True(guesses < 50, "the phone never locked");
            factory.Time.Advance(TimeSpan.FromSeconds(61));
        }
    }

    private async Task GuessWrongAsync(string phone, int guesses)
    {
        Assert.Equal(HttpStatusCode.OK, (await api.SendCodeAsync(phone)).StatusCode);
        var wrong = Wrong(factory.Outbox.LatestCodeFor(phone));
        for (var i = 0; i < guesses; i++)
        {
            // A wrong guess is a 400 until the fifth kills the code (429 too_many_attempts); a locked phone would be 429 sooner.
            var expected = i == 4 ? HttpStatusCode.TooManyRequests : HttpStatusCode.BadRequest;
            Assert.Equal(expected, (await api.VerifyAsync(phone, wrong)).StatusCode);
        }
    }

    private static string Wrong(string code) => code == "000000" ? "111111" : "000000";
}
