// The update-path benchmark's grammY reference (ReferenceBot.cs starts it): a webhook bot written as grammY's docs write
// one, on Node's http server with grammY's "http" adapter and its defaults (no webhook reply: sendMessage is a call of its
// own, to the benchmark's sink; grammY's Node build already keeps its connections alive). /start is answered inline with
// the mesh's reply: its greeting in HTML, its main menu's six buttons with their labels and callback data.
// Arguments: the Bot API root (the sink), the webhook secret. Prints its URL and versions; stops when stdin ends.
const { greeting, serve } = require("./serve.js");
const { Bot, InlineKeyboard, webhookCallback } = require("grammy");

const [apiRoot, secret] = process.argv.slice(2);
const bot = new Bot("1234567:reference-bot-token", {
  // Known up front, as a deployed bot may give it: no getMe at start (the sink does not know this token).
  botInfo: { id: 1234567, is_bot: true, first_name: "Reference", username: "reference_bot", can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false, can_connect_to_business: false, has_main_web_app: false },
  client: { apiRoot },
});
const menu = new InlineKeyboard()
  .text("🪙 Buy tokens", "mn:main:1:billing").text("⭐ Subscription", "mn:main:1:subscription").row()
  .text("🆘 Support", "mn:main:1:support").text("👤 Profile", "mn:profile:1:").row()
  .text("🌐 Language", "mn:language:1:").text("❓ Help", "mn:help:1:");
bot.command("start", (ctx) =>
  ctx.reply(greeting(ctx.from.first_name), { parse_mode: "HTML", reply_markup: menu }));
// As grammY's guide on errors has it: an error is logged, not left to crash the process.
bot.catch((err) => console.error(`update ${err.ctx?.update?.update_id}: ${err.error}`));

serve(webhookCallback(bot, "http", { secretToken: secret }), "grammY", "grammy");
