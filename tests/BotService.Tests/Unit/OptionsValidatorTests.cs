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
    [InlineData("DeadLetterLimit")]
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
                case "DeadLetterLimit": o.DeadLetterLimit = 0; break;
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
    static IEnumerable<string> Failures(Action<Mesh.Bot.Telegram.TelegramOptions> change, string environment = "Production")
    {
        var options = new Mesh.Bot.Telegram.TelegramOptions { BotToken = "1:token" };
        change(options);
        var host = new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = environment };
        return new Mesh.Bot.Telegram.TelegramOptionsValidator(host).Validate(null, options).Failures ?? [];
    }

    [Fact]
    public void Webhook_mode_outside_development_needs_the_secret_the_gateway_checks()
    {
        var failure = Assert.Single(Failures(o => o.PublicUrl = "https://bot.example.com"));
        Assert.StartsWith("Telegram:WebhookSecret is required in webhook mode", failure);
        Assert.Empty(Failures(o => { o.PublicUrl = "https://bot.example.com"; o.WebhookSecret = "s3cret_-X"; }));
        Assert.Empty(Failures(o => o.PublicUrl = "https://bot.example.com", environment: "Development"));
        Assert.Empty(Failures(_ => { })); // polling: no webhook, no secret
    }

    [Theory]
    [InlineData("with space")]
    [InlineData("semi;colon")]
    [InlineData("ключ")]
    public void A_secret_telegram_would_refuse_is_refused_by_its_key(string secret) =>
        Assert.StartsWith("Telegram:WebhookSecret must be 1–256 characters", Assert.Single(Failures(o => o.WebhookSecret = secret)));

    [Fact]
    public void An_http_webhook_is_refused_with_telegrams_own_api_only()
    {
        Assert.StartsWith("Telegram:PublicUrl must be https", Assert.Single(Failures(o => { o.PublicUrl = "http://bot.example.com"; o.WebhookSecret = "s"; })));
        Assert.Empty(Failures(o => { o.PublicUrl = "http://127.0.0.1:5000"; o.WebhookSecret = "s"; o.ApiBaseUrl = "http://127.0.0.1:5280"; }));
    }

    [Fact]
    public void Defaults_with_a_token_pass_and_no_limit_needs_no_burst()
    {
        Assert.Empty(Failures(_ => { }));
        Assert.Empty(Failures(o => { o.PerChatPerSecond = 0; o.PerChatBurst = 0; o.GlobalPerSecond = 0; o.GlobalBurst = 0; o.PerGroupPerMinute = 0; o.PerGroupBurst = 0; }));
    }

    [Theory]
    [InlineData("PerChatBurst")]
    [InlineData("GlobalBurst")]
    [InlineData("PerGroupPerMinute")]
    [InlineData("PerGroupBurst")]
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
                case "PerGroupPerMinute": o.PerGroupPerMinute = -20; break;
                case "PerGroupBurst": o.PerGroupBurst = 0; break;
                case "MaxSendAttempts": o.MaxSendAttempts = 0; break;
                case "SendRetryDelay": o.SendRetryDelay = TimeSpan.Zero; break;
                case "MaxRateLimitedRetries": o.MaxRateLimitedRetries = -1; break;
            }
        }));
        Assert.StartsWith($"Telegram:{key} ", failure);
    }
}
