/**
 * Metrics: each point goes to Workers Analytics Engine (the METRICS dataset: blob1 = metric name,
 * blob2 = city id or "", double1 = value, index1 = metric name) for dashboards and SQL queries in
 * Cloudflare, and the points the operator screen needs are also added to a per-hour rollup in D1
 * (`metrics_hourly`), which the screen reads: Analytics Engine's SQL API is an HTTP API of the
 * account, not a binding, and does not exist locally (Miniflare accepts writes and drops them).
 */
import { getDb } from "../db/client";
import { findCity } from "../db/repositories/cities.repo";
import {
  addToRollup,
  bookingsPerHour,
  dispatchOutcomesPerHour,
  exceptionQueueSizes,
  hourOf,
  readRollup,
  setGauge,
  type MetricPoint,
} from "../db/repositories/observability.repo";
import { notFound } from "../errors";
import { runBatch } from "../db/repositories/statements";
import { logger } from "../lib/log";

/** The metrics written, by name. */
export const METRICS = {
  /** An order was booked (value 1). */
  booking: "booking",
  /** A dispatch decision (value 1); the outcome is in the name's suffix: `dispatch.<reason>`. */
  dispatch: "dispatch",
  /** A payment provider's webhook refused (bad signature, unreadable, disagreeing) (value 1). */
  webhookFailure: "webhook_failure",
  /** How long a queue message waited before its consumer took it (ms); one point per batch, its oldest. */
  queueLag: "queue_lag_ms",
  /** Orders in a city's exception queue (a gauge, set by the cron every minute). */
  exceptionQueue: "exception_queue",
} as const;

/** Writes the point to Analytics Engine (never throws: metrics must not fail the work they measure). */
export function writePoint(env: Env, p: MetricPoint): void {
  try {
    env.METRICS?.writeDataPoint({ blobs: [p.name, p.cityId ?? ""], doubles: [p.value], indexes: [p.name] });
  } catch (err) {
    logger.warn("metrics.write_failed", { name: p.name, error: String(err) });
  }
}

/** The rollup statement for a counted point (to join a batch the caller runs anyway), after writing it to Analytics Engine. */
export function countStatement(env: Env, p: MetricPoint, now = Date.now()): D1PreparedStatement {
  writePoint(env, p);
  return addToRollup(getDb(env), p, now);
}

/** Records counted points now: Analytics Engine and one D1 batch for the rollup. Never throws. */
export async function recordMetrics(env: Env, points: MetricPoint[], now = Date.now()): Promise<void> {
  if (points.length === 0) return;
  try {
    await runBatch(
      getDb(env),
      points.map((p) => countStatement(env, p, now)),
    );
  } catch (err) {
    logger.warn("metrics.rollup_failed", { names: points.map((p) => p.name), error: String(err) });
  }
}

/** Records gauges (the latest value per hour, the largest kept): Analytics Engine and one D1 batch. */
export async function recordGauges(env: Env, points: MetricPoint[], now = Date.now()): Promise<void> {
  if (points.length === 0) return;
  const db = getDb(env);
  for (const p of points) writePoint(env, p);
  await runBatch(
    db,
    points.map((p) => setGauge(db, p, now)),
  );
}

/** The lag of a queue batch: how long its oldest message waited (ms). */
export function batchLag(batch: MessageBatch<unknown>, now = Date.now()): number {
  let oldest = now;
  for (const m of batch.messages) oldest = Math.min(oldest, m.timestamp.getTime());
  return Math.max(0, now - oldest);
}

export interface HourView {
  hour: string;
  bookings: number;
  /** Dispatch decisions by outcome (the decision's reason). */
  dispatch: Record<string, number>;
  webhookFailures: number;
  /** Queue lag of the hour's batches: their average and the largest, in ms (null: no batch). */
  queueLagMsAvg: number | null;
  queueLagMsMax: number | null;
  /** The city's exception queue: the latest size measured in the hour and the largest (null: not measured). */
  exceptionQueue: number | null;
  exceptionQueueMax: number | null;
}

/**
 * The operator screen's numbers for a city, per hour of the last `hours`: bookings and dispatch
 * outcomes counted from their own tables, webhook failures, queue lag and the exception queue from
 * the D1 rollup; with the exception queue as it is now. Four reads in parallel.
 */
export async function cityMetrics(env: Env, cityId: string, hours: number, now = Date.now()) {
  const db = getDb(env);
  const city = await findCity(db, cityId);
  if (!city) throw notFound({ en: "City", zh: "城市" });
  const since = hourOf(now) - (hours - 1) * 3_600_000;
  const [bookings, dispatch, rollup, queues] = await Promise.all([
    bookingsPerHour(db, cityId, since),
    dispatchOutcomesPerHour(db, cityId, since),
    readRollup(db, cityId, since),
    exceptionQueueSizes(db),
  ]);
  const byHour = new Map<number, HourView>();
  for (let h = since; h <= hourOf(now); h += 3_600_000) {
    byHour.set(h, {
      hour: new Date(h).toISOString(),
      bookings: 0,
      dispatch: {},
      webhookFailures: 0,
      queueLagMsAvg: null,
      queueLagMsMax: null,
      exceptionQueue: null,
      exceptionQueueMax: null,
    });
  }
  for (const b of bookings) {
    const v = byHour.get(b.hour);
    if (v) v.bookings = b.n;
  }
  for (const d of dispatch) {
    const v = byHour.get(d.hour);
    if (v) v.dispatch[d.reason] = (v.dispatch[d.reason] ?? 0) + d.n;
  }
  for (const r of rollup) {
    const v = byHour.get(r.hour);
    if (!v) continue;
    if (r.name === METRICS.webhookFailure) v.webhookFailures += r.count;
    else if (r.name === METRICS.queueLag) {
      v.queueLagMsAvg = r.count > 0 ? Math.round(r.total / r.count) : null;
      v.queueLagMsMax = Math.round(r.max);
    } else if (r.name === METRICS.exceptionQueue && r.cityId === cityId) {
      v.exceptionQueue = Math.round(r.total);
      v.exceptionQueueMax = Math.round(r.max);
    }
  }
  return {
    cityId,
    hours: [...byHour.values()],
    exceptionQueueNow: queues.find((q) => q.cityId === cityId)?.n ?? 0,
  };
}
