/**
 * Handing outbox messages to the notifications queue. A message is written in the same D1 batch as
 * the change that caused it; the statement that writes it also collects it in memory for the work
 * that wrote it (src/db/outbox-collector.ts). Once that work is done (after a request's answer, in
 * `waitUntil`; at the end of a queue batch or a cron run) the collected messages are sent to the
 * queue as they are: no D1 statement on that path. The queue's consumer marks each message's row
 * sent when it takes the message, and drops one whose row does not exist (its write never happened).
 *
 * The cron's backstop (`drainOutbox`, every minute) sends what is still unsent `OUTBOX_GRACE_MS`
 * after it was written (a queue send that failed, a request that died after its write, an answer
 * of 5xx), so the normal path is never doubled. Delivery is at least once; the consumer is idempotent.
 */
import { getDb } from "../db/client";
import { discardCollected, openCollector, takeCollected } from "../db/outbox-collector";
import { claimUnsent, outboxBacklog, settleClaim } from "../db/repositories/notifications.repo";
import { openSession } from "../db/sessions";
import type { OutboxEnvelope } from "../domain/notifications";
import { log } from "../lib/log";

/**
 * The cron's backstop leaves a message alone for this long after it was written: the work that
 * wrote it sends it at once and the consumer marks it sent within seconds, so only a message whose
 * hand-off failed is still unsent after two minutes.
 */
export const OUTBOX_GRACE_MS = 120_000;
/** A drain owns the messages it took for this long; one that dies frees them when it ends. */
const LEASE_MS = 60_000;
/** Queues take at most 100 messages a batch. */
const BATCH = 100;

/** Sends envelopes to the notifications queue, 100 a batch; false when a send failed (logged). */
async function send(env: Env, messages: OutboxEnvelope[]): Promise<boolean> {
  for (let i = 0; i < messages.length; i += BATCH) {
    const part = messages.slice(i, i + BATCH);
    try {
      await env.NOTIFICATIONS.sendBatch(part.map((body) => ({ body, contentType: "json" as const })));
    } catch (err) {
      // Left in the outbox: the cron's backstop sends them once the grace has passed.
      log("error", "outbox.send_failed", { count: messages.length - i, ids: messages.slice(i).map((m) => m.id), error: String(err) });
      return false;
    }
  }
  return true;
}

/**
 * Starts collecting the outbox messages written through `env.DB` (a request's own D1 session:
 * src/http/request.ts); `sendCollected(env)` sends them.
 */
export function collectOutbox(env: Env): void {
  openCollector(env);
}

/** Forgets what `env` collected and collects no more (a request answered with an error). */
export function discardOutbox(env: Env): void {
  discardCollected(env);
}

/**
 * Sends the messages collected for `env` since the last call: zero D1 statements. Never throws: a
 * failed send is logged and left to the cron's backstop. Work that runs after a request's answer
 * (`waitUntil`) and writes outbox messages calls it again once its writes are done.
 */
export async function sendCollected(env: Env): Promise<{ sent: number; failed: number }> {
  const messages = takeCollected(env);
  if (messages.length === 0) return { sent: 0, failed: 0 };
  return (await send(env, messages)) ? { sent: messages.length, failed: 0 } : { sent: 0, failed: messages.length };
}

/**
 * Runs work that is not a request (a queue batch, a cron run) in a D1 session of its own that
 * collects the outbox messages it writes, then sends them (also when the work threw: what was
 * written stands).
 */
export async function withOutbox<T>(env: Env, work: (env: Env) => Promise<T>): Promise<T> {
  const scoped = openSession(env, "first-primary").env;
  collectOutbox(scoped);
  try {
    return await work(scoped);
  } finally {
    await sendCollected(scoped);
    discardOutbox(scoped);
  }
}

export interface DrainResult {
  sent: number;
  failed: number;
  /** Messages still unsent `OUTBOX_GRACE_MS` after they were written (null when not counted). */
  backlog: number | null;
}

/**
 * The cron's backstop: sends outbox messages still unsent `graceMs` after they were written, at
 * most `maxBatches` × 100 of them, marks them sent, and logs what it did. Messages are leased while
 * they are sent, so two drains never send the same one. `countBacklog: false` skips counting what
 * is left.
 */
export async function drainOutbox(
  env: Env,
  opts: { maxBatches?: number; now?: number; countBacklog?: boolean; graceMs?: number } = {},
): Promise<DrainResult> {
  const db = getDb(env);
  const now = opts.now ?? Date.now();
  const writtenBefore = now - (opts.graceMs ?? OUTBOX_GRACE_MS);
  let sent = 0;
  let failed = 0;
  for (let i = 0; i < (opts.maxBatches ?? 10); i++) {
    const rows = await claimUnsent(db, BATCH, LEASE_MS, now, writtenBefore);
    if (rows.length === 0) break;
    const ids = rows.map((r) => r.id);
    if (
      !(await send(
        env,
        rows.map((r) => ({ id: r.id, topic: r.topic, payload: r.payload })),
      ))
    ) {
      // Give them back at once: the next run tries again.
      await settleClaim(db, ids, false);
      failed += rows.length;
      break;
    }
    await settleClaim(db, ids, true);
    sent += rows.length;
    if (rows.length < BATCH) break;
  }
  const backlog = opts.countBacklog === false ? null : (await outboxBacklog(db, writtenBefore)).count;
  if (sent > 0 || failed > 0 || (backlog ?? 0) > 0) {
    log(failed ? "warn" : "info", "outbox.drained", { sent, failed, backlog });
  }
  return { sent, failed, backlog };
}
