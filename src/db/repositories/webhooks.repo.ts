/**
 * Outbound webhooks: subscriptions and their delivery log. A scoped read takes `merchantId`:
 * undefined for the platform (every row), a merchant's id for its admin (only that merchant's rows).
 */
import { and, desc, eq, gte, inArray, lt, ne, sql } from "drizzle-orm";
import type { Db } from "../client";
import { orders, outbox, webhookDeliveries, webhookSubscriptions } from "../schema";
import { insertRow, updateRows, type Values } from "./statements";

export type SubscriptionRow = typeof webhookSubscriptions.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type NewDelivery = typeof webhookDeliveries.$inferInsert;
export type DeliveryStatus = DeliveryRow["status"];

const scoped = (column: typeof webhookSubscriptions.merchantId | typeof webhookDeliveries.merchantId, merchantId: string | undefined) =>
  merchantId === undefined ? undefined : eq(column, merchantId);

export async function insertSubscription(db: Db, row: typeof webhookSubscriptions.$inferInsert): Promise<void> {
  await db.insert(webhookSubscriptions).values(row);
}

/** A subscription that is not deleted, within the caller's scope. */
export async function findSubscription(db: Db, id: string, merchantId: string | undefined): Promise<SubscriptionRow | undefined> {
  const [row] = await db
    .select()
    .from(webhookSubscriptions)
    .where(
      and(eq(webhookSubscriptions.id, id), ne(webhookSubscriptions.status, "deleted"), scoped(webhookSubscriptions.merchantId, merchantId)),
    )
    .limit(1);
  return row;
}

/** Subscriptions that are not deleted, newest first. */
export async function listSubscriptions(
  db: Db,
  q: { merchantId: string | undefined; beforeId?: string },
  limit: number,
): Promise<SubscriptionRow[]> {
  return db
    .select()
    .from(webhookSubscriptions)
    .where(
      and(
        ne(webhookSubscriptions.status, "deleted"),
        scoped(webhookSubscriptions.merchantId, q.merchantId),
        q.beforeId ? lt(webhookSubscriptions.id, q.beforeId) : undefined,
      ),
    )
    .orderBy(desc(webhookSubscriptions.id))
    .limit(limit);
}

/** Changes a subscription that is not deleted; the row as it is now, undefined when there is none. */
export async function updateSubscription(
  db: Db,
  id: string,
  set: Values<typeof webhookSubscriptions>,
): Promise<SubscriptionRow | undefined> {
  const [row] = await db
    .update(webhookSubscriptions)
    .set(set as Partial<typeof webhookSubscriptions.$inferInsert>)
    .where(and(eq(webhookSubscriptions.id, id), ne(webhookSubscriptions.status, "deleted")))
    .returning();
  return row;
}

/** What fanning a queue batch of events out needs, read in one D1 round trip. */
export interface FanOutFacts {
  /** Outbox rows that exist (their writes happened), with when they were written. */
  written: Map<string, number>;
  /** Each order's merchant (null: a platform order). */
  merchants: Map<string, string | null>;
  /** Active and paused subscriptions that hear at least one of the batch's event types. */
  subscriptions: Pick<SubscriptionRow, "id" | "merchantId" | "events" | "status">[];
}

export async function fanOutFacts(db: Db, q: { messageIds: string[]; orderIds: string[]; types: string[] }): Promise<FanOutFacts> {
  const [written, owners, subs] = await db.batch([
    db.select({ id: outbox.id, createdAt: outbox.createdAt }).from(outbox).where(inArray(outbox.id, q.messageIds)),
    db.select({ id: orders.id, merchantId: orders.merchantId }).from(orders).where(inArray(orders.id, q.orderIds)),
    db
      .select({
        id: webhookSubscriptions.id,
        merchantId: webhookSubscriptions.merchantId,
        events: webhookSubscriptions.events,
        status: webhookSubscriptions.status,
      })
      .from(webhookSubscriptions)
      .where(
        and(
          inArray(webhookSubscriptions.status, ["active", "paused"]),
          sql`EXISTS (SELECT 1 FROM json_each(${webhookSubscriptions.events}) WHERE value IN (${sql.join(
            q.types.map((t) => sql`${t}`),
            sql`, `,
          )}))`,
        ),
      ),
  ]);
  return {
    written: new Map(written.map((r) => [r.id, r.createdAt])),
    merchants: new Map(owners.map((r) => [r.id, r.merchantId])),
    subscriptions: subs,
  };
}

/**
 * Writes the deliveries (one per subscription and event; one already there stays) and reads back
 * the ids of these events' deliveries never tried yet, in one batch: those are the ones to send
 * (a fan-out that is repeated sends again what its first run could not hand to the queue).
 */
export async function writeDeliveries(db: Db, rows: NewDelivery[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const statements = rows.map((r) => insertRow(db, webhookDeliveries, r, undefined, true));
  const eventIds = [...new Set(rows.map((r) => r.eventId))];
  const read = db.$client
    .prepare(
      `SELECT id FROM webhook_deliveries WHERE status = 'pending' AND attempts = 0 AND event_id IN (${eventIds.map(() => "?").join(", ")})`,
    )
    .bind(...eventIds);
  const results = await db.$client.batch([...statements, read]);
  return ((results[results.length - 1]?.results ?? []) as { id: string }[]).map((r) => r.id);
}

/** Deliveries with their subscription (for sending them). */
export async function deliveriesToSend(db: Db, ids: string[]): Promise<{ delivery: DeliveryRow; subscription: SubscriptionRow }[]> {
  if (ids.length === 0) return [];
  return db
    .select({ delivery: webhookDeliveries, subscription: webhookSubscriptions })
    .from(webhookDeliveries)
    .innerJoin(webhookSubscriptions, eq(webhookSubscriptions.id, webhookDeliveries.subscriptionId))
    .where(inArray(webhookDeliveries.id, ids));
}

/** The statement recording what one attempt did. */
export function recordAttempt(db: Db, id: string, set: Values<typeof webhookDeliveries>): D1PreparedStatement {
  return updateRows(db, webhookDeliveries, set, { sql: "id = ?", params: [id] });
}

/** Deliveries within the caller's scope, newest first. */
export async function listDeliveries(
  db: Db,
  q: { merchantId: string | undefined; subscriptionId?: string; status?: DeliveryStatus; beforeId?: string },
  limit: number,
): Promise<DeliveryRow[]> {
  return db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        scoped(webhookDeliveries.merchantId, q.merchantId),
        q.subscriptionId ? eq(webhookDeliveries.subscriptionId, q.subscriptionId) : undefined,
        q.status ? eq(webhookDeliveries.status, q.status) : undefined,
        q.beforeId ? lt(webhookDeliveries.id, q.beforeId) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit);
}

export async function findDelivery(db: Db, id: string, merchantId: string | undefined): Promise<DeliveryRow | undefined> {
  const [row] = await db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.id, id), scoped(webhookDeliveries.merchantId, merchantId)))
    .limit(1);
  return row;
}

/** Ids of a subscription's deliveries in `statuses` written since `since`, oldest first, at most `limit`. */
export async function deliveriesOf(
  db: Db,
  subscriptionId: string,
  statuses: DeliveryStatus[],
  since: number,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.subscriptionId, subscriptionId),
        inArray(webhookDeliveries.status, statuses),
        gte(webhookDeliveries.createdAt, since),
      ),
    )
    .orderBy(webhookDeliveries.id)
    .limit(limit);
  return rows.map((r) => r.id);
}

/** Puts deliveries back to be sent (a replay or a resumed subscription). */
export async function markPending(db: Db, ids: string[], now: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(webhookDeliveries)
    .set({ status: "pending", nextRetryAt: null, updatedAt: now })
    .where(inArray(webhookDeliveries.id, ids));
}
