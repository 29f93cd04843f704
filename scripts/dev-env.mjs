// Shared by `npm start` and `npm run seed`: the local configuration and running wrangler offline.
import { spawn } from "node:child_process";
import { appendFileSync, copyFileSync, existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv } from "node:util";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** Environment for every wrangler run: no telemetry, so nothing needs the network. */
export const WRANGLER_ENV = { ...process.env, WRANGLER_SEND_METRICS: "false" };

/** wrangler needs Node ≥ 22.12; npm scripts run the Node pinned in devDependencies. */
export function requireNode() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 22 || (major === 22 && minor < 12)) {
    console.error(
      `Node ${process.versions.node} is too old for wrangler (needs 22.12+). Run this through npm (npm start, npm run seed): ` +
        "npm scripts use the Node 24 installed by npm ci in node_modules/.bin.",
    );
    process.exit(1);
  }
}

/**
 * Creates .dev.vars from .dev.vars.example when it is missing, and adds to an existing one every
 * variable the example has gained since (with the example's value; values already there are kept).
 * Returns the variables wrangler dev will use.
 */
export function devVars() {
  const file = join(ROOT, ".dev.vars");
  const example = join(ROOT, ".dev.vars.example");
  if (!existsSync(file)) {
    copyFileSync(example, file);
    console.log("Created .dev.vars from .dev.vars.example (local development values).");
  }
  const text = readFileSync(file, "utf8");
  const have = parseEnv(text);
  const wanted = parseEnv(readFileSync(example, "utf8"));
  const missing = Object.keys(wanted).filter((k) => !(k in have));
  if (missing.length > 0) {
    const lines = missing.map((k) => `${k}=${JSON.stringify(wanted[k])}`);
    appendFileSync(file, `${text.endsWith("\n") ? "" : "\n"}\n# Added from .dev.vars.example\n${lines.join("\n")}\n`);
    console.log(`Added to .dev.vars from .dev.vars.example: ${missing.join(", ")}.`);
  }
  return parseEnv(readFileSync(file, "utf8"));
}

/**
 * Runs wrangler with the current Node. stdin is closed, so wrangler never waits for an answer
 * (it takes the default "yes" of its confirmations). With `capture`, its output is collected and
 * returned (and shown only if it fails).
 */
export function wrangler(args, { capture = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: ROOT,
      env: WRANGLER_ENV,
      stdio: ["ignore", capture ? "pipe" : "inherit", capture ? "pipe" : "inherit"],
    });
    let out = "";
    let err = "";
    child.stdout?.on("data", (chunk) => (out += chunk));
    child.stderr?.on("data", (chunk) => (err += chunk));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) return resolve(out);
      if (capture) process.stderr.write(out + err);
      reject(new Error(`wrangler ${args.join(" ")} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

/** Starts a long-running wrangler command that shares this terminal. */
export function spawnWrangler(args) {
  return spawn(process.execPath, [WRANGLER, ...args], { cwd: ROOT, env: WRANGLER_ENV, stdio: "inherit" });
}
