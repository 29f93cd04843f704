/** The notifications queue in tests: running the Worker's own queue handler on a batch, and a queue binding that keeps what it is sent. */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import worker from "../../src/index";
import type { OutboxEnvelope } from "../../src/domain/notifications";

/** Runs the Worker's queue handler on one batch and returns what it acked and retried. */
export async function consume(queue: string, bodies: { id: string; body: unknown; attempts?: number }[], e: Env = env) {
  const batch = createMessageBatch(
    queue,
    bodies.map((b) => ({ id: b.id, timestamp: new Date(), attempts: b.attempts ?? 1, body: b.body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, e);
  return getQueueResult(batch, ctx);
}

/** The outbox rows of an order, oldest first. */
export async function outboxRows(orderId: string) {
  const { results } = await env.DB.prepare("SELECT * FROM outbox WHERE json_extract(payload, '$.orderId') = ? ORDER BY created_at, id")
    .bind(orderId)
    .all<{ id: string; topic: string; payload: string; sent_at: number | null; attempts: number; last_error: string | null }>();
  return results;
}

/**
 * A stand-in for the `NOTIFICATIONS` binding that keeps every message the outbox drain hands it,
 * so a test can run the queue handler on them with bindings of its own (the real queue's consumer
 * runs with the configured ones).
 */
export function capturingQueue(): { queue: Queue; sent: OutboxEnvelope[] } {
  const sent: OutboxEnvelope[] = [];
  const queue = {
    send: (body: OutboxEnvelope) => {
      sent.push(body);
      return Promise.resolve();
    },
    sendBatch: (messages: { body: OutboxEnvelope }[]) => {
      for (const m of messages) sent.push(m.body);
      return Promise.resolve();
    },
  } as unknown as Queue;
  return { queue, sent };
}

/** `queue` with every `sendBatch` watched: the ids of the messages sent land in `sent` (the sends still go through). */
export function watchingSends(queue: Queue): { queue: Queue; sent: string[] } {
  const sent: string[] = [];
  const watched = new Proxy(queue, {
    get(target, prop) {
      if (prop === "sendBatch") {
        return (msgs: { body: { id: string } }[]) => {
          sent.push(...msgs.map((m) => m.body.id));
          return target.sendBatch(msgs);
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { queue: watched, sent };
}

/**
 * Writes the outbox rows of messages a test makes up (as their producer's write would), so the
 * consumer delivers them: it drops a message whose row does not exist. Rows already there stay.
 */
export async function writeOutbox(messages: OutboxEnvelope[], createdAt = Date.now()): Promise<void> {
  if (messages.length === 0) return;
  await env.DB.batch(
    messages.map((m) =>
      env.DB.prepare("INSERT OR IGNORE INTO outbox (id, topic, payload, created_at) VALUES (?, ?, ?, ?)").bind(
        m.id,
        m.topic,
        JSON.stringify(m.payload),
        createdAt,
      ),
    ),
  );
}
