/**
 * Alerts: something operators must look at (a dead letter, a reconciliation mismatch, an exception
 * queue above ALERT_EXCEPTION_QUEUE_THRESHOLD, a cell whose alarm keeps failing) goes to the alert
 * webhook (ALERT_WEBHOOK_URL, signed) and to every operator's notification centre, at most once per
 * key within ALERT_DEDUP_MINUTES: the repeats are counted (`alerts` in D1) and the next send says
 * how many were held back. Raising an alert never throws: it must not fail the work that found it.
 */
import { postAlert } from "../adapters/alert-webhook";
import { config } from "../config";
import { getDb } from "../db/client";
import { claimAlert, exceptionQueueSizes, noticeOperators, recentAlerts } from "../db/repositories/observability.repo";
import { newId } from "../lib/ids";
import { logger } from "../lib/log";
import type { Localized } from "../lib/locale";
import { METRICS, recordGauges } from "./metrics.service";

export type AlertKind = "dead_letter" | "reconciliation_mismatch" | "exception_queue" | "cell_alarm_failed" | "cell_surge";

export interface Alert {
  kind: AlertKind;
  /** What de-duplicates it: the same key is sent once per window. */
  key: string;
  cityId?: string | null;
  /** Ids, counts and names only: no PII (the details are logged, posted and shown). */
  details: Record<string, unknown>;
}

/** The texts of an alert, in both languages. */
function textsOf(a: Alert): { title: Localized; body: Localized } {
  const d = a.details;
  switch (a.kind) {
    case "dead_letter":
      return {
        title: { zh: "消息进入死信队列", en: "A message reached the dead letters" },
        body: {
          zh: `队列 ${String(d.queue)} 放弃了一条消息（${String(d.topic ?? "未知")}），请在死信页面查看并重放。`,
          en: `The queue ${String(d.queue)} gave up on a message (${String(d.topic ?? "unknown")}); see the dead letters to replay it.`,
        },
      };
    case "reconciliation_mismatch":
      return {
        title: { zh: "对账不一致", en: "Reconciliation mismatch" },
        body: {
          zh: `${String(d.provider)} ${String(d.day)} 的对账单有 ${String(d.mismatches)} 处不一致。`,
          en: `The ${String(d.provider)} statement of ${String(d.day)} shows ${String(d.mismatches)} mismatch(es).`,
        },
      };
    case "exception_queue":
      return {
        title: { zh: "异常队列过长", en: "Exception queue above threshold" },
        body: {
          zh: `城市 ${String(a.cityId)} 的异常队列有 ${String(d.size)} 单（阈值 ${String(d.threshold)}）。`,
          en: `City ${String(a.cityId)} has ${String(d.size)} orders in its exception queue (threshold ${String(d.threshold)}).`,
        },
      };
    case "cell_alarm_failed":
      return {
        title: { zh: "网格闹钟失败", en: "Cell alarm failing" },
        body: {
          zh: `网格 ${String(d.cell)} 的闹钟已连续失败 ${String(d.failures)} 次：${String(d.error)}`,
          en: `The alarm of cell ${String(d.cell)} failed ${String(d.failures)} time(s) in a row: ${String(d.error)}`,
        },
      };
    case "cell_surge":
      return {
        title: { zh: "网格需求激增", en: "Demand surge in a cell" },
        body: {
          zh: `网格 ${String(d.cell)} 需求激增：近期需求 ${String(d.demand)}，空闲技师 ${String(d.supply)}（比值 ${String(d.ratio)}）。`,
          en: `Cell ${String(d.cell)} is surging: recent demand ${String(d.demand)}, free technicians ${String(d.supply)} (ratio ${String(d.ratio)}).`,
        },
      };
  }
}

export interface Raised {
  /** False when the key was sent within the window (only counted). */
  sent: boolean;
  /** The webhook took it (null: no webhook configured, or not sent). */
  webhook: boolean | null;
  /** Operators whose notification centre got it. */
  operators: number;
  suppressed: number;
}

/** Raises one alert: counted always, sent when its key was not sent within ALERT_DEDUP_MINUTES. Never throws. */
export async function raiseAlert(env: Env, alert: Alert, now = Date.now()): Promise<Raised> {
  const out: Raised = { sent: false, webhook: null, operators: 0, suppressed: 0 };
  try {
    const cfg = config(env);
    const db = getDb(env);
    const claim = await claimAlert(
      db,
      { key: alert.key, kind: alert.kind, cityId: alert.cityId ?? null, details: alert.details },
      now,
      now - cfg.ALERT_DEDUP_MINUTES * 60_000,
    );
    out.suppressed = claim.suppressed;
    logger.error("alert", { kind: alert.kind, alertKey: alert.key, cityId: alert.cityId ?? null, sent: claim.send, ...alert.details });
    if (!claim.send) return out;
    out.sent = true;
    const { title, body } = textsOf(alert);
    const payload = {
      kind: alert.kind,
      key: alert.key,
      cityId: alert.cityId ?? null,
      details: alert.details,
      title,
      body,
      occurrences: claim.occurrences,
      at: new Date(now).toISOString(),
    };
    const [webhook, operators] = await Promise.allSettled([
      cfg.ALERT_WEBHOOK_URL
        ? postAlert(cfg.ALERT_WEBHOOK_URL, cfg.ALERT_WEBHOOK_SECRET, payload, now).then(() => true)
        : Promise.resolve(null),
      noticeOperators(
        db,
        {
          idPrefix: `${newId("ntf", now)}_`,
          kind: `alert.${alert.kind}`,
          title,
          body,
          data: { key: alert.key, cityId: alert.cityId ?? null, ...alert.details },
          sourceId: `alert:${alert.key}:${now}`,
        },
        now,
      ),
    ]);
    out.webhook = webhook.status === "fulfilled" ? webhook.value : false;
    out.operators = operators.status === "fulfilled" ? operators.value : 0;
    if (webhook.status === "rejected") logger.error("alert.webhook_failed", { alertKey: alert.key, error: String(webhook.reason) });
    if (operators.status === "rejected") logger.error("alert.notice_failed", { alertKey: alert.key, error: String(operators.reason) });
  } catch (err) {
    logger.error("alert.failed", { kind: alert.kind, alertKey: alert.key, error: String(err) });
  }
  return out;
}

/** A dead letter was parked: one alert per queue and window. */
export function alertDeadLetter(env: Env, queue: string, d: { id: string | null; topic: string | null }, now = Date.now()) {
  return raiseAlert(env, { kind: "dead_letter", key: `dead_letter:${queue}`, details: { queue, id: d.id, topic: d.topic } }, now);
}

/**
 * The cron's step: measures every city's exception queue (a gauge in the metrics) and raises an
 * alert for each city above ALERT_EXCEPTION_QUEUE_THRESHOLD. One grouped read, one write batch.
 */
export async function checkExceptionQueues(env: Env, now = Date.now()): Promise<{ cities: number; alerted: number }> {
  const threshold = config(env).ALERT_EXCEPTION_QUEUE_THRESHOLD;
  const sizes = await exceptionQueueSizes(getDb(env));
  await recordGauges(
    env,
    sizes.map((s) => ({ name: METRICS.exceptionQueue, cityId: s.cityId, value: s.n })),
    now,
  );
  let alerted = 0;
  for (const s of sizes) {
    if (s.n <= threshold) continue;
    alerted += 1;
    await raiseAlert(
      env,
      { kind: "exception_queue", key: `exception_queue:${s.cityId}`, cityId: s.cityId, details: { size: s.n, threshold } },
      now,
    );
  }
  return { cities: sizes.length, alerted };
}

/** The alerts seen in the last `hours`, newest first, for the operator screen. */
export async function alertsSince(env: Env, since: number, limit = 50) {
  const rows = await recentAlerts(getDb(env), since, limit);
  return rows.map((r) => ({
    key: r.key,
    kind: r.kind,
    cityId: r.cityId,
    details: r.details,
    occurrences: r.occurrences,
    suppressed: r.suppressed,
    firstAt: new Date(r.firstAt).toISOString(),
    lastAt: new Date(r.lastAt).toISOString(),
    sentAt: new Date(r.sentAt).toISOString(),
  }));
}
