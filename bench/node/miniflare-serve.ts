/**
 * Serves the bundled Worker with Miniflare directly (one workerd, no wrangler proxy in front), with
 * the bindings wrangler.toml declares and the same persistence layout as `wrangler dev --persist-to`.
 * Usage: node bench/node/miniflare-serve.ts <persist dir> <port> <bundle dir> <extra vars JSON>
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const [persist, port, bundleDir, extra] = process.argv.slice(2);
if (!persist || !port || !bundleDir || !extra) throw new Error("usage: miniflare-serve.ts <persist> <port> <bundle dir> <vars JSON>");
const root = path.resolve(import.meta.dirname, "..", "..");
// The bundle is one ES module, so wrangler's module rules (for unbundled sources) do not apply.
const { modulesRules: _rules, ...workerOptions } = unstable_getMiniflareWorkerOptions(path.join(root, "wrangler.toml")).workerOptions;
const vars = {
  ...(parseEnv(readFileSync(path.join(root, ".dev.vars.example"), "utf8")) as Record<string, string>),
  ...(JSON.parse(extra) as Record<string, string>),
};

// wrangler describes workers in Miniflare's v4 option shape; Miniflare converts it as wrangler dev does.
const mf = new Miniflare(
  convertV4MiniflareOptions({
    host: "127.0.0.1",
    port: Number(port),
    resourcePersistencePath: path.join(persist, "v3"),
    workers: [
      {
        ...workerOptions,
        name: "doorstep",
        modules: true,
        scriptPath: path.join(bundleDir, "index.js"),
        bindings: { ...(workerOptions.bindings as Record<string, string> | undefined), ...vars },
      },
    ],
  }),
);
await mf.ready;
console.log(`miniflare serving on 127.0.0.1:${port}`);
const close = () => void mf.dispose().finally(() => process.exit(0));
process.once("SIGTERM", close);
process.once("SIGINT", close);
