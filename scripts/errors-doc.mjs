// Writes docs/errors.md from the error catalogue in src/errors.ts (`--check`: fail when it differs).
import { build } from "esbuild";
import { readFile, writeFile } from "node:fs/promises";

const out = await build({ entryPoints: ["src/http/docs/errors.markdown.ts"], bundle: true, format: "esm", platform: "node", write: false });
const { errorsMarkdown } = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`);
const markdown = errorsMarkdown();
const target = new URL("../docs/errors.md", import.meta.url);
if (process.argv.includes("--check")) {
  const current = await readFile(target, "utf8").catch(() => "");
  if (current !== markdown) {
    console.error("docs/errors.md is out of date: run npm run docs:errors");
    process.exit(1);
  }
} else {
  await writeFile(target, markdown);
  console.log("wrote docs/errors.md");
}
