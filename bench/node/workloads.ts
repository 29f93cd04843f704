/** The HTTP workloads: each takes a running runtime (or the peer) and returns its figures. */
import { Client, inParallel, signIn } from "./api.ts";
import {
  auditCalendars,
  bookDoorstep,
  d1OrderIds,
  plan,
  storm,
  type Acknowledged,
  type Audit,
  type BookOutcome,
  type StormResult,
  type Target,
  type TargetPool,
} from "./booking.ts";
import { percentiles, runLoad, summary, type Outcome } from "./load.ts";
import { cpuMs, stop } from "./processes.ts";
import type { SourceCounts } from "../worker/counters.types.ts";
import { workerdPids, type Runtime } from "./runtime.ts";
import { localDate, SERVICE_ID, type Customer, type World } from "./world.ts";

export const CONFLICT_EVERY = 5; // every fifth attempt repeats the one before it: 20 % conflicts

const status = (kind: string) => ({ kind }) satisfies Outcome;

// ---- ceilings ----

/** A no-op route through every middleware, and one Worker → CellDO RPC that does nothing, per concurrency. */
export async function ceilings(rt: Runtime, token: string, levels: number[], ops: number, maxMs: number) {
  const api = new Client(rt.base);
  const one = async (path: string) => {
    const out = [];
    for (const concurrency of levels) {
      const r = await runLoad({ concurrency, maxOps: ops, maxMs }, async () => {
        const res = await api.request("GET", path, { token });
        return status(res.status === 200 ? "ok" : `http ${res.status}`);
      });
      out.push(summary(r));
    }
    return out;
  };
  // Warm both paths (and the cell) first, so the first level does not pay for start-up.
  await api.must(200, "GET", "/v1/bench/cells/ceiling/ping", { token });
  return { runtime: rt.name, noop: await one("/v1/bench/noop"), ping: await one("/v1/bench/cells/ceiling/ping") };
}

// ---- W1 / W2 / naive: booking storms ----

export interface StormLevel extends StormResult {
  concurrency: number;
  /** What the probe measured around the level (CPU time, counted D1 statements and cell calls). */
  measured?: Measured;
}

/** Measurements taken around one storm level by a `Probe`. */
export interface Measured {
  cpu?: CpuMeasure;
  counts?: CountsMeasure;
}

export interface CpuMeasure {
  /** CPU ms (user + system) of the system under test's processes during the level, settling included. */
  systemMs: number;
  /** CPU ms of the load generator (this process) during the level. */
  generatorMs: number;
  wallMs: number;
  /** systemMs / bookings acknowledged. */
  systemMsPerBooking: number | null;
}

/** What the benchmark Worker counted during one level (bench/worker/counters.ts), and per booking. */
export interface CountsMeasure {
  sources: Record<string, SourceCounts>;
  /** Everything the level caused (requests, drains, queue consumers) divided by the bookings acknowledged. */
  perBooking: { d1Statements: number; d1RoundTrips: number; cellCalls: number; queueSends: number; drainStatements: number } | null;
  /** Every order request of the level reached the counters (one isolate served them all). */
  complete: boolean;
  /** Milliseconds waited after the last answer until the counts stopped moving (drain, queue consumers). */
  settleMs: number;
}

/** Takes measurements around one storm level. */
export interface Probe {
  start(): Promise<void>;
  stop(level: StormLevel): Promise<Measured>;
}

/** W1: quote + order storms at each concurrency on one cell; fresh pairs for each level. */
export async function bookingStorms(
  api: Client,
  world: World,
  pool: TargetPool,
  levels: [number, number][],
  maxMs: number,
  orderPath = "/v1/orders",
  probe?: Probe,
  conflictEvery = CONFLICT_EVERY,
): Promise<{ levels: StormLevel[]; acked: Acknowledged[] }> {
  const out: StormLevel[] = [];
  const acked: Acknowledged[] = [];
  for (const [concurrency, attempts] of levels) {
    const { targets, repeats } = plan(pool, attempts, conflictEvery);
    await probe?.start();
    const r = await storm({ concurrency, maxOps: attempts, maxMs }, targets, repeats, world.customers, (c, t) =>
      bookDoorstep(api, c, t, orderPath),
    );
    const level: StormLevel = { concurrency, ...r.result };
    if (probe) level.measured = await probe.stop(level);
    out.push(level);
    acked.push(...r.acked);
  }
  return { levels: out, acked };
}

/** The CPU time of the system under test (the process trees under `pids()`) and of the generator, around a level. */
export function cpuProbe(pids: () => number[]): Probe & { read(level: StormLevel): CpuMeasure } {
  let t0 = 0;
  let sys0 = 0;
  let gen0 = process.cpuUsage();
  return {
    async start() {
      t0 = performance.now();
      sys0 = cpuMs(pids());
      gen0 = process.cpuUsage();
    },
    read(level) {
      const systemMs = Math.round(cpuMs(pids()) - sys0);
      const g = process.cpuUsage(gen0);
      return {
        systemMs,
        generatorMs: Math.round((g.user + g.system) / 1000),
        wallMs: Math.round(performance.now() - t0),
        systemMsPerBooking: level.booked ? Math.round((systemMs / level.booked) * 100) / 100 : null,
      };
    },
    async stop(level) {
      return { cpu: this.read(level) };
    },
  };
}

type Counters = { since: number; now: number; sources: Record<string, SourceCounts> };

const totalStatements = (c: Counters) =>
  Object.values(c.sources).reduce((s, x) => s + x.d1Statements + x.queueSends + x.messages + x.invocations, 0);

/**
 * Doorstep's probe: resets the benchmark Worker's counters before a level; after it, waits until
 * they stop moving (the outbox drain and the queue consumers finish after the answers), reads
 * them and the CPU time, and divides by the bookings acknowledged.
 */
export function doorstepProbe(api: Client, adminToken: string, pids: () => number[]): Probe {
  const cpu = cpuProbe(pids);
  return {
    async start() {
      await api.must(200, "DELETE", "/v1/bench/counters", { token: adminToken });
      await cpu.start();
    },
    async stop(level) {
      const t = performance.now();
      let last = await api.must<Counters>(200, "GET", "/v1/bench/counters", { token: adminToken });
      let still = 0;
      while (still < 3 && performance.now() - t < 20_000) {
        await new Promise((r) => setTimeout(r, 400));
        const next = await api.must<Counters>(200, "GET", "/v1/bench/counters", { token: adminToken });
        still = totalStatements(next) === totalStatements(last) ? still + 1 : 0;
        last = next;
      }
      const settleMs = Math.round(performance.now() - t);
      const sum = (f: (x: SourceCounts) => number) => Object.values(last.sources).reduce((s, x) => s + f(x), 0);
      const per = (x: number) => Math.round((x / level.booked) * 100) / 100;
      const orderRequests = level.attempts - level.errors;
      return {
        cpu: cpu.read(level),
        counts: {
          sources: last.sources,
          perBooking: level.booked
            ? {
                d1Statements: per(sum((x) => x.d1Statements)),
                d1RoundTrips: per(sum((x) => x.d1RoundTrips)),
                cellCalls: per(sum((x) => Object.values(x.cellCalls).reduce((a, b) => a + b, 0))),
                queueSends: per(sum((x) => x.queueSends)),
                drainStatements: per(sum((x) => x.drainStatements)),
              }
            : null,
          complete: (last.sources["POST /v1/orders"]?.invocations ?? 0) >= orderRequests,
          settleMs,
        },
      };
    },
  };
}

/** W2: every client asks for one technician and one slot at once; exactly one may win, per round. */
export async function maximumContention(api: Client, world: World, pool: TargetPool, rounds: number) {
  const clients = world.customers.length;
  const winners: number[] = [];
  const acked: Acknowledged[] = [];
  const latencies: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const target = pool.take();
    const round = await storm(
      { concurrency: clients, maxOps: clients, maxMs: 60_000 },
      Array.from({ length: clients }, () => target),
      Array.from({ length: clients }, (_, i) => i > 0),
      world.customers,
      (c, t) => bookDoorstep(api, c, t),
    );
    winners.push(round.result.booked);
    acked.push(...round.acked);
    latencies.push(...round.raw.outcomes.map((o) => o.ms));
  }
  return { clients, rounds, winners, exactlyOneWinner: winners.every((w) => w === 1), latencyMs: percentiles(latencies), acked };
}

/** The naive path: the same storm through `POST /v1/bench/naive-orders` (D1 check, then insert; no cell). */
export async function naiveStorms(api: Client, world: World, pool: TargetPool, levels: [number, number][], maxMs: number) {
  const { levels: out } = await bookingStorms(api, world, pool, levels, maxMs, "/v1/bench/naive-orders");
  const audit = await api.must<{ orders: number; technicians: number; overlappingPairs: number }>(
    200,
    "GET",
    "/v1/bench/naive-orders/audit",
    {
      token: world.admin.token,
    },
  );
  return { levels: out, audit };
}

// ---- W4: availability over a full calendar ----

/** Fills the calendar cell with `bookings` (three a day per technician), then asks one day's availability. */
export async function availabilityFullCell(api: Client, world: World, bookings: number, runs: number) {
  const techs = world.calendar.technicians;
  const perTech = Math.ceil(bookings / techs.length);
  const items: { technicianId: string; start: number; end: number; lat: number; lng: number }[] = [];
  for (let k = 0; k < perTech; k++)
    for (let t = 0; t < techs.length && items.length < bookings; t++) {
      const hour = [7, 12, 17][k % 3]! + (t % 3);
      const start = Date.parse(`${localDate(2 + Math.floor(k / 3))}T${String(hour).padStart(2, "0")}:00:00+08:00`);
      items.push({ technicianId: techs[t]!.id, start, end: start + 2 * 3_600_000, ...world.calendar.center });
    }
  const t0 = performance.now();
  // 250 items a request keeps each body under MAX_BODY_BYTES (64 KiB).
  const chunks = Array.from({ length: Math.ceil(items.length / 250) }, (_, i) => items.slice(i * 250, (i + 1) * 250));
  const filled = await inParallel(chunks, 2, (chunk) =>
    api.must<{ booked: number; refused: number }>(200, "POST", `/v1/bench/cells/${world.calendar.cell}/bookings`, {
      token: world.admin.token,
      body: { items: chunk },
    }),
  );
  const fillMs = performance.now() - t0;
  const booked = filled.reduce((s, f) => s + f.booked, 0);
  const date = localDate(2);
  const { lat, lng } = world.calendar.center;
  const path = `/v1/availability?serviceId=${SERVICE_ID}&lat=${lat}&lng=${lng}&date=${date}`;
  let slots = 0;
  let technicianSlots = 0;
  const ask = async () => {
    const r = await api.request<{ slots: { available: number }[] }>("GET", path, { token: world.customers[0]!.token });
    if (r.status !== 200) return status(`http ${r.status}`);
    slots = r.body.slots.length;
    technicianSlots = r.body.slots.reduce((s, x) => s + x.available, 0);
    return status("ok");
  };
  await ask(); // warm
  const sequential = await runLoad({ concurrency: 1, maxOps: runs, maxMs: 120_000 }, ask);
  const concurrent = await runLoad({ concurrency: 10, maxOps: runs, maxMs: 120_000 }, ask);
  return {
    technicians: techs.length,
    bookings: booked,
    refusedWhileFilling: filled.reduce((s, f) => s + f.refused, 0),
    fillPerSecond: Math.round((booked / fillMs) * 1000),
    date,
    slotsOffered: slots,
    technicianSlots,
    sequential: summary(sequential),
    concurrent: summary(concurrent),
  };
}

// ---- W5: presence ----

/** Every presence technician goes on duty, then heartbeats as fast as `concurrency` clients can send them. */
export async function presenceStorm(api: Client, world: World, concurrency: number, maxOps: number, maxMs: number) {
  const techs = world.presence.technicians;
  const sessions = await inParallel(techs, 8, async (t) => {
    const s = await signIn(api, t.phone);
    await api.must(200, "POST", "/v1/technician/status", { token: s.token, body: { online: true } });
    return s;
  });
  const { lat, lng } = world.presence.center;
  let running = true;
  let sent = 0;
  const ages: number[] = [];
  const samples: { onlineSeen: number; p50: number; max: number }[] = [];
  const sampler = (async () => {
    while (running) {
      const t = performance.now();
      const snap = await api.must<{ now: number; items: { online: boolean; lastSeenAt: number | null }[] }>(
        200,
        "GET",
        `/v1/bench/cells/${world.presence.cell}/presence`,
        { token: world.admin.token },
      );
      // Only once every technician has sent a heartbeat in this loop: before that, ages measure the set-up.
      if (sent >= sessions.length) {
        const here = snap.items.filter((p) => p.online && p.lastSeenAt !== null).map((p) => snap.now - p.lastSeenAt!);
        ages.push(...here);
        const pc = percentiles(here);
        samples.push({ onlineSeen: here.length, p50: pc.p50, max: pc.max });
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (performance.now() - t))));
    }
  })();
  const r = await runLoad({ concurrency, maxOps, maxMs }, async (i) => {
    const n = i % sessions.length;
    sent = Math.max(sent, i + 1);
    const res = await api.request("POST", "/v1/technician/presence", {
      token: sessions[n]!.token,
      body: { lat: lat + ((i % 7) - 3) * 0.0005, lng: lng + ((i % 5) - 2) * 0.0005, accuracy: 10 },
    });
    return status(res.status === 200 ? "ok" : `http ${res.status}`);
  });
  running = false;
  await sampler;
  const ok = r.kinds.ok ?? 0;
  const perSecond = Math.round((ok / r.elapsedMs) * 10_000) / 10;
  return {
    technicians: techs.length,
    concurrency,
    updates: ok,
    updatesPerSecond: perSecond,
    /** How often each technician's position is refreshed at that rate. */
    perTechnicianIntervalMs: Math.round((techs.length / perSecond) * 1000),
    load: summary(r),
    stalenessMs: percentiles(ages),
    staleSamples: samples.length,
  };
}

// ---- W9: cold start of a new cell ----

/** The first call to a cell that never ran (instantiation + schema) against the second call. */
export async function coldCells(api: Client, token: string, count: number) {
  const cold: number[] = [];
  const warm: number[] = [];
  const run = Date.now().toString(36);
  for (let i = 0; i < count; i++) {
    const path = `/v1/bench/cells/cold-${run}-${i}/ping`;
    let t = performance.now();
    await api.must(200, "GET", path, { token });
    cold.push(performance.now() - t);
    t = performance.now();
    await api.must(200, "GET", path, { token });
    warm.push(performance.now() - t);
  }
  return { cells: count, firstCallMs: percentiles(cold), secondCallMs: percentiles(warm) };
}

// ---- W10: kill the runtime mid-storm ----

export interface RestartResult {
  attemptsStarted: number;
  ackedBeforeKill: number;
  killedPids: number[];
  killAfterMs: number;
  failedInFlight: number;
  restartMs: number;
  firstCallAfterRestartMs: number;
  audit: Audit;
}

/**
 * Runs a storm and, once `killAfter` bookings are acknowledged, SIGKILLs the runtime's workerd
 * processes by their ids, stops wrangler, starts it again on the same state and audits.
 */
export async function restartDurability(
  rt: Runtime,
  world: World,
  pool: TargetPool,
  attempts: number,
  killAfter: number,
  earlier: readonly Acknowledged[],
  restart: () => Promise<Runtime>,
): Promise<{ result: RestartResult; runtime: Runtime; acked: Acknowledged[] }> {
  const api = new Client(rt.base);
  const { targets, repeats } = plan(pool, attempts, CONFLICT_EVERY);
  let booked = 0;
  // Set from inside the storm's clients; a holder object, so the compiler does not narrow it to its initial null.
  const killing: { pids: Promise<number[]> | null } = { pids: null };
  const t0 = performance.now();
  let killAt = 0;
  const kill = async () => {
    killAt = performance.now() - t0;
    const pids = workerdPids(rt);
    for (const pid of pids) process.kill(pid, "SIGKILL");
    return pids;
  };
  const r = await storm(
    { concurrency: 10, maxOps: attempts, maxMs: 120_000 },
    targets,
    repeats,
    world.customers,
    async (c: Customer, t: Target): Promise<BookOutcome> => {
      const o = await bookDoorstep(api, c, t);
      if (o.kind === "booked" && (booked += 1) >= killAfter) killing.pids ??= kill();
      return o;
    },
    () => killing.pids !== null,
  );
  const killedPids = killing.pids ? await killing.pids : [];
  await stop(rt.process);
  const again = await restart();
  const api2 = new Client(again.base);
  const t = performance.now();
  await api2.must(200, "GET", `/v1/bench/cells/${world.storm.cell}/ping`, { token: world.admin.token });
  const firstCall = performance.now() - t;
  const audit = await auditCalendars(
    api2,
    world.admin.token,
    world.storm.technicians,
    r.acked,
    await d1OrderIds(api2, world.admin.token),
    earlier,
  );
  return {
    runtime: again,
    acked: r.acked,
    result: {
      attemptsStarted: r.result.attempts,
      ackedBeforeKill: r.acked.length,
      killedPids,
      killAfterMs: Math.round(killAt),
      failedInFlight: r.result.errors,
      restartMs: again.startMs,
      firstCallAfterRestartMs: Math.round(firstCall),
      audit,
    },
  };
}

// ---- the PostgreSQL peers ----

/**
 * One booking on a peer: `POST /quotes`, then `POST /orders` (same shape as Doorstep's). The
 * equivalent peer signs in with the customer's token and books with an Idempotency-Key and the
 * customer's address, as Doorstep does; the minimal one gets the customer's id in the body.
 */
export async function bookPeer(api: Client, c: Customer, t: Target, equivalent: boolean): Promise<BookOutcome> {
  const t0 = performance.now();
  const token = equivalent ? c.token : undefined;
  const q = await api.request<{ id: string }>("POST", "/quotes", { token, body: { serviceId: SERVICE_ID, start: t.start } });
  const t1 = performance.now();
  if (q.status !== 201) return { kind: "error", status: q.status };
  const o = await api.request<{ id: string; code?: string }>("POST", "/orders", {
    token,
    headers: equivalent ? { "Idempotency-Key": `bench-${process.pid}-${(peerKeys += 1)}` } : {},
    body: equivalent
      ? { quoteId: q.body.id, technicianId: t.technicianId, addressId: c.addressId, start: t.start }
      : { quoteId: q.body.id, technicianId: t.technicianId, customerId: c.accountId },
  });
  const times = { quoteMs: t1 - t0, orderMs: performance.now() - t1 };
  if (o.status === 201) return { kind: "booked", orderId: String(o.body.id), ...times };
  if (o.status === 409) return { kind: "conflict", status: 409, code: o.body.code, ...times };
  return { kind: "error", status: o.status, code: JSON.stringify(o.body).slice(0, 200), ...times };
}
let peerKeys = 0;

/** Customers of the equivalent peer, signed up through its API (an account, an address, a session token each). */
export async function peerCustomers(api: Client, count: number, equivalent: boolean): Promise<Customer[]> {
  if (!equivalent)
    return Array.from({ length: count }, (_, i) => ({ token: "", accountId: `cus_peer${i}`, addressId: "", at: { lat: 0, lng: 0 } }));
  return inParallel(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i) => {
      const at = { lat: 31.23, lng: 121.47 };
      const r = await api.must<{ token: string; accountId: string; addressId: string }>(201, "POST", "/accounts", {
        body: { phone: `+86137${String(10_000_000 + i)}`, text: `压测路 ${i + 1} 号`, ...at },
      });
      return { ...r, at };
    },
  );
}

/** The W1 storms against a peer, then its own audit (overlaps by SQL, acknowledged ids present, writes complete). */
export async function peerStorms(
  api: Client,
  customers: Customer[],
  pool: TargetPool,
  levels: [number, number][],
  maxMs: number,
  equivalent: boolean,
  probe?: Probe,
) {
  const out: StormLevel[] = [];
  const acked: string[] = [];
  for (const [concurrency, attempts] of levels) {
    const { targets, repeats } = plan(pool, attempts, CONFLICT_EVERY);
    await probe?.start();
    const r = await storm({ concurrency, maxOps: attempts, maxMs }, targets, repeats, customers, (c, t) => bookPeer(api, c, t, equivalent));
    const level: StormLevel = { concurrency, ...r.result };
    if (probe) level.measured = await probe.stop(level);
    out.push(level);
    acked.push(...r.acked.map((a) => a.orderId));
  }
  const audit = await api.must<{ bookings: number; overlaps: number; incomplete: number; deadlockRetries: number; ids: string[] }>(
    200,
    "GET",
    "/audit",
  );
  const stored = new Set(audit.ids);
  return {
    levels: out,
    audit: {
      bookings: audit.bookings,
      overlaps: audit.overlaps,
      incomplete: audit.incomplete,
      deadlockRetries: audit.deadlockRetries,
      acknowledged: acked.length,
      missing: acked.filter((id) => !stored.has(id)).length,
    },
  };
}

export { auditCalendars, d1OrderIds };
export type { StormResult };
