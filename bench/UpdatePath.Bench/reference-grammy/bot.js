// The update-path benchmark's grammY reference (ReferenceBot.cs starts it): a webhook bot written as grammY's docs write
// one, on Node's http server. /start is answered inline with the mesh's greeting and six-button menu, sendMessage going to
// the benchmark's sink. Arguments: the Bot API root (the sink), the webhook secret. Prints its URL; stops when stdin ends.
const http = require("node:http");
const { Bot, InlineKeyboard, webhookCallback } = require("grammy");

const [apiRoot, secret] = process.argv.slice(2);
const bot = new Bot("1234567:reference-bot-token", {
  // Known up front, as a deployed bot may give it: no getMe at start (the sink does not know this token).
  botInfo: { id: 1234567, is_bot: true, first_name: "Reference", username: "reference_bot", can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false, can_connect_to_business: false, has_main_web_app: false },
  // Keep-alive to the Bot API, as grammY's default agent has for api.telegram.org over HTTPS.
  client: { apiRoot, baseFetchConfig: { agent: new http.Agent({ keepAlive: true }) } },
});
const menu = new InlineKeyboard()
  .text("💎 Buy tokens", "m:billing").text("⭐ Subscription", "m:subscription").row()
  .text("🆘 Support", "m:support").text("👤 Profile", "m:profile").row()
  .text("🌐 Language", "m:language").text("❓ Help", "m:help");
bot.command("start", (ctx) => ctx.reply(`Hello, ${ctx.from.first_name}! 👋`, { reply_markup: menu }));

const server = http.createServer(webhookCallback(bot, "http", { secretToken: secret }));
server.keepAliveTimeout = 300_000;
server.listen(0, "127.0.0.1", () => console.log(`http://127.0.0.1:${server.address().port}/`));
process.stdin.on("end", () => server.close(() => process.exit(0)));
process.stdin.resume();
