// rss-parser (npm) reads an Atom document from standard input and prints, as JSON, what a
// reader built on it shows: each item's id, title and link (tests/feeds/test_feed_readers.py).
const Parser = require("rss-parser");

let xml = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { xml += chunk; });
process.stdin.on("end", async () => {
  const feed = await new Parser().parseString(xml);
  const items = feed.items.map((item) => ({ id: item.id, title: item.title, link: item.link }));
  process.stdout.write(JSON.stringify({ title: feed.title, items }));
});
