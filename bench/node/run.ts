/**
 * `npm run bench [-- --quick] [--primary] [--no-pin]`: every benchmark workload, one after another
 * on this machine, then bench/results/<timestamp>.json and a regenerated BENCHMARKS.md (with its
 * SVG charts). `npm run bench -- --render <results file>` regenerates BENCHMARKS.md from a recorded
 * run without running anything.
 *
 * Order: the in-workerd suites; the Node-timed dispatch scoring and batched assignment; then, with
 * the load generator (this process) pinned to one core and every system under test to the other
 * (bench/node/pinning.ts): the PostgreSQL peers (minimal, then equivalent); Doorstep on Miniflare
 * directly, the primary comparison (ceilings, W1 with CPU time and counted D1 statements and cell
 * calls per level, and a counted run of single bookings); Doorstep on `wrangler dev`, the second
 * line (ceilings, W1, W2, naive path, W4, W5, W9, W10 with a restart, then an audit of everything
 * acknowledged). `--primary` runs only the peers and Miniflare. Every process started here is
 * stopped again, also on failure or Ctrl+C. The exit code is non-zero when a correctness check
 * fails (overlaps, lost acknowledged bookings, more than one winner, a server error, counters that
 * missed requests); nothing is judged on time.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "./api.ts";
import { auditCalendars, auditFindsPlantedFaults, d1OrderIds, TargetPool, type Acknowledged } from "./booking.ts";
import { batchAssignment, rankTimes } from "./dispatch-quality.ts";
import { affinities, onSystemCore, pinGenerator, planPinning, unpinGenerator } from "./pinning.ts";
import { ensureInstalled, startPostgres, stopPostgres, type Postgres } from "./postgres.ts";
import { installCleanup, portInUse, start, stop, stopAll, waitForHttp, type Managed } from "./processes.ts";
import { renderHistorySection, renderReport, type Run } from "./report.ts";
import { renderRouteSection, routeQuality } from "./routes.ts";
import {
  bundle,
  ensureAssets,
  FLOOR_CONFIG,
  ROOT,
  seedBenchTechnicians,
  seedDemo,
  startMiniflare,
  startWranglerDev,
  type Runtime,
} from "./runtime.ts";
import {
  availabilityFullCell,
  bookingStorms,
  ceilings,
  coldCells,
  cpuProbe,
  doorstepProbe,
  maximumContention,
  naiveStorms,
  peerCustomers,
  peerStorms,
  presenceStorm,
  restartDurability,
} from "./workloads.ts";
import { buildWorld, type World } from "./world.ts";

// `node bench/node/run.ts --render <results file>` only rewrites BENCHMARKS.md and the charts from a recorded run.
const render = process.argv.indexOf("--render");
if (render > 0) {
  const file = path.resolve(process.argv[render + 1] ?? "");
  const recorded = JSON.parse(readFileSync(file, "utf8")) as Run;
  // A `--history` run holds only its own suite: it rewrites only its section.
  if (recorded.command.includes("--history")) renderHistorySection(recorded, path.relative(ROOT, file));
  else if (recorded.command.includes("--routes-only")) renderRouteSection(recorded, path.relative(ROOT, file));
  else renderReport(recorded, path.relative(ROOT, file));
  process.exit(0);
}

const quick = process.argv.includes("--quick");
// `--history`: only the history-growth suite (bench/history.bench.test.ts); rewrites only its section of BENCHMARKS.md.
const historyOnly = process.argv.includes("--history");
/** `--primary`: only the primary comparison (the PostgreSQL peers and Doorstep on Miniflare), for a short check. */
const primaryOnly = process.argv.includes("--primary");
/** `--routes-only`: only the route solver on the Solomon instances; rewrites only its section of BENCHMARKS.md. */
const routesOnly = process.argv.includes("--routes-only");
const flags = [
  historyOnly && "--history",
  routesOnly && "--routes-only",
  quick && "--quick",
  primaryOnly && "--primary",
  process.argv.includes("--no-pin") && "--no-pin",
].filter(Boolean);
const command = `npm run bench${flags.length ? ` -- ${flags.join(" ")}` : ""}`;
const pinning = planPinning(process.argv.includes("--no-pin"));
const PORTS = { wrangler: 8790, miniflare: 8791, inspector: 8797, peer: 8798, floor: 8799, postgres: 55432 };
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
      counted: 30,
      secondLine: 1,
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
      counted: 200,
      // wrangler dev repeats W1 with fewer attempts (the slots of the storm cell are finite: 13,000).
      secondLine: 0.5,
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

/** Route quality: 5 s per Solomon instance (0.5 s with `--quick`). */
const ROUTE_BUDGET_MS = quick ? 500 : 5_000;
const routePhase = () =>
  phase("route quality on the Solomon instances (Node)", async () => {
    const q = routeQuality(ROUTE_BUDGET_MS, log);
    for (const r of q.instances) check(r.feasible, `route quality ${r.instance}: the solution breaks ${r.violations} constraint(s)`);
    record("routes.quality", { runtime: "Node (pure domain code)", ...q });
  });

if (routesOnly) {
  const started = new Date();
  try {
    await routePhase();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const run = { startedAt: started.toISOString(), finishedAt: new Date().toISOString(), command, quick, machine, failures, results };
  const file = path.join(ROOT, "bench", "results", `${runId}-routes.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(run, null, 2) + "\n");
  renderRouteSection(run, path.relative(ROOT, file));
  log(`wrote ${path.relative(ROOT, file)} and the "Route quality" section of BENCHMARKS.md`);
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

/** The Doorstep world and the slots it books, made on the first runtime and used by the second. */
let world: World | null = null;
const acked: Acknowledged[] = [];
let pool: TargetPool | null = null;
const storms = (concurrencies: number[]) => concurrencies.map((c) => [c, SIZES.w1[LEVELS.indexOf(c)]!] as [number, number]);

/** A peer's W1 storms and audit: nothing double-booked, failed, overlapping, missing or incomplete. */
function checkPeer(label: string, r: Awaited<ReturnType<typeof peerStorms>>) {
  for (const level of r.levels) {
    check(level.pairsDoubleBooked === 0, `${label} at ${level.concurrency} clients: ${level.pairsDoubleBooked} pairs double-booked`);
    check(
      level.errors === 0,
      `${label} at ${level.concurrency} clients: ${level.errors} requests failed (${level.firstErrors.join("; ")})`,
    );
  }
  check(r.audit.overlaps === 0, `${label}: ${r.audit.overlaps} overlapping bookings`);
  check(r.audit.missing === 0, `${label}: ${r.audit.missing} acknowledged bookings missing`);
  check(r.audit.incomplete === 0, `${label}: ${r.audit.incomplete} orders without their timeline, messages or stored answer`);
}

/**
 * The runtime floor (bench/floor/worker.ts) on Miniflare, pinned as Doorstep is: the equivalent
 * peer's W1 storms and audit against the least a booking can do on this runtime.
 */
async function floorPhase() {
  const script = await bundle(path.join(ROOT, ".cache", "bench-floor-bundle"), FLOOR_CONFIG);
  const rt = await startMiniflare(path.join(work, "floor"), PORTS.floor, script, path.join(logs, "floor.log"), pinning, FLOOR_CONFIG);
  try {
    const api = new Client(rt.base);
    const customers = await peerCustomers(api, 50, true);
    const technicians = Array.from({ length: 200 }, (_, i) => ({ id: `tch_floor${i}`, phone: "" }));
    const sut = () => (rt.process.child.pid === undefined ? [] : [rt.process.child.pid]);
    const limits = await ceilings(rt, customers[0]!.token, LEVELS, SIZES.ceilingOps, SIZES.ceilingMs);
    const r = await peerStorms(api, customers, new TargetPool(technicians), storms(LEVELS), SIZES.stormMs, true, cpuProbe(sut));
    checkPeer("runtime floor", r);
    record("peer.floor", {
      ceilings: limits,
      runtime: "workerd through Miniflare: one Durable Object call and one D1 batch per order",
      mode: "floor",
      startMs: rt.startMs,
      affinity: affinities(rt.process.child.pid!),
      ...r,
    });
  } finally {
    await stop(rt.process);
  }
}

/** Starts one peer server (pinned with PostgreSQL), runs the W1 storms against it and audits it. */
async function peerPhase(mode: "minimal" | "equivalent") {
  if (!pgsql) throw new Error("PostgreSQL is not running");
  const pg = pgsql;
  peer = start(
    `pg peer (${mode})`,
    ...onSystemCore(pinning, `node pg-peer.ts ${mode} (the peer's HTTP server)`, process.execPath, [
      path.join(import.meta.dirname, "pg-peer.ts"),
      mode,
      String(PORTS.peer),
      String(PORTS.postgres),
      "200",
    ]),
    path.join(logs, `pg-peer-${mode}.log`),
    { cwd: ROOT },
  );
  try {
    const base = `http://127.0.0.1:${PORTS.peer}`;
    if ((await waitForHttp(`${base}/healthz`, 30_000, () => peer?.child.exitCode === null)) === null)
      throw new Error(`the ${mode} peer server did not start`);
    const api = new Client(base);
    const equivalent = mode === "equivalent";
    const customers = await peerCustomers(api, 50, equivalent);
    const technicians = Array.from({ length: 200 }, (_, i) => ({ id: `tch_peer${i}`, phone: "" }));
    const server = peer;
    const sut = () => [pg.process.child.pid, server.child.pid].filter((x): x is number => x !== undefined);
    const r = await peerStorms(api, customers, new TargetPool(technicians), storms(LEVELS), SIZES.stormMs, equivalent, cpuProbe(sut));
    checkPeer(`${mode} peer`, r);
    record(mode === "minimal" ? "peer.postgres" : "peer.equivalent", {
      runtime: `${pg.version} + Node HTTP (pg pool of 20)`,
      mode,
      affinity: [...affinities(pg.process.child.pid!), ...affinities(server.child.pid!)],
      ...r,
    });
  } finally {
    if (peer) await stop(peer);
  }
}

/** Everything a runtime's storms are measured with: its CPU time, and the benchmark Worker's counters. */
const probeOf = (rt: Runtime, w: World) =>
  doorstepProbe(new Client(rt.base), w.admin.token, () => (rt.process.child.pid === undefined ? [] : [rt.process.child.pid]));

try {
  log(
    `${command} (${quick ? "quick" : "full"} sizes${primaryOnly ? ", primary comparison only" : ""}); logs in ${path.relative(ROOT, logs)}`,
  );
  const busy = [];
  for (const port of Object.values(PORTS)) if (await portInUse(port)) busy.push(port);
  if (busy.length) throw new Error(`ports ${busy.join(", ")} are in use on 127.0.0.1 (another bench running?); nothing was started`);

  check(auditFindsPlantedFaults(), "the calendar audit misses faults planted in a test calendar: its checks cannot be trusted");
  if (!primaryOnly) {
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
    await routePhase();
  }

  // From here on every load runs from one core against a system under test on the other.
  pinGenerator(pinning);
  log(
    pinning.pinned ? `pinned: load generator on core ${pinning.generator}, system under test on core ${pinning.system}` : pinning.reason!,
  );

  await phase("PostgreSQL peers (minimal, equivalent)", async () => {
    const why = ensureInstalled(log);
    if (why) {
      record("peer.postgres", { skipped: why });
      record("peer.equivalent", { skipped: why });
      failures.push(`PostgreSQL peers skipped: ${why}`);
      return;
    }
    try {
      pgsql = await startPostgres(PORTS.postgres, path.join(logs, "postgres.log"), pinning);
      machine.postgres = pgsql.version;
      await peerPhase("minimal");
      await peerPhase("equivalent");
    } finally {
      if (pgsql) await stopPostgres(pgsql);
    }
  });

  await phase("The runtime floor on Miniflare", floorPhase);

  await phase("Doorstep on Miniflare directly (the primary comparison)", async () => {
    const t0 = performance.now();
    await seedDemo(persist, path.join(logs, "seed.log"));
    const people = await seedBenchTechnicians(persist, { storm: 200, calendar: 200, presence: SIZES.presenceTechnicians });
    const seedMs = Math.round(performance.now() - t0);
    await ensureAssets();
    const script = await bundle(path.join(ROOT, ".cache", "bench-bundle"));
    miniflare = await startMiniflare(persist, PORTS.miniflare, script, path.join(logs, "miniflare.log"), pinning);
    log(`Miniflare answered after ${miniflare.startMs} ms`);
    const api = new Client(miniflare.base);
    world = await buildWorld(api, people, 50);
    const w: World = world;
    record("setup", {
      runtime: "miniflare",
      seedMs,
      startMs: miniflare.startMs,
      setupMs: w.setupMs,
      cells: { storm: w.storm.cell, calendar: w.calendar.cell, presence: w.presence.cell },
      technicians: { storm: w.storm.technicians.length, calendar: w.calendar.technicians.length, presence: w.presence.technicians.length },
      customers: w.customers.length,
      affinity: affinities(miniflare.process.child.pid!),
    });
    pool = new TargetPool(w.storm.technicians);
    record("ceilings", await ceilings(miniflare, w.customers[0]!.token, LEVELS, SIZES.ceilingOps, SIZES.ceilingMs));
    const probe = probeOf(miniflare, w);
    const w1 = await bookingStorms(api, w, pool, storms(LEVELS), SIZES.stormMs, "/v1/orders", probe);
    acked.push(...w1.acked);
    for (const level of w1.levels) {
      check(
        level.pairsDoubleBooked === 0,
        `Miniflare W1 at ${level.concurrency} clients: ${level.pairsDoubleBooked} pairs acknowledged twice`,
      );
      check(
        level.errors === 0,
        `Miniflare W1 at ${level.concurrency} clients: ${level.errors} requests failed (${level.firstErrors.join("; ")})`,
      );
      check(
        level.measured?.counts?.complete !== false,
        `Miniflare W1 at ${level.concurrency} clients: the counters saw fewer order requests than were sent (more than one isolate?)`,
      );
    }
    const audit = await auditAll(api, w, acked, "Miniflare W1 audit");
    record("w1.storm.miniflare", {
      runtime: "miniflare",
      startMs: miniflare.startMs,
      cell: w.storm.cell,
      technicians: w.storm.technicians.length,
      levels: w1.levels,
      audit,
    });

    // One client, every attempt a fresh slot: what one booking costs, all-in, without 409s in the mix.
    const counted = await bookingStorms(api, w, pool, [[1, SIZES.counted]], SIZES.stormMs, "/v1/orders", probe, 0);
    acked.push(...counted.acked);
    const level = counted.levels[0]!;
    check(level.errors === 0 && level.conflicts === 0, `counted bookings: ${level.errors} errors, ${level.conflicts} refusals`);
    check(level.measured?.counts?.complete !== false, "counted bookings: the counters saw fewer order requests than were sent");
    record("bookings.counted", { runtime: "miniflare", level });
  });
  if (miniflare) await stop((miniflare as Runtime).process);

  if (!primaryOnly)
    await phase("Doorstep on wrangler dev (the second line)", async () => {
      if (!world || !pool) throw new Error("skipped: the Miniflare phase did not build its world");
      const w: World = world;
      const p: TargetPool = pool;
      const startDev = (logName: string) => startWranglerDev(persist, PORTS.wrangler, PORTS.inspector, path.join(logs, logName), pinning);
      wrangler = await startDev("wrangler-dev.log");
      log(`wrangler dev answered after ${wrangler.startMs} ms`);
      const api = new Client(wrangler.base);
      const token = w.customers[0]!.token;
      record("setup.wrangler", { runtime: "wrangler dev", startMs: wrangler.startMs, affinity: affinities(wrangler.process.child.pid!) });

      record("ceilings", await ceilings(wrangler, token, LEVELS, SIZES.ceilingOps, SIZES.ceilingMs));

      const w1 = await bookingStorms(
        api,
        w,
        p,
        storms(LEVELS).map(([c, n]) => [c, Math.round(n * SIZES.secondLine)]),
        SIZES.stormMs,
        "/v1/orders",
        probeOf(wrangler, w),
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

      const w2 = await maximumContention(api, w, p, SIZES.w2Rounds);
      acked.push(...w2.acked);
      check(w2.exactlyOneWinner, `W2: winners per round ${w2.winners.join(", ")} (exactly one expected)`);
      const { acked: _w2acked, ...w2rest } = w2;
      record("w2.contention", { runtime: "wrangler dev", ...w2rest });

      const naive = await naiveStorms(api, w, p, SIZES.naive, SIZES.stormMs);
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

      const w10 = await restartDurability(wrangler, w, p, SIZES.w10Attempts, SIZES.w10KillAfter, [...acked], () =>
        startDev("wrangler-dev-restarted.log"),
      );
      wrangler = w10.runtime;
      acked.push(...w10.acked);
      check(w10.result.audit.missingInCell === 0, `W10: ${w10.result.audit.missingInCell} acknowledged bookings lost from the cell`);
      check(w10.result.audit.missingInD1 === 0, `W10: ${w10.result.audit.missingInD1} acknowledged bookings lost from D1`);
      check(w10.result.audit.overlaps === 0, `W10: ${w10.result.audit.overlaps} overlaps after the restart`);
      const all = await auditAll(new Client(wrangler.base), w, acked, "final audit after the restart");
      record("w10.restart", { runtime: "wrangler dev", ...w10.result, auditOfEverything: all });
    });
} finally {
  await stopAll();
  unpinGenerator(pinning);
  rmSync(work, { recursive: true, force: true });
}

const run = {
  startedAt: started.toISOString(),
  finishedAt: new Date().toISOString(),
  command,
  quick,
  primaryOnly,
  machine,
  pinning,
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
