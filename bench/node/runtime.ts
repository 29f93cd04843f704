/**
 * The local runtimes that serve the benchmark Worker (bench/worker.ts, configured by
 * bench/wrangler.toml: the production Worker plus the benchmark routes) to the load generator:
 * `wrangler dev` (its proxy workerd in front of the Worker's workerd, local persistence under a temp
 * directory) and Miniflare driven directly (one workerd, the same bundle, bindings and persistence).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseEnv, promisify } from "node:util";
import { build } from "esbuild";
import { onSystemCore, type Pinning } from "./pinning.ts";
import { childrenNamed, start, stop, waitForHttp, type Managed } from "./processes.ts";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");
const WRANGLER = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
export const VARS_FILE = path.join(ROOT, ".dev.vars.example");
/** The benchmark Worker's Wrangler configuration (same bindings as wrangler.toml, main = bench/worker.ts). */
export const BENCH_CONFIG = path.join(ROOT, "bench", "wrangler.toml");
const NODE_ENV = { ...process.env, WRANGLER_SEND_METRICS: "false" };

/**
 * Variables the bench sets on top of .dev.vars.example: sign-in limits that let hundreds of bench
 * accounts in from one address, dispatch deadlines longer than a run (so no order is moved to
 * another technician while it is audited), and caps on unpaid orders per customer out of reach
 * (each bench customer books many pay-after-service orders; the caps' guard still runs).
 */
export const BENCH_VARS: Record<string, string> = {
  OTP_DEV_ECHO: "1",
  OTP_IP_LIMIT: "1000000/3600",
  OTP_PHONE_LIMIT: "100/3600",
  OTP_DEVICE_LIMIT: "1000000/3600",
  OTP_PHONE_CAP: "1000000/3600",
  OTP_PHONE_COOLDOWN_SECONDS: "0",
  ACCEPT_DEADLINE_SECONDS: "86400",
  GRAB_DEADLINE_SECONDS: "86400",
  MAX_OPEN_UNPAID_HOLDS: "1000000",
  MAX_UNPAID_AFTER_SERVICE_ORDERS: "1000000",
};

export interface Runtime {
  name: "wrangler dev" | "miniflare";
  base: string;
  /** Milliseconds from spawning to the first 200 from /healthz. */
  startMs: number;
  process: Managed;
}

/** Applies the migrations and writes the demo data (`npm run seed`) into `persist`. */
export async function seedDemo(persist: string, logFile: string): Promise<void> {
  const p = start(
    "seed",
    process.execPath,
    [path.join(ROOT, "scripts", "seed-local.mjs"), "--persist-to", persist, "--vars", VARS_FILE],
    logFile,
    {
      cwd: ROOT,
      env: NODE_ENV,
    },
  );
  const how = await p.exited;
  if (how !== "exit 0") throw new Error(`seeding failed (${how}); see ${logFile}`);
}

export interface BenchCellPlan {
  cell: string;
  center: { lat: number; lng: number };
  technicians: { id: string; phone: string }[];
}

export interface BenchPeople {
  storm: BenchCellPlan;
  calendar: BenchCellPlan;
  presence: BenchCellPlan;
}

/** Writes the bench technicians (bench/seed-bench.ts, bundled for Node) into the local D1 in `persist`. */
export async function seedBenchTechnicians(
  persist: string,
  counts: { storm: number; calendar: number; presence: number },
): Promise<BenchPeople> {
  const cache = path.join(ROOT, ".cache");
  mkdirSync(cache, { recursive: true });
  const bundled = path.join(cache, "seed-bench.mjs");
  await build({
    entryPoints: [path.join(ROOT, "bench", "seed-bench.ts")],
    outfile: bundled,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    logLevel: "warning",
  });
  const mod = (await import(pathToFileURL(bundled).href)) as {
    buildBenchTechnicians: (
      config: Record<string, string | undefined>,
      c: typeof counts,
    ) => Promise<BenchPeople & { statements: string[] }>;
  };
  const { statements, ...people } = await mod.buildBenchTechnicians(parseEnv(readFileSync(VARS_FILE, "utf8")), counts);
  const sql = path.join(cache, "seed-bench.sql");
  writeFileSync(sql, statements.map((s) => `${s};\n`).join(""));
  await promisify(execFile)(
    process.execPath,
    [WRANGLER, "d1", "execute", "DB", "--config", BENCH_CONFIG, "--local", "--persist-to", persist, "--file", sql],
    {
      cwd: ROOT,
      env: NODE_ENV,
    },
  );
  return people;
}

async function ready(name: Runtime["name"], base: string, p: Managed, t0: number, logFile: string): Promise<Runtime> {
  const waited = await waitForHttp(`${base}/healthz`, 90_000, () => p.child.exitCode === null);
  if (waited === null) {
    await stop(p);
    throw new Error(`${name} did not answer on ${base}; see ${logFile}`);
  }
  return { name, base, startMs: Math.round(performance.now() - t0), process: p };
}

/** `wrangler dev` of the benchmark Worker on 127.0.0.1:`port` with local persistence in `persist`. */
export async function startWranglerDev(
  persist: string,
  port: number,
  inspectorPort: number,
  logFile: string,
  pinning: Pinning,
): Promise<Runtime> {
  const args = [
    WRANGLER,
    "dev",
    "--config",
    BENCH_CONFIG,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    persist,
    "--env-file",
    VARS_FILE,
    "--show-interactive-dev-session=false",
    "--log-level",
    "warn",
    ...Object.entries(BENCH_VARS).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ];
  const t0 = performance.now();
  const p = start("wrangler dev", ...onSystemCore(pinning, "node wrangler.js dev (and its workerd)", process.execPath, args), logFile, {
    cwd: ROOT,
    env: NODE_ENV,
  });
  return ready("wrangler dev", `http://127.0.0.1:${port}`, p, t0, logFile);
}

/** The Worker's static assets (public/, not in git): built by `npm run build:dashboard` when missing, as wrangler needs them. */
export async function ensureAssets(): Promise<void> {
  if (existsSync(path.join(ROOT, "public", "dashboard"))) return;
  await promisify(execFile)(process.execPath, [path.join(ROOT, "scripts", "build-dashboard.mjs")], { cwd: ROOT, env: NODE_ENV });
}

/** The runtime floor's Worker (bench/floor/worker.ts): the least a booking can do on this runtime. */
export const FLOOR_CONFIG = path.join(ROOT, "bench", "floor", "wrangler.toml");

/** Bundles the benchmark Worker (or the one `config` names) exactly as a deploy would, into `outdir`; returns the path of the bundled script. */
export async function bundle(outdir: string, config = BENCH_CONFIG): Promise<string> {
  rmSync(outdir, { recursive: true, force: true });
  await promisify(execFile)(process.execPath, [WRANGLER, "deploy", "--dry-run", "--config", config, "--outdir", outdir], {
    cwd: ROOT,
    env: NODE_ENV,
  });
  // One script, named after the entry point (worker.js), next to its source map.
  const scripts = readdirSync(outdir).filter((f) => f.endsWith(".js"));
  if (scripts.length !== 1) throw new Error(`expected one bundled script in ${outdir}, found: ${scripts.join(", ") || "none"}`);
  return path.join(outdir, scripts[0]!);
}

/** Miniflare serving the bundled `script` (of the Worker `config` describes) on 127.0.0.1:`port`, persistence in `persist` (no wrangler in front). */
export async function startMiniflare(
  persist: string,
  port: number,
  script: string,
  logFile: string,
  pinning: Pinning,
  config = BENCH_CONFIG,
): Promise<Runtime> {
  const serve = path.join(import.meta.dirname, "miniflare-serve.ts");
  const t0 = performance.now();
  const args = [serve, config, persist, String(port), script, JSON.stringify(BENCH_VARS)];
  const p = start("miniflare", ...onSystemCore(pinning, "node miniflare-serve.ts (and its workerd)", process.execPath, args), logFile, {
    cwd: ROOT,
    env: NODE_ENV,
  });
  return ready("miniflare", `http://127.0.0.1:${port}`, p, t0, logFile);
}

/** The workerd processes serving a runtime (wrangler dev has two: its proxy and the Worker). */
export function workerdPids(rt: Runtime): number[] {
  return rt.process.child.pid === undefined ? [] : childrenNamed(rt.process.child.pid, "workerd");
}
