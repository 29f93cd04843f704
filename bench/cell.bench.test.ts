/**
 * In-DO micro-benchmarks. Each prints one `BENCH {json}` line that bench/node/run.ts records.
 * Time is read around awaited calls (the runtime's clock advances on I/O), so every figure covers
 * a whole batch of work, never a single operation.
 */
import { runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import type { CellDO } from "../durable/cell.do";
import type { HoldRequest } from "../durable/cell.types";
import { slotStarts } from "../src/domain/calendar";
import { zonedToUtc } from "../src/domain/zoned";
import { HOME, QUICK, report, seeded as seededWith } from "./fixtures";

const TECHS = 200;
const HOUR = 3_600_000;
const DAY0 = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);

/**
 * The n-th hold: technician n % 200 at its next free two-hour step; every `conflictEvery`-th
 * attempt instead asks for exactly the interval the previous attempt took, so it must lose.
 */
function nthHold(n: number, conflictEvery: number): HoldRequest {
  if (conflictEvery > 0 && n % conflictEvery === 0 && n > 0) return { ...nthHold(n - 1, conflictEvery), orderId: `o${n}` };
  const tech = n % TECHS;
  const k = Math.floor(n / TECHS);
  const start = zonedToUtc(DAY0, 0, "Asia/Shanghai") + k * 2 * HOUR;
  return { technicianId: `t${tech}`, orderId: `o${n}`, start, end: start + HOUR, ttlMs: HOUR, lat: HOME.lat, lng: HOME.lng };
}

const seeded = (name: string) => seededWith(name, TECHS);

it("holds per second inside one CellDO vs a raw SQLite check-and-insert", async () => {
  const n = QUICK ? 2_000 : 10_000;
  const conflictEvery = 5; // ~20 % of attempts clash

  const stub = await seeded("bench-holds");
  const t0 = Date.now();
  const held = await runInDurableObject(stub, async (instance: CellDO) => {
    let ok = 0;
    for (let i = 0; i < n; i++) if ((await instance.hold(nthHold(i, conflictEvery))).ok) ok += 1;
    return ok;
  });
  const holdMs = Date.now() - t0;

  const raw = await seeded("bench-raw");
  const t1 = Date.now();
  const rawHeld = await runInDurableObject(raw, async (_i: CellDO, state) => {
    const sql = state.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS bench_raw (id TEXT PRIMARY KEY, tech TEXT, s INTEGER, e INTEGER)");
    sql.exec("CREATE INDEX IF NOT EXISTS bench_raw_tech ON bench_raw (tech, s)");
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const h = nthHold(i, conflictEvery);
      const clash =
        sql.exec("SELECT 1 FROM bench_raw WHERE tech = ? AND s < ? AND e > ? LIMIT 1", h.technicianId, h.end, h.start).toArray().length > 0;
      if (!clash) {
        sql.exec("INSERT INTO bench_raw (id, tech, s, e) VALUES (?, ?, ?, ?)", h.orderId, h.technicianId, h.start, h.end);
        ok += 1;
      }
    }
    return ok;
  });
  const rawMs = Date.now() - t1;

  const rpc = await seeded("bench-rpc");
  const m = QUICK ? 300 : 1_000;
  const t2 = Date.now();
  for (let i = 0; i < m; i++) await rpc.hold(nthHold(i, conflictEvery));
  const rpcMs = Date.now() - t2;

  // Correctness, not speed: the full rules and the bare check agree on which attempts win.
  expect(held).toBe(rawHeld);
  expect(held).toBe(n - Math.floor((n - 1) / conflictEvery));
  report("cell.holds", {
    attempts: n,
    held,
    holdsPerSecond: Math.round((n / holdMs) * 1000),
    rawAttempts: n,
    rawHeld,
    rawPerSecond: Math.round((n / rawMs) * 1000),
    rpcSequentialAttempts: m,
    rpcSequentialPerSecond: Math.round((m / rpcMs) * 1000),
    conflictShare: 1 / conflictEvery,
  });
});

it("availability for 200 technicians over one day with 10k bookings in the cell", async () => {
  const bookings = QUICK ? 4_000 : 10_000;
  const stub = await seeded("bench-avail");
  await runInDurableObject(stub, async (instance: CellDO) => {
    for (let i = 0; i < bookings; i++) {
      // 50 bookings per technician, three a day (07:00, 12:00, 17:00 shifted by 0–2 h per technician)
      const tech = i % TECHS;
      const k = Math.floor(i / TECHS);
      const hour = [7, 12, 17][k % 3]! + (tech % 3);
      const start = zonedToUtc(DAY0, 0, "Asia/Shanghai") + Math.floor(k / 3) * 86_400_000 + hour * HOUR;
      await instance.hold({
        technicianId: `t${tech}`,
        orderId: `b${i}`,
        start,
        end: start + 2 * HOUR,
        ttlMs: HOUR,
        lat: HOME.lat,
        lng: HOME.lng,
        ignoreShifts: true,
      });
    }
  });
  const starts = slotStarts(DAY0, "Asia/Shanghai", 30);
  const runs = QUICK ? 30 : 100;
  const times: number[] = [];
  let last: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = Date.now();
    const res = await stub.availability({ starts, durationMinutes: 120, skills: ["cleaning"], lat: HOME.lat, lng: HOME.lng });
    times.push(Date.now() - t);
    if (res.ok) last = res.counts;
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  report("cell.availability", {
    technicians: TECHS,
    bookings,
    slots: starts.length,
    runs,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    maxMs: times[times.length - 1],
    offeredSlots: last.filter((n) => n > 0).length,
    technicianSlots: last.reduce((a, b) => a + b, 0),
  });
});
