using System.Text.Json.Nodes;
using Mesh.TelegramSandbox.Bots;
using Mesh.TelegramSandbox.Limits;

namespace Mesh.TelegramSandbox.BotApi;

/// <summary>sendInvoice and answerPreCheckoutQuery for Telegram Stars (<c>XTR</c>).</summary>
public sealed class PaymentMethods(SendRateLimiter limiter, TimeProvider clock) : IBotApiMethods
{
    public void Map(BotApiRouter router)
    {
        router.Method("sendInvoice", SendInvoiceAsync);
        router.Method("answerPreCheckoutQuery", AnswerPreCheckoutQueryAsync);
    }

    private ValueTask<BotApiResult> SendInvoiceAsync(BotApiCall call)
    {
        var (bot, args) = (call.Bot, call.Args);
        var title = args.String("title");
        var description = args.String("description");
        var payload = args.String("payload");
        var currency = args.String("currency");
        if (string.IsNullOrEmpty(title) || title.Length > 32) throw BotApiException.BadRequest("INVOICE_TITLE_INVALID");
        if (string.IsNullOrEmpty(description) || description.Length > 255) throw BotApiException.BadRequest("INVOICE_DESCRIPTION_INVALID");
        if (string.IsNullOrEmpty(payload) || System.Text.Encoding.UTF8.GetByteCount(payload) > 128) throw BotApiException.BadRequest("INVOICE_PAYLOAD_INVALID");
        if (currency != "XTR") throw BotApiException.BadRequest("CURRENCY_INVALID");
        var prices = args.Array("prices", "can't parse prices JSON object") ?? throw BotApiException.BadRequest("prices is empty");
        if (prices.Count != 1) throw BotApiException.BadRequest("STARS_INVOICE_INVALID");
        var total = prices.Sum(p => p?["amount"]?.GetValue<long>() ?? 0);
        if (total <= 0) throw BotApiException.BadRequest("STARS_INVOICE_INVALID");
        var markup = args.Object("reply_markup", "can't parse reply keyboard markup JSON object");
        ReplyMarkupValidator.Validate(markup);

        lock (bot.Sync)
        {
            var chat = ChatLookup.Require(bot, args, writing: true);
            limiter.Take(bot.Id, chat.Id);
            var message = new SandboxMessage
            {
                MessageId = chat.NextMessageId(),
                Date = clock.GetUtcNow().ToUnixTimeSeconds(),
                FromBot = true,
                Text = title,
                ReplyMarkup = markup,
                Invoice = new JsonObject
                {
                    ["title"] = title,
                    ["description"] = description,
                    ["start_parameter"] = args.String("start_parameter") ?? "",
                    ["currency"] = currency,
                    ["total_amount"] = total,
                },
                InvoicePayload = payload,
            };
            chat.Messages.Add(message);
            chat.Changed.Pulse();
            return ValueTask.FromResult(new BotApiResult(TelegramJson.Message(bot, chat, message)));
        }
    }

    /// <summary>ok=true completes the payment: the user's chat gets a successful_payment service message and update.</summary>
    private ValueTask<BotApiResult> AnswerPreCheckoutQueryAsync(BotApiCall call)
    {
        var (bot, args) = (call.Bot, call.Args);
        var id = args.String("pre_checkout_query_id");
        if (string.IsNullOrEmpty(id)) throw BotApiException.BadRequest("pre_checkout_query_id is empty");
        var ok = args.Bool("ok");
        var error = args.String("error_message");
        if (!ok && string.IsNullOrEmpty(error)) throw BotApiException.BadRequest("error_message is empty");
        lock (bot.Sync)
        {
            // As for a callback query: one never issued, one answered already, one past its timeout (the payment failed).
            if (!bot.PreCheckoutQueries.TryGetValue(id, out var query) || query.Ok is not null || clock.GetUtcNow() > query.AnswerBy)
                throw BotApiException.QueryTooOld();
            query.Ok = ok;
            query.ErrorMessage = ok ? null : error;
            if (ok && bot.Chats.TryGetValue(query.ChatId, out var chat))
            {
                var message = new SandboxMessage
                {
                    MessageId = chat.NextMessageId(),
                    Date = clock.GetUtcNow().ToUnixTimeSeconds(),
                    FromBot = false,
                    SuccessfulPayment = new JsonObject
                    {
                        ["currency"] = query.Currency,
                        ["total_amount"] = query.TotalAmount,
                        ["invoice_payload"] = query.Payload,
                        ["telegram_payment_charge_id"] = "stxsandbox" + query.Id,
                        ["provider_payment_charge_id"] = "",
                    },
                };
                chat.Messages.Add(message);
                query.PaymentMessageId = message.MessageId;
                bot.Enqueue("message", chat.Id, TelegramJson.Message(bot, chat, message), clock.GetUtcNow());
                chat.Changed.Pulse();
            }
            return ValueTask.FromResult(BotApiResult.True);
        }
    }
}
