using Microsoft.Extensions.Options;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Phones;

namespace QrMahalla.Unit.Tests;

public sealed class PhoneNumberTests
{
    private readonly PhoneNumberParser parser = new(Options.Create(new PhoneOptions()), Options.Create(new SmsOptions()));

    [Theory]
    [InlineData("+998901234567")]
    [InlineData("+998 90 123 45 67")]
    [InlineData("+998 90 123-45-67")]
    [InlineData("998901234567")]
    [InlineData("90 123 45 67")]
    [InlineData(" (90) 123-45-67 ")]
    public void Every_way_of_writing_one_number_is_one_person(string input)
    {
        var result = parser.Parse(input);

        Assert.Equal(PhoneParseStatus.Ok, result.Status);
        Assert.Equal("+998901234567", result.E164);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("+99890123")]
    [InlineData("+998712345678")]
    [InlineData("12345678901234567890123456789012345")]
    public void Malformed_invalid_and_landline_numbers_are_refused(string input) =>
        Assert.Equal(PhoneParseStatus.Invalid, parser.Parse(input).Status);

    [Fact]
    public void Logs_show_phone_numbers_masked()
    {
        Assert.Equal("+99890*****67", PhoneMask.Mask("+998901234567"));
        Assert.Equal("grain phone/+99890*****67 timed out; +14155****71 too",
            PhoneMask.MaskAll("grain phone/+998901234567 timed out; +14155552671 too"));
        Assert.Equal("no number here", PhoneMask.MaskAll("no number here"));
    }

    [Fact]
    public void Numbers_outside_the_allowed_regions_are_refused() =>
        Assert.Equal(PhoneParseStatus.RegionNotAllowed, parser.Parse("+14155552671").Status);
}
