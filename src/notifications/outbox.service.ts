/**
 * The outbox drain: messages written in the same D1 batch as the change that caused them are
 * handed to the notifications queue. It runs after every write request (in the background) and
 * every minute from the cron trigger, so a message is never lost to a failed send: it stays in the
 * outbox until the queue has it. Delivery is at least once; the consumer is idempotent.
 */
import { getDb } from "../db/client";
import { claimUnsent, outboxBacklog, settleClaim } from "../db/repositories/notifications.repo";
import type { OutboxEnvelope } from "../domain/notifications";

/** A drain owns the messages it took for this long; one that dies frees them when it ends. */
const LEASE_MS = 60_000;
/** Queues take at most 100 messages a batch. */
const BATCH = 100;

export interface DrainResult {
  sent: number;
  failed: number;
  /** Messages still waiting afterwards (null when not counted). */
  backlog: number | null;
}

/**
 * Sends waiting outbox messages to the queue, at most `maxBatches` × 100 of them, and logs what it
 * did. `countBacklog: false` skips counting what is left (the cron's drain counts it every minute).
 */
export async function drainOutbox(
  env: Env,
  opts: { maxBatches?: number; now?: number; countBacklog?: boolean } = {},
): Promise<DrainResult> {
  const db = getDb(env);
  let sent = 0;
  let failed = 0;
  for (let i = 0; i < (opts.maxBatches ?? 10); i++) {
    const rows = await claimUnsent(db, BATCH, LEASE_MS, opts.now ?? Date.now());
    if (rows.length === 0) break;
    const ids = rows.map((r) => r.id);
    try {
      await env.NOTIFICATIONS.sendBatch(
        rows.map((r) => ({ body: { id: r.id, topic: r.topic, payload: r.payload } satisfies OutboxEnvelope, contentType: "json" })),
      );
    } catch (err) {
      // Give them back at once: the next drain (at the latest the cron's) tries again.
      await settleClaim(db, ids, false);
      failed += rows.length;
      console.error(JSON.stringify({ level: "error", msg: "outbox.send_failed", count: rows.length, error: String(err) }));
      break;
    }
    await settleClaim(db, ids, true);
    sent += rows.length;
    if (rows.length < BATCH) break;
  }
  const backlog = opts.countBacklog === false ? null : (await outboxBacklog(db)).count;
  if (sent > 0 || failed > 0 || (backlog ?? 0) > 0) {
    console.log(JSON.stringify({ level: failed ? "warn" : "info", msg: "outbox.drained", sent, failed, backlog }));
  }
  return { sent, failed, backlog };
}

/**
 * A drain that never throws: a failure only delays notices until the next drain. It runs after
 * writes, so it leaves counting the backlog to the cron's drain.
 */
export async function drainQuietly(env: Env, maxBatches = 2): Promise<void> {
  try {
    await drainOutbox(env, { maxBatches, countBacklog: false });
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "outbox.drain_failed", error: String(err) }));
  }
}
