// Writes docs/websockets.md from the socket message schemas in src/domain/socket-messages.ts
// (`--check`: fail when it differs).
import { build } from "esbuild";
import { readFile, writeFile } from "node:fs/promises";

const out = await build({
  entryPoints: ["src/http/docs/websockets.markdown.ts"],
  bundle: true,
  format: "esm",
  platform: "node",
  write: false,
});
const { websocketsMarkdown } = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`);
const markdown = websocketsMarkdown();
const target = new URL("../docs/websockets.md", import.meta.url);
if (process.argv.includes("--check")) {
  const current = await readFile(target, "utf8").catch(() => "");
  if (current !== markdown) {
    console.error("docs/websockets.md is out of date: run npm run docs:websockets");
    process.exit(1);
  }
} else {
  await writeFile(target, markdown);
  console.log("wrote docs/websockets.md");
}
