import { and, asc, desc, eq, getTableColumns, inArray, isNotNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { OutboxMessage } from "../../domain/outbox";
import { chunked } from "../chunks";
import { collectMessage } from "../outbox-collector";
import type { Db } from "../client";
import { dispatchDecisions, favourites, idempotencyKeys, orderEvents, orders, outbox, refunds, technicians } from "../schema";
import type { ActorType, OrderStatus } from "../../domain/order-state";
import { encodeRow, insertRow, updateRows, type Guard } from "./statements";

export type OrderRow = typeof orders.$inferSelect;
export type OrderEventRow = typeof orderEvents.$inferSelect;

export interface TimelineEntry {
  id: string;
  actorType: ActorType;
  actorId: string | null;
  from: OrderStatus | null;
  to: OrderStatus;
  reason: string;
  data?: Record<string, unknown>;
}

export type { OutboxMessage } from "../../domain/outbox";

// A timeline entry written only if the order carries `guardEventId` afterwards (the change it
// belongs to won); null writes it unconditionally.
const eventInsert = (db: D1Database, orderId: string, e: TimelineEntry, now: number, guardEventId: string | null) =>
  eventsInsert(db, orderId, [e], now, guardEventId);

const EVENT_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?)";

// Several timeline entries of one order in one statement, on the same condition as eventInsert.
const eventsInsert = (db: D1Database, orderId: string, entries: TimelineEntry[], now: number, guardEventId: string | null) =>
  db
    .prepare(
      `INSERT INTO order_events (id, order_id, at, actor_type, actor_id, from_status, to_status, reason, data)
       SELECT * FROM (VALUES ${entries.map(() => EVENT_ROW).join(", ")})
       WHERE ? IS NULL OR EXISTS (SELECT 1 FROM orders WHERE id = ? AND last_event_id = ?)`,
    )
    .bind(
      ...entries.flatMap((e) => [e.id, orderId, now, e.actorType, e.actorId, e.from, e.to, e.reason, JSON.stringify(e.data ?? {})]),
      guardEventId,
      orderId,
      guardEventId,
    );

// Messages of one change in one statement, written only if the order carries `eventId` afterwards;
// each is also collected for the queue (src/db/outbox-collector.ts).
const outboxInserts = (db: D1Database, orderId: string, eventId: string, messages: OutboxMessage[], now: number) => {
  for (const m of messages) collectMessage(db, m);
  return db
    .prepare(
      `INSERT INTO outbox (id, topic, payload, created_at) SELECT * FROM (VALUES ${messages.map(() => "(?, ?, ?, ?)").join(", ")})
       WHERE EXISTS (SELECT 1 FROM orders WHERE id = ? AND last_event_id = ?)`,
    )
    .bind(...messages.flatMap((m) => [m.id, m.topic, JSON.stringify(m.payload), now]), orderId, eventId);
};

/** One status change of a new order: its timeline entry and the messages it sends. */
export interface OrderStep {
  event: TimelineEntry;
  messages: OutboxMessage[];
}

/**
 * Writes a new order, its first timeline entries (oldest first; `row` is the order after the last
 * of them, whose id is `row.lastEventId`) and their messages in one batch. With `guard` the order
 * is written only while the guard holds, checked by the insert itself, and then nothing else of
 * the batch is written either; `extra` statements must guard themselves on the order existing
 * (statements.orderWon(row.id, row.lastEventId)). False when the guard refused the order.
 */
export async function insertOrder(
  db: Db,
  row: OrderRow,
  steps: OrderStep[],
  opts: { guard?: Guard; extra?: D1PreparedStatement[] } = {},
): Promise<boolean> {
  const raw = db.$client;
  const messages = steps.flatMap((s) => s.messages);
  const [inserted] = await raw.batch([
    // Every column, so a key missing from the row is written as NULL.
    insertRow(db, orders, Object.fromEntries(ORDER_KEYS.map((k) => [k, row[k]])), opts.guard),
    // All timeline entries in one statement, all messages in another (D1 counts statements).
    ...(steps.length
      ? [
          eventsInsert(
            raw,
            row.id,
            steps.map((s) => s.event),
            row.createdAt,
            row.lastEventId,
          ),
        ]
      : []),
    ...(messages.length ? [outboxInserts(raw, row.id, row.lastEventId, messages, row.createdAt)] : []),
    ...(opts.extra ?? []),
  ]);
  return inserted?.meta.changes === 1;
}

// The order's columns by their drizzle keys; names and encodings come from the schema.
const ORDER_KEYS = Object.keys(getTableColumns(orders)) as (keyof OrderRow)[];

export type OrderPatch = Partial<Omit<OrderRow, "id" | "version" | "lastEventId" | "createdAt" | "customerId">>;

/**
 * Applies a change to an order only if it is still at `version` (optimistic concurrency), with its
 * timeline entry and messages in the same batch; entry and messages are written only if the change
 * won. `extra` adds statements of the same change (money moved by it), which must guard themselves
 * on the order carrying `event.id` (see statements.orderWon). Returns the new row, or undefined when
 * someone else changed the order first.
 */
export async function updateOrder(
  db: Db,
  order: OrderRow,
  patch: OrderPatch,
  event: TimelineEntry,
  messages: OutboxMessage[] = [],
  now = Date.now(),
  extra: D1PreparedStatement[] = [],
): Promise<OrderRow | undefined> {
  const [result] = await db.$client.batch([...orderUpdateStatements(db, order, patch, event, messages, now), ...extra]);
  if (!result || result.meta.changes !== 1) return undefined;
  return { ...order, ...patch, version: order.version + 1, lastEventId: event.id, updatedAt: now };
}

/**
 * The statements of updateOrder, for a batch that changes several orders together: the versioned
 * update first (it won when it changed one row), then the timeline entry and messages guarded on it.
 */
export function orderUpdateStatements(
  db: Db,
  order: OrderRow,
  patch: OrderPatch,
  event: TimelineEntry,
  messages: OutboxMessage[],
  now: number,
): D1PreparedStatement[] {
  const raw = db.$client;
  const changed = Object.fromEntries(ORDER_KEYS.filter((k) => k in patch && k !== "id").map((k) => [k, (patch as Partial<OrderRow>)[k]]));
  const { names, values } = encodeRow(orders, changed);
  const sets = [...names.map((c) => `${c} = ?`), "version = version + 1", "last_event_id = ?", "updated_at = ?"];
  const update = raw
    .prepare(`UPDATE orders SET ${sets.join(", ")} WHERE id = ? AND version = ?`)
    .bind(...values, event.id, now, order.id, order.version);
  return [
    update,
    eventInsert(raw, order.id, event, now, event.id),
    ...(messages.length ? [outboxInserts(raw, order.id, event.id, messages, now)] : []),
  ];
}

export async function findOrder(db: Db, id: string): Promise<OrderRow | undefined> {
  const [row] = await db.select().from(orders).where(eq(orders.id, id)).limit(1);
  return row;
}

export async function findOrderByHoldKey(db: Db, holdKey: string): Promise<OrderRow | undefined> {
  const [row] = await db.select().from(orders).where(eq(orders.holdKey, holdKey)).limit(1);
  return row;
}

export async function timeline(db: Db, orderId: string): Promise<OrderEventRow[]> {
  return db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(orderEvents.at, orderEvents.id);
}

export interface OrderFilter {
  customerId?: string;
  technicianId?: string;
  merchantId?: string;
  status?: OrderStatus;
  serviceId?: string;
  cell?: string;
  /** Orders dispatch could not place (an exception set). */
  exceptionsOnly?: boolean;
  /** With exceptionsOnly: also orders still assigned, accepted or on the way whose start is before this instant (late). */
  lateBefore?: number;
  /** Orders in after-sales (a complaint) or with a refund waiting for approval; with exceptionsOnly, either kind. */
  afterSales?: boolean;
  /** Local-date window as UTC instants. */
  from?: number;
  to?: number;
  beforeId?: string;
}

export async function listOrders(db: Db, f: OrderFilter, limit: number): Promise<OrderRow[]> {
  const where: SQL[] = [];
  if (f.customerId) where.push(eq(orders.customerId, f.customerId));
  if (f.technicianId) where.push(eq(orders.technicianId, f.technicianId));
  if (f.merchantId) where.push(eq(orders.merchantId, f.merchantId));
  if (f.status) where.push(eq(orders.status, f.status));
  if (f.serviceId) where.push(eq(orders.serviceId, f.serviceId));
  if (f.cell) where.push(eq(orders.cell, f.cell));
  const queues: SQL[] = [];
  if (f.exceptionsOnly) {
    const late =
      f.lateBefore === undefined
        ? undefined
        : and(inArray(orders.status, ["assigned", "accepted", "en_route"]), sql`${orders.startAt} <= ${f.lateBefore}`);
    queues.push(late ? or(isNotNull(orders.exception), late)! : isNotNull(orders.exception));
  }
  if (f.afterSales) {
    queues.push(
      or(
        eq(orders.status, "after_sales"),
        sql`EXISTS (SELECT 1 FROM ${refunds} WHERE ${refunds.orderId} = ${orders.id} AND ${refunds.status} = 'pending_approval')`,
      )!,
    );
  }
  if (queues.length > 0) where.push(or(...queues)!);
  if (f.from !== undefined) where.push(sql`${orders.startAt} >= ${f.from}`);
  if (f.to !== undefined) where.push(sql`${orders.startAt} < ${f.to}`);
  if (f.beforeId) where.push(lt(orders.id, f.beforeId));
  return db
    .select()
    .from(orders)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(orders.id))
    .limit(limit);
}

/** Open grab jobs in the given cells (the pool a technician sees). */
export async function grabPool(db: Db, cells: string[]): Promise<OrderRow[]> {
  if (cells.length === 0) return [];
  return db
    .select()
    .from(orders)
    .where(
      and(
        inArray(orders.cell, cells),
        eq(orders.dispatchMode, "grab"),
        or(eq(orders.status, "dispatching"), eq(orders.status, "confirmed")),
      ),
    )
    .orderBy(orders.startAt)
    .limit(100);
}

export type DecisionRow = typeof dispatchDecisions.$inferInsert;

export async function insertDecision(db: Db, row: DecisionRow): Promise<void> {
  await db.insert(dispatchDecisions).values(row);
}

/** The insert of a dispatch decision as a statement of another batch, written only while `guard` holds. */
export function decisionStatement(db: Db, row: DecisionRow, guard: Guard): D1PreparedStatement {
  return insertRow(db, dispatchDecisions, { ...row }, guard);
}

export async function decisions(db: Db, orderId: string) {
  return db
    .select()
    .from(dispatchDecisions)
    .where(eq(dispatchDecisions.orderId, orderId))
    .orderBy(dispatchDecisions.round, dispatchDecisions.createdAt);
}

function earningsQuery(db: Db, ids: string[], since: number) {
  return db
    .select({ id: orders.technicianId, sum: sql<number>`sum(${orders.total})` })
    .from(orders)
    .where(and(inArray(orders.technicianId, ids), eq(orders.status, "completed"), sql`${orders.updatedAt} >= ${since}`))
    .groupBy(orders.technicianId);
}

function offersQuery(db: Db, ids: string[], since: number) {
  return db
    .select({
      id: orderEvents.actorId,
      accepts: sql<number>`sum(case when ${orderEvents.toStatus} = 'accepted' then 1 else 0 end)`,
      declines: sql<number>`sum(case when ${orderEvents.reason} in ('declined', 'accept deadline missed') then 1 else 0 end)`,
    })
    .from(orderEvents)
    .where(and(inArray(orderEvents.actorId, ids), sql`${orderEvents.at} >= ${since - 23 * 86_400_000}`))
    .groupBy(orderEvents.actorId);
}

function standingQuery(db: Db, ids: string[]) {
  return db
    .select({ id: technicians.id, level: technicians.level, creditScore: technicians.creditScore })
    .from(technicians)
    .where(inArray(technicians.id, ids));
}

type EarningsRow = { id: string | null; sum: number };
type StandingRow = { id: string; level: TechnicianLevel; creditScore: number };
type OffersRow = { id: string | null; accepts: number; declines: number };

function technicianFacts(earnRows: EarningsRow[], offerRows: OffersRow[], standingRows: StandingRow[]) {
  const earnings = new Map<string, number>();
  const acceptance = new Map<string, number>();
  const standing = new Map<string, { level: TechnicianLevel; creditScore: number }>();
  for (const t of standingRows) standing.set(t.id, { level: t.level, creditScore: t.creditScore });
  for (const e of earnRows) if (e.id) earnings.set(e.id, Number(e.sum));
  for (const o of offerRows) {
    const total = Number(o.accepts) + Number(o.declines);
    if (o.id && total > 0) acceptance.set(o.id, Number(o.accepts) / total);
  }
  return { earnings, acceptance, standing };
}

/**
 * What dispatch scores beyond the calendar, for some technicians: completed-order revenue since
 * `since`, acceptance of offers, level and credit score, and which of them each of `customerIds` marked as a favourite.
 * One D1 round trip however many technicians: the ids go in parts under D1's 100 bound parameters,
 * every part a statement of the same batch.
 */
type TechnicianLevel = (typeof technicians.$inferSelect)["level"];

export async function candidateHistory(db: Db, technicianIds: string[], customerIds: string[], since: number) {
  const favouriteSets = new Map<string, Set<string>>();
  if (technicianIds.length === 0 || customerIds.length === 0) return { ...technicianFacts([], [], []), favourites: favouriteSets };
  const technicianParts = chunked(technicianIds, 90);
  // favourites bind customers and technicians together: 40 + 50 per statement
  const pairs = chunked(customerIds, 40).flatMap((cs) => chunked(technicianIds, 50).map((ts) => [cs, ts] as const));
  const earn = technicianParts.map((ids) => earningsQuery(db, ids, since));
  const offers = technicianParts.map((ids) => offersQuery(db, ids, since));
  const favs = pairs.map(([cs, ts]) =>
    db
      .select({ customerId: favourites.accountId, id: favourites.technicianId })
      .from(favourites)
      .where(and(inArray(favourites.accountId, cs), inArray(favourites.technicianId, ts))),
  );
  // Level and credit score (the ranking's level term), in the same round trip.
  const levels = technicianParts.map((ids) => standingQuery(db, ids));
  const results = await db.batch([...earn, ...offers, ...levels, ...favs] as [(typeof earn)[number], ...(typeof earn)[number][]]);
  const rows = results as unknown[][];
  const favStart = earn.length + offers.length + levels.length;
  const facts = technicianFacts(
    rows.slice(0, earn.length).flat() as EarningsRow[],
    rows.slice(earn.length, earn.length + offers.length).flat() as OffersRow[],
    rows.slice(earn.length + offers.length, favStart).flat() as StandingRow[],
  );
  for (const f of rows.slice(favStart).flat() as { customerId: string; id: string }[])
    favouriteSets.set(f.customerId, (favouriteSets.get(f.customerId) ?? new Set<string>()).add(f.id));
  return { ...facts, favourites: favouriteSets };
}

/** At most this many favourites of one customer count in ranking (the oldest first). */
export const FAVOURITES_RANKED = 500;

/**
 * candidateHistory for one booking: the technicians' revenue and acceptance (any number, in parts)
 * and, when `customerId` is given, every technician the customer marked as a favourite (up to
 * FAVOURITES_RANKED), so the set can be kept per customer. One D1 round trip.
 */
export async function rankingHistory(db: Db, technicianIds: string[], customerId: string | null, since: number) {
  const parts = chunked(technicianIds, 90);
  const earn = parts.map((ids) => earningsQuery(db, ids, since));
  const offers = parts.map((ids) => offersQuery(db, ids, since));
  const levels = parts.map((ids) => standingQuery(db, ids));
  const favs = customerId
    ? [
        db
          .select({ customerId: favourites.accountId, id: favourites.technicianId })
          .from(favourites)
          .where(eq(favourites.accountId, customerId))
          .orderBy(asc(favourites.createdAt))
          .limit(FAVOURITES_RANKED),
      ]
    : [];
  const statements = [...earn, ...offers, ...levels, ...favs];
  if (statements.length === 0) return { ...technicianFacts([], [], []), favourites: null };
  const rows = (await db.batch(statements as [(typeof earn)[number], ...(typeof earn)[number][]])) as unknown[][];
  const facts = technicianFacts(
    rows.slice(0, earn.length).flat() as EarningsRow[],
    rows.slice(earn.length, earn.length + offers.length).flat() as OffersRow[],
    rows.slice(earn.length + offers.length, earn.length + offers.length + levels.length).flat() as StandingRow[],
  );
  const favourite = customerId ? new Set((rows[rows.length - 1] as { id: string }[]).map((f) => f.id)) : null;
  return { ...facts, favourites: favourite };
}

// ——— idempotency ———

export type IdempotencyClaim =
  { kind: "claimed"; claimId: string } | { kind: "replay"; status: number; body: string } | { kind: "in_flight" } | { kind: "mismatch" };

/**
 * Claims a key for a request, or reports what an earlier request with the same key left. A claim
 * whose lease ran out while still in flight (its request died) is taken over by a request with the
 * same body, in the same statement, so two retries cannot both take it.
 */
export async function claimIdempotencyKey(
  db: Db,
  accountId: string,
  key: string,
  requestHash: string,
  leaseMs: number,
  now = Date.now(),
): Promise<IdempotencyClaim> {
  const claimId = crypto.randomUUID();
  const [won] = await db
    .insert(idempotencyKeys)
    .values({ accountId, key, requestHash, state: "in_flight", createdAt: now, claimId, leaseUntil: now + leaseMs })
    .onConflictDoUpdate({
      target: [idempotencyKeys.accountId, idempotencyKeys.key],
      set: { claimId: sql`excluded.claim_id`, leaseUntil: sql`excluded.lease_until` },
      // Keys claimed before leases existed count from their creation.
      setWhere: sql`${idempotencyKeys.state} = 'in_flight' AND ${idempotencyKeys.requestHash} = excluded.request_hash
        AND coalesce(${idempotencyKeys.leaseUntil}, ${idempotencyKeys.createdAt} + ${leaseMs}) <= ${now}`,
    })
    .returning({ claimId: idempotencyKeys.claimId });
  if (won?.claimId === claimId) return { kind: "claimed", claimId };
  const [row] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.accountId, accountId), eq(idempotencyKeys.key, key)));
  if (!row) return { kind: "in_flight" };
  if (row.requestHash !== requestHash) return { kind: "mismatch" };
  if (row.state === "in_flight") return { kind: "in_flight" };
  return { kind: "replay", status: row.statusCode ?? 200, body: row.body ?? "null" };
}

/** The key's row while the claim `claimId` still holds it in flight. */
const heldBy = (accountId: string, key: string, claimId: string) =>
  and(
    eq(idempotencyKeys.accountId, accountId),
    eq(idempotencyKeys.key, key),
    eq(idempotencyKeys.claimId, claimId),
    eq(idempotencyKeys.state, "in_flight"),
  );

/** True while the claim `claimId` still holds the key in flight (no retry took it over). */
export const holdsIdempotencyClaim = (accountId: string, key: string, claimId: string): Guard => ({
  sql: "EXISTS (SELECT 1 FROM idempotency_keys WHERE account_id = ? AND key = ? AND claim_id = ? AND state = 'in_flight')",
  params: [accountId, key, claimId],
});

export async function stillHoldsIdempotencyClaim(db: Db, accountId: string, key: string, claimId: string): Promise<boolean> {
  const [row] = await db
    .select({ key: idempotencyKeys.key })
    .from(idempotencyKeys)
    .where(heldBy(accountId, key, claimId));
  return row !== undefined;
}

/** Stores the answer of a claimed key, if the claim still holds it (a key answered keeps its first answer). */
export async function completeIdempotencyKey(
  db: Db,
  accountId: string,
  key: string,
  claimId: string,
  status: number,
  body: string,
): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ state: "done", statusCode: status, body, leaseUntil: null })
    .where(heldBy(accountId, key, claimId));
}

/**
 * The same completion as a statement of the batch whose write it answers, applied only while
 * `guard` holds (that write won): the answer is stored atomically with what it reports.
 */
export function idempotencyAnswer(
  db: Db,
  accountId: string,
  key: string,
  claimId: string,
  status: number,
  body: string,
  guard: Guard,
): D1PreparedStatement {
  return updateRows(
    db,
    idempotencyKeys,
    { state: "done", statusCode: status, body, leaseUntil: null },
    { sql: "account_id = ? AND key = ? AND claim_id = ? AND state = 'in_flight'", params: [accountId, key, claimId] },
    guard,
  );
}

/**
 * True while nothing is stored under (account, key), or only the claim of a request with the same
 * body that died (its lease, `leaseMs` from creation for claims without one, ended by `now`): a
 * write that stores a key's first answer checks it itself.
 */
export const keyIsNew = (accountId: string, key: string, requestHash: string, leaseMs: number, now: number): Guard => ({
  sql: `NOT EXISTS (SELECT 1 FROM idempotency_keys WHERE account_id = ? AND key = ?
    AND (state = 'done' OR request_hash <> ? OR coalesce(lease_until, created_at + ?) > ?))`,
  params: [accountId, key, requestHash, leaseMs, now],
});

/**
 * The key's answer stored at once (no claim in flight before it): with `guard`, as a statement of
 * the batch of the write it answers, written only if that write won; without, kept only if the key
 * has no answer yet. Either takes over the claim of a dead request with the same body (keyIsNew).
 */
export function idempotencyRecord(
  db: Db,
  r: { accountId: string; key: string; requestHash: string; status: number; body: string },
  leaseMs: number,
  now: number,
  guard?: Guard,
): D1PreparedStatement {
  const g = guard ?? { sql: "1", params: [] };
  return db.$client
    .prepare(
      `INSERT INTO idempotency_keys (account_id, key, request_hash, state, status_code, body, created_at)
       SELECT ?, ?, ?, 'done', ?, ?, ? WHERE ${g.sql}
       ON CONFLICT (account_id, key) DO UPDATE SET state = 'done', status_code = excluded.status_code, body = excluded.body,
         created_at = excluded.created_at, claim_id = NULL, lease_until = NULL
       WHERE idempotency_keys.state = 'in_flight' AND idempotency_keys.request_hash = excluded.request_hash
         AND coalesce(idempotency_keys.lease_until, idempotency_keys.created_at + ?) <= ?`,
    )
    .bind(r.accountId, r.key, r.requestHash, r.status, r.body, now, ...g.params, leaseMs, now);
}

/** Stores a key's answer unless it has one (idempotencyRecord without a guard); true when stored. */
export async function storeIdempotencyAnswer(
  db: Db,
  r: { accountId: string; key: string; requestHash: string; status: number; body: string },
  leaseMs: number,
  now: number,
): Promise<boolean> {
  const [stored] = await db.$client.batch([idempotencyRecord(db, r, leaseMs, now)]);
  return stored?.meta.changes === 1;
}

export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

export async function findIdempotencyKey(db: Db, accountId: string, key: string): Promise<IdempotencyRow | undefined> {
  const [row] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.accountId, accountId), eq(idempotencyKeys.key, key)))
    .limit(1);
  return row;
}

/** Frees a key its claim still holds, so the client may retry at once. */
export async function releaseIdempotencyKey(db: Db, accountId: string, key: string, claimId: string): Promise<void> {
  await db.delete(idempotencyKeys).where(heldBy(accountId, key, claimId));
}

export async function pendingOutbox(db: Db, limit: number) {
  return db
    .select()
    .from(outbox)
    .where(sql`${outbox.sentAt} is null`)
    .orderBy(outbox.createdAt)
    .limit(limit);
}
