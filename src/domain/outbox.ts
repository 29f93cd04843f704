/**
 * The messages the outbox carries to the notifications queue: one kind per topic, each with its
 * payload. Producers are typed against `OutboxMessage`; the consumer validates every message once
 * with `outboxMessage` and dead-letters what does not match.
 */
import { z } from "zod";

const id = z.string().min(1);
const money = { amount: z.number().int(), currency: z.string() };
const orderOf = { orderId: id, customerId: id };

const kind = <T extends string, P extends z.ZodRawShape>(topic: T, payload: P) =>
  z.object({ id, topic: z.literal(topic), payload: z.object(payload) });

export const outboxMessage = z.discriminatedUnion("topic", [
  kind("order.status", {
    ...orderOf,
    technicianId: id.nullable(),
    from: z.string().nullable(),
    to: z.string(),
    reason: z.string(),
    exception: z.string().nullable().optional(),
    /** A flexible-window booking: its window and planned start as people read them (docs/flexible-windows.md). */
    note: z.object({ zh: z.string(), en: z.string() }).optional(),
  }),
  kind("order.rescheduled", {
    ...orderOf,
    technicianId: id.nullable(),
    start: z.number(),
    /** A move to a new window: the window and the start held in it as people read them. */
    note: z.object({ zh: z.string(), en: z.string() }).optional(),
  }),
  // Dispatch gave the order to another technician (the board, a route plan): told to the technician it
  // was taken from (`technicianId`), so they do not go.
  kind("order.reassigned", { ...orderOf, technicianId: id, start: z.number() }),
  // A reschedule changed the price: `amount` the new total; `refund` goes back, `due` is to pay.
  kind("order.repriced", {
    ...orderOf,
    ...money,
    previousTotal: z.number().int(),
    refund: z.number().int(),
    due: z.number().int(),
  }),
  kind("order.change", {
    ...orderOf,
    technicianId: id,
    changeId: id,
    kind: z.enum(["extra_charge", "time_change"]),
    status: z.string(),
  }),
  // A route plan's proposed new start asked of the customer (src/route-plans/asking.service.ts), or
  // the question closed without a change (`dropped`: `reason` why); applied, the move's
  // `order.rescheduled` tells the new time.
  kind("order.time_proposal", {
    ...orderOf,
    questionId: id,
    event: z.enum(["asked", "dropped"]),
    currentStart: z.number(),
    start: z.number(),
    reason: z.string().optional(),
  }),
  kind("order.reminder", { ...orderOf, technicianId: id.nullable(), start: z.number(), lead: z.enum(["24h", "1h"]) }),
  kind("review.created", { ...orderOf, technicianId: id.nullable(), reviewId: id, overall: z.number() }),
  kind("payment.succeeded", { ...orderOf, paymentId: id, stage: z.string(), provider: z.string(), ...money }),
  kind("payment.refunded_late", { ...orderOf, paymentId: id, refundId: id, reason: z.string(), ...money }),
  kind("payment.refunded_duplicate", { ...orderOf, paymentId: id, refundId: id, reason: z.string(), ...money }),
  // A served order not paid in full: the customer is asked to pay (`reminder`: the later reminder).
  kind("payment.due", { ...orderOf, ...money, reminder: z.boolean() }),
  // Staff waived what a served order still owed (`amount`): the customer may book again.
  kind("payment.waived", { ...orderOf, ...money }),
  kind("refund.succeeded", { ...orderOf, refundId: id, kind: z.string(), ...money }),
  kind("refund.failed", { ...orderOf, refundId: id, kind: z.string(), ...money }),
  // A chat message for a participant with no live socket: `customerId` is the recipient's account.
  kind("chat.message", { conversationId: id, messageId: id, customerId: id, orderId: id.optional(), support: z.boolean() }),
  // An after-sales ticket changed (src/tickets): `event` says how; `to` who is told.
  kind("ticket.changed", {
    ...orderOf,
    technicianId: id.nullable(),
    ticketId: id,
    category: z.string(),
    event: z.enum(["opened", "in_review", "statement", "appeal", "resolved", "rejected", "reopened"]),
    to: z.array(z.enum(["customer", "technician"])),
  }),
  // A visit of a recurring series (src/series) was booked, could not be booked, was skipped, moved or
  // cancelled: told to `customerId`, the series' customer or its second contact (`contact: true`).
  kind("series.visit", {
    seriesId: id,
    customerId: id,
    event: z.enum(["booked", "unbookable", "skipped", "rescheduled", "cancelled"]),
    start: z.number(),
    timeZone: z.string(),
    orderId: id.optional(),
    alternatives: z.number().int().optional(),
    /** Booked per visit because the series' package had no visits left (or is no longer usable). */
    packageUsedUp: z.boolean().optional(),
    contact: z.boolean(),
  }),
  kind("withdrawal.paid", { withdrawalId: id, technicianId: id, amount: z.number().int() }),
  kind("withdrawal.failed", { withdrawalId: id, technicianId: id, amount: z.number().int() }),
  // A technician's certificate expires soon (`lead` before `expiresAt`), or expired (its skills lapse).
  kind("technician.document_expiring", {
    technicianId: id,
    documentId: id,
    kind: z.string(),
    lead: z.enum(["30d", "7d"]),
    expiresAt: z.number(),
  }),
  kind("technician.document_expired", { technicianId: id, documentId: id, kind: z.string(), skills: z.array(z.string()) }),
  // Credit (src/credit): a reward or penalty decided, an appeal decided, the level changed by the nightly recalculation.
  kind("credit.decision", {
    technicianId: id,
    decisionId: id,
    kind: z.enum(["reward", "penalty"]),
    reasonCode: z.string(),
    amount: z.number().int(),
    points: z.number().int(),
  }),
  kind("credit.appeal_decided", { technicianId: id, appealId: id, decisionId: id, outcome: z.enum(["granted", "denied"]) }),
  kind("credit.level_changed", { technicianId: id, from: z.string(), to: z.string() }),
  // A cell started surging: a technician with a skill in demand is asked to go online or head over (src/surge).
  kind("surge.call", {
    technicianId: id,
    cityId: id,
    cell: id,
    reason: z.enum(["go_online", "head_over"]),
    skills: z.array(z.string()),
    skillNames: z.object({ zh: z.string(), en: z.string() }),
  }),
  // A technician asks the order's customer to let their visit show as a case on the public profile.
  kind("case.consent_requested", { ...orderOf, technicianId: id, caseId: id }),
]);

/** The topics this union knows; a message of another topic is for other consumers. */
export const OUTBOX_TOPICS: ReadonlySet<string> = new Set(outboxMessage.options.map((o) => o.shape.topic.value));

/** One outbox message, as producers write it and the consumer receives it. */
export type OutboxMessage = z.infer<typeof outboxMessage>;
export type OutboxTopic = OutboxMessage["topic"];
/** The message of one topic. */
export type OutboxMessageOf<T extends OutboxTopic> = Extract<OutboxMessage, { topic: T }>;

/** What `/readyz` sends to the notifications queue to prove the producer works; the consumer acks it unread. */
export const READINESS_PROBE = { probe: "readyz" } as const;

/** True for the readiness probe's message. */
export const isReadinessProbe = (body: unknown): boolean =>
  typeof body === "object" && body !== null && (body as { probe?: unknown }).probe === READINESS_PROBE.probe;
