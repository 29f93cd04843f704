/**
 * `npm run bench [-- --quick]`: every benchmark workload, one after another on this machine, then
 * bench/results/<timestamp>.json and a regenerated BENCHMARKS.md (with its SVG charts).
 *
 * Order: the in-workerd suites; the Node-timed dispatch scoring and batched assignment; the
 * PostgreSQL peer; Doorstep served by `wrangler dev` (ceilings, W1, W2, naive path, W4, W5, W9, W10
 * with a restart, then an audit of everything acknowledged); the ceilings and one storm again with
 * Miniflare serving the same state directly. Every process started here is stopped again, also on
 * failure or Ctrl+C. The exit code is non-zero when a correctness check fails (overlaps, lost
 * acknowledged bookings, more than one winner, a server error); nothing is judged on time.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "./api.ts";
import { auditCalendars, auditFindsPlantedFaults, d1OrderIds, TargetPool, type Acknowledged } from "./booking.ts";
import { batchAssignment, rankTimes } from "./dispatch-quality.ts";
import { ensureInstalled, startPostgres, stopPostgres, type Postgres } from "./postgres.ts";
import { installCleanup, portInUse, start, stop, stopAll, waitForHttp, type Managed } from "./processes.ts";
import { renderHistorySection, renderReport, type Run } from "./report.ts";
import { bundle, ROOT, seedBenchTechnicians, seedDemo, startMiniflare, startWranglerDev, type Runtime } from "./runtime.ts";
import {
  availabilityFullCell,
  bookingStorms,
  ceilings,
  coldCells,
  maximumContention,
  naiveStorms,
  peerStorms,
  presenceStorm,
  restartDurability,
} from "./workloads.ts";
import { buildWorld, type Customer, type World } from "./world.ts";

// `node bench/node/run.ts --render <results file>` only rewrites BENCHMARKS.md and the charts from a recorded run.
const render = process.argv.indexOf("--render");
if (render > 0) {
  const file = path.resolve(process.argv[render + 1] ?? "");
  const recorded = JSON.parse(readFileSync(file, "utf8")) as Run;
  // A `--history` run holds only its own suite: it rewrites only its section.
  if (recorded.command.includes("--history")) renderHistorySection(recorded, path.relative(ROOT, file));
  else renderReport(recorded, path.relative(ROOT, file));
  process.exit(0);
}

const quick = process.argv.includes("--quick");
// `--history`: only the history-growth suite (bench/history.bench.test.ts); rewrites only its section of BENCHMARKS.md.
const historyOnly = process.argv.includes("--history");
const flags = [historyOnly ? "--history" : "", quick ? "--quick" : ""].filter(Boolean);
const command = `npm run bench${flags.length ? ` -- ${flags.join(" ")}` : ""}`;
const PORTS = { wrangler: 8790, miniflare: 8791, inspector: 8797, peer: 8798, postgres: 55432 };
const LEVELS = [1, 10, 50];

/** Workload sizes: every loop is bounded by these counts and by `stormMs`. */
const SIZES = quick
  ? {
      ceilingOps: 300,
      ceilingMs: 2_000,
      w1: [60, 150, 250],
      stormMs: 10_000,
      w2Rounds: 3,
      naive: [
        [10, 80],
        [50, 150],
      ] as [number, number][],
      w4Bookings: 2_000,
      w4Runs: 15,
      w5Ops: 5_000,
      w5Ms: 5_000,
      w6Runs: 50,
      w7Seeds: 2,
      w9Cells: 5,
      w10Attempts: 250,
      w10KillAfter: 60,
      miniflareW1: [10, 150] as [number, number],
      presenceTechnicians: 200,
    }
  : {
      ceilingOps: 3_000,
      ceilingMs: 10_000,
      w1: [300, 1_500, 3_000],
      stormMs: 120_000,
      w2Rounds: 10,
      naive: [
        [10, 600],
        [50, 1_000],
      ] as [number, number][],
      w4Bookings: 10_000,
      w4Runs: 100,
      w5Ops: 40_000,
      w5Ms: 20_000,
      w6Runs: 500,
      w7Seeds: 5,
      w9Cells: 10,
      w10Attempts: 2_000,
      w10KillAfter: 500,
      miniflareW1: [10, 1_000] as [number, number],
      presenceTechnicians: 500,
    };

const runId = new Date()
  .toISOString()
  .replaceAll(":", "-")
  .replace(/\.\d+Z$/, "Z");
const logs = path.join(ROOT, ".cache", "bench-logs", runId);
mkdirSync(logs, { recursive: true });
const work = mkdtempSync(path.join(os.tmpdir(), "doorstep-bench-"));
const persist = path.join(work, "state");
installCleanup(() => rmSync(work, { recursive: true, force: true }));
const log = (line: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

function version(pkg: string): string | null {
  try {
    return (JSON.parse(readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return null;
  }
}

const machine = {
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  platform: `${os.platform()} ${os.release()}`,
  node: process.version,
  workerd: version("workerd"),
  wrangler: version("wrangler"),
  miniflare: version("miniflare"),
  postgres: null as string | null,
  loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
};

const results: Record<string, unknown>[] = [];
const failures: string[] = [];
/** Records one workload's figures with the machine and the exact command that produced them. */
const record = (name: string, data: Record<string, unknown>) => {
  results.push({ name, command, machine: { ...machine, loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100) }, ...data });
  log(`${name} recorded`);
};
const check = (ok: boolean, what: string) => {
  if (!ok) {
    failures.push(what);
    log(`CORRECTNESS FAILURE: ${what}`);
  }
};

async function phase(name: string, fn: () => Promise<void>): Promise<void> {
  log(`${name}…`);
  const t = performance.now();
  try {
    await fn();
  } catch (err) {
    failures.push(`${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    log(`${name} FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  log(`${name} took ${Math.round((performance.now() - t) / 1000)} s`);
}

/**
 * The in-workerd suites (bench/*.bench.test.ts) through the vitest plugin, or only those whose file
 * names contain one of `only`; their BENCH lines become records.
 */
function inWorkerd(only: string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, "node_modules", "vitest", "vitest.mjs"), "run", "--config", "bench/vitest.config.ts", ...only],
      {
        cwd: ROOT,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", BENCH_QUICK: quick ? "1" : "0" },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const at = line.indexOf("BENCH {");
        if (at >= 0) {
          const { name, ...data } = JSON.parse(line.slice(at + 6)) as { name: string };
          record(name, { runtime: "workerd (vitest plugin, in the object)", ...data });
        }
      }
    });
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`in-workerd suite exited ${code} (a correctness expectation failed)`)),
    );
  });
}

/** Audits every calendar of the storm cell against everything acknowledged so far (cell and D1). */
async function auditAll(api: Client, world: World, acked: Acknowledged[], label: string) {
  const audit = await auditCalendars(api, world.admin.token, world.storm.technicians, acked, await d1OrderIds(api, world.admin.token));
  check(audit.overlaps === 0, `${label}: ${audit.overlaps} overlapping intervals`);
  check(audit.travelViolations === 0, `${label}: ${audit.travelViolations} bookings closer than their travel gap`);
  check(audit.missingInCell === 0, `${label}: ${audit.missingInCell} acknowledged bookings missing from their calendar`);
  check(audit.missingInD1 === 0, `${label}: ${audit.missingInD1} acknowledged bookings missing from D1`);
  return audit;
}

if (historyOnly) {
  const started = new Date();
  try {
    await phase("history growth (workerd through the vitest plugin)", () => inWorkerd(["history.bench"]));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const run = { startedAt: started.toISOString(), finishedAt: new Date().toISOString(), command, quick, machine, failures, results };
  const file = path.join(ROOT, "bench", "results", `${runId}-history.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(run, null, 2) + "\n");
  renderHistorySection(run, path.relative(ROOT, file));
  log(`wrote ${path.relative(ROOT, file)} and the "History growth" section of BENCHMARKS.md`);
  if (failures.length) {
    log(`${failures.length} failure(s):\n  ${failures.join("\n  ")}`);
    process.exit(1);
  }
  process.exit(0);
}

const started = new Date();
let wrangler: Runtime | null = null;
let miniflare: Runtime | null = null;
let peer: Managed | null = null;
let pgsql: Postgres | null = null;

try {
  log(`${command} (${quick ? "quick" : "full"} sizes); logs in ${path.relative(ROOT, logs)}`);
  const busy = [];
  for (const port of Object.values(PORTS)) if (await portInUse(port)) busy.push(port);
  if (busy.length) throw new Error(`ports ${busy.join(", ")} are in use on 127.0.0.1 (another bench running?); nothing was started`);

  check(auditFindsPlantedFaults(), "the calendar audit misses faults planted in a test calendar: its checks cannot be trusted");
  await phase("in-DO suites (workerd through the vitest plugin)", inWorkerd);

  await phase("W6 scoring and W7 batched assignment (Node)", async () => {
    record("dispatch.rank", { runtime: "Node (pure domain code)", sizes: rankTimes([10, 100, 1_000], SIZES.w6Runs) });
    const w7 = await batchAssignment([50, 100, 150], SIZES.w7Seeds);
    for (const row of w7) {
      check(
        Math.abs(row.gapPercent.batchVsOptimum) < 1e-6,
        `W7 ${row.jobs} jobs: the batch strategy is ${row.gapPercent.batchVsOptimum}% off the optimum`,
      );
      check(row.matched.batch === row.matched.optimum, `W7 ${row.jobs} jobs: the batch strategy matched fewer jobs than the optimum`);
    }
    record("dispatch.batch", { runtime: "Node (pure domain code); optimum by HiGHS (npm highs)", sizes: w7 });
  });

  await phase("PostgreSQL peer", async () => {
    const why = ensureInstalled(log);
    if (why) {
      record("peer.postgres", { skipped: why });
      failures.push(`PostgreSQL peer skipped: ${why}`);
      return;
    }
    try {
      pgsql = await startPostgres(PORTS.postgres, path.join(logs, "postgres.log"));
      machine.postgres = pgsql.version;
      peer = start(
        "pg peer",
        process.execPath,
        [path.join(import.meta.dirname, "pg-peer.ts"), String(PORTS.peer), String(PORTS.postgres)],
        path.join(logs, "pg-peer.log"),
        {
          cwd: ROOT,
        },
      );
      const base = `http://127.0.0.1:${PORTS.peer}`;
      if ((await waitForHttp(`${base}/healthz`, 30_000, () => peer?.child.exitCode === null)) === null)
        throw new Error("the peer server did not start");
      const technicians = Array.from({ length: 200 }, (_, i) => ({ id: `tch_peer${i}`, phone: "" }));
      const customers: Customer[] = Array.from({ length: 50 }, (_, i) => ({
        token: "",
        accountId: `cus_peer${i}`,
        addressId: "",
        at: { lat: 0, lng: 0 },
      }));
      const r = await peerStorms(
        new Client(base),
        customers,
        new TargetPool(technicians),
        LEVELS.map((c, i) => [c, SIZES.w1[i]!]),
        SIZES.stormMs,
      );
      for (const level of r.levels)
        check(level.pairsDoubleBooked === 0, `peer at ${level.concurrency} clients: ${level.pairsDoubleBooked} pairs double-booked`);
      check(r.audit.overlaps === 0, `peer: ${r.audit.overlaps} overlapping bookings`);
      check(r.audit.missing === 0, `peer: ${r.audit.missing} acknowledged bookings missing`);
      record("peer.postgres", { runtime: `${pgsql.version} + Node HTTP (pg pool of 20)`, ...r });
    } finally {
      if (peer) await stop(peer);
      if (pgsql) await stopPostgres(pgsql);
    }
  });

  let world: World | null = null;
  const acked: Acknowledged[] = [];
  let pool: TargetPool | null = null;

  await phase("Doorstep on wrangler dev", async () => {
    const t0 = performance.now();
    await seedDemo(persist, path.join(logs, "seed.log"));
    const people = await seedBenchTechnicians(persist, { storm: 200, calendar: 200, presence: SIZES.presenceTechnicians });
    const seedMs = Math.round(performance.now() - t0);
    wrangler = await startWranglerDev(persist, PORTS.wrangler, PORTS.inspector, path.join(logs, "wrangler-dev.log"));
    log(`wrangler dev answered after ${wrangler.startMs} ms`);
    const api = new Client(wrangler.base);
    world = await buildWorld(api, people, 50);
    record("setup", {
      runtime: "wrangler dev",
      seedMs,
      startMs: wrangler.startMs,
      setupMs: world.setupMs,
      cells: { storm: world.storm.cell, calendar: world.calendar.cell, presence: world.presence.cell },
      technicians: {
        storm: world.storm.technicians.length,
        calendar: world.calendar.technicians.length,
        presence: world.presence.technicians.length,
      },
      customers: world.customers.length,
    });
    const w = world;
    const token = w.customers[0]!.token;
    pool = new TargetPool(w.storm.technicians);

    record("ceilings", await ceilings(wrangler, token, LEVELS, SIZES.ceilingOps, SIZES.ceilingMs));

    const w1 = await bookingStorms(
      api,
      w,
      pool,
      LEVELS.map((c, i) => [c, SIZES.w1[i]!]),
      SIZES.stormMs,
    );
    acked.push(...w1.acked);
    for (const level of w1.levels) {
      check(level.pairsDoubleBooked === 0, `W1 at ${level.concurrency} clients: ${level.pairsDoubleBooked} pairs acknowledged twice`);
      check(level.errors === 0, `W1 at ${level.concurrency} clients: ${level.errors} requests failed (${level.firstErrors.join("; ")})`);
    }
    const w1Audit = await auditAll(api, w, acked, "W1 audit");
    record("w1.storm", {
      runtime: "wrangler dev",
      cell: w.storm.cell,
      technicians: w.storm.technicians.length,
      levels: w1.levels,
      audit: w1Audit,
    });

    const w2 = await maximumContention(api, w, pool, SIZES.w2Rounds);
    acked.push(...w2.acked);
    check(w2.exactlyOneWinner, `W2: winners per round ${w2.winners.join(", ")} (exactly one expected)`);
    const { acked: _w2acked, ...w2rest } = w2;
    record("w2.contention", { runtime: "wrangler dev", ...w2rest });

    const naive = await naiveStorms(api, w, pool, SIZES.naive, SIZES.stormMs);
    record("naive.d1", { runtime: "wrangler dev", ...naive });

    record("w4.availability", {
      runtime: "wrangler dev",
      cell: w.calendar.cell,
      ...(await availabilityFullCell(api, w, SIZES.w4Bookings, SIZES.w4Runs)),
    });

    record("w5.presence", {
      runtime: "wrangler dev",
      cell: w.presence.cell,
      ...(await presenceStorm(api, w, 50, SIZES.w5Ops, SIZES.w5Ms)),
    });

    record("w9.coldStart", { runtime: "wrangler dev", ...(await coldCells(api, token, SIZES.w9Cells)) });

    const w10 = await restartDurability(wrangler, w, pool, SIZES.w10Attempts, SIZES.w10KillAfter, [...acked], () =>
      startWranglerDev(persist, PORTS.wrangler, PORTS.inspector, path.join(logs, "wrangler-dev-restarted.log")),
    );
    wrangler = w10.runtime;
    acked.push(...w10.acked);
    check(w10.result.audit.missingInCell === 0, `W10: ${w10.result.audit.missingInCell} acknowledged bookings lost from the cell`);
    check(w10.result.audit.missingInD1 === 0, `W10: ${w10.result.audit.missingInD1} acknowledged bookings lost from D1`);
    check(w10.result.audit.overlaps === 0, `W10: ${w10.result.audit.overlaps} overlaps after the restart`);
    const all = await auditAll(new Client(wrangler.base), w, acked, "final audit after the restart");
    record("w10.restart", { runtime: "wrangler dev", ...w10.result, auditOfEverything: all });
  });
  if (wrangler) await stop((wrangler as Runtime).process);

  await phase("Doorstep on Miniflare directly", async () => {
    if (!world || !pool) throw new Error("skipped: the wrangler dev phase did not build its world");
    const bundleDir = path.join(ROOT, ".cache", "bench-bundle");
    const script = await bundle(bundleDir);
    miniflare = await startMiniflare(persist, PORTS.miniflare, script, path.join(logs, "miniflare.log"));
    const api = new Client(miniflare.base);
    const w: World = world;
    record("ceilings", await ceilings(miniflare, w.customers[0]!.token, LEVELS, SIZES.ceilingOps, SIZES.ceilingMs));
    const storm = await bookingStorms(api, w, pool, [SIZES.miniflareW1], SIZES.stormMs);
    acked.push(...storm.acked);
    for (const level of storm.levels)
      check(level.errors === 0, `Miniflare storm: ${level.errors} requests failed (${level.firstErrors.join("; ")})`);
    const audit = await auditAll(api, w, acked, "Miniflare audit of everything");
    record("w1.storm.miniflare", { runtime: "miniflare", startMs: miniflare.startMs, levels: storm.levels, audit });
  });
} finally {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
}

const run = {
  startedAt: started.toISOString(),
  finishedAt: new Date().toISOString(),
  command,
  quick,
  machine,
  failures,
  results,
};
const file = path.join(ROOT, "bench", "results", `${runId}.json`);
mkdirSync(path.dirname(file), { recursive: true });
writeFileSync(file, JSON.stringify(run, null, 2) + "\n");
renderReport(run, path.relative(ROOT, file));
log(`wrote ${path.relative(ROOT, file)}, BENCHMARKS.md and bench/charts/`);
if (failures.length) {
  log(`${failures.length} correctness failure(s):\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
log(`done in ${Math.round((Date.now() - started.getTime()) / 1000)} s, no correctness failures`);
