// The Worker's own configuration check, for scripts that run in Node (deploy, its tests): src/config.ts
// bundled by esbuild (it imports without file extensions, as the Worker's bundler expects) and loaded
// once. The same parseConfig, ConfigError and secrets lists as the Worker, never a copy.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

const loaded = new Map();

/** A module of the Worker's source (path relative to the repository), bundled by esbuild and loaded once. */
export async function workerModule(path) {
  if (!loaded.has(path)) {
    const out = await build({
      entryPoints: [join(ROOT, path)],
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      write: false,
      logLevel: "error",
    });
    const code = out.outputFiles[0].text;
    loaded.set(path, import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`));
  }
  return loaded.get(path);
}

/** `{ parseConfig, ConfigError, secrets, CONFIG_VARIABLES }` of src/config.ts. */
export const workerConfig = () => workerModule("src/config.ts");

/** The Wrangler configuration of one environment (wrangler's own resolution: what deploy would use). */
export async function readEnvironment(env, configPath = join(ROOT, "wrangler.toml")) {
  const { unstable_readConfig } = await import("wrangler");
  return unstable_readConfig({ config: configPath, env });
}

/** Every place in `value` (a resolved Wrangler configuration) that still holds a REPLACE_WITH_… placeholder. */
export function placeholders(value, path = "") {
  if (typeof value === "string") return value.includes("REPLACE_WITH_") ? [`${path}: ${value.match(/REPLACE_WITH_[A-Z0-9_]*/)[0]}`] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => placeholders(v, `${path}[${i}]`));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => placeholders(v, path ? `${path}.${k}` : k));
  }
  return [];
}
