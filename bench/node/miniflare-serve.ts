/**
 * Serves the bundled benchmark Worker with Miniflare directly (one workerd, no wrangler proxy in
 * front), with the bindings its Wrangler configuration declares and the same persistence layout as
 * `wrangler dev --persist-to` (the Worker keeps the configuration's name, so its Durable Objects
 * find the state `wrangler dev` left).
 * Usage: node bench/node/miniflare-serve.ts <wrangler config> <persist dir> <port> <bundled script> <extra vars JSON>
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";

const [config, persist, port, script, extra] = process.argv.slice(2);
if (!config || !persist || !port || !script || !extra)
  throw new Error("usage: miniflare-serve.ts <wrangler config> <persist> <port> <bundled script> <vars JSON>");
const root = path.resolve(import.meta.dirname, "..", "..");
// The bundle is one ES module, so wrangler's module rules (for unbundled sources) do not apply.
const { workerOptions: options, main } = unstable_getMiniflareWorkerOptions(config);
const { name } = unstable_readConfig({ config });
const { modulesRules: _rules, ...workerOptions } = options;
const vars = {
  ...(parseEnv(readFileSync(path.join(root, ".dev.vars.example"), "utf8")) as Record<string, string>),
  ...(JSON.parse(extra) as Record<string, string>),
};

// wrangler describes workers in Miniflare's v4 option shape; Miniflare converts it as wrangler dev does.
const mf = new Miniflare(
  convertV4MiniflareOptions({
    host: "127.0.0.1",
    port: Number(port),
    // `npm run bench:profile` attaches a CPU profiler through workerd's inspector.
    ...(process.env.DOORSTEP_INSPECTOR_PORT ? { inspectorPort: Number(process.env.DOORSTEP_INSPECTOR_PORT) } : {}),
    resourcePersistencePath: path.join(persist, "v3"),
    workers: [
      {
        ...workerOptions,
        name,
        // Module names are paths relative to rootPath; the configuration's own root is bench/, above the bundle.
        rootPath: path.dirname(script),
        modules: true,
        scriptPath: script,
        bindings: { ...(workerOptions.bindings as Record<string, string> | undefined), ...vars },
      },
    ],
  }),
);
await mf.ready;
console.log(`miniflare serving ${main ? path.relative(root, main) : "the Worker"} (bundled in ${script}) on 127.0.0.1:${port}`);
const close = () => void mf.dispose().finally(() => process.exit(0));
process.once("SIGTERM", close);
process.once("SIGINT", close);
