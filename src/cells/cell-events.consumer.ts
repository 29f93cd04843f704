/**
 * The `doorstep-cell-events` consumer: the Worker's side of "the cell decides when, the Worker
 * decides what". Each message is one thing that fell due on a cell's clock (a hold lapsed, a
 * dispatch deadline passed, a batch tick is due); it is validated once and acted on by an
 * idempotent handler, one message at a time. A message that fails is retried on its own with
 * backoff and finally parked in the dead-letter queue, so it never holds back the cell's other
 * events. The batch runs in a D1 session of its own that collects the outbox messages its changes
 * write; they are sent to the notifications queue when the batch is done (no D1 statement).
 */
import { config } from "../config";
import { z } from "@hono/zod-openapi";
import { getDb } from "../db/client";
import { insertDeadLetter } from "../db/repositories/notifications.repo";
import { CELL_EVENTS_QUEUE, DEADLINE_KINDS, type CellEvent, type DeadlineKind } from "../domain/cell-events";
import { batchFacts, onBatchDecided } from "../dispatch/batch-dispatch.service";
import { dispatchWeights } from "../dispatch/weights.service";
import { newId } from "../lib/ids";
import { onHoldExpiredWithPayments } from "../money/settle.service";
import { withOutbox } from "../notifications/outbox.service";
import { handleDeadline, offerFromBatch } from "../orders/order-flow.service";
import { cellStub } from "./cells.service";
import { onSurgeChanged } from "../surge";
import { logger } from "../lib/log";
import { alertDeadLetter, batchLag, METRICS, raiseAlert, recordMetrics } from "../observability";

const meta = { id: z.string().min(1), cell: z.string().min(1) };

/** The typed contract of the queue: what a cell sends (durable/outbox.store) and nothing else. */
export const CellEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("hold.expired"), ...meta, holdKey: z.string().min(1) }),
  z.object({
    type: z.literal("deadline"),
    ...meta,
    orderId: z.string().min(1),
    kind: z.enum(DEADLINE_KINDS as [DeadlineKind, ...DeadlineKind[]]),
    version: z.number().int(),
  }),
  z.object({ type: z.literal("batch.due"), ...meta }),
  z.object({
    type: z.literal("alarm.failed"),
    ...meta,
    failures: z.number().int().min(1),
    since: z.number().int(),
    error: z.string().max(500),
  }),
  z.object({
    type: z.literal("surge.changed"),
    ...meta,
    from: z.enum(["normal", "surging"]),
    to: z.enum(["normal", "surging"]),
    at: z.number().int(),
    demand: z.number().int().min(0),
    supply: z.number().int().min(0),
    ratio: z.number().min(0),
    skills: z.array(z.string().min(1).max(64)).max(20).optional(),
  }),
]) satisfies z.ZodType<CellEvent>;

/**
 * One batch tick of `cell`: the cell says which jobs wait and who could take them, the records
 * give the scoring history, the cell runs the tick (it alone moves calendars) and answers its
 * decisions, each order is offered to the technician chosen, and the cell forgets what was acted on.
 * Idempotent: decisions not acted on are answered again by the next call.
 */
export async function runBatchTick(env: Env, cell: string): Promise<void> {
  const stub = cellStub(env, cell);
  const input = await stub.batchInput();
  const facts =
    input.jobs.length === 0
      ? { earnings: {}, acceptance: {}, favourites: {}, merchants: {} }
      : await batchFacts(
          env,
          input.technicianIds,
          [...new Set(input.jobs.map((j) => j.customerId))],
          input.jobs.map((j) => j.orderId),
        );
  const { decisions } = await stub.tickBatch(
    facts,
    input.jobs.map((j) => j.holdKey),
    input.jobs.length === 0 ? undefined : await dispatchWeights(env),
  );
  if (decisions.length === 0) return;
  await onBatchDecided(env, decisions, (order, patch, reason, held) => offerFromBatch(env, order, patch, reason, held));
  await stub.batchDone(decisions.map((d) => d.holdKey));
}

/** Acts on one cell event. Throws when it could not; running it again is safe. */
export async function handleCellEvent(env: Env, event: CellEvent): Promise<void> {
  switch (event.type) {
    case "hold.expired":
      return onHoldExpiredWithPayments(env, event.holdKey);
    case "deadline":
      return handleDeadline(env, event.orderId, event.kind, event.version);
    case "batch.due":
      return runBatchTick(env, event.cell);
    case "alarm.failed":
      await raiseAlert(env, {
        kind: "cell_alarm_failed",
        key: `cell_alarm_failed:${event.cell}`,
        details: { cell: event.cell, failures: event.failures, since: new Date(event.since).toISOString(), error: event.error },
      });
      return;
    case "surge.changed":
      return onSurgeChanged(env, event);
  }
}

/** Seconds before the `attempts`-th retry: CELL_EVENTS_RETRY_SECONDS, doubling, at most 10 min. */
export function cellEventRetrySeconds(env: Env, attempts: number): number {
  const base = config(env).CELL_EVENTS_RETRY_SECONDS;
  return Math.min(600, base * 2 ** (Math.max(1, Math.floor(attempts)) - 1));
}

/** What operators see of a message that can never be acted on, or that the queue gave up on. */
async function park(env: Env, body: unknown, error: string, attempts: number): Promise<void> {
  const parsed = CellEventSchema.safeParse(body);
  const id = newId("msg");
  const topic = parsed.success ? parsed.data.type : "malformed";
  await insertDeadLetter(getDb(env), {
    id,
    queue: CELL_EVENTS_QUEUE,
    topic,
    payload: parsed.success ? parsed.data : { body },
    error,
    attempts,
  });
  await alertDeadLetter(env, CELL_EVENTS_QUEUE, { id, topic });
}

/**
 * The `doorstep-cell-events` consumer. Each message is settled on its own; the notices the order
 * changes wrote are sent to the notifications queue when the batch is done.
 */
export function consumeCellEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  return withOutbox(env, (scoped) => actOnCellEvents(batch, scoped));
}

async function actOnCellEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await recordMetrics(env, [{ name: METRICS.queueLag, cityId: null, value: batchLag(batch) }]);
  for (const msg of batch.messages) {
    const parsed = CellEventSchema.safeParse(msg.body);
    if (!parsed.success) {
      // Nothing can ever act on it: straight to the operators, not round the retry loop.
      await park(env, msg.body, `not a cell event: ${parsed.error.issues.map((i) => i.message).join("; ")}`, msg.attempts);
      logger.error("cell.event_malformed", { queueMessageId: msg.id });
      msg.ack();
      continue;
    }
    const event = parsed.data;
    try {
      await handleCellEvent(env, event);
      logger.info("cell.event", { id: event.id, type: event.type, cell: event.cell });
      msg.ack();
    } catch (err) {
      const delaySeconds = cellEventRetrySeconds(env, msg.attempts);
      logger.warn("cell.event_retry", {
        id: event.id,
        type: event.type,
        cell: event.cell,
        attempts: msg.attempts,
        delaySeconds,
        error: String(err),
      });
      msg.retry({ delaySeconds });
    }
  }
}

/** The `doorstep-cell-events-dlq` consumer: records every event the queue gave up on for operators. */
export async function consumeCellDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    const body = msg.body as Partial<CellEvent> | null;
    await park(env, msg.body, `acting on it kept failing: see the cell.event_retry log lines of ${body?.id ?? msg.id}`, msg.attempts);
    logger.error("cell.event_dead_letter", { id: body?.id ?? null, type: body?.type ?? null, cell: body?.cell ?? null });
    msg.ack();
  }
}
