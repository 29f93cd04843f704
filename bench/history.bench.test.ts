/**
 * History growth: the hot operations timed (and their rows read counted) with a history of H and of
 * 10×H, in the cell (past visits, their events, sent outbox rows, position trails) and in D1 (past
 * orders, timeline events, audit entries). Flat means a ratio 10×H / H close to 1. The same runs
 * with the indexes of bounded_history_indexes and of the cell's last migration dropped are the
 * control: they show what the growth looks like when a read walks its table.
 *
 * Times: a cell operation is timed as a loop of `reps` inside the object (one awaited call, since the
 * runtime's clock only moves on I/O), a D1 operation as `reps` awaited calls from the test Worker.
 * Rows read: SQLite's own count for one cell operation (`SqlStorageCursor.rowsRead`); for a D1
 * operation, its SELECT statements run again right after it with `.all()` (`meta.rows_read`).
 */
import { applyD1Migrations, env, runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import type { CellDO } from "../durable/cell.do";
import { getDb } from "../src/db/client";
import { appendAudit } from "../src/db/repositories/audit.repo";
import { candidateHistory, findOrderByHoldKey } from "../src/db/repositories/orders.repo";
import { dropCellIndex, makeDue, meteredInCell, writeCellHistory } from "../test/support/cell";
import { HOME, QUICK, report, seeded } from "./fixtures";

const TECHS = 20;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Visits per technician at H (10× that at 10×H); positions are 5× the visits of the cell. */
const PER_TECH = QUICK ? 100 : 500;
const REPS = QUICK ? 200 : 1_000;
const D1_REPS = QUICK ? 100 : 300;
const DAY0 = Date.parse(`${new Date(Date.now() + 3 * DAY).toISOString().slice(0, 10)}T00:00:00+08:00`);
const at = (hours: number) => DAY0 + hours * HOUR;
const where = { lat: HOME.lat, lng: HOME.lng };
const ids = Array.from({ length: TECHS }, (_, i) => `t${i}`);

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

interface Measure {
  /** Mean milliseconds per operation. */
  ms: number;
  rowsRead: number;
}

// ---- the cell ----

async function grownCell(perTechnician: number) {
  const stub = await seeded(`bench-history-${perTechnician}`, TECHS);
  await writeCellHistory(stub, { technicianIds: ids, perTechnician, positions: TECHS * perTechnician * 5, before: Date.now() - DAY });
  // Today's work in the window, the same in every cell: every other technician has a visit at 09:00.
  for (let i = 0; i < TECHS; i += 2) {
    await stub.hold({ technicianId: `t${i}`, orderId: `today-${i}`, start: at(9), end: at(10), ttlMs: HOUR, ...where });
    await stub.confirm(`today-${i}`);
  }
  await stub.setOnline("t0", true);
  return stub;
}

/** Times `reps` runs of `op` in one loop inside the object, after one metered run for its rows read. */
async function inCell(
  stub: DurableObjectStub<CellDO>,
  op: (c: CellDO, i: number) => Promise<unknown>,
  reps: number,
  before?: (i: number) => Promise<void>,
): Promise<Measure> {
  if (before) await before(-1);
  const { rowsRead } = await meteredInCell(stub, (c: CellDO) => op(c, -1));
  let total = 0;
  if (before) {
    // An operation that needs set-up each time (a lapsed hold for the alarm): timed one call at a time.
    for (let i = 0; i < reps; i++) {
      await before(i);
      const t = Date.now();
      await runInDurableObject(stub, (c: CellDO) => op(c, i));
      total += Date.now() - t;
    }
  } else {
    const t = Date.now();
    await runInDurableObject(stub, async (c: CellDO) => {
      for (let i = 0; i < reps; i++) await op(c, i);
    });
    total = Date.now() - t;
  }
  return { ms: round(total / reps), rowsRead };
}

const starts = Array.from({ length: 24 }, (_, i) => at(8 + i / 2));
const job = { start: at(12), end: at(14), skills: ["cleaning"], exclude: [], ...where };

async function cellOperations(stub: DurableObjectStub<CellDO>, tag: string, reps: number) {
  return {
    availability: await inCell(stub, (c) => c.availability({ starts, durationMinutes: 120, skills: ["cleaning"], ...where }), reps),
    candidates: await inCell(stub, (c) => c.candidates(job), reps),
    booking: await inCell(
      stub,
      async (c, i) => {
        const orderId = `${tag}-b${i}`;
        const t = `t${(i + TECHS) % TECHS}`;
        await c.hold({ technicianId: t, orderId, start: at(14), end: at(16), ttlMs: HOUR, ...where });
        await c.confirm(orderId);
        await c.release(orderId);
      },
      reps,
    ),
    heartbeat: await inCell(stub, (c, i) => c.heartbeat("t0", { lat: HOME.lat + i * 1e-6, lng: HOME.lng }), reps),
    alarm: await inCell(
      stub,
      (c) => c.alarm(),
      Math.ceil(reps / 10),
      async (i) => {
        // One hold lapses before each alarm: it expires it, reports it and prunes the outbox.
        const orderId = `${tag}-lapse${i}`;
        await stub.hold({ technicianId: "t1", orderId, start: at(18), end: at(19), ttlMs: HOUR, ...where });
        await makeDue(stub, { hold: orderId });
      },
    ),
  };
}

// ---- D1 ----

/** Reference rows the history hangs on: a city, a service, a customer with an address, the technicians. */
async function d1World() {
  const now = Date.now();
  const db = env.DB;
  await db.batch([
    db
      .prepare(
        "INSERT INTO cities (id, name, time_zone, center_lat, center_lng, radius_km, resolution, created_at) VALUES ('cty_hist', 'History', 'Asia/Shanghai', ?, ?, 30, 5, ?)",
      )
      .bind(HOME.lat, HOME.lng, now),
    db
      .prepare(
        "INSERT INTO categories (id, parent_id, name_zh, name_en, sort, created_at, updated_at) VALUES ('cat_hist', NULL, '保洁', 'Cleaning', 0, ?, ?)",
      )
      .bind(now, now),
    db
      .prepare(
        `INSERT INTO services (id, merchant_id, category_id, name_zh, name_en, description_zh, description_en, currency, base_price, unit_price, unit, min_units,
        duration_minutes, per_unit_minutes, required_skills, extras, cancellation_policy, dispatch_mode, payment_options, rush_fee, lead_time_minutes, horizon_days, active, created_at, updated_at)
       VALUES ('svc_hist', NULL, 'cat_hist', '保洁', 'Cleaning', '', '', 'CNY', 12000, 0, 'visit', 1, 120, 0, '["cleaning"]', '[]', ?, 'auto', ?, 0, 60, 14, 1, ?, ?)`,
      )
      .bind(
        JSON.stringify({ tiers: [{ hoursBefore: 24, refundPercent: 100 }], visitFee: 3000 }),
        JSON.stringify({ full: true, depositPercent: null, afterService: true }),
        now,
        now,
      ),
    db
      .prepare(
        "INSERT INTO accounts (id, phone_enc, phone_hash, name, roles, status, created_at, updated_at) VALUES ('acc_hist', 'x', 'hash-hist', 'C', '[\"customer\"]', 'active', ?, ?)",
      )
      .bind(now, now),
    db
      .prepare(
        `INSERT INTO addresses (id, account_id, label, text_enc, lat, lng, cell, contact_name_enc, contact_phone_enc, created_at, updated_at)
       VALUES ('adr_hist', 'acc_hist', 'home', 'x', ?, ?, 'cell', 'x', 'x', ?, ?)`,
      )
      .bind(HOME.lat, HOME.lng, now, now),
    ...ids.flatMap((t) => [
      db
        .prepare(
          "INSERT INTO accounts (id, phone_enc, phone_hash, name, roles, status, created_at, updated_at) VALUES (?, 'x', ?, 'T', '[\"technician\"]', 'active', ?, ?)",
        )
        .bind(`acc_${t}`, `hash-${t}`, now, now),
      db
        .prepare(
          `INSERT INTO technicians (id, account_id, name, skills, home_lat, home_lng, home_cell, city_id, service_radius_km, status, created_at, updated_at)
         VALUES (?, ?, 'T', '["cleaning"]', ?, ?, 'cell', 'cty_hist', 30, 'approved', ?, ?)`,
        )
        .bind(`tch_${t}`, `acc_${t}`, HOME.lat, HOME.lng, now, now),
    ]),
  ]);
}

/**
 * Grows D1's history to `total` past orders (round-robin over the technicians, completed, a hold key
 * each), one accept or decline in the timeline per order, and as many sealed audit entries. `from`:
 * how many there are already. The first RECENT orders fall in the last day, every later one more
 * than a month back: growing the history adds to the past, the recent weeks dispatch reads stay the same.
 */
const RECENT = 200;
/** When past order i happened (see growD1), as SQL over the row number `i`, `?n` being now. */
const pastAt = (n: string) => `CASE WHEN i < ${RECENT} THEN ${n} - 3600000 - i * 60000 ELSE ${n} - ${31 * DAY} - i * 60000 END`;

async function growD1(from: number, total: number) {
  const now = Date.now();
  const db = env.DB;
  await db.batch([
    db
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT CAST(?1 AS INTEGER) UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?2)
       INSERT INTO orders (id, customer_id, service_id, city_id, cell, address_id, address_enc, lat, lng, start_at, end_at, units, extras, lines,
         total, currency, payment_plan, status, dispatch_mode, technician_id, hold_key, start_code_enc, last_event_id, created_at, updated_at)
       SELECT 'ord_h' || i, 'acc_hist', 'svc_hist', 'cty_hist', 'cell', 'adr_hist', 'x', ?3, ?4, ${pastAt("?5")}, ${pastAt("?5")} + 7200000, 1, '[]', '[]',
         12000, 'CNY', 'after_service', 'completed', 'auto', 'tch_t' || (i % CAST(?6 AS INTEGER)), 'ord_h' || i || ':1', 'x', 'evt_h' || i, ${pastAt("?5")}, ${pastAt("?5")} FROM n`,
      )
      .bind(from, total, HOME.lat, HOME.lng, now, TECHS),
    db
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT CAST(?1 AS INTEGER) UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?2)
       INSERT INTO order_events (id, order_id, at, actor_type, actor_id, from_status, to_status, reason, data)
       SELECT 'evt_h' || i, 'ord_h' || i, ${pastAt("?3")}, 'technician', 'tch_t' || (i % CAST(?4 AS INTEGER)), 'assigned',
         CASE WHEN i % 5 = 0 THEN 'dispatching' ELSE 'accepted' END, CASE WHEN i % 5 = 0 THEN 'declined' ELSE 'accepted' END, '{}' FROM n`,
      )
      .bind(from, total, now, TECHS),
    db
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT CAST(?1 AS INTEGER) UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?2)
       INSERT INTO audit_log (at, actor_id, action, target_type, target_id, data, prev_hash, hash)
       SELECT ?3, NULL, 'bench.history', 'order', 'ord_h' || i, '{}', 'p' || i, 'h' || i FROM n`,
      )
      .bind(from, total, now - DAY),
  ]);
}

/** `env.DB` recording every statement with its bindings, to run its reads again for their rows read. */
function recordingDb(): { db: D1Database; reads: { sql: string; bindings: unknown[] }[] } {
  const reads: { sql: string; bindings: unknown[] }[] = [];
  const wrap = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind")
          return (...bindings: unknown[]) => {
            if (/^\s*select/i.test(sql)) reads.push({ sql, bindings });
            return wrap(target.bind(...bindings), sql);
          };
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql), sql);
      if (prop === "batch") return (stmts: D1PreparedStatement[]) => target.batch(stmts);
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { db, reads };
}

/** Times `reps` awaited runs of `op`, then counts the rows its reads take (one more run, recorded and replayed). */
async function inD1(op: (db: ReturnType<typeof getDb>, i: number) => Promise<unknown>, reps: number): Promise<Measure> {
  const db = getDb(env);
  const t = Date.now();
  for (let i = 0; i < reps; i++) await op(db, i);
  const ms = (Date.now() - t) / reps;
  const recording = recordingDb();
  await op(getDb({ DB: recording.db }), reps);
  let rowsRead = 0;
  for (const r of recording.reads)
    rowsRead += (
      await env.DB.prepare(r.sql)
        .bind(...r.bindings)
        .all()
    ).meta.rows_read;
  return { ms: round(ms), rowsRead };
}

async function d1Operations(size: number, reps: number) {
  const since = Date.now() - 7 * DAY;
  return {
    holdKeyLookup: await inD1(async (db, i) => {
      const order = await findOrderByHoldKey(db, `ord_h${(i * 7919) % size}:1`);
      if (!order) throw new Error("hold key not found");
    }, reps),
    auditAppend: await inD1(
      (db, i) => appendAudit(db, { actorId: null, action: "bench.append", targetType: "order", targetId: `ord_a${i}`, data: { i } }),
      reps,
    ),
    historyRead: await inD1(
      (db) =>
        candidateHistory(
          db,
          ids.map((t) => `tch_${t}`),
          ["acc_hist"],
          since,
        ),
      reps,
    ),
  };
}

const D1_INDEXES: Record<string, string> = {
  orders_hold_key_idx: "CREATE INDEX orders_hold_key_idx ON orders (hold_key)",
  orders_technician_status_idx: "CREATE INDEX orders_technician_status_idx ON orders (technician_id, status, updated_at)",
  order_events_actor_idx: "CREATE INDEX order_events_actor_idx ON order_events (actor_id, at)",
  audit_log_unsealed_idx: 'CREATE INDEX audit_log_unsealed_idx ON audit_log (seq) WHERE "audit_log"."hash" is null',
};

async function withoutD1Indexes<T>(fn: () => Promise<T>): Promise<T> {
  for (const name of Object.keys(D1_INDEXES)) await env.DB.prepare(`DROP INDEX ${name}`).run();
  try {
    return await fn();
  } finally {
    for (const ddl of Object.values(D1_INDEXES)) await env.DB.prepare(ddl).run();
  }
}

type Ops = Record<string, Measure>;
/** Per operation: H, 10×H and their ratios. */
function compare(h: Ops, h10: Ops) {
  return Object.fromEntries(
    Object.keys(h).map((op) => [
      op,
      {
        h: h[op]!,
        h10: h10[op]!,
        msRatio: round(h10[op]!.ms / Math.max(h[op]!.ms, 0.001), 2),
        rowsRatio: round(h10[op]!.rowsRead / Math.max(h[op]!.rowsRead, 1), 2),
      },
    ]),
  );
}

it("the hot operations cost the same with 10× the history", async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

  // The cell: H and 10×H in two cells prepared alike.
  const small = await grownCell(PER_TECH);
  const large = await grownCell(PER_TECH * 10);
  const cellH = await cellOperations(small, "h", REPS);
  const cellH10 = await cellOperations(large, "h10", REPS);
  for (const s of [small, large]) for (const index of ["intervals_start", "positions_at", "outbox_sent"]) await dropCellIndex(s, index);
  const cellControlH = await cellOperations(small, "ch", REPS);
  const cellControlH10 = await cellOperations(large, "ch10", REPS);

  // D1: H, then grown to 10×H, each also with the new indexes dropped.
  const size = TECHS * PER_TECH;
  await d1World();
  await growD1(0, size);
  const d1H = await d1Operations(size, D1_REPS);
  const d1ControlH = await withoutD1Indexes(() => d1Operations(size, D1_REPS));
  await growD1(size, size * 10);
  const d1H10 = await d1Operations(size * 10, D1_REPS);
  const d1ControlH10 = await withoutD1Indexes(() => d1Operations(size * 10, D1_REPS));

  const result = {
    history: {
      cell: { techniciansWithHistory: TECHS, visits: [size, size * 10], positions: [size * 5, size * 50] },
      d1: { orders: [size, size * 10], timelineEvents: [size, size * 10], auditEntries: [size, size * 10] },
    },
    reps: { cell: REPS, alarm: Math.ceil(REPS / 10), d1: D1_REPS },
    cell: compare(cellH, cellH10),
    d1: compare(d1H, d1H10),
    control: { cell: compare(cellControlH, cellControlH10), d1: compare(d1ControlH, d1ControlH10) },
  };
  report("history.growth", result);
  // Correctness, not speed: with the indexes the rows read do not grow at all; without them the walks do.
  for (const [op, r] of Object.entries({ ...result.cell, ...result.d1 })) expect({ op, rows: r.rowsRatio }).toEqual({ op, rows: 1 });
  expect(result.control.cell.availability!.rowsRatio).toBeGreaterThan(5);
  expect(result.control.d1.holdKeyLookup!.rowsRatio).toBeGreaterThan(5);
});
