/**
 * A reschedule prices the order again: the lines that depend on the start (night, holiday) are
 * worked out for the new start by the same rules as a fresh quote (`timeLines` of src/domain/pricing,
 * the service's current surcharge rules, on the order's own subtotal of base, units and extras); every
 * other line stays as booked (base, units, extras, rush, distance, a coupon, approved extra charges).
 * When the total changes, the move needs the customer's confirmation of the new price: a signed,
 * expiring reschedule quote (`rsq_…`, signed like a booking quote) names the order, the start it
 * leaves, the start it goes to, the order's lines and total it was priced against, and the new ones.
 */
import { config } from "../config";
import type { OrderRow } from "../db/repositories/orders.repo";
import { TIME_LINE_CODES, timeLines, type SurchargeRules } from "../domain/pricing";
import { yuan } from "../domain/notifications";
import { toZonedIso } from "../domain/zoned";
import { AppError } from "../errors";
import { sign, verify } from "../lib/signed";

type OrderLine = OrderRow["lines"][number];

/** What a reschedule quote commits to; signed, so a client cannot change any of it. */
export interface RescheduleQuotePayload {
  v: 1;
  orderId: string;
  customerId: string;
  /** The start being left and the order's lines and total then: the order must still be so. */
  from: number;
  previous: { lines: OrderLine[]; total: number };
  start: number;
  lines: OrderLine[];
  total: number;
  expiresAt: number;
}

const PURPOSE = "reschedule_quote";
const PREFIX = "rsq_";

/** Codes of lines priced on the subtotal (a surcharge percentage applies to these, as in a quote). */
const inSubtotal = (code: string) => code === "base" || code === "units" || code.startsWith("extra:");

/**
 * The order's lines for a start at `start`: its time lines priced again with `rules`, placed where a
 * quote puts them (after base, units, extras and rush; before distance, a coupon and extra charges).
 */
export function repricedLines(order: Pick<OrderRow, "lines">, rules: SurchargeRules, start: number, timeZone: string): OrderLine[] {
  const kept = order.lines.filter((l) => !TIME_LINE_CODES.includes(l.code));
  const subtotal = kept.filter((l) => inSubtotal(l.code)).reduce((s, l) => s + l.amount, 0);
  const fresh = timeLines(rules, subtotal, start, timeZone).map((l) => ({ code: l.code, label: l.label.zh, amount: l.amount }));
  const after = kept.findIndex((l) => !inSubtotal(l.code) && l.code !== "rush");
  const at = after < 0 ? kept.length : after;
  return [...kept.slice(0, at), ...fresh, ...kept.slice(at)];
}

export const totalOf = (lines: OrderLine[]) => lines.reduce((s, l) => s + l.amount, 0);

const sameLines = (a: OrderLine[], b: OrderLine[]) => JSON.stringify(a) === JSON.stringify(b);

/**
 * 409 PRICE_CHANGED: the new price and a signed reschedule quote the customer confirms it with
 * (`quoteId`, valid QUOTE_TTL_SECONDS). Nothing changed.
 */
export async function priceChanged(
  env: Env,
  order: OrderRow,
  start: number,
  end: number,
  lines: OrderLine[],
  timeZone: string,
): Promise<AppError> {
  const total = totalOf(lines);
  const payload: RescheduleQuotePayload = {
    v: 1,
    orderId: order.id,
    customerId: order.customerId,
    from: order.startAt,
    previous: { lines: order.lines, total: order.total },
    start,
    lines,
    total,
    expiresAt: Date.now() + config(env).QUOTE_TTL_SECONDS * 1000,
  };
  const quoteId = await sign(env.JWT_SECRET, PURPOSE, PREFIX, payload);
  const money = (amount: number) => ({ amount, currency: order.currency });
  return AppError.of(
    "PRICE_CHANGED",
    { total: yuan(total) },
    {
      extra: {
        quoteId,
        expiresAt: new Date(payload.expiresAt).toISOString(),
        start: toZonedIso(start, timeZone),
        end: toZonedIso(end, timeZone),
        lines: lines.map((l) => ({ code: l.code, label: l.label, amount: money(l.amount) })),
        total: money(total),
        previousTotal: money(order.total),
        difference: money(total - order.total),
      },
    },
  );
}

const invalidQuote = (message: string) => AppError.of("QUOTE_INVALID", {}, { errors: [{ path: "body.quoteId", message }] });

/**
 * The confirmed reschedule quote for moving `order` to `start`, checked: intact and unexpired
 * (400 QUOTE_INVALID / QUOTE_EXPIRED), for this order, customer and start (400 QUOTE_INVALID), and
 * the order still as it was priced (409 RESCHEDULE_QUOTE_STALE: moved, or its lines changed since).
 */
export async function readRescheduleQuote(env: Env, quoteId: string, order: OrderRow, start: number): Promise<RescheduleQuotePayload> {
  const q = await verify<RescheduleQuotePayload>(env.JWT_SECRET, PURPOSE, PREFIX, quoteId);
  if (!q || q.v !== 1) throw invalidQuote("unknown or altered reschedule quote");
  if (q.orderId !== order.id || q.customerId !== order.customerId) throw invalidQuote("not a quote for this order");
  if (q.start !== start) throw invalidQuote("quoted for another start");
  if (q.expiresAt <= Date.now()) {
    throw AppError.of("QUOTE_EXPIRED", {}, { errors: [{ path: "body.quoteId", message: "expired" }] });
  }
  if (q.from !== order.startAt || q.previous.total !== order.total || !sameLines(q.previous.lines, order.lines)) {
    throw AppError.of("RESCHEDULE_QUOTE_STALE");
  }
  return q;
}

/** Whether the quoted lines are still what the rules give now (else the price must be confirmed again). */
export const quotedStill = (q: RescheduleQuotePayload, lines: OrderLine[]) => q.total === totalOf(lines) && sameLines(q.lines, lines);
