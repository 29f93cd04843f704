/** Messages the notifications and cell-events queues gave up on: the operators' view, and replaying one. */
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { claimReplay, findDeadLetter, listDeadLetters, unclaimReplay, type DeadLetterRow } from "../db/repositories/notifications.repo";
import { CELL_EVENTS_QUEUE } from "../domain/cell-events";
import type { OutboxEnvelope } from "../domain/notifications";
import { AppError, notFound } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";

function view(row: DeadLetterRow) {
  return {
    id: row.id,
    queue: row.queue,
    topic: row.topic,
    payload: row.payload,
    error: row.error,
    attempts: row.attempts,
    createdAt: new Date(row.createdAt).toISOString(),
    replayedAt: row.replayedAt === null ? null : new Date(row.replayedAt).toISOString(),
  };
}

/** Dead letters, newest first; `pending` keeps those not replayed yet. */
export async function deadLetters(env: Env, q: { limit: number; cursor?: string; pending?: boolean }) {
  const rows = await listDeadLetters(getDb(env), { beforeId: decodeCursor(q.cursor), pending: q.pending }, q.limit + 1);
  const page = toPage(rows, q.limit);
  return { items: page.items.map(view), nextCursor: page.nextCursor };
}

/**
 * Sends a dead letter to the queue it came from again (once: a second replay is 409 until the
 * queue gives up on it again). Deliveries already made are not repeated; a cell event is acted on
 * only if its order still waits for it. Audited.
 */
export async function replayDeadLetter(env: Env, actorId: string, id: string) {
  const db = getDb(env);
  const claimed = await claimReplay(db, id);
  if (!claimed) {
    const row = await findDeadLetter(db, id);
    if (!row) throw notFound({ en: "Dead letter", zh: "死信" });
    throw AppError.of("ALREADY_REPLAYED");
  }
  try {
    if (claimed.queue === CELL_EVENTS_QUEUE) await env.CELL_EVENTS.send(claimed.payload, { contentType: "json" });
    else
      await env.NOTIFICATIONS.send({ id: claimed.id, topic: claimed.topic, payload: claimed.payload } satisfies OutboxEnvelope, {
        contentType: "json",
      });
  } catch (err) {
    await unclaimReplay(db, id);
    throw err;
  }
  await appendAudit(db, {
    actorId,
    action: "notification.replay",
    targetType: "dead_letter",
    targetId: id,
    data: { queue: claimed.queue, topic: claimed.topic },
  });
  return view(claimed);
}
