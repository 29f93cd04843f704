/** The outbox, the in-app notification centre, outside-channel deliveries and dead letters. */
import type { OutboxMessage } from "../../domain/outbox";
import { and, desc, eq, gte, inArray, isNull, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { accounts, cities, deadLetters, notificationDeliveries, notifications, orders, outbox, technicians } from "../schema";
import type { Localized } from "../../lib/locale";
import { chunked } from "../chunks";

export type OutboxRow = typeof outbox.$inferSelect;
export type NotificationRow = typeof notifications.$inferSelect;
export type DeadLetterRow = typeof deadLetters.$inferSelect;

// ——— outbox ———

/**
 * Takes up to `limit` of the oldest messages not yet handed to the queue, for `leaseMs`: concurrent
 * drains never take the same message, and one that died before sending frees it when the lease ends.
 */
export async function claimUnsent(db: Db, limit: number, leaseMs: number, now = Date.now()): Promise<OutboxRow[]> {
  const rows = await db.all<{
    id: string;
    topic: string;
    payload: string;
    created_at: number;
    sent_at: number | null;
    claimed_until: number | null;
    attempts: number;
    last_error: string | null;
  }>(sql`
    UPDATE outbox SET claimed_until = ${now + leaseMs}
    WHERE id IN (
      SELECT id FROM outbox
      WHERE sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < ${now})
      ORDER BY created_at, id LIMIT ${limit})
    RETURNING *`);
  return rows
    .map((r) => ({
      id: r.id,
      topic: r.topic,
      // Read back as written; the queue consumer validates every message before it acts on it.
      payload: JSON.parse(r.payload) as OutboxMessage["payload"],
      createdAt: r.created_at,
      sentAt: r.sent_at,
      claimedUntil: r.claimed_until,
      attempts: r.attempts,
      lastError: r.last_error,
    }))
    .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}

/** Marks messages handed to the queue (`sent`), or gives claimed ones back for the next drain. */
export async function settleClaim(db: Db, ids: string[], sent: boolean, now = Date.now()): Promise<void> {
  // Chunked: a statement binds at most 100 parameters.
  for (const part of chunked(ids)) {
    await db
      .update(outbox)
      .set(sent ? { sentAt: now, claimedUntil: null } : { claimedUntil: null })
      .where(inArray(outbox.id, part));
  }
}

/** Notes a failed delivery of a message (the queue retries it). */
export async function recordFailure(db: Db, id: string, attempts: number, error: string): Promise<void> {
  await db
    .update(outbox)
    .set({ attempts, lastError: error.slice(0, 500) })
    .where(eq(outbox.id, id));
}

export async function findMessage(db: Db, id: string): Promise<OutboxRow | undefined> {
  const [row] = await db.select().from(outbox).where(eq(outbox.id, id)).limit(1);
  return row;
}

/** How many messages wait to be sent, and since when. */
export async function outboxBacklog(db: Db): Promise<{ count: number; oldest: number | null }> {
  const [row] = await db
    .select({ count: sql<number>`count(*)`, oldest: sql<number | null>`min(${outbox.createdAt})` })
    .from(outbox)
    .where(isNull(outbox.sentAt));
  return { count: row?.count ?? 0, oldest: row?.oldest ?? null };
}

/** Statuses in which an order still has a visit ahead of it. */
const UPCOMING = ["confirmed", "dispatching", "assigned", "accepted"] as const;

/**
 * Writes the `lead` reminder of every upcoming order starting within `leadMs` of `now`, once per
 * order (the message id is derived from the order, so a repeat is ignored). Orders booked inside
 * the lead time get none: they were just told. Returns how many were written.
 */
export async function queueReminders(db: Db, lead: "24h" | "1h", leadMs: number, now: number): Promise<number> {
  const result = await db.run(sql`
    INSERT INTO outbox (id, topic, payload, created_at)
    SELECT 'msg_rem' || ${lead} || replace(o.id, '_', ''), 'order.reminder',
           json_object('orderId', o.id, 'customerId', o.customer_id, 'technicianId', o.technician_id,
                       'start', o.start_at, 'lead', ${lead}),
           ${now}
    FROM orders o
    WHERE o.status IN (${sql.join(
      UPCOMING.map((s) => sql`${s}`),
      sql`, `,
    )}) AND o.start_at > ${now} AND o.start_at <= ${now + leadMs} AND o.created_at <= o.start_at - ${leadMs}
    ON CONFLICT (id) DO NOTHING`);
  return result.meta.changes ?? 0;
}

// ——— recipients ———

/** Deliveries of every notice of one message (keyed `<messageId>#<kind>`; "$" sorts right after "#"). */
const ofMessage = (messageId: string) =>
  and(gte(notificationDeliveries.messageId, `${messageId}#`), lt(notificationDeliveries.messageId, `${messageId}$`));

export interface Recipient {
  accountId: string;
  phoneEnc: string;
}

/**
 * What delivering one message needs, in one round trip: the accounts of the order's customer and of
 * a technician, the order's time zone, and the channels already delivered for the message
 * (`accountId:channel:kind`; deliveries are keyed `<messageId>#<kind>`).
 */
export async function deliveryContext(
  db: Db,
  q: { customerId: string | null; technicianId: string | null; orderId: string | null; messageId: string },
): Promise<{ customer?: Recipient; technician?: Recipient; timeZone?: string; delivered: Set<string> }> {
  const [customer, technician, zone, done] = await db.batch([
    db
      .select({ accountId: accounts.id, phoneEnc: accounts.phoneEnc })
      .from(accounts)
      .where(eq(accounts.id, q.customerId ?? ""))
      .limit(1),
    db
      .select({ accountId: accounts.id, phoneEnc: accounts.phoneEnc })
      .from(technicians)
      .innerJoin(accounts, eq(accounts.id, technicians.accountId))
      .where(eq(technicians.id, q.technicianId ?? ""))
      .limit(1),
    db
      .select({ timeZone: cities.timeZone })
      .from(orders)
      .innerJoin(cities, eq(cities.id, orders.cityId))
      .where(eq(orders.id, q.orderId ?? ""))
      .limit(1),
    db
      .select({ accountId: notificationDeliveries.accountId, channel: notificationDeliveries.channel, kind: notificationDeliveries.kind })
      .from(notificationDeliveries)
      .where(ofMessage(q.messageId)),
  ]);
  return {
    customer: customer[0],
    technician: technician[0],
    timeZone: zone[0]?.timeZone,
    delivered: new Set(done.map((d) => `${d.accountId}:${d.channel}:${d.kind}`)),
  };
}

// ——— in-app notices ———

export interface NewNotification {
  id: string;
  accountId: string;
  kind: string;
  title: Localized;
  body: Localized;
  data: Record<string, unknown>;
  sourceId: string;
}

/**
 * Writes a message's in-app notices and the outside-channel deliveries made for it, in one batch;
 * what was written for the same message, account (and channel) before is left as it is.
 */
export async function recordDelivered(
  db: Db,
  inapp: NewNotification[],
  sent: { messageId: string; accountId: string; channel: "push" | "sms" | "wechat"; kind: string }[],
  now = Date.now(),
): Promise<void> {
  const statements = [
    // 9 and 5 columns a row: chunks stay under D1's 100 bound parameters per statement.
    ...chunks(inapp, 10).map((rows) =>
      db
        .insert(notifications)
        .values(rows.map((r) => ({ ...r, readAt: null, createdAt: now })))
        .onConflictDoNothing({ target: [notifications.sourceId, notifications.accountId] }),
    ),
    ...chunks(sent, 20).map((rows) =>
      db
        .insert(notificationDeliveries)
        .values(rows.map((d) => ({ ...d, sentAt: now })))
        .onConflictDoNothing(),
    ),
  ];
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A page of an account's notices, newest first. */
export async function listNotifications(
  db: Db,
  accountId: string,
  q: { beforeId?: string; unread?: boolean },
  limit: number,
): Promise<NotificationRow[]> {
  return db
    .select()
    .from(notifications)
    .where(
      and(
        eq(notifications.accountId, accountId),
        q.beforeId ? lt(notifications.id, q.beforeId) : undefined,
        q.unread ? isNull(notifications.readAt) : undefined,
      ),
    )
    .orderBy(desc(notifications.id))
    .limit(limit);
}

export async function unreadCount(db: Db, accountId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(notifications)
    .where(and(eq(notifications.accountId, accountId), isNull(notifications.readAt)));
  return row?.n ?? 0;
}

/** Marks one of the account's notices read (kept as first read); undefined when it is not theirs. */
export async function markRead(db: Db, accountId: string, id: string, now = Date.now()): Promise<NotificationRow | undefined> {
  await db
    .update(notifications)
    .set({ readAt: now })
    .where(and(eq(notifications.id, id), eq(notifications.accountId, accountId), isNull(notifications.readAt)));
  const [row] = await db
    .select()
    .from(notifications)
    .where(and(eq(notifications.id, id), eq(notifications.accountId, accountId)))
    .limit(1);
  return row;
}

export async function markAllRead(db: Db, accountId: string, now = Date.now()): Promise<number> {
  const rows = await db
    .update(notifications)
    .set({ readAt: now })
    .where(and(eq(notifications.accountId, accountId), isNull(notifications.readAt)))
    .returning({ id: notifications.id });
  return rows.length;
}

// ——— outside channels ———

/** The outside-channel deliveries made for a message (all its notices). */
export async function deliveriesOf(db: Db, messageId: string) {
  return db.select().from(notificationDeliveries).where(ofMessage(messageId));
}

// ——— dead letters ———

/** Keeps a message the queue gave up on; the same message given up on twice is kept once. */
export async function insertDeadLetter(
  db: Db,
  d: { id: string; topic: string; payload: Record<string, unknown>; error: string; attempts: number; queue?: string },
  now = Date.now(),
): Promise<void> {
  await db
    .insert(deadLetters)
    .values({ ...d, createdAt: now, replayedAt: null })
    .onConflictDoUpdate({
      target: deadLetters.id,
      set: { error: d.error, attempts: d.attempts, createdAt: now, replayedAt: null },
    });
}

export async function listDeadLetters(db: Db, q: { beforeId?: string; pending?: boolean }, limit: number): Promise<DeadLetterRow[]> {
  return db
    .select()
    .from(deadLetters)
    .where(and(q.beforeId ? lt(deadLetters.id, q.beforeId) : undefined, q.pending ? isNull(deadLetters.replayedAt) : undefined))
    .orderBy(desc(deadLetters.id))
    .limit(limit);
}

export async function findDeadLetter(db: Db, id: string): Promise<DeadLetterRow | undefined> {
  const [row] = await db.select().from(deadLetters).where(eq(deadLetters.id, id)).limit(1);
  return row;
}

/** Marks a dead letter replayed, once: of two concurrent replays only one gets the row back. */
export async function claimReplay(db: Db, id: string, now = Date.now()): Promise<DeadLetterRow | undefined> {
  const [row] = await db
    .update(deadLetters)
    .set({ replayedAt: now })
    .where(and(eq(deadLetters.id, id), isNull(deadLetters.replayedAt)))
    .returning();
  return row;
}

export async function unclaimReplay(db: Db, id: string): Promise<void> {
  await db.update(deadLetters).set({ replayedAt: null }).where(eq(deadLetters.id, id));
}
