/**
 * The outbox's hand-off without D1: every statement that writes an outbox row also records the
 * message, in memory, for the unit of work that prepared it (a request, a queue batch, a cron
 * run), keyed by that unit's own D1 session object (src/db/sessions.ts: every request gets its
 * own). When the work is done its messages go to the notifications queue straight from here
 * (src/notifications/outbox.service.ts `sendCollected`): no D1 statement reads them back.
 *
 * A message is recorded when its statement is prepared, not when it runs, so a guarded insert that
 * did not write (the change it belongs to lost) is recorded all the same: the queue's consumer drops
 * a message whose outbox row does not exist. Work without a collector (statements on the plain
 * binding) records nothing; the cron's backstop sends what it wrote once the grace has passed.
 */
import type { OutboxEnvelope } from "../domain/notifications";

const collectors = new WeakMap<D1Database, Map<string, OutboxEnvelope>>();

/** Starts collecting the messages written through `env.DB` (a session of its own: see above). */
export function openCollector(env: { DB: D1Database }): void {
  if (!collectors.has(env.DB)) collectors.set(env.DB, new Map());
}

/** Records a message written through `db`, when `db` has a collector (the same id twice: once). */
export function collectMessage(db: D1Database, m: { id: string; topic: string; payload: object }): void {
  collectors.get(db)?.set(m.id, { id: m.id, topic: m.topic, payload: m.payload as Record<string, unknown> });
}

/** The messages recorded for `env.DB` so far, oldest first; the collector is emptied and stays open. */
export function takeCollected(env: { DB: D1Database }): OutboxEnvelope[] {
  const found = collectors.get(env.DB);
  if (!found || found.size === 0) return [];
  const out = [...found.values()];
  found.clear();
  return out;
}

/** Stops collecting for `env.DB` and forgets what was recorded (a request answered with an error). */
export function discardCollected(env: { DB: D1Database }): void {
  collectors.delete(env.DB);
}
