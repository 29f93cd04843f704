/** The outbox, the in-app notification centre, outside-channel deliveries and dead letters. */
import type { OutboxMessage } from "../../domain/outbox";
import { and, desc, eq, gte, inArray, isNull, lt, lte, sql } from "drizzle-orm";
import type { Db } from "../client";
import { deadLetters, notificationDeliveries, notifications, outbox } from "../schema";
import type { Localized } from "../../lib/locale";
import { chunked } from "../chunks";
import { collectMessage } from "../outbox-collector";

export type OutboxRow = typeof outbox.$inferSelect;
export type NotificationRow = typeof notifications.$inferSelect;
export type DeadLetterRow = typeof deadLetters.$inferSelect;

// ——— outbox ———

/**
 * Takes up to `limit` of the oldest messages not yet marked sent and written before `writtenBefore`,
 * for `leaseMs`: concurrent drains never take the same message, and one that died before sending
 * frees it when the lease ends.
 */
export async function claimUnsent(db: Db, limit: number, leaseMs: number, now = Date.now(), writtenBefore = now): Promise<OutboxRow[]> {
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
      WHERE sent_at IS NULL AND created_at <= ${writtenBefore} AND (claimed_until IS NULL OR claimed_until < ${now})
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

export async function findMessage(db: Db, id: string): Promise<OutboxRow | undefined> {
  const [row] = await db.select().from(outbox).where(eq(outbox.id, id)).limit(1);
  return row;
}

/** How many messages written before `writtenBefore` are not marked sent, and since when. */
export async function outboxBacklog(db: Db, writtenBefore = Date.now()): Promise<{ count: number; oldest: number | null }> {
  const [row] = await db
    .select({ count: sql<number>`count(*)`, oldest: sql<number | null>`min(${outbox.createdAt})` })
    .from(outbox)
    .where(and(isNull(outbox.sentAt), lte(outbox.createdAt, writtenBefore)));
  return { count: row?.count ?? 0, oldest: row?.oldest ?? null };
}

/** Statuses in which an order still has a visit ahead of it. */
const UPCOMING = ["confirmed", "dispatching", "assigned", "accepted"] as const;

/**
 * Writes the `lead` reminder of every upcoming order starting within `leadMs` of `now`, once per
 * order (the message id is derived from the order, so a repeat is ignored), and collects those it
 * wrote for the queue (src/db/outbox-collector.ts). Orders booked inside the lead time get none:
 * they were just told. Returns how many were written.
 */
export async function queueReminders(db: Db, lead: "24h" | "1h", leadMs: number, now: number): Promise<number> {
  const written = await db.all<{ id: string; topic: string; payload: string }>(sql`
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
    ON CONFLICT (id) DO NOTHING
    RETURNING id, topic, payload`);
  for (const m of written) collectMessage(db.$client, { id: m.id, topic: m.topic, payload: JSON.parse(m.payload) as object });
  return written.length;
}

// ——— the consumer's batch: one read, one write ———

export interface Recipient {
  accountId: string;
  phoneEnc: string;
}

/** What the notifications consumer asks about one queue batch (ids are deduplicated by the caller or here). */
export interface DeliveryFactsQuery {
  /** The messages of the batch: their outbox rows and the deliveries already made for them. */
  messageIds: string[];
  /** Customers (account ids) and technicians (technician ids) the notices go to. */
  customerIds: string[];
  technicianIds: string[];
  /** Orders whose city's time zone the notices are written in. */
  orderIds: string[];
  /** Whether to read the recipients' push devices (live push only). */
  devices: boolean;
  /** The mini program whose WeChat bindings of the recipients to read (null: none). */
  wechatAppid: string | null;
  /** Orders whose number binding may need work: the order and its open bindings are read. */
  numberOrderIds: string[];
}

export interface PushDeviceFact {
  id: string;
  provider: "jpush" | "fcm";
  token: string;
}

/** An order as number privacy judges it, with its bindings that are not released. */
export interface NumberFact {
  order: { id: string; status: string; technicianId: string | null; completedAt: number | null; updatedAt: number };
  bindings: { status: "pending" | "active" | "skipped"; technicianId: string; expiresAt: number | null; nextAttemptAt: number | null }[];
}

export interface DeliveryFacts {
  /** The batch's messages that have an outbox row, and whether the row is marked sent. */
  rows: Map<string, { sent: boolean }>;
  /** Recipients: customers by account id, technicians by technician id. */
  customers: Map<string, Recipient>;
  technicians: Map<string, Recipient>;
  /** Each order's time zone. */
  timeZones: Map<string, string>;
  /** Deliveries already made, as `<messageId>:<accountId>:<channel>:<kind>`. */
  delivered: Set<string>;
  /** Whether any webhook subscription (active or paused) exists: without one, no event needs fanning out. */
  webhooks: boolean;
  /** The recipients' push devices by account id, oldest first (empty unless asked for). */
  devices: Map<string, PushDeviceFact[]>;
  /** The recipients' WeChat bindings under the app asked for, by account id. */
  wechat: Map<string, { openid: string; lang: "zh" | "en" }>;
  /** Orders asked about for number privacy, by id. */
  numbers: Map<string, NumberFact>;
}

// Every list of ids travels as one JSON parameter (D1 binds at most 100 parameters a statement).
const ids = (path: string) => `SELECT value FROM json_each(?1, '$.${path}')`;
const RECIPIENTS = `(${ids("c")} UNION SELECT account_id FROM technicians WHERE id IN (${ids("t")}))`;
const FACTS_SQL = `SELECT
  (SELECT json_group_array(json_array(id, sent_at IS NOT NULL)) FROM outbox WHERE id IN (${ids("m")})) AS rows,
  (SELECT json_group_array(json_array(id, phone_enc)) FROM accounts WHERE id IN (${ids("c")})) AS customers,
  (SELECT json_group_array(json_array(t.id, a.id, a.phone_enc)) FROM technicians t JOIN accounts a ON a.id = t.account_id
     WHERE t.id IN (${ids("t")})) AS technicians,
  (SELECT json_group_array(json_array(o.id, c.time_zone)) FROM orders o JOIN cities c ON c.id = o.city_id
     WHERE o.id IN (${ids("o")})) AS zones,
  (SELECT json_group_array(json_array(m.value, d.account_id, d.channel, d.kind)) FROM json_each(?1, '$.m') m
     JOIN notification_deliveries d ON d.message_id >= m.value || '#' AND d.message_id < m.value || '$') AS delivered,
  (SELECT json_group_array(json_array(id, account_id, provider, token)) FROM push_devices
     WHERE json_extract(?1, '$.dev') = 1 AND account_id IN ${RECIPIENTS}) AS devices,
  (SELECT json_group_array(json_array(account_id, openid, lang)) FROM wechat_bindings
     WHERE appid = json_extract(?1, '$.app') AND account_id IN ${RECIPIENTS}) AS wechat,
  (SELECT json_group_array(json_object('id', o.id, 'status', o.status, 'technicianId', o.technician_id,
       'completedAt', o.completed_at, 'updatedAt', o.updated_at,
       'bindings', json((SELECT json_group_array(json_array(b.status, b.technician_id, b.expires_at, b.next_attempt_at))
         FROM (SELECT * FROM number_bindings WHERE order_id = o.id AND status IN ('pending', 'active', 'skipped')
               ORDER BY created_at, id) b))))
     FROM orders o WHERE o.id IN (${ids("n")})) AS numbers,
  EXISTS (SELECT 1 FROM webhook_subscriptions WHERE status IN ('active', 'paused')) AS webhooks`;

const parsed = <T>(text: string | null | undefined): T[] => (text ? (JSON.parse(text) as T[]) : []);
const unique = (xs: string[]) => [...new Set(xs)];

/**
 * Everything delivering one queue batch needs, in ONE statement however many messages it holds:
 * the messages' outbox rows, their recipients (accounts and phones), the orders' time zones, the
 * deliveries already made, and (when asked) push devices, WeChat bindings and number-privacy state.
 */
export async function deliveryFacts(db: Db, q: DeliveryFactsQuery): Promise<DeliveryFacts> {
  const param = JSON.stringify({
    m: unique(q.messageIds),
    c: unique(q.customerIds),
    t: unique(q.technicianIds),
    o: unique(q.orderIds),
    dev: q.devices ? 1 : 0,
    app: q.wechatAppid,
    n: unique(q.numberOrderIds),
  });
  const row = await db.$client.prepare(FACTS_SQL).bind(param).first<Record<string, string | null>>();
  const devices = new Map<string, PushDeviceFact[]>();
  for (const [id, accountId, provider, token] of parsed<[string, string, "jpush" | "fcm", string]>(row?.devices).sort((a, b) =>
    a[0] < b[0] ? -1 : 1,
  )) {
    devices.set(accountId, [...(devices.get(accountId) ?? []), { id, provider, token }]);
  }
  return {
    rows: new Map(parsed<[string, number]>(row?.rows).map(([id, sent]) => [id, { sent: sent === 1 }])),
    customers: new Map(parsed<[string, string]>(row?.customers).map(([accountId, phoneEnc]) => [accountId, { accountId, phoneEnc }])),
    technicians: new Map(
      parsed<[string, string, string]>(row?.technicians).map(([id, accountId, phoneEnc]) => [id, { accountId, phoneEnc }]),
    ),
    timeZones: new Map(parsed<[string, string]>(row?.zones)),
    delivered: new Set(parsed<[string, string, string, string]>(row?.delivered).map((d) => d.join(":"))),
    // No row (cannot happen for a SELECT without FROM): as if there were subscriptions.
    webhooks: row ? Number(row.webhooks) === 1 : true,
    devices,
    wechat: new Map(parsed<[string, string, "zh" | "en"]>(row?.wechat).map(([accountId, openid, lang]) => [accountId, { openid, lang }])),
    numbers: new Map(
      parsed<NumberFact["order"] & { bindings: [NumberFact["bindings"][number]["status"], string, number | null, number | null][] }>(
        row?.numbers,
      ).map(({ bindings, ...order }) => [
        order.id,
        {
          order,
          bindings: bindings.map(([status, technicianId, expiresAt, nextAttemptAt]) => ({
            status,
            technicianId,
            expiresAt,
            nextAttemptAt,
          })),
        },
      ]),
    ),
  };
}

export interface NewNotification {
  id: string;
  accountId: string;
  kind: string;
  title: Localized;
  body: Localized;
  data: Record<string, unknown>;
  sourceId: string;
}

/** What the notifications consumer writes for one queue batch. */
export interface DeliveryWrites {
  /** In-app notices (a notice already written for the same message, kind and account is kept). */
  inapp: NewNotification[];
  /** Outside-channel deliveries made (`messageId` is `<message id>#<kind>`). */
  sent: { messageId: string; accountId: string; channel: "push" | "sms" | "wechat"; kind: string }[];
  /** Failed deliveries of messages (the queue retries them, or they go to the dead letters). */
  failures: { id: string; attempts: number; error: string }[];
  /** Messages given up on, kept for operators (the same id again replaces the old one). */
  deadLetters: { id: string; topic: string; payload: Record<string, unknown>; error: string; attempts: number }[];
  /** Push devices whose tokens the provider no longer knows. */
  staleDevices: string[];
  /** The batch's outbox messages, marked sent where not already. */
  taken: string[];
}

/**
 * The statements that write what delivering one queue batch did: at most one per kind of record,
 * however many messages the batch holds (each list is one JSON parameter), and none for an empty list.
 */
export function deliveryWrites(db: Db, w: DeliveryWrites, now = Date.now()): D1PreparedStatement[] {
  const raw = db.$client;
  const out: D1PreparedStatement[] = [];
  const json = (v: unknown) => JSON.stringify(v);
  if (w.inapp.length > 0) {
    out.push(
      raw
        .prepare(
          `INSERT INTO notifications (id, account_id, kind, title, body, data, source_id, read_at, created_at)
           SELECT value ->> '$.id', value ->> '$.accountId', value ->> '$.kind', json(value -> '$.title'), json(value -> '$.body'),
                  json(value -> '$.data'), value ->> '$.sourceId', NULL, ?2
           FROM json_each(?1) WHERE true
           ON CONFLICT DO NOTHING`,
        )
        .bind(json(w.inapp), now),
    );
  }
  if (w.sent.length > 0) {
    out.push(
      raw
        .prepare(
          `INSERT INTO notification_deliveries (message_id, account_id, channel, kind, sent_at)
           SELECT value ->> '$.messageId', value ->> '$.accountId', value ->> '$.channel', value ->> '$.kind', ?2
           FROM json_each(?1) WHERE true
           ON CONFLICT DO NOTHING`,
        )
        .bind(json(w.sent), now),
    );
  }
  if (w.failures.length > 0) {
    out.push(
      raw
        .prepare(
          `UPDATE outbox SET attempts = f.value ->> '$.attempts', last_error = f.value ->> '$.error'
           FROM json_each(?1) AS f WHERE outbox.id = f.value ->> '$.id'`,
        )
        .bind(json(w.failures.map((f) => ({ ...f, error: f.error.slice(0, 500) })))),
    );
  }
  if (w.deadLetters.length > 0) {
    out.push(
      raw
        .prepare(
          `INSERT INTO dead_letters (id, queue, topic, payload, error, attempts, created_at, replayed_at)
           SELECT value ->> '$.id', 'doorstep-notifications', value ->> '$.topic', json(value -> '$.payload'), value ->> '$.error',
                  value ->> '$.attempts', ?2, NULL
           FROM json_each(?1) WHERE true
           ON CONFLICT (id) DO UPDATE SET error = excluded.error, attempts = excluded.attempts, created_at = excluded.created_at,
             replayed_at = NULL`,
        )
        .bind(json(w.deadLetters), now),
    );
  }
  if (w.staleDevices.length > 0) {
    out.push(raw.prepare("DELETE FROM push_devices WHERE id IN (SELECT value FROM json_each(?1))").bind(json(w.staleDevices)));
  }
  if (w.taken.length > 0) {
    out.push(
      raw
        .prepare("UPDATE outbox SET sent_at = ?2, claimed_until = NULL WHERE id IN (SELECT value FROM json_each(?1)) AND sent_at IS NULL")
        .bind(json(unique(w.taken)), now),
    );
  }
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

/** Deliveries of every notice of one message (keyed `<messageId>#<kind>`; "$" sorts right after "#"). */
const ofMessage = (messageId: string) =>
  and(gte(notificationDeliveries.messageId, `${messageId}#`), lt(notificationDeliveries.messageId, `${messageId}$`));

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
