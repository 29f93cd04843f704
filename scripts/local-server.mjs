// A throw-away local Doorstep for browser tests and screenshots: a fresh persistence folder, the
// migrations and demo data, then `wrangler dev` on 127.0.0.1:<port>. stop() ends wrangler (and its
// workerd) and deletes the folder; it is safe to call more than once.
//
// Migrating and seeding take most of a server's start (several wrangler runs), so the first server
// seeds a template folder under .cache/local-state/<key> and every server copies it. The key is a hash
// of everything the seeded state depends on: the migrations, the seed scripts, the Worker's source
// (the seed bundles its schema and encryption), the variables in .dev.vars and the day (the demo rows'
// creation stamps); change any and the next server seeds a new template.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { buildDashboard } from "./build-dashboard.mjs";
import { ROOT, WRANGLER_ENV, devVars, requireNode } from "./dev-env.mjs";
import { applyMigrations, seed } from "./seed-local.mjs";
import { deleteLocalBasemap } from "./upload-basemap.mjs";

const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** Variables the local server runs with, whatever .dev.vars says: development, sign-in codes echoed, no per-IP OTP cap. */
const VARS = {
  ENVIRONMENT: "development",
  OTP_DEV_ECHO: "1",
  OTP_IP_LIMIT: "100000/3600",
  OTP_PHONE_COOLDOWN_SECONDS: "0",
  OTP_PHONE_LIMIT: "1000/3600",
};

/** Every file under `dir` (recursively), sorted, for the template key. */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The key of the seeded state these sources and variables make. */
function templateKey(empty) {
  const hash = createHash("sha256");
  hash.update(empty ? "empty\n" : "demo\n");
  hash.update(`${new Date().toISOString().slice(0, 10)}\n`); // the demo rows' creation stamps are the seeding day
  hash.update(JSON.stringify(devVars()));
  const sources = [
    ...filesUnder(join(ROOT, "migrations")),
    ...filesUnder(join(ROOT, "src")),
    join(ROOT, "scripts", "seed.ts"),
    join(ROOT, "scripts", "seed-demo.ts"),
    join(ROOT, "scripts", "seed-local.mjs"),
    ...filesUnder(join(ROOT, "data", "basemap")),
    join(ROOT, "wrangler.toml"),
  ];
  for (const file of sources) {
    if (!existsSync(file)) continue;
    hash.update(relative(ROOT, file));
    hash.update(readFileSync(file));
  }
  return hash.digest("hex").slice(0, 24);
}

/** A folder holding the migrated (and, unless `empty`, seeded) local state; made once per key. */
async function seededTemplate(empty) {
  const root = join(ROOT, ".cache", "local-state");
  const template = join(root, templateKey(empty));
  if (existsSync(template)) return template;
  mkdirSync(root, { recursive: true });
  const work = mkdtempSync(join(root, "seeding-"));
  try {
    if (empty) await applyMigrations(["--local", "--persist-to", work]);
    else await seed({ persistTo: work });
    // renamed into place only when complete, so a failed or interrupted seed never leaves a template
    try {
      renameSync(work, template);
    } catch (err) {
      if (!existsSync(template)) throw err; // another server made the same template meanwhile
      rmSync(work, { recursive: true, force: true });
    }
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
  // older templates are of no further use
  for (const entry of readdirSync(root)) {
    if (entry !== template.split("/").pop() && !entry.startsWith("seeding-")) rmSync(join(root, entry), { recursive: true, force: true });
  }
  return template;
}

/**
 * `vars` adds or overrides Worker variables for this server only (e.g. `{ SETTLEMENT_DELAY_HOURS: "0" }`);
 * `empty` leaves the database without demo data (migrations only), as a new deployment starts.
 * `testScheduled` lets a test run a cron trigger with `GET /__scheduled?cron=…` (wrangler dev --test-scheduled).
 * `basemap: false` starts without the demo city's basemap (the live map as a deployment without one draws it).
 */
export async function startLocalServer({
  port = 8800,
  quiet = true,
  vars: extraVars = {},
  empty = false,
  testScheduled = false,
  basemap = true,
} = {}) {
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
      cpSync(await seededTemplate(empty), dir, { recursive: true });
      if (!basemap && !empty) await deleteLocalBasemap({ persistTo: dir });
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
