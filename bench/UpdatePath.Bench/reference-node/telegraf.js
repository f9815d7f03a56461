// The update-path benchmark's Telegraf reference (ReferenceBot.cs starts it): a webhook bot written as Telegraf's docs
// write one, its webhookCallback on Node's http server. /start is answered inline with the mesh's reply: its greeting in
// HTML, its main menu's six buttons with their labels and callback data. One setting differs from Telegraf's defaults:
// webhookReply off, so that the reply is a sendMessage call of its own, to the benchmark's sink, as the mesh's and the
// other references' are (on, Telegraf would write it into the webhook's answer, for Telegram to perform: work nobody here
// would do or count). Connections are kept alive by Node's global agent (Node 19 and later).
// Arguments: the Bot API root (the sink), the webhook secret. Prints its URL and versions; stops when stdin ends.
const { greeting, serve } = require("./serve.js");
const { Markup, Telegraf } = require("telegraf");

const [apiRoot, secret] = process.argv.slice(2);
const bot = new Telegraf("1234567:reference-bot-token", { telegram: { apiRoot, webhookReply: false } });
// Known up front, as a deployed bot may give it: no getMe at start (the sink does not know this token).
bot.botInfo = { id: 1234567, is_bot: true, first_name: "Reference", username: "reference_bot", can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false };
const menu = Markup.inlineKeyboard([
  [Markup.button.callback("🪙 Buy tokens", "mn:main:1:billing"), Markup.button.callback("⭐ Subscription", "mn:main:1:subscription")],
  [Markup.button.callback("🆘 Support", "mn:main:1:support"), Markup.button.callback("👤 Profile", "mn:profile:1:")],
  [Markup.button.callback("🌐 Language", "mn:language:1:"), Markup.button.callback("❓ Help", "mn:help:1:")],
]);
bot.start((ctx) => ctx.replyWithHTML(greeting(ctx.from.first_name), menu));
// As Telegraf's docs have it: an error is logged, not left to crash the process.
bot.catch((err, ctx) => console.error(`update ${ctx.update.update_id}: ${err}`));

serve(bot.webhookCallback("/", { secretToken: secret }), "Telegraf", "telegraf");
