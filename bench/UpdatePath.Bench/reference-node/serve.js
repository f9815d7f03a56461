// What the Node reference bots share (grammy.js, telegraf.js): the mesh's reply text, and serving a webhook handler the
// way the benchmark runs a reference bot (ReferenceBot.cs): on Node's http server at a free port of 127.0.0.1, its URL
// and versions printed as the first line, stopped when stdin ends.
const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");

// The mesh's /start reply in English: its greeting and question, in HTML, the name escaped.
const greeting = (firstName) =>
  `Hello, ${firstName.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")}! 👋\nWhat would you like to do?`;

// Serves the webhook handler; `framework` and `pkg` name what the first line reports.
function serve(handler, framework, pkg) {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 300_000;
  server.listen(0, "127.0.0.1", () =>
    console.log(`http://127.0.0.1:${server.address().port}/ node ${process.version}, ${framework} ${versionOf(pkg)}`));
  process.stdin.on("end", () => server.close(() => process.exit(0)));
  process.stdin.resume();
}

// A package's version, read from its folder (a package's package.json need not be among its exports).
function versionOf(name) {
  return JSON.parse(fs.readFileSync(path.join(__dirname, "node_modules", name, "package.json"), "utf8")).version;
}

module.exports = { greeting, serve };
