/**
 * A rework visit decided on an after-sales ticket (src/tickets): a new order for the same service at
 * the same address, booked through the cell like any order (the chosen technician's or the best
 * candidate's calendar holds the interval first, so it never double-books), free to the customer:
 * its one priced line is "rework" at 0 with the ticket named, and it is paid after the service.
 *
 * Idempotent: the booking runs under a customer's Idempotency-Key made of the ticket, the time and
 * the technician, and its quote is a pure function of the same, so a retry gets the same order back,
 * never a second one (the ticket's claim keeps two decisions from booking two different reworks).
 */
import { getDb } from "../db/client";
import { findOrder, type OrderRow } from "../db/repositories/orders.repo";
import { notFound } from "../errors";
import { orderPoint } from "../lib/coordinates";
import { placeOrderOnce, type Defer } from "./booking.service";

export type { Defer };
import { signQuote, type QuotePayload } from "./quotes.service";

export interface ReworkInput {
  ticketId: string;
  /** The reworked order. */
  order: OrderRow;
  /** Start of the visit (epoch ms). */
  start: number;
  /** The technician to send; null: whoever dispatch picks (another technician). */
  technicianId: string | null;
  /** Why it is free, as recorded on the order's line and notes. */
  reason: string;
}

/**
 * The Idempotency-Key a rework is booked under (in the customer's key space): the ticket, the time
 * and the technician, so a retry of one rework gets its order back, and a refused time (stored as
 * that key's answer) does not block another time.
 */
export const reworkKey = (ticketId: string, start: number, technicianId: string | null) =>
  `ticket:${ticketId}:${start}:${technicianId ?? "any"}`;

/**
 * Books the rework visit once per ticket and returns the order's id. Refusals are the booking's
 * (409 SLOT_UNAVAILABLE when the technician or every candidate is taken, 422 IDEMPOTENCY_KEY_REUSED
 * when the ticket's rework was booked already for another time or technician).
 */
export async function bookRework(
  env: Env,
  input: ReworkInput,
  defer: Defer = () => undefined,
): Promise<{ orderId: string; replayed: boolean }> {
  const { order } = input;
  const point = await orderPoint(env, order);
  const duration = order.endAt - order.startAt;
  const payload: QuotePayload = {
    v: 1,
    serviceId: order.serviceId,
    lat: point.lat,
    lng: point.lng,
    start: input.start,
    end: input.start + duration,
    units: order.units,
    extras: order.extras,
    rush: false,
    lines: [
      { code: "rework", label: { zh: `返工（免费）：工单 ${input.ticketId}`, en: `Rework (free): ticket ${input.ticketId}` }, amount: 0 },
    ],
    total: 0,
    currency: order.currency,
    // Deterministic (no clock): the same ticket, time and technician sign the same quote on every retry.
    expiresAt: input.start,
  };
  const quoteId = await signQuote(env, payload);
  const outcome = await placeOrderOnce(
    env,
    order.customerId,
    reworkKey(input.ticketId, input.start, input.technicianId),
    {
      quoteId,
      addressId: order.addressId,
      start: new Date(input.start).toISOString(),
      ...(input.technicianId ? { technicianId: input.technicianId } : {}),
      notes: `rework for ticket ${input.ticketId}: ${input.reason}`.slice(0, 500),
      rework: { ticketId: input.ticketId },
    },
    defer,
  );
  const id = (outcome.body as { id?: string }).id;
  if (!id || !(await findOrder(getDb(env), id))) throw notFound("Order");
  return { orderId: id, replayed: outcome.replayed };
}
