/**
 * The `doorstep-webhooks` queue. Nothing is added to the booking's path: the notifications consumer
 * forwards the outbox messages integrators hear (`forwardEvents`, a queue send and no D1 statement;
 * none at all when its batch's read found no active or paused subscription, so a platform without
 * integrators pays nothing here), and this consumer does the rest in two kinds of message:
 *
 * - `event`: one outbox message. The batch's events are fanned out to the subscriptions that hear
 *   them (a paused one's deliveries are `held` until it resumes) (a merchant's subscription only its own orders') with ONE D1 read (the outbox rows, the
 *   orders' merchants, the subscriptions) and ONE write batch (a delivery per subscription and event,
 *   unique, so a message delivered twice makes no second delivery); each new delivery is then sent
 *   to this queue as a message of its own.
 * - `delivery`: one delivery to send: signed (src/webhooks/signature.ts), POSTed with a timeout and
 *   without following redirects, and recorded (attempts, status code, latency, the response cut
 *   short). A failure is retried by the queue after `WEBHOOK_RETRY_SECONDS`, doubling (at most an
 *   hour), until `WEBHOOK_MAX_ATTEMPTS` sends; then the delivery is `failed`, to be replayed.
 *   The URL passes the SSRF guard again before every send.
 */
import { logger } from "../lib/log";
import { config } from "../config";
import { getDb } from "../db/client";
import {
  deliveriesToSend,
  fanOutFacts,
  recordAttempt,
  writeDeliveries,
  type DeliveryRow,
  type NewDelivery,
  type SubscriptionRow,
} from "../db/repositories/webhooks.repo";
import { runBatch } from "../db/repositories/statements";
import { outboxMessage, type OutboxMessage } from "../domain/outbox";
import { eventBody, eventsOf, truncated, WEBHOOK_TOPICS, webhookRetryDelay, type WebhookEvent } from "../domain/webhooks";
import { newId } from "../lib/ids";
import { SIGNATURE_HEADER, signatureHeader } from "./signature";
import { guardUrl } from "./url-guard";
import { signingSecrets } from "./secrets";

/** The queue's name as configured in wrangler.toml. */
export const WEBHOOKS_QUEUE = "doorstep-webhooks";

/** A message of the webhooks queue. */
export type WebhookQueueMessage = { kind: "event"; message: OutboxMessage } | { kind: "delivery"; deliveryId: string };

const log = (level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown>) =>
  (level === "info" ? logger.info : logger.error)(msg, fields);

const BATCH = 100;

async function sendAll(env: Env, bodies: WebhookQueueMessage[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += BATCH) {
    await env.WEBHOOKS.sendBatch(bodies.slice(i, i + BATCH).map((body) => ({ body, contentType: "json" as const })));
  }
}

/**
 * Hands the messages integrators may hear to the webhooks queue (called by the notifications
 * consumer, before it records its batch: a failed send retries that batch). No D1 statement.
 */
export async function forwardEvents(env: Env, messages: OutboxMessage[]): Promise<void> {
  const heard = messages.filter((m) => WEBHOOK_TOPICS.has(m.topic) && eventsOf(m).length > 0);
  await sendAll(
    env,
    heard.map((message) => ({ kind: "event", message })),
  );
}

/** Sends deliveries to the queue to be tried (new ones, replays, a resumed subscription's held ones). */
export async function enqueueDeliveries(env: Env, ids: string[]): Promise<void> {
  await sendAll(
    env,
    ids.map((deliveryId) => ({ kind: "delivery", deliveryId })),
  );
}

function isQueueMessage(v: unknown): v is WebhookQueueMessage {
  const o = v as { kind?: unknown; deliveryId?: unknown; message?: unknown } | null;
  return !!o && ((o.kind === "delivery" && typeof o.deliveryId === "string") || (o.kind === "event" && typeof o.message === "object"));
}

/** The `doorstep-webhooks` consumer: fans events out, sends deliveries. */
export async function consumeWebhooks(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const events: { msg: Message<unknown>; message: OutboxMessage }[] = [];
  const sends: { msg: Message<unknown>; deliveryId: string }[] = [];
  for (const msg of batch.messages) {
    const body = msg.body;
    if (!isQueueMessage(body)) {
      log("error", "webhook.invalid_message", { id: msg.id });
      msg.ack();
      continue;
    }
    if (body.kind === "delivery") {
      sends.push({ msg, deliveryId: body.deliveryId });
      continue;
    }
    const parsed = outboxMessage.safeParse(body.message);
    if (!parsed.success) {
      log("error", "webhook.invalid_event", { id: msg.id });
      msg.ack();
      continue;
    }
    events.push({ msg, message: parsed.data });
  }
  if (events.length > 0) await fanOut(env, events);
  if (sends.length > 0) await sendDeliveries(env, sends);
}

async function fanOut(env: Env, items: { msg: Message<unknown>; message: OutboxMessage }[]): Promise<void> {
  const cfg = config(env);
  const db = getDb(env);
  const now = Date.now();
  const made = items.map((i) => ({ ...i, events: eventsOf(i.message) }));
  const all: WebhookEvent[] = made.flatMap((m) => m.events);
  try {
    const facts =
      all.length === 0
        ? null
        : await fanOutFacts(db, {
            messageIds: made.map((m) => m.message.id),
            orderIds: [...new Set(all.map((e) => e.orderId))],
            types: [...new Set(all.map((e) => e.type))],
          });
    const rows: NewDelivery[] = [];
    for (const { message, events } of made) {
      const writtenAt = facts?.written.get(message.id);
      // Collected by a write that did not happen: nothing to tell anyone.
      if (!facts || writtenAt === undefined) continue;
      for (const e of events) {
        const merchantId = facts.merchants.get(e.orderId) ?? null;
        for (const sub of facts.subscriptions) {
          if (!sub.events.includes(e.type)) continue;
          if (sub.merchantId !== null && sub.merchantId !== merchantId) continue;
          rows.push({
            id: newId("whd", now),
            subscriptionId: sub.id,
            merchantId: sub.merchantId,
            eventId: e.id,
            eventType: e.type,
            orderId: e.orderId,
            body: eventBody(e, merchantId, writtenAt),
            // A paused subscription's deliveries wait (`held`) and go out when it resumes.
            status: sub.status === "paused" ? "held" : "pending",
            attempts: 0,
            createdAt: now,
            updatedAt: now,
          });
        }
      }
    }
    const ids = await writeDeliveries(db, rows);
    await enqueueDeliveries(env, ids);
    if (ids.length > 0) log("info", "webhook.fanned_out", { events: all.length, deliveries: ids.length });
  } catch (err) {
    log("error", "webhook.fan_out_failed", { messages: items.length, error: String(err) });
    for (const { msg } of items) msg.retry({ delaySeconds: webhookRetryDelay(cfg.WEBHOOK_RETRY_SECONDS, msg.attempts) });
    return;
  }
  for (const { msg } of items) msg.ack();
}

/** What one attempt did. */
interface Attempt {
  set: Partial<DeliveryRow>;
  settle: () => void;
}

async function attempt(env: Env, msg: Message<unknown>, d: DeliveryRow, sub: SubscriptionRow, now: number): Promise<Attempt> {
  const cfg = config(env);
  const ack = () => msg.ack();
  if (d.status === "succeeded") return { set: {}, settle: ack };
  if (sub.status === "deleted")
    return { set: { status: "failed", lastError: "subscription deleted", nextRetryAt: null, updatedAt: now }, settle: ack };
  if (sub.status === "paused") return { set: { status: "held", nextRetryAt: null, updatedAt: now }, settle: ack };
  const failed = (error: string, extra: Partial<DeliveryRow> = {}): Attempt => {
    const base = { ...extra, attempts: d.attempts + 1, lastError: error, lastAttemptAt: now, updatedAt: now };
    if (msg.attempts >= cfg.WEBHOOK_MAX_ATTEMPTS) {
      log("warn", "webhook.gave_up", { id: d.id, subscriptionId: sub.id, attempts: msg.attempts, error });
      return { set: { ...base, status: "failed", nextRetryAt: null }, settle: ack };
    }
    const delaySeconds = webhookRetryDelay(cfg.WEBHOOK_RETRY_SECONDS, msg.attempts);
    log("warn", "webhook.retry", { id: d.id, subscriptionId: sub.id, attempts: msg.attempts, delaySeconds, error });
    return { set: { ...base, status: "retrying", nextRetryAt: now + delaySeconds * 1000 }, settle: () => msg.retry({ delaySeconds }) };
  };

  let guarded: Awaited<ReturnType<typeof guardUrl>>;
  try {
    guarded = await guardUrl(env, sub.url);
  } catch (err) {
    return failed(`DNS check failed: ${String(err)}`);
  }
  if (!guarded.ok) {
    // Refused for good (SSRF guard): sending again cannot help.
    log("warn", "webhook.refused_url", { id: d.id, subscriptionId: sub.id, reason: guarded.reason });
    return {
      set: { status: "failed", attempts: d.attempts, lastError: `URL refused: ${guarded.reason}`, nextRetryAt: null, updatedAt: now },
      settle: ack,
    };
  }
  const timestamp = Math.floor(now / 1000);
  const signature = await signatureHeader(await signingSecrets(env, sub, now), timestamp, d.body);
  const started = Date.now();
  let res: Response;
  try {
    res = await fetch(guarded.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "Doorstep-Webhooks/1",
        [SIGNATURE_HEADER]: signature,
        "Doorstep-Event": d.eventType,
        "Doorstep-Event-Id": d.eventId,
        "Doorstep-Delivery": d.id,
      },
      body: d.body,
      redirect: "manual",
      signal: AbortSignal.timeout(cfg.WEBHOOK_TIMEOUT_MS),
    });
  } catch (err) {
    return failed(
      (err as Error).name === "TimeoutError" ? `no answer within ${cfg.WEBHOOK_TIMEOUT_MS} ms` : `fetch failed: ${String(err)}`,
      {
        lastLatencyMs: Date.now() - started,
        lastStatusCode: null,
        lastResponse: null,
      },
    );
  }
  let text = "";
  try {
    text = await res.text();
  } catch {
    // The body is only for the log.
  }
  const outcome = { lastStatusCode: res.status, lastLatencyMs: Date.now() - started, lastResponse: truncated(text) };
  if (res.status >= 200 && res.status < 300) {
    log("info", "webhook.delivered", { id: d.id, subscriptionId: sub.id, status: res.status, ms: outcome.lastLatencyMs });
    return {
      set: {
        ...outcome,
        status: "succeeded",
        attempts: d.attempts + 1,
        lastError: null,
        lastAttemptAt: now,
        nextRetryAt: null,
        deliveredAt: now,
        updatedAt: now,
      },
      settle: ack,
    };
  }
  return failed(res.status >= 300 && res.status < 400 ? `redirect (${res.status}) not followed` : `answered ${res.status}`, outcome);
}

async function sendDeliveries(env: Env, items: { msg: Message<unknown>; deliveryId: string }[]): Promise<void> {
  const db = getDb(env);
  const cfg = config(env);
  const now = Date.now();
  let found: Awaited<ReturnType<typeof deliveriesToSend>>;
  try {
    found = await deliveriesToSend(db, [...new Set(items.map((i) => i.deliveryId))]);
  } catch (err) {
    log("error", "webhook.read_failed", { error: String(err) });
    for (const { msg } of items) msg.retry({ delaySeconds: webhookRetryDelay(cfg.WEBHOOK_RETRY_SECONDS, msg.attempts) });
    return;
  }
  const byId = new Map(found.map((f) => [f.delivery.id, f]));
  const attempts = await Promise.all(
    items.map(async ({ msg, deliveryId }): Promise<{ id: string; a: Attempt }> => {
      const f = byId.get(deliveryId);
      if (!f) return { id: deliveryId, a: { set: {}, settle: () => msg.ack() } };
      return { id: deliveryId, a: await attempt(env, msg, f.delivery, f.subscription, now) };
    }),
  );
  const statements = attempts.filter(({ a }) => Object.keys(a.set).length > 0).map(({ id, a }) => recordAttempt(db, id, a.set));
  try {
    if (statements.length > 0) await runBatch(db, statements);
  } catch (err) {
    // Not recorded: all of them again (a receiver may hear one twice; the event id lets it tell).
    log("error", "webhook.record_failed", { error: String(err) });
    for (const { msg } of items) msg.retry({ delaySeconds: webhookRetryDelay(cfg.WEBHOOK_RETRY_SECONDS, msg.attempts) });
    return;
  }
  for (const { a } of attempts) a.settle();
}
