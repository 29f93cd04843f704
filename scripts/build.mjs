// Builds the Worker bundle exactly as deploy would (wrangler deploy --dry-run) and prints its size.
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";

const outdir = "dist";
execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir], {
  stdio: "inherit",
  env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
});
let raw = 0;
let gz = 0;
for (const name of readdirSync(outdir)) {
  if (!name.endsWith(".js")) continue;
  const file = join(outdir, name);
  raw += statSync(file).size;
  gz += gzipSync(readFileSync(file)).length;
}
console.log(`bundle: ${(raw / 1024).toFixed(1)} KiB raw, ${(gz / 1024).toFixed(1)} KiB gzip`);
