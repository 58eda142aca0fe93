using QrMahalla.Grains;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Rules;

namespace QrMahalla.Unit.Tests;

/// <summary>What account fields may hold, the staff page size, and per-address limits that are off at 0.</summary>
public sealed class AccountRulesTests
{
    [Fact]
    public void Profile_fields_may_reach_their_maximum_length_and_no_further()
    {
        Assert.Null(AccountRules.Validate(new ProfileUpdate(new string('a', 100), new string('b', 100), new string('c', 20), new string('d', 500))));

        Assert.Equal("first_name must be at most 100 characters.", AccountRules.Validate(new ProfileUpdate(new string('a', 101), null, null, null)));
        Assert.Equal("last_name must be at most 100 characters.", AccountRules.Validate(new ProfileUpdate(null, new string('b', 101), null, null)));
        Assert.Equal("passport_id must be at most 20 characters.", AccountRules.Validate(new ProfileUpdate(null, null, new string('c', 21), null)));
        Assert.Equal("address must be at most 500 characters.", AccountRules.Validate(new ProfileUpdate(null, null, null, new string('d', 501))));
    }

    [Theory]
    [InlineData("user", true)]
    [InlineData("admin", true)]
    [InlineData("field_officer-2", true)]
    [InlineData("Admin", false)]
    [InlineData("2nd", false)]
    [InlineData("", false)]
    [InlineData("a234567890123456789012345678901", false)]
    public void A_staff_edit_may_set_only_a_well_formed_role(string role, bool valid)
    {
        Assert.Equal(valid ? null : AccountRules.RoleRule, AccountRules.Validate(new AdminUserUpdate(Role: role)));
    }

    [Fact]
    public void A_staff_edit_is_held_to_the_same_name_lengths_as_the_users_own()
    {
        Assert.Null(AccountRules.Validate(new AdminUserUpdate(IsActive: false)));
        Assert.Equal("last_name must be at most 100 characters.", AccountRules.Validate(new AdminUserUpdate(LastName: new string('b', 101))));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-5, 1)]
    [InlineData(25, 25)]
    [InlineData(100, 100)]
    [InlineData(1000, 100)]
    public void A_staff_page_holds_1_to_100_rows(int asked, int served)
    {
        Assert.Equal(served, AdminPaging.Clamp(asked));
    }

    [Fact]
    public void A_per_address_limit_of_0_is_off()
    {
        var options = new RateLimitingOptions { SendPerIpPerMinute = 0, VerifyPerIpPerMinute = 3 };

        Assert.False(options.IsLimited(RateLimitedAction.SendCode));
        Assert.True(options.IsLimited(RateLimitedAction.VerifyCode));
        Assert.Equal(3, options.LimitFor(RateLimitedAction.VerifyCode));
    }
}
