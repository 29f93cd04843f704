// A throw-away local Doorstep for browser tests and screenshots: a fresh persistence folder, the
// migrations and demo data, then `wrangler dev` on 127.0.0.1:<port>. stop() ends wrangler (and its
// workerd) and deletes the folder; it is safe to call more than once.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildDashboard } from "./build-dashboard.mjs";
import { ROOT, WRANGLER_ENV, devVars, requireNode } from "./dev-env.mjs";
import { applyMigrations, seed } from "./seed-local.mjs";

const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** Variables the local server runs with, whatever .dev.vars says: development, sign-in codes echoed, no per-IP OTP cap. */
const VARS = {
  ENVIRONMENT: "development",
  OTP_DEV_ECHO: "1",
  OTP_IP_LIMIT: "100000/3600",
  OTP_PHONE_COOLDOWN_SECONDS: "0",
  OTP_PHONE_LIMIT: "1000/3600",
};

/**
 * `vars` adds or overrides Worker variables for this server only (e.g. `{ SETTLEMENT_DELAY_HOURS: "0" }`);
 * `empty` leaves the database without demo data (migrations only), as a new deployment starts.
 * `testScheduled` lets a test run a cron trigger with `GET /__scheduled?cron=…` (wrangler dev --test-scheduled).
 */
export async function startLocalServer({ port = 8800, quiet = true, vars: extraVars = {}, empty = false, testScheduled = false } = {}) {
  requireNode();
  await buildDashboard({ quiet });
  const dir = mkdtempSync(join(tmpdir(), "doorstep-local-"));
  const log = [];
  let child = null;
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const quietLog = console.log;
    if (quiet) console.log = () => {};
    try {
      if (empty) {
        devVars(); // the keys wrangler dev runs with (seed() makes sure of them too)
        await applyMigrations(["--local", "--persist-to", dir]);
      } else await seed({ persistTo: dir });
    } finally {
      console.log = quietLog;
    }
    const vars = Object.entries({ ...VARS, ...extraVars }).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
    // detached: its own process group, so stop() ends wrangler and the workerd it started together.
    child = spawn(
      process.execPath,
      [
        WRANGLER,
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        String(port),
        "--persist-to",
        dir,
        ...vars,
        ...(testScheduled ? ["--test-scheduled"] : []),
      ],
      {
        cwd: ROOT,
        env: WRANGLER_ENV,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    const keep = (chunk) => {
      log.push(String(chunk));
      if (log.length > 400) log.shift();
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${log.join("")}`);
      try {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`wrangler dev did not answer on ${url}:\n${log.join("")}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    return { url, stop, log: () => log.join("") };
  } catch (err) {
    await stop();
    throw err;
  }
}
