using Microsoft.Extensions.Options;

namespace Mesh.Bot.Tests.Unit;

public sealed class BotOptionsValidatorTests
{
    static ValidateOptionsResult Validate(Action<BotOptions> change)
    {
        var options = new BotOptions();
        change(options);
        return new BotOptionsValidator().Validate(null, options);
    }

    [Fact]
    public void Defaults_and_the_test_settings_pass()
    {
        Assert.True(Validate(_ => { }).Succeeded);
        Assert.True(Validate(o => { o.LeaseDuration = TimeSpan.FromSeconds(2); o.ReorderWindow = TimeSpan.Zero; o.MaxAttempts = 1; o.Workers = 1; }).Succeeded);
    }

    [Theory]
    [InlineData("Workers")]
    [InlineData("LeaseDuration")]
    [InlineData("DeduplicationWindow")]
    [InlineData("MaxAttempts")]
    [InlineData("RetryDelay")]
    [InlineData("ReorderWindow")]
    [InlineData("IdlePollInterval")]
    public void A_setting_that_would_break_the_update_path_is_refused_by_its_key(string key)
    {
        var result = Validate(o =>
        {
            switch (key)
            {
                case "Workers": o.Workers = 0; break;
                case "LeaseDuration": o.LeaseDuration = TimeSpan.FromMilliseconds(500); break;
                case "DeduplicationWindow": o.DeduplicationWindow = TimeSpan.FromHours(1); break;
                case "MaxAttempts": o.MaxAttempts = 0; break;
                case "RetryDelay": o.RetryDelay = TimeSpan.Zero; break;
                case "ReorderWindow": o.ReorderWindow = TimeSpan.FromMilliseconds(-1); break;
                case "IdlePollInterval": o.IdlePollInterval = TimeSpan.Zero; break;
            }
        });

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith($"Bot:{key} ", failure);
    }
}

public sealed class TelegramOptionsValidatorTests
{
    static IEnumerable<string> Failures(Action<Mesh.Bot.Telegram.TelegramOptions> change)
    {
        var options = new Mesh.Bot.Telegram.TelegramOptions { BotToken = "1:token" };
        change(options);
        return new Mesh.Bot.Telegram.TelegramOptionsValidator().Validate(null, options).Failures ?? [];
    }

    [Fact]
    public void Defaults_with_a_token_pass_and_no_limit_needs_no_burst()
    {
        Assert.Empty(Failures(_ => { }));
        Assert.Empty(Failures(o => { o.PerChatPerSecond = 0; o.PerChatBurst = 0; o.GlobalPerSecond = 0; o.GlobalBurst = 0; }));
    }

    [Theory]
    [InlineData("PerChatBurst")]
    [InlineData("GlobalBurst")]
    [InlineData("MaxSendAttempts")]
    [InlineData("SendRetryDelay")]
    [InlineData("MaxRateLimitedRetries")]
    public void A_sender_setting_that_cannot_work_is_refused_by_its_key(string key)
    {
        var failure = Assert.Single(Failures(o =>
        {
            switch (key)
            {
                case "PerChatBurst": o.PerChatBurst = 0; break;
                case "GlobalBurst": o.GlobalBurst = 0; break;
                case "MaxSendAttempts": o.MaxSendAttempts = 0; break;
                case "SendRetryDelay": o.SendRetryDelay = TimeSpan.Zero; break;
                case "MaxRateLimitedRetries": o.MaxRateLimitedRetries = -1; break;
            }
        }));
        Assert.StartsWith($"Telegram:{key} ", failure);
    }
}
