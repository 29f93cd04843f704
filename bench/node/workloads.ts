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
import { stop } from "./processes.ts";
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
}

/** W1: quote + order storms at each concurrency on one cell; fresh pairs for each level. */
export async function bookingStorms(
  api: Client,
  world: World,
  pool: TargetPool,
  levels: [number, number][],
  maxMs: number,
  orderPath = "/v1/orders",
): Promise<{ levels: StormLevel[]; acked: Acknowledged[] }> {
  const out: StormLevel[] = [];
  const acked: Acknowledged[] = [];
  for (const [concurrency, attempts] of levels) {
    const { targets, repeats } = plan(pool, attempts, CONFLICT_EVERY);
    const r = await storm({ concurrency, maxOps: attempts, maxMs }, targets, repeats, world.customers, (c, t) =>
      bookDoorstep(api, c, t, orderPath),
    );
    out.push({ concurrency, ...r.result });
    acked.push(...r.acked);
  }
  return { levels: out, acked };
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

// ---- the PostgreSQL peer ----

/** One booking on the peer: `POST /quotes`, then `POST /orders` (same shape as Doorstep's). */
export async function bookPeer(api: Client, c: Customer, t: Target): Promise<BookOutcome> {
  const t0 = performance.now();
  const q = await api.request<{ id: string }>("POST", "/quotes", { body: { serviceId: SERVICE_ID, start: t.start } });
  const t1 = performance.now();
  if (q.status !== 201) return { kind: "error", status: q.status };
  const o = await api.request<{ id: string; code?: string }>("POST", "/orders", {
    body: { quoteId: q.body.id, technicianId: t.technicianId, customerId: c.accountId },
  });
  const times = { quoteMs: t1 - t0, orderMs: performance.now() - t1 };
  if (o.status === 201) return { kind: "booked", orderId: String(o.body.id), ...times };
  if (o.status === 409) return { kind: "conflict", status: 409, code: o.body.code, ...times };
  return { kind: "error", status: o.status, ...times };
}

/** The W1 storms against the peer, then its own audit (overlaps by SQL, acknowledged ids present). */
export async function peerStorms(api: Client, customers: Customer[], pool: TargetPool, levels: [number, number][], maxMs: number) {
  const out: StormLevel[] = [];
  const acked: string[] = [];
  for (const [concurrency, attempts] of levels) {
    const { targets, repeats } = plan(pool, attempts, CONFLICT_EVERY);
    const r = await storm({ concurrency, maxOps: attempts, maxMs }, targets, repeats, customers, (c, t) => bookPeer(api, c, t));
    out.push({ concurrency, ...r.result });
    acked.push(...r.acked.map((a) => a.orderId));
  }
  const audit = await api.must<{ bookings: number; overlaps: number; ids: string[] }>(200, "GET", "/audit");
  const stored = new Set(audit.ids);
  return {
    levels: out,
    audit: {
      bookings: audit.bookings,
      overlaps: audit.overlaps,
      acknowledged: acked.length,
      missing: acked.filter((id) => !stored.has(id)).length,
    },
  };
}

export { auditCalendars, d1OrderIds };
export type { StormResult };
