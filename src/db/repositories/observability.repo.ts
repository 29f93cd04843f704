/** Alerts (their de-duplication), the operators' notices of them, and the metrics rollup. */
import type { Db } from "../client";
import type { Localized } from "../../lib/locale";

export interface AlertClaim {
  /** True when this occurrence is to be sent (first of its key, or the window has passed). */
  send: boolean;
  occurrences: number;
  /** Occurrences held back since the last send, this one included when it is not sent. */
  suppressed: number;
}

/**
 * Records one occurrence of the alert `key` and decides, in one statement (so two isolates racing
 * agree), whether to send it: yes when the key is new or was last sent at or before `sentBefore`.
 */
export async function claimAlert(
  db: Db,
  a: { key: string; kind: string; cityId: string | null; details: Record<string, unknown> },
  now: number,
  sentBefore: number,
): Promise<AlertClaim> {
  const row = await db.$client
    .prepare(
      `INSERT INTO alerts (key, kind, city_id, details, occurrences, suppressed, first_at, last_at, sent_at)
       VALUES (?1, ?2, ?3, ?4, 1, 0, ?5, ?5, ?5)
       ON CONFLICT(key) DO UPDATE SET
         details = excluded.details,
         occurrences = alerts.occurrences + 1,
         last_at = excluded.last_at,
         suppressed = CASE WHEN alerts.sent_at <= ?6 THEN 0 ELSE alerts.suppressed + 1 END,
         sent_at = CASE WHEN alerts.sent_at <= ?6 THEN excluded.sent_at ELSE alerts.sent_at END
       RETURNING occurrences, suppressed`,
    )
    .bind(a.key, a.kind, a.cityId, JSON.stringify(a.details), now, sentBefore)
    .first<{ occurrences: number; suppressed: number }>();
  // A send resets `suppressed` to 0, a held-back repeat raises it: 0 means this occurrence is the one to send
  // (comparing sent_at with now would not do: two raises of the same millisecond would both send).
  return { send: row!.suppressed === 0, occurrences: row!.occurrences, suppressed: row!.suppressed };
}

export interface AlertRow {
  key: string;
  kind: string;
  cityId: string | null;
  details: Record<string, unknown>;
  occurrences: number;
  suppressed: number;
  firstAt: number;
  lastAt: number;
  sentAt: number;
}

/** The alerts seen since `since`, newest first. */
export async function recentAlerts(db: Db, since: number, limit: number): Promise<AlertRow[]> {
  const { results } = await db.$client
    .prepare(
      "SELECT key, kind, city_id, details, occurrences, suppressed, first_at, last_at, sent_at FROM alerts WHERE last_at >= ? ORDER BY last_at DESC LIMIT ?",
    )
    .bind(since, limit)
    .all<{
      key: string;
      kind: string;
      city_id: string | null;
      details: string;
      occurrences: number;
      suppressed: number;
      first_at: number;
      last_at: number;
      sent_at: number;
    }>();
  return results.map((r) => ({
    key: r.key,
    kind: r.kind,
    cityId: r.city_id,
    details: JSON.parse(r.details) as Record<string, unknown>,
    occurrences: r.occurrences,
    suppressed: r.suppressed,
    firstAt: r.first_at,
    lastAt: r.last_at,
    sentAt: r.sent_at,
  }));
}

/**
 * One notice in the notification centre of every active operator (one statement); a second call
 * with the same `sourceId` adds nothing. Returns how many accounts got it.
 */
export async function noticeOperators(
  db: Db,
  n: { idPrefix: string; kind: string; title: Localized; body: Localized; data: Record<string, unknown>; sourceId: string },
  now: number,
): Promise<number> {
  const res = await db.$client
    .prepare(
      `INSERT INTO notifications (id, account_id, kind, title, body, data, source_id, read_at, created_at)
       SELECT ?1 || a.id, a.id, ?2, ?3, ?4, ?5, ?6, NULL, ?7 FROM accounts a
       WHERE a.status = 'active' AND EXISTS (SELECT 1 FROM json_each(a.roles) WHERE value = 'operator')
       ON CONFLICT DO NOTHING`,
    )
    .bind(n.idPrefix, n.kind, JSON.stringify(n.title), JSON.stringify(n.body), JSON.stringify(n.data), n.sourceId, now)
    .run();
  return res.meta.changes ?? 0;
}

export interface MetricPoint {
  name: string;
  cityId: string | null;
  value: number;
}

/** The hour (UTC epoch ms of its start) `at` falls in. */
export const hourOf = (at: number) => Math.floor(at / 3_600_000) * 3_600_000;

/** Adds a point to its hour's rollup row: count + 1, total + value, max kept (one statement, for a batch). */
export function addToRollup(db: Db, p: MetricPoint, at: number): D1PreparedStatement {
  return db.$client
    .prepare(
      `INSERT INTO metrics_hourly (hour, city_id, name, count, total, max) VALUES (?1, ?2, ?3, 1, ?4, ?4)
       ON CONFLICT(hour, city_id, name) DO UPDATE SET count = count + 1, total = total + excluded.total, max = MAX(max, excluded.max)`,
    )
    .bind(hourOf(at), p.cityId ?? "", p.name, p.value);
}

/** Sets a gauge for its hour: the latest value as total (count 1), the largest seen as max. */
export function setGauge(db: Db, p: MetricPoint, at: number): D1PreparedStatement {
  return db.$client
    .prepare(
      `INSERT INTO metrics_hourly (hour, city_id, name, count, total, max) VALUES (?1, ?2, ?3, 1, ?4, ?4)
       ON CONFLICT(hour, city_id, name) DO UPDATE SET count = 1, total = excluded.total, max = MAX(max, excluded.max)`,
    )
    .bind(hourOf(at), p.cityId ?? "", p.name, p.value);
}

export interface RollupRow {
  hour: number;
  cityId: string;
  name: string;
  count: number;
  total: number;
  max: number;
}

/** The rollup rows from `since` for the city (and the rows of no city: queues, webhooks). */
export async function readRollup(db: Db, cityId: string | null, since: number): Promise<RollupRow[]> {
  const { results } = await db.$client
    .prepare(
      "SELECT hour, city_id AS cityId, name, count, total, max FROM metrics_hourly WHERE hour >= ? AND (city_id = '' OR city_id = ?) ORDER BY hour",
    )
    .bind(hourOf(since), cityId ?? "")
    .all<RollupRow>();
  return results;
}

/** Orders booked per hour since `since` in the city (orders_city_created_idx). */
export async function bookingsPerHour(db: Db, cityId: string, since: number): Promise<{ hour: number; n: number }[]> {
  const { results } = await db.$client
    .prepare("SELECT (created_at / 3600000) * 3600000 AS hour, COUNT(*) AS n FROM orders WHERE city_id = ? AND created_at >= ? GROUP BY 1")
    .bind(cityId, since)
    .all<{ hour: number; n: number }>();
  return results;
}

/** Dispatch decisions per hour and outcome since `since` for the city's orders (dispatch_decisions_created_idx). */
export async function dispatchOutcomesPerHour(
  db: Db,
  cityId: string,
  since: number,
): Promise<{ hour: number; reason: string; n: number }[]> {
  const { results } = await db.$client
    .prepare(
      `SELECT (d.created_at / 3600000) * 3600000 AS hour, d.reason AS reason, COUNT(*) AS n
       FROM dispatch_decisions d JOIN orders o ON o.id = d.order_id
       WHERE d.created_at >= ? AND o.city_id = ? GROUP BY 1, 2`,
    )
    .bind(since, cityId)
    .all<{ hour: number; reason: string; n: number }>();
  return results;
}

/** How many orders wait in the exception queue, per city (orders_exception_idx). */
export async function exceptionQueueSizes(db: Db): Promise<{ cityId: string; n: number }[]> {
  const { results } = await db.$client
    .prepare("SELECT city_id AS cityId, COUNT(*) AS n FROM orders WHERE exception IS NOT NULL GROUP BY city_id")
    .all<{ cityId: string; n: number }>();
  return results;
}
