using Mesh.Bot.Telegram;
using Mesh.Bot.Texts;
using Mesh.Bot.Updates;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Mesh.Bot.Conversations;

/// <summary>
/// What the conversation middlewares add to <see cref="BotContext"/>: the user's <c>Flow</c>, <c>Texts</c> in their
/// language, menus, editing in place and answering button presses.
/// </summary>
public static class ConversationContext
{
    const string FlowKey = "conversation.flow";
    const string TextsKey = "conversation.texts";
    const string AnsweredKey = "conversation.answered";
    const string RouteKey = "conversation.route";
    const string MenuKey = "conversation.menu";
    const string PressedMenuOwnerKey = "conversation.pressed-menu-owner";

    extension(BotContext ctx)
    {
        /// <summary>The user who sent the update (the chat, for updates without one).</summary>
        public long UserId => ctx.From?.Id ?? ctx.ChatId;

        /// <summary>Where this user is in this chat (Redis, versioned); read by <see cref="UserContext"/>.</summary>
        public ConversationFlow Flow
        {
            get => ctx.Items.TryGetValue(FlowKey, out var flow) && flow is ConversationFlow f
                ? f
                : throw new InvalidOperationException("The conversation is not loaded: UserContext runs before the router.");
            set => ctx.Items[FlowKey] = value;
        }

        /// <summary>Everything the bot says, in the user's language (<see cref="UserContext"/> reads it).</summary>
        public BotTexts Texts
        {
            get => ctx.Items.TryGetValue(TextsKey, out var texts) && texts is BotTexts t ? t : BotTexts.English;
            set => ctx.Items[TextsKey] = value;
        }

        public BotLanguage Language => ctx.Texts.Language;

        /// <summary>The user's current menu in this chat (read by <see cref="UserContext"/>, moved on by each draw).</summary>
        public MenuState Menu
        {
            get => ctx.Items.TryGetValue(MenuKey, out var menu) && menu is MenuState m ? m : default;
            set => ctx.Items[MenuKey] = value;
        }

        /// <summary>
        /// For a press on a group's menu that names its member (<see cref="GroupMenuButton"/>): that member, whom a redraw
        /// of it is for. Set by <see cref="BotDispatcher"/> once the press is found to be theirs; null otherwise.
        /// </summary>
        public long? PressedMenuOwner
        {
            get => ctx.Items.TryGetValue(PressedMenuOwnerKey, out var owner) ? owner as long? : null;
            set => ctx.Items[PressedMenuOwnerKey] = value;
        }

        /// <summary>The route that took the update, for logs and traces.</summary>
        public string? RouteName
        {
            get => ctx.Items.TryGetValue(RouteKey, out var name) ? name as string : null;
            set => ctx.Items[RouteKey] = value;
        }

        public bool CallbackAnswered => ctx.Items.ContainsKey(AnsweredKey);

        /// <summary>Answers the button press (a short notice, or nothing) so the user's spinner stops; once per update.</summary>
        public async Task AnswerAsync(string? notice = null)
        {
            if (ctx.Update.CallbackQuery is not { } query || !ctx.Items.TryAdd(AnsweredKey, true))
            {
                return;
            }
            await ctx.Services.GetRequiredService<OutboundSender>().AnswerCallbackAsync(ctx.ChatId, query.Id, notice, ctx.CancellationToken);
        }

        /// <summary>
        /// Replaces the text and buttons of the message whose button was pressed; for a message update (or a message that
        /// can no longer be edited) sends a new one. Returns the id of the message shown.
        /// </summary>
        public Task<int?> EditAsync(string text, InlineKeyboardMarkup? keyboard = null) =>
            ctx.EditAsync(ctx.Update.CallbackQuery?.Message?.Id ?? 0, text, keyboard);

        /// <summary>
        /// Replaces the text and buttons of the bot's message <paramref name="messageId"/> (0: none known); when it
        /// cannot be edited (gone, or none known), sends a new one. Returns the id of the message shown.
        /// </summary>
        public async Task<int?> EditAsync(int messageId, string text, InlineKeyboardMarkup? keyboard = null)
        {
            ctx.Handled = true;
            if (messageId != 0)
            {
                var sender = ctx.Services.GetRequiredService<OutboundSender>();
                var edited = await sender.EditAsync(ctx.ChatId, messageId, text, keyboard, ParseMode.Html, ctx.CancellationToken);
                if (edited.Outcome == SendOutcome.Sent)
                {
                    return messageId;
                }
            }
            return await ctx.SendAsync(text, keyboard);
        }

        /// <summary>
        /// Like <see cref="BotContext.ReplyAsync"/> (split over 4,096 characters, throws when it finally fails) but returns
        /// the id of the (last) message sent, or null when the chat blocked the bot.
        /// </summary>
        public async Task<int?> SendAsync(string text, InlineKeyboardMarkup? keyboard = null)
        {
            ctx.Handled = true;
            var sent = await ctx.Services.GetRequiredService<OutboundSender>().SendAsync(ctx.ChatId, text, keyboard, ParseMode.Html, ctx.ReplyTo, ctx.CancellationToken);
            return sent.Outcome == SendOutcome.Failed ? throw new TelegramSendFailed(ctx.ChatId, sent.Error) : sent.MessageId;
        }

        /// <summary>Sends <paramref name="screen"/> as a new menu message (e.g. on <c>/start</c>), <paramref name="header"/> above its text.</summary>
        public Task OpenMenuAsync(string screen, string? header = null) =>
            ctx.Services.GetRequiredService<BotMenus>().ShowAsync(ctx, screen, header, inPlace: false);

        /// <summary>Shows <paramref name="screen"/> in place of the pressed message (a new message if there is none).</summary>
        public Task ShowMenuAsync(string screen, string? header = null) =>
            ctx.Services.GetRequiredService<BotMenus>().ShowAsync(ctx, screen, header, inPlace: true);
    }
}
