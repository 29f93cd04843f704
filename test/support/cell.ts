import { createExecutionContext, createMessageBatch, env, getQueueResult, runInDurableObject } from "cloudflare:test";
import type { BatchJob } from "../../durable/batch.store";
import type { CellDO } from "../../durable/cell.do";
import type { PresenceView, TechnicianProfile } from "../../durable/cell.types";
import type { CellEvent, CellEventBody, DeadlineTimer } from "../../src/domain/cell-events";
import { DEFAULT_WEEKLY_SHIFTS } from "../../src/domain/shifts";
import worker from "../../src/index";

let n = 0;
/** A fresh CellDO of its own, so tests never share a calendar. */
export function freshCell(label = "cell") {
  n += 1;
  const name = `${label}-${n}-${crypto.randomUUID()}`;
  return { name, stub: env.CELL.getByName(name) };
}

export const SHANGHAI = { lat: 31.2304, lng: 121.4737 };

export function profile(id: string, overrides: Partial<TechnicianProfile> = {}): TechnicianProfile {
  return {
    id,
    merchantId: null,
    name: `Tech ${id}`,
    skills: ["cleaning"],
    home: SHANGHAI,
    serviceRadiusKm: 30,
    status: "approved",
    ratingX100: 480,
    timeZone: "Asia/Shanghai",
    defaultWeekly: DEFAULT_WEEKLY_SHIFTS,
    ...overrides,
  };
}

/** 10:00 Shanghai time on a date a few days ahead, plus `hours`. */
export function shanghaiAt(hours: number, daysAhead = 3): number {
  const day = new Date(Date.now() + daysAhead * 86_400_000).toISOString().slice(0, 10);
  return Date.parse(`${day}T10:00:00+08:00`) + hours * 3_600_000;
}

export const HOUR = 3_600_000;

/** Puts a technician's profile in the cell (as the Worker's roster sync does). */
export async function addProfile(stub: DurableObjectStub<CellDO>, p: TechnicianProfile): Promise<void> {
  await stub.syncRoster([p], 0);
}

/** The technician's presence as the cell's live list has it (they went on duty at least once). */
export async function presenceOf(stub: DurableObjectStub<CellDO>, technicianId: string): Promise<PresenceView> {
  const found = (await stub.listPresence()).find((p) => p.technicianId === technicianId);
  if (!found) throw new Error(`no presence for ${technicianId}`);
  return found;
}

/** Lets the technician's heartbeat timeout pass, as if they fell silent `ms` ago. */
export async function fallSilent(stub: DurableObjectStub<CellDO>, technicianId: string, ms: number): Promise<void> {
  await runInDurableObject(stub, (_i: CellDO, state) => {
    const past = Date.now() - ms;
    state.storage.sql.exec("UPDATE presence SET last_seen = ? WHERE technician_id = ?", past, technicianId);
    state.storage.sql.exec("UPDATE timers SET due_at = ? WHERE key = ?", past, `presence:${technicianId}`);
  });
}

/** Intervals stored in the cell and hold expiries recorded, read without expiring anything. */
export function storedCounts(stub: DurableObjectStub<CellDO>): Promise<{ held: number; expired: number }> {
  return runInDurableObject(stub, (_i: CellDO, state) => ({
    held: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM intervals").one().n,
    expired: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE kind = 'hold.expired'").one().n,
  }));
}

/** Whether the cell's stored presence row has the technician on duty. */
export function storedOnline(stub: DurableObjectStub<CellDO>, technicianId: string): Promise<boolean> {
  return runInDurableObject(
    stub,
    (_i: CellDO, state) =>
      state.storage.sql.exec<{ online: number }>("SELECT online FROM presence WHERE technician_id = ?", technicianId).one().online === 1,
  );
}

/** A position the technician reported `ago` ms ago (for retention). */
export async function addOldPosition(stub: DurableObjectStub<CellDO>, technicianId: string, ago: number): Promise<void> {
  await runInDurableObject(stub, (_i: CellDO, state) => {
    state.storage.sql.exec("INSERT INTO positions (technician_id, at, lat, lng) VALUES (?, ?, 1, 1)", technicianId, Date.now() - ago);
  });
}

/**
 * Makes the cell's batch tick due, runs its alarm and the Worker's consumer on what it sent
 * (batched dispatch, DISPATCH_STRATEGY=batch).
 */
export async function runBatch(cell: string) {
  const since = Date.now();
  await makeDue(cell, { batch: true });
  return deliverCellEvents(await runCellAlarm(cell, since));
}

type CellRef = string | DurableObjectStub<CellDO>;
const stubOf = (cell: CellRef) => (typeof cell === "string" ? env.CELL.getByName(cell) : cell);

/** The order's dispatch deadline kept by the cell, if any. */
export function cellDeadline(cell: CellRef, orderId: string): Promise<(DeadlineTimer & { dueAt: number }) | null> {
  return runInDurableObject(stubOf(cell), (_i: CellDO, state) => {
    const row = state.storage.sql
      .exec<{ payload: string; due_at: number }>(
        "SELECT payload, due_at FROM timers WHERE key = ? AND kind = 'dispatch'",
        `dispatch:${orderId}`,
      )
      .toArray()[0];
    return row ? { ...(JSON.parse(row.payload) as DeadlineTimer), dueAt: row.due_at } : null;
  });
}

/** Jobs waiting for the cell's next batch tick, decisions not yet acted on, and when the tick is due. */
export function batchState(cell: CellRef): Promise<{ waiting: BatchJob[]; decided: number; dueAt: number | null }> {
  return runInDurableObject(stubOf(cell), (_i: CellDO, state) => {
    const rows = state.storage.sql
      .exec<{
        hold_key: string;
        order_id: string;
        customer_id: string;
        skills: string;
        exclude: string;
        decision: string | null;
        priority: number;
      }>("SELECT * FROM batch_queue ORDER BY priority DESC, enqueued_at, hold_key")
      .toArray();
    const due = state.storage.sql.exec<{ due_at: number }>("SELECT due_at FROM timers WHERE key = 'batch'").toArray()[0];
    return {
      waiting: rows
        .filter((r) => r.decision === null)
        .map((r) => ({
          holdKey: r.hold_key,
          orderId: r.order_id,
          customerId: r.customer_id,
          skills: JSON.parse(r.skills) as string[],
          exclude: JSON.parse(r.exclude) as string[],
          ...(r.priority ? { priority: true } : {}),
        })),
      decided: rows.filter((r) => r.decision !== null).length,
      dueAt: due?.due_at ?? null,
    };
  });
}

/** What the cell recorded of an order's calendar (hold expiries, releases, moves), oldest first. */
export function cellHistory(cell: CellRef, orderId: string): Promise<{ kind: string; at: number }[]> {
  return runInDurableObject(stubOf(cell), (_i: CellDO, state) =>
    state.storage.sql
      .exec<{ kind: string; created_at: number }>("SELECT kind, created_at FROM events WHERE order_id = ? ORDER BY seq", orderId)
      .toArray()
      .map((e) => ({ kind: e.kind, at: e.created_at })),
  );
}

/** Every event in the cell's outbox, oldest first, as the queue gets it (`sentAt` null until it did). */
export function cellOutbox(cell: string): Promise<(CellEvent & { sentAt: number | null })[]> {
  return runInDurableObject(stubOf(cell), (_i: CellDO, state) =>
    state.storage.sql
      .exec<{ seq: number; body: string; sent_at: number | null }>("SELECT seq, body, sent_at FROM outbox ORDER BY seq")
      .toArray()
      .map((r) => ({ ...(JSON.parse(r.body) as CellEventBody), id: `${cell}#${r.seq}`, cell, sentAt: r.sent_at })),
  );
}

/**
 * Makes something of the cell's clock due now, as if time had passed: an order's dispatch
 * deadline, the batch tick, or the holds of an order (`lapse`: its booking too, as if its confirm
 * never reached the cell).
 */
export async function makeDue(
  cell: CellRef,
  what: { deadline: string } | { batch: true } | { holdsOf: string; lapse?: boolean } | { hold: string },
): Promise<void> {
  await runInDurableObject(stubOf(cell), (_i: CellDO, state) => {
    const sql = state.storage.sql;
    const past = Date.now() - 1;
    if ("deadline" in what) sql.exec("UPDATE timers SET due_at = ? WHERE key = ?", past, `dispatch:${what.deadline}`);
    else if ("batch" in what) sql.exec("UPDATE timers SET due_at = ? WHERE key = 'batch'", past);
    else if ("hold" in what) sql.exec("UPDATE intervals SET expires_at = ? WHERE order_id = ? AND state = 'held'", past, what.hold);
    else if (what.lapse) sql.exec("UPDATE intervals SET state = 'held', expires_at = ? WHERE order_id LIKE ?", past, `${what.holdsOf}:%`);
    else sql.exec("UPDATE intervals SET expires_at = ? WHERE order_id LIKE ? AND state = 'held'", past, `${what.holdsOf}:%`);
  });
}

/** Makes every hold of the cell due now. */
export async function expireAllHolds(cell: CellRef): Promise<void> {
  await runInDurableObject(stubOf(cell), (_i: CellDO, state) => {
    state.storage.sql.exec("UPDATE intervals SET expires_at = ? WHERE expires_at IS NOT NULL", Date.now() - 1);
  });
}

/** Runs `fn` inside the cell with its bindings replaced (a queue that refuses, say), then puts the real ones back. */
export function withCellEnv<T>(stub: DurableObjectStub<CellDO>, e: unknown, fn: (instance: CellDO) => Promise<T>): Promise<T> {
  return runInDurableObject(stub, async (instance: CellDO) => {
    const self = instance as unknown as { env: unknown };
    const real = self.env;
    self.env = e;
    try {
      return await fn(instance);
    } finally {
      self.env = real;
    }
  });
}

/** When the cell's alarm is set for (null: not set). */
export function alarmAt(stub: DurableObjectStub<CellDO>): Promise<number | null> {
  return runInDurableObject(stub, (_i: CellDO, state) => state.storage.getAlarm());
}

/**
 * Runs the cell's alarm now and answers the events handed to the cell-events queue since `since`
 * (by this run, or by one the runtime started after `since`).
 */
export async function runCellAlarm(cell: string, since = Date.now()): Promise<CellEvent[]> {
  await runInDurableObject(stubOf(cell), (instance: CellDO) => instance.alarm());
  return (await cellOutbox(cell)).filter((e) => e.sentAt !== null && e.sentAt >= since).map(({ sentAt: _, ...e }) => e);
}

/**
 * Runs the Worker's cell-events consumer on `events` now, as the queue would (the queue delivers
 * them too, a little later; the consumer is idempotent), and answers what it acked and retried.
 */
export async function deliverCellEvents(events: CellEvent[], e: Env = env, attempts = 1) {
  const batch = createMessageBatch(
    "doorstep-cell-events",
    events.map((body, i) => ({ id: `${body.id}@${i}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, e);
  return getQueueResult(batch, ctx);
}

/** Makes the order's dispatch deadline due, runs the cell's alarm and the consumer on what it sent. */
export async function passDeadline(cell: string, orderId: string) {
  const since = Date.now();
  await makeDue(cell, { deadline: orderId });
  return deliverCellEvents(await runCellAlarm(cell, since));
}

/** Makes the order's holds in `homeCell` expire now, runs the cell's alarm and the consumer on what it sent. */
export async function expireHold(homeCell: string, orderId: string, opts: { lapse?: boolean } = {}) {
  const since = Date.now();
  await makeDue(homeCell, { holdsOf: orderId, lapse: opts.lapse });
  return deliverCellEvents(await runCellAlarm(homeCell, since));
}

/** The technician's sampled position trail since `since`, as the cell keeps it (on duty only, trimmed by retention). */
export async function trailOf(
  stub: DurableObjectStub<CellDO>,
  technicianId: string,
  since: number,
): Promise<{ at: number; lat: number; lng: number }[]> {
  return runInDurableObject(stub, (instance: CellDO) => instance["presence"].trail(technicianId, since));
}

/** One statement a cell's storage ran, with its bindings and SQLite's own count of the rows it read. */
export interface CellStatement {
  query: string;
  bindings: unknown[];
  rowsRead: number;
  rowsWritten: number;
}

/**
 * Runs `fn` inside the cell and records every statement its storage ran meanwhile, with the rows
 * SQLite read and wrote for each (`SqlStorageCursor.rowsRead`): nothing is faked, the statements run
 * as always. Rows read is the cost that grows when a query walks a table instead of an index range.
 */
export async function meteredInCell<T>(
  cell: CellRef,
  fn: (instance: CellDO) => Promise<T> | T,
): Promise<{ result: T; statements: CellStatement[]; rowsRead: number }> {
  return runInDurableObject(stubOf(cell), async (instance: CellDO, state) => {
    const sql = state.storage.sql;
    const exec = sql.exec;
    const ran: { query: string; bindings: unknown[]; cursor: SqlStorageCursor<Record<string, SqlStorageValue>> }[] = [];
    const metered = (query: string, ...bindings: unknown[]) => {
      const cursor = exec.call(sql, query, ...bindings);
      ran.push({ query, bindings, cursor });
      return cursor;
    };
    (sql as unknown as { exec: typeof metered }).exec = metered;
    let result: T;
    try {
      result = await fn(instance);
    } finally {
      delete (sql as { exec?: typeof exec }).exec;
    }
    const statements = ran.map((r) => ({
      query: r.query,
      bindings: r.bindings,
      rowsRead: r.cursor.rowsRead,
      rowsWritten: r.cursor.rowsWritten,
    }));
    return { result, statements, rowsRead: statements.reduce((a, s) => a + s.rowsRead, 0) };
  });
}

/** SQLite's plan for `query` in the cell's storage (EXPLAIN QUERY PLAN), one line per step. */
export function cellPlan(cell: CellRef, query: string, bindings: unknown[] = []): Promise<string[]> {
  return runInDurableObject(stubOf(cell), (_i: CellDO, state) =>
    state.storage.sql
      .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${query}`, ...(bindings as SqlStorageValue[]))
      .toArray()
      .map((r) => r.detail),
  );
}

/** Drops one of the cell's indexes (to show that a plan check notices when one is missing). */
export async function dropCellIndex(cell: CellRef, index: string): Promise<void> {
  await runInDurableObject(stubOf(cell), (_i: CellDO, state) => {
    state.storage.sql.exec(`DROP INDEX ${index}`);
  });
}

/**
 * Writes a past into the cell, as years of work leave it: for each technician `perTechnician`
 * booked two-hour visits on the days before `before` (one a day, 10:00 UTC, the newest the day
 * before it), an event for each, and as many sent outbox rows; plus `positions` trail points of
 * technicians no longer on duty, one every 200 ms back from now (inside the retention window).
 */
export async function writeCellHistory(
  cell: CellRef,
  h: { technicianIds: string[]; perTechnician: number; positions: number; before: number },
): Promise<void> {
  const DAY = 86_400_000;
  const lastDay = Math.floor(h.before / DAY) * DAY - DAY + 10 * HOUR;
  const now = Date.now();
  await runInDurableObject(stubOf(cell), (_i: CellDO, state) => {
    const sql = state.storage.sql;
    state.storage.transactionSync(() => {
      for (const technicianId of h.technicianIds) {
        sql.exec(
          `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
           INSERT INTO intervals (order_id, technician_id, start_ms, end_ms, lat, lng, state, expires_at, created_at, updated_at)
           SELECT 'past-' || ?2 || '-' || i, ?2, ?3 - i * ?4, ?3 - i * ?4 + 2 * 3600000, 31.2304, 121.4737, 'booked', NULL, ?5, ?5 FROM n`,
          h.perTechnician,
          technicianId,
          lastDay,
          DAY,
          now,
        );
        sql.exec(
          `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
           INSERT INTO events (kind, order_id, technician_id, data, created_at) SELECT 'interval.released', 'past-' || ?2 || '-' || i, ?2, '{}', ?3 FROM n`,
          h.perTechnician,
          technicianId,
          now,
        );
        sql.exec(
          `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
           INSERT INTO outbox (body, created_at, sent_at) SELECT '{"type":"batch.due"}', ?2, ?2 FROM n`,
          h.perTechnician,
          now,
        );
      }
      if (h.positions > 0)
        sql.exec(
          `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
           INSERT INTO positions (technician_id, at, lat, lng) SELECT 'gone-' || (i % 50), ?2 - i * 200, 31.2304, 121.4737 FROM n`,
          h.positions,
          now - 1000,
        );
    });
  });
}
