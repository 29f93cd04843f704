/** Customer-facing order use cases: book from a quote, read, cancel, reschedule. */
import { getDb } from "../db/client";
import { findOwnAddress, type AddressRow } from "../db/repositories/addresses.repo";
import { bookableAsRead, bookableService } from "../db/repositories/booking.repo";
import { cityOfCell } from "../db/repositories/cities.repo";
import {
  decisionStatement,
  findOrder,
  insertDecision,
  insertOrder,
  listOrders,
  timeline,
  updateOrder,
  type DecisionRow,
  type OrderEventRow,
  type OrderRow,
  type OrderStep,
  type TimelineEntry,
} from "../db/repositories/orders.repo";
import { rosterEntry, type RosterEntry } from "../db/repositories/roster.repo";
import { orderWon, type Guard } from "../db/repositories/statements";
import { refundPercentAt } from "../domain/catalog";
import { cellOf, haversineKm, resolutionOf } from "../domain/geo";
import { BEFORE_DEPARTURE, canTransition, type OrderStatus } from "../domain/order-state";
import { toZonedIso } from "../domain/zoned";
import { BadRequestError, ConflictError, NotFoundError, ValidationError } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId, newIds } from "../lib/ids";
import { Pii } from "../lib/pii";
import { cellError, cellStub } from "./cells.service";
import { bookHold, chooseAndHold, holdFor, releaseHold, type Job, type Reservation } from "./dispatch.service";
import {
  clearDeadline,
  concurrentChange,
  dispatchStep,
  rearmDeadline,
  setDeadline,
  startDispatch,
  statusMessage,
  SYSTEM,
  transition,
  type Actor,
} from "./order-flow.service";
import { orderTermsOf, readQuote, type QuotePayload } from "./quotes.service";
import { cachedCityOfCell, cachedService, forgetService } from "./reference.service";
import { cancellationMoney } from "./payments/cancellation.service";
import { moneyOfOrder } from "./payments/payments.service";
import { submitRefunds } from "./payments/refund-flow.service";

export interface PlaceOrderInput {
  quoteId: string;
  addressId: string;
  start: string;
  technicianId?: string;
  notes?: string;
  paymentPlan?: "full" | "deposit" | "after_service";
}

/** The address must be where the quote was priced (within this many km). */
const QUOTE_ADDRESS_TOLERANCE_KM = 0.5;

function mismatch(path: string, message: string): BadRequestError {
  return new BadRequestError(
    "QUOTE_MISMATCH",
    { en: "The order does not match its quote.", zh: "订单与报价不一致。" },
    { errors: [{ path, message }] },
  );
}

function slotUnavailable(): ConflictError {
  return new ConflictError("SLOT_UNAVAILABLE", { en: "No technician can take that time any more.", zh: "该时段已无技师可接单。" });
}

export interface PlaceOrderOptions {
  /**
   * Stores the answer (the order view) in the order's own write, applied only if `guard` holds
   * there (the order was written): see idempotency.service `Seal`.
   */
  seal?: (view: unknown, guard: Guard) => D1PreparedStatement;
}

/**
 * Books a quoted job: holds the interval in the owner cell of the chosen or best technician, then
 * writes the order. If the write fails the hold is released, so no interval is left behind.
 * Pay-after-service orders are confirmed and dispatched at once: their first dispatch step goes in
 * the same write, with every timeline entry and message, and the calendar booking and the dispatch
 * deadline follow it.
 */
export async function placeOrder(env: Env, customerId: string, input: PlaceOrderInput, opts: PlaceOrderOptions = {}) {
  const quote = await readQuote(env, input.quoteId);
  if (Date.parse(input.start) !== quote.start) throw mismatch("body.start", "differs from the quoted start");
  // The service changed since the copy used was read (reference.service): book once more with it read afresh.
  return (await tryToPlace(env, customerId, input, quote, opts, false)) ?? (await tryToPlace(env, customerId, input, quote, opts, true))!;
}

/** The technician an order view shows. */
interface ShownTechnician {
  id: string;
  name: string;
  ratingX100: number;
}

/**
 * One attempt at placing the order with the service as cached (`fresh`: as read now). Null when
 * the order write found the service changed since the cached copy (the hold is released then).
 */
async function tryToPlace(
  env: Env,
  customerId: string,
  input: PlaceOrderInput,
  quote: QuotePayload,
  opts: PlaceOrderOptions,
  fresh: boolean,
): Promise<OrderView | null> {
  const db = getDb(env);
  const chosen = input.technicianId;
  const [address, found, entry] = await Promise.all([
    findOwnAddress(db, customerId, input.addressId),
    cachedService(env, quote.serviceId, { fresh }),
    chosen ? rosterEntry(db, chosen) : Promise.resolve(undefined),
  ]);
  if (!address) throw new NotFoundError("Address");
  if (!found) throw new NotFoundError("Service");
  if (haversineKm(address, quote) > QUOTE_ADDRESS_TOLERANCE_KM)
    throw mismatch("body.addressId", "the address is not where the quote was priced");
  const { service } = found;
  const cell = cellOf(address, resolutionOf(env));
  const city = await cachedCityOfCell(env, cell);
  if (!city || !found.cityIds.includes(city.id)) throw new NotFoundError("Service at this location", "SERVICE_NOT_OFFERED");

  const options = service.paymentOptions;
  const plan = input.paymentPlan ?? (options.full ? "full" : options.depositPercent !== null ? "deposit" : "after_service");
  const allowed = plan === "full" ? options.full : plan === "deposit" ? options.depositPercent !== null : options.afterService;
  if (!allowed)
    throw new BadRequestError(
      "PAYMENT_PLAN_NOT_OFFERED",
      { en: "This service does not offer that payment plan.", zh: "该服务不支持此付款方式。" },
      { errors: [{ path: "body.paymentPlan", message: "not offered" }] },
    );
  if (service.dispatchMode === "chosen" && !chosen)
    throw new ValidationError([{ path: "body.technicianId", message: "this service is booked with a chosen technician" }]);
  if (chosen && (!entry || entry.profile.status !== "approved" || !service.requiredSkills.every((s) => entry.profile.skills.includes(s))))
    throw slotUnavailable();

  const orderId = newId("ord");
  const job: Job = {
    orderId,
    customerId,
    cell,
    start: quote.start,
    end: quote.end,
    lat: address.lat,
    lng: address.lng,
    skills: service.requiredSkills,
    exclude: [],
  };
  const startCode = String(crypto.getRandomValues(new Uint32Array(1))[0]! % 10_000).padStart(4, "0");
  // The personal data is sealed for the order while the cell holds the interval.
  const [held, sealed] = await Promise.all([
    reserve(env, job, service.dispatchMode, chosen ? entry : undefined),
    orderPii(env, address, startCode),
  ]);
  const { reservation, technician } = held;
  if (!reservation) {
    if (held.decision) await insertDecision(db, held.decision);
    throw slotUnavailable();
  }

  const now = Date.now();
  const afterService = plan === "after_service";
  const [bookedId, dispatchedId] = newIds("evt", 2, now);
  const [bookedMsg, dispatchedMsg] = newIds("msg", 2, now);
  const placed: OrderRow = {
    id: orderId,
    customerId,
    serviceId: service.id,
    merchantId: service.merchantId,
    cityId: city.id,
    cell,
    addressId: address.id,
    addressEnc: sealed.addressEnc,
    lat: address.lat,
    lng: address.lng,
    ...orderTermsOf(quote),
    paymentPlan: plan,
    status: afterService ? "confirmed" : "pending_payment",
    dispatchMode: chosen ? "chosen" : service.dispatchMode,
    technicianId: reservation.technicianId,
    holdKey: reservation.holdKey,
    triedTechnicians: [],
    dispatchRound: 1,
    exception: null,
    holdExpiresAt: afterService ? null : reservation.expiresAt,
    acceptBy: null,
    startCodeEnc: sealed.startCodeEnc,
    notes: input.notes ?? null,
    cancelReason: null,
    completedAt: null,
    refundDecision: null,
    version: 1,
    lastEventId: bookedId!,
    createdAt: now,
    updatedAt: now,
  };
  const steps: OrderStep[] = [
    {
      event: {
        id: bookedId!,
        actorType: "customer",
        actorId: customerId,
        from: null,
        to: placed.status,
        reason: afterService ? "booked; pays after the service" : "booked; waiting for payment",
      },
      messages: [
        {
          id: bookedMsg!,
          topic: "order.status",
          payload: { orderId, customerId, technicianId: placed.technicianId, from: null, to: placed.status, reason: "booked" },
        },
      ],
    },
  ];
  // A confirmed order's first dispatch step is written with it, when it is one plain transition.
  const step = afterService ? dispatchStep(env, placed, now) : null;
  const dispatched = step !== null && canTransition(placed.status, step.to, SYSTEM.type);
  let row = placed;
  if (step && dispatched) {
    row = { ...placed, ...step.patch, status: step.to, version: 2, lastEventId: dispatchedId!, updatedAt: now };
    steps.push({
      event: { id: dispatchedId!, actorType: SYSTEM.type, actorId: SYSTEM.id, from: placed.status, to: step.to, reason: step.reason },
      messages: [statusMessage(placed, step.to, step.reason, step.patch, dispatchedMsg)],
    });
  }
  // The answer is known before the write when nothing after it changes the order.
  const final = !afterService || dispatched;
  const view = final
    ? renderOrder(
        row,
        {
          events: steps.map((s) => eventRow(orderId, s.event, now)),
          serviceName: { zh: service.nameZh, en: service.nameEn },
          timeZone: city.timeZone,
          technician,
          payments: [],
          refunds: [],
          startCode,
        },
        { viewer: "customer" },
      )
    : undefined;
  const won = orderWon(orderId, row.lastEventId);
  const extra = [
    ...(held.decision ? [decisionStatement(env.DB, held.decision, won)] : []),
    ...(view && opts.seal ? [opts.seal(view, won)] : []),
  ];
  let written: boolean;
  try {
    written = await insertOrder(env.DB, row, steps, {
      guard: bookableAsRead(service.id, city.id, fresh ? undefined : service.updatedAt),
      extra,
    });
  } catch (err) {
    // No orphans: the interval goes back before the failure is reported.
    await releaseHold(env, reservation.technicianId, reservation.holdKey, reservation.homeCell);
    throw err;
  }
  if (!written) {
    await releaseHold(env, reservation.technicianId, reservation.holdKey, reservation.homeCell);
    if (fresh) throw new NotFoundError("Service");
    forgetService(service.id);
    return null;
  }
  if (!afterService) return view!;
  const booking = bookHold(env, reservation.technicianId, reservation.holdKey, reservation.homeCell);
  if (step && dispatched) {
    await Promise.all([booking, step.deadline ? setDeadline(env, row, step.deadline.kind, step.deadline.dueAt) : undefined]);
    return view!;
  }
  await booking;
  return orderView(env, await startDispatch(env, row), { viewer: "customer" });
}

/**
 * Holds the job's interval for the first round: on the chosen technician (`chosen`, already
 * checked), else on the best candidate, with the dispatch decision to record.
 */
async function reserve(
  env: Env,
  job: Job,
  mode: string,
  chosen: RosterEntry | undefined,
): Promise<{ reservation: Reservation | null; technician: ShownTechnician | null; decision?: DecisionRow }> {
  if (chosen) {
    const { id, name, ratingX100 } = chosen.profile;
    return { reservation: await holdFor(env, id, job, 1, { entry: chosen }), technician: { id, name, ratingX100 } };
  }
  const { reservation, decision } = await chooseAndHold(env, job, 1, mode, "booking");
  return {
    reservation,
    technician: reservation && { id: reservation.technicianId, name: reservation.name, ratingX100: reservation.ratingX100 },
    decision,
  };
}

/** The order's own copy of the address (sealed for the order) and its sealed start code. */
async function orderPii(env: Env, address: AddressRow, startCode: string) {
  const pii = await Pii.fromEnv(env);
  const [text, contactName, contactPhone] = await Promise.all([
    pii.decrypt("address", address.textEnc),
    pii.decrypt("contact_name", address.contactNameEnc),
    pii.decrypt("phone", address.contactPhoneEnc),
  ]);
  const [addressEnc, startCodeEnc] = await Promise.all([
    pii.encrypt("order_address", JSON.stringify({ label: address.label, text, contactName, contactPhone })),
    pii.encrypt("start_code", startCode),
  ]);
  return { addressEnc, startCodeEnc };
}

const eventRow = (orderId: string, e: TimelineEntry, at: number): OrderEventRow => ({
  id: e.id,
  orderId,
  at,
  actorType: e.actorType,
  actorId: e.actorId,
  fromStatus: e.from,
  toStatus: e.to,
  reason: e.reason,
  data: e.data ?? {},
});

export interface ViewOptions {
  viewer: "customer" | "technician" | "staff";
}

/** What an order view shows beyond the order row. */
export interface ViewFacts {
  events: OrderEventRow[];
  serviceName: { zh: string; en: string } | null;
  timeZone: string;
  technician: ShownTechnician | null;
  payments: Awaited<ReturnType<typeof moneyOfOrder>>["payments"];
  refunds: Awaited<ReturnType<typeof moneyOfOrder>>["refunds"];
  /** In the clear, for the customer's view only. */
  startCode?: string;
}

/** An order as its customer, its technician or staff may see it. */
export async function orderView(env: Env, order: OrderRow, opts: ViewOptions) {
  const db = getDb(env);
  const [events, found, city, tech, paid] = await Promise.all([
    timeline(db, order.id),
    bookableService(db, order.serviceId),
    cityOfCell(db, order.cell),
    order.technicianId ? rosterEntry(db, order.technicianId) : Promise.resolve(undefined),
    // The technician sees the job, not the customer's payments.
    opts.viewer === "technician" ? Promise.resolve({ payments: [], refunds: [] }) : moneyOfOrder(env, order.id),
  ]);
  const startCode = opts.viewer === "customer" ? await (await Pii.fromEnv(env)).decrypt("start_code", order.startCodeEnc) : undefined;
  return renderOrder(
    order,
    {
      events,
      serviceName: found ? { zh: found.service.nameZh, en: found.service.nameEn } : null,
      timeZone: city?.timeZone ?? "UTC",
      technician: tech ? { id: tech.profile.id, name: tech.profile.name, ratingX100: tech.profile.ratingX100 } : null,
      payments: paid.payments,
      refunds: paid.refunds,
      startCode,
    },
    opts,
  );
}

export type OrderView = ReturnType<typeof renderOrder>;

/** The view of an order from what is known of it (read by orderView, or just written by placeOrder). */
function renderOrder(order: OrderRow, facts: ViewFacts, opts: ViewOptions) {
  const tz = facts.timeZone;
  const money = (amount: number) => ({ amount, currency: order.currency });
  const tech = facts.technician;
  return {
    id: order.id,
    status: order.status,
    service: { id: order.serviceId, name: facts.serviceName },
    start: toZonedIso(order.startAt, tz),
    end: toZonedIso(order.endAt, tz),
    timeZone: tz,
    addressId: order.addressId,
    technician: tech ? { id: tech.id, name: tech.name, rating: tech.ratingX100 / 100 } : null,
    lines: order.lines.map((l) => ({ code: l.code, label: l.label, amount: money(l.amount) })),
    total: money(order.total),
    paymentPlan: order.paymentPlan,
    dispatchMode: order.dispatchMode,
    holdExpiresAt: order.holdExpiresAt === null ? null : new Date(order.holdExpiresAt).toISOString(),
    acceptBy: order.acceptBy === null ? null : new Date(order.acceptBy).toISOString(),
    startCode: opts.viewer === "customer" ? facts.startCode : undefined,
    exception: opts.viewer === "staff" ? order.exception : undefined,
    merchantId: opts.viewer === "staff" ? order.merchantId : undefined,
    cityId: opts.viewer === "staff" ? order.cityId : undefined,
    cell: opts.viewer === "staff" ? order.cell : undefined,
    notes: order.notes,
    cancelReason: order.cancelReason,
    refund: order.refundDecision
      ? { ...order.refundDecision, amount: money(order.refundDecision.amount), visitFee: money(order.refundDecision.visitFee) }
      : null,
    payments: facts.payments,
    refunds: facts.refunds,
    timeline: facts.events.map((e) => ({
      at: new Date(e.at).toISOString(),
      actor: { type: e.actorType, id: opts.viewer === "staff" ? e.actorId : undefined },
      from: e.fromStatus,
      to: e.toStatus,
      reason: e.reason,
    })),
    version: order.version,
    createdAt: new Date(order.createdAt).toISOString(),
  };
}

/** The caller's own order, or 404. */
export async function ownOrder(env: Env, customerId: string, id: string): Promise<OrderRow> {
  const order = await findOrder(getDb(env), id);
  if (!order || order.customerId !== customerId) throw new NotFoundError("Order");
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
 * refunded when nothing was paid.
 */
export async function refundDecision(env: Env, order: OrderRow, paid: number, now = Date.now()) {
  const found = await bookableService(getDb(env), order.serviceId);
  const policy = found?.service.cancellationPolicy ?? { tiers: [], visitFee: 0 };
  const hoursBefore = (order.startAt - now) / 3_600_000;
  const percent = refundPercentAt(policy, hoursBefore);
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
 */
export async function rescheduleOwnOrder(env: Env, customerId: string, id: string, startIso: string) {
  const order = await ownOrder(env, customerId, id);
  return orderView(env, await rescheduleOrder(env, order, { type: "customer", id: customerId }, Date.parse(startIso)), {
    viewer: "customer",
  });
}

/**
 * Moves an order to a new start with the same technician (the old interval stays until the new one
 * is taken) and re-arms its dispatch deadline for the new version.
 */
export async function rescheduleOrder(env: Env, order: OrderRow, actor: Actor, start: number): Promise<OrderRow> {
  if (!BEFORE_DEPARTURE.includes(order.status) || (order.status === "dispatching" && !order.technicianId)) {
    throw new ConflictError(
      "INVALID_TRANSITION",
      { en: `An order that is ${order.status} cannot be rescheduled.`, zh: `订单当前状态为 ${order.status}，不能改期。` },
      { extra: { status: order.status } },
    );
  }
  const found = await bookableService(getDb(env), order.serviceId);
  const service = found?.service;
  const now = Date.now();
  if (service && (start < now + service.leadTimeMinutes * 60_000 || start > now + service.horizonDays * 86_400_000)) {
    throw new ValidationError([
      { path: "body.start", message: `between ${service.leadTimeMinutes} minutes and ${service.horizonDays} days ahead` },
    ]);
  }
  const end = start + (order.endAt - order.startAt);
  const entry = order.technicianId ? await rosterEntry(getDb(env), order.technicianId) : undefined;
  if (!entry || !order.holdKey)
    throw new ConflictError("SLOT_UNAVAILABLE", { en: "No technician holds this order yet.", zh: "该订单尚无技师。" });
  const stub = cellStub(env, entry.homeCell);
  const moved = await stub.reschedule(order.holdKey, start, end);
  if (!moved.ok) throw cellError(moved);
  const updated = await updateOrder(
    env.DB,
    order,
    { startAt: start, endAt: end },
    {
      id: newId("evt"),
      actorType: actor.type,
      actorId: actor.id,
      from: order.status,
      to: order.status,
      reason: "rescheduled",
      data: { from: order.startAt, to: start },
    },
    [
      {
        id: newId("msg"),
        topic: "order.rescheduled",
        payload: { orderId: order.id, customerId: order.customerId, technicianId: order.technicianId, start },
      },
    ],
  );
  if (!updated) {
    // The order changed meanwhile: put the interval back where the order still says it is.
    await stub.reschedule(order.holdKey, order.startAt, order.endAt, { ignoreShifts: true });
    throw concurrentChange();
  }
  await rearmDeadline(env, updated);
  return updated;
}
