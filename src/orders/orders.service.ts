/** Customer-facing order use cases: read, cancel, reschedule (booking is booking.service). */
import { getDb } from "../db/client";
import { bookableService } from "../db/repositories/booking.repo";
import { findOrder, listOrders, updateOrder, type OrderRow } from "../db/repositories/orders.repo";
import { rosterEntry } from "../db/repositories/roster.repo";
import { cityOfCell } from "../db/repositories/cities.repo";
import { orderWon } from "../db/repositories/statements";
import { repricedNote } from "../domain/notifications";
import { refundPercentAt } from "../domain/catalog";
import { BEFORE_DEPARTURE, type OrderStatus } from "../domain/order-state";
import { AppError, notFound, invalid } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId } from "../lib/ids";
import { cellError, cellStub } from "../cells/cells.service";
import { releaseHold } from "../dispatch/dispatch.service";
import { clearDeadline, concurrentChange, rearmDeadline, transition, type Actor } from "./order-flow.service";
import { orderView } from "./orders.view";
import { priceChanged, quotedStill, readRescheduleQuote, repricedLines, totalOf } from "./reprice.service";
import { askedStart, checkWindow, windowAfterReschedule, windowText, type AskedTime } from "./quote-window";
import { latestStartIn, type TimeWindow } from "../domain/time-window";
import type { Localized } from "../lib/locale";
import { cancellationMoney, repriceMoney } from "../money/order-money.service";
import { submitRefunds } from "../money/refund-flow.service";

/** The caller's own order, or 404. */
export async function ownOrder(env: Env, customerId: string, id: string): Promise<OrderRow> {
  const order = await findOrder(getDb(env), id);
  if (!order || order.customerId !== customerId) throw notFound("Order");
  return order;
}

export async function getOwnOrder(env: Env, customerId: string, id: string) {
  return orderView(env, await ownOrder(env, customerId, id), { viewer: "customer" });
}

export async function listOwnOrders(env: Env, customerId: string, q: { status?: OrderStatus; limit: number; cursor?: string }) {
  const rows = await listOrders(getDb(env), { customerId, status: q.status, beforeId: decodeCursor(q.cursor) }, q.limit + 1);
  const page = toPage(rows, q.limit);
  return { items: await Promise.all(page.items.map((o) => orderView(env, o, { viewer: "customer" }))), nextCursor: page.nextCursor };
}

/**
 * The refund the service's policy grants when cancelling now: a tier by hours before the start,
 * less the visit fee once the technician has set off, of what was paid (`paid`, 分). Nothing is
 * refunded when nothing was paid. After the customer rescheduled, the tier is at most the one
 * they had when they moved it (`refundCapPercent`): moving a late booking out does not buy a
 * full refund.
 */
export async function refundDecision(env: Env, order: OrderRow, paid: number, now = Date.now()) {
  const found = await bookableService(getDb(env), order.serviceId);
  const policy = found?.service.cancellationPolicy ?? { tiers: [], visitFee: 0 };
  const hoursBefore = (order.startAt - now) / 3_600_000;
  const percent = Math.min(refundPercentAt(policy, hoursBefore), order.refundCapPercent ?? 100);
  const departed = !BEFORE_DEPARTURE.includes(order.status);
  const visitFee = departed ? Math.min(policy.visitFee, paid) : 0;
  const amount = paid === 0 ? 0 : Math.floor(((paid - visitFee) * percent) / 100);
  const reason =
    paid === 0
      ? "nothing was paid"
      : `${percent}% refund ${Math.max(0, Math.round(hoursBefore))} h before the start${departed ? ", visit fee kept" : ""}`;
  return { percent, amount: Math.max(0, amount), visitFee, reason };
}

/** Cancels the caller's order under the service's policy and frees the technician. */
export async function cancelOwnOrder(env: Env, customerId: string, id: string, reason: string) {
  const order = await ownOrder(env, customerId, id);
  return orderView(env, await cancelOrder(env, order, { type: "customer", id: customerId }, reason), { viewer: "customer" });
}

/**
 * Cancels under the policy: the refund it grants is set aside and sent back through the providers
 * that took the money, and what is kept (the visit fee, a late-cancellation share) is split as
 * earned, all in the cancellation's own batch.
 */
export async function cancelOrder(env: Env, order: OrderRow, actor: Actor, reason: string): Promise<OrderRow> {
  const plan = await cancellationMoney(env, order);
  const decision = await refundDecision(env, order, plan.paid);
  const writes = await plan.writes(decision.amount);
  const next = await transition(
    env,
    order,
    "cancelled",
    actor,
    reason,
    { cancelReason: reason, refundDecision: decision, acceptBy: null },
    { refund: decision },
    { extra: writes.extra },
  );
  await releaseHold(env, order.technicianId, order.holdKey);
  await clearDeadline(env, next);
  await submitRefunds(env, writes.refundIds);
  return next;
}
/**
 * Moves the caller's order to a new start with the same technician, atomically in their cell: the
 * old interval is released only if the new one is taken. Allowed until the technician sets off.
 * The order is priced again for the new start (see reprice.service): a new total needs the
 * customer's confirmation (`quoteId` of the 409 PRICE_CHANGED answer). With `window` instead of
 * `start` (exactly one, 400 INVALID_WINDOW otherwise or when the window does not suit the job) the
 * order moves to the earliest start inside the new window its technician can take and keeps that
 * window (docs/flexible-windows.md).
 */
export async function rescheduleOwnOrder(env: Env, customerId: string, id: string, input: AskedTime & { quoteId?: string }) {
  const asked = askedStart(input);
  const order = await ownOrder(env, customerId, id);
  const moved = await rescheduleOrder(env, order, { type: "customer", id: customerId }, asked.start, {
    capRefund: true,
    reprice: { quoteId: input.quoteId },
    ...(asked.window ? { window: asked.window } : {}),
  });
  return orderView(env, moved, { viewer: "customer" });
}

/**
 * Moves an order to a new start with the same technician (the old interval stays until the new one
 * is taken) and re-arms its dispatch deadline for the new version. With `capRefund` (the customer
 * moved it on their own) a later cancellation refunds at most the policy's tier of this moment,
 * taken against the start being left (see refundDecision); the booked start stays on the order.
 * With `reprice` (the customer asked for the move) the time lines are priced for the new start: an
 * unchanged total moves as before; a new one answers 409 PRICE_CHANGED with a signed reschedule
 * quote unless `reprice.quoteId` confirms exactly that price, and then the new lines, the total and
 * the money (a refund of what was overpaid, or the difference due) are written in the move's own
 * batch. Without it (a time change the technician proposed) the price stays as booked.
 * With `window` (`start` is then its start, the instant the move is priced at, as a window quote is)
 * the technician's calendar takes the earliest fitting start inside it (409 WINDOW_FULL when none
 * fits, nothing changed) and the order keeps the new window; the timeline entry and the notice name it.
 */
export async function rescheduleOrder(
  env: Env,
  order: OrderRow,
  actor: Actor,
  asked: number,
  opts: { capRefund?: boolean; reprice?: { quoteId?: string }; window?: TimeWindow } = {},
): Promise<OrderRow> {
  const db = getDb(env);
  let start = asked;
  if (!BEFORE_DEPARTURE.includes(order.status) || (order.status === "dispatching" && !order.technicianId)) {
    throw AppError.of("INVALID_TRANSITION", { status: order.status }, { extra: { status: order.status } });
  }
  const window = opts.window;
  const [found, city] = await Promise.all([
    bookableService(db, order.serviceId),
    opts.reprice || window ? cityOfCell(db, order.cell) : undefined,
  ]);
  const service = found?.service;
  const now = Date.now();
  if (window) {
    // A service gone meanwhile: the window's own rules only (no lead time or horizon to keep).
    checkWindow(service ?? { leadTimeMinutes: 0, horizonDays: Infinity }, window, order.endAt - order.startAt, now);
  } else if (service && (start < now + service.leadTimeMinutes * 60_000 || start > now + service.horizonDays * 86_400_000)) {
    throw invalid([{ path: "body.start", message: `between ${service.leadTimeMinutes} minutes and ${service.horizonDays} days ahead` }]);
  }
  let end = start + (order.endAt - order.startAt);
  const quote = opts.reprice?.quoteId ? await readRescheduleQuote(env, opts.reprice.quoteId, order, start) : null;
  // Priced by the service's current rules in the city's zone (a service gone meanwhile keeps the price).
  const lines = opts.reprice && service && city ? repricedLines(order, service.surcharges, start, city.timeZone) : order.lines;
  const total = totalOf(lines);
  if (total !== order.total && !(quote && quotedStill(quote, lines)))
    throw await priceChanged(env, order, start, end, lines, city!.timeZone);
  const money = total !== order.total ? await repriceMoney(env, order, total) : null;
  const entry = order.technicianId ? await rosterEntry(db, order.technicianId) : undefined;
  if (!entry || !order.holdKey) throw AppError.of("SLOT_UNAVAILABLE");
  const stub = cellStub(env, entry.homeCell);
  const moved = window
    ? await stub.rescheduleInWindow(order.holdKey, start, latestStartIn(window, end - start))
    : await stub.reschedule(order.holdKey, start, end);
  if (!moved.ok)
    throw window && (moved.code === "SLOT_UNAVAILABLE" || moved.code === "OUTSIDE_SHIFT") ? AppError.of("WINDOW_FULL") : cellError(moved);
  // A window move: the order takes the start the calendar found (priced at the window's start).
  const priced = start;
  if (window) {
    start = moved.item.start;
    end = moved.item.end;
  }
  const windowNote = window ? windowText(window, start, city?.timeZone ?? "Asia/Shanghai") : undefined;
  const cap = opts.capRefund
    ? Math.min(
        order.refundCapPercent ?? 100,
        refundPercentAt(service?.cancellationPolicy ?? { tiers: [], visitFee: 0 }, (order.startAt - now) / 3_600_000),
      )
    : order.refundCapPercent;
  const eventId = newId("evt");
  const repriced = money ? { previousTotal: order.total, total, refund: money.refund, due: money.due } : null;
  const updated = await updateOrder(
    db,
    order,
    {
      startAt: start,
      endAt: end,
      refundCapPercent: cap,
      bookedStartAt: order.bookedStartAt ?? order.startAt,
      lines,
      total,
      ...(window ? { windowStartAt: window.start, windowEndAt: window.end } : windowAfterReschedule(order, start, end)),
    },
    {
      id: eventId,
      actorType: actor.type,
      actorId: actor.id,
      from: order.status,
      to: order.status,
      reason: `${window ? "rescheduled to a new window" : "rescheduled"}${repriced ? ", price changed" : ""}`,
      data: {
        from: order.startAt,
        to: start,
        ...(window ? { window: { start: window.start, end: window.end }, pricedAt: priced } : {}),
        ...(repriced ? repriced : {}),
        ...(windowNote || repriced ? { note: joinNotes(windowNote, repriced ? repricedNote(repriced) : undefined) } : {}),
      },
    },
    [
      {
        id: newId("msg"),
        topic: "order.rescheduled",
        payload: {
          orderId: order.id,
          customerId: order.customerId,
          technicianId: order.technicianId,
          start,
          ...(windowNote ? { note: windowNote } : {}),
        },
      },
      ...(repriced
        ? [
            {
              id: newId("msg"),
              topic: "order.repriced" as const,
              payload: {
                orderId: order.id,
                customerId: order.customerId,
                amount: total,
                currency: order.currency,
                previousTotal: repriced.previousTotal,
                refund: repriced.refund,
                due: repriced.due,
              },
            },
          ]
        : []),
    ],
    now,
    money ? money.extra(orderWon(order.id, eventId), now) : [],
  );
  if (!updated) {
    // The order changed meanwhile: put the interval back where the order now says it is (a
    // concurrent move of the same order may have won; its interval must stay where it put it).
    const current = await findOrder(db, order.id);
    const back = current && current.holdKey === order.holdKey ? current : order;
    await stub.reschedule(order.holdKey, back.startAt, back.endAt, { ignoreShifts: true });
    throw concurrentChange();
  }
  await rearmDeadline(env, updated);
  if (money) await submitRefunds(env, money.refundIds);
  return updated;
}

/** Two notes of one timeline entry as one (either may be absent). */
function joinNotes(a: Localized | undefined, b: Localized | undefined): Localized {
  if (!a || !b) return (a ?? b)!;
  return { zh: `${a.zh}；${b.zh}`, en: `${a.en}; ${b.en}` };
}
