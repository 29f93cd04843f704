/**
 * Booking: placing an order from a quote. The hot path of the API, so it is written for round
 * trips: the idempotency claim, one parallel read (address, technician; the service and the cell's
 * city come from the reference cache), the hold in the owner cell, one D1 batch with everything the
 * booking writes (order, timeline entries and messages, dispatch decision, the stored answer), then
 * the calendar booking and the dispatch deadline in parallel. test/orders/booking-roundtrips
 * .test.ts bounds the counts.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { findOwnAddress, type AddressRow } from "../db/repositories/addresses.repo";
import { bookableAsRead } from "../db/repositories/booking.repo";
import type { CityRow } from "../db/repositories/cities.repo";
import {
  decisionStatement,
  insertDecision,
  insertOrder,
  type DecisionRow,
  type OrderRow,
  type OrderStep,
} from "../db/repositories/orders.repo";
import { rosterEntry, type RosterEntry } from "../db/repositories/roster.repo";
import { couponHasRoom, redeemStatements } from "../db/repositories/coupons.repo";
import { noUnpaidBalance, unpaidOrderOf } from "../db/repositories/dues.repo";
import { allOf, orderWon, type Guard } from "../db/repositories/statements";
import { cellOf, haversineKm } from "../domain/geo";
import { canTransition } from "../domain/order-state";
import { AppError, notFound, invalid } from "../errors";
import { newId, newIds } from "../lib/ids";
import { Pii } from "../lib/pii";
import { couponStillHasRoom, couponUsedUp } from "../coupons/coupons.service";
import { couponOfQuote } from "../domain/coupons";
import { bookHold, chooseAndHold, holdFor, releaseHold, type Job, type Reservation } from "../dispatch/dispatch.service";
import { bookAndArm, dispatchStep, startDispatch, statusMessage, SYSTEM, type DispatchStep } from "./order-flow.service";
import { eventRow, orderView, renderOrder, type OrderView, type ShownTechnician } from "./orders.view";
import { orderTermsOf, readQuote, type QuotePayload } from "./quotes.service";
import { claimLost, idempotent, type Claim, type Outcome } from "./idempotency.service";
import { cachedCityOfCell, cachedService, forgetService, type BookableService } from "../catalog/reference.service";

export interface PlaceOrderInput {
  quoteId: string;
  addressId: string;
  start: string;
  technicianId?: string;
  notes?: string;
  paymentPlan?: "full" | "deposit" | "after_service";
}

export interface PlaceOrderOptions {
  /**
   * Stores the answer (the order view) in the order's own write, applied only if `guard` holds
   * there (the order was written): see idempotency.service `Seal`.
   */
  seal?: (view: unknown, guard: Guard) => Promise<D1PreparedStatement>;
  /** The request's hold on its Idempotency-Key: the order is written only while it holds. */
  claim?: Claim;
  /** The quote and terms read already (prepareOrder), while the idempotency key was claimed. */
  prepared?: Promise<PreparedOrder>;
}

/** The address must be where the quote was priced (within this many km). */
const QUOTE_ADDRESS_TOLERANCE_KM = 0.5;

function mismatch(path: string, message: string): AppError {
  return AppError.of("QUOTE_MISMATCH", {}, { errors: [{ path, message }] });
}

function slotUnavailable(): AppError {
  return AppError.of("SLOT_UNAVAILABLE");
}

/**
 * Places the order once per (customer, Idempotency-Key): the key is claimed while the booking's
 * reads run, and the answer is stored in the order's own write.
 */
export async function placeOrderOnce(env: Env, customerId: string, key: string, input: PlaceOrderInput): Promise<Outcome> {
  return idempotent(
    env,
    customerId,
    key,
    input,
    async (seal, prepared, claim) => ({
      status: 201,
      body: await placeOrder(env, customerId, input, { seal: (view, guard) => seal(201, view, guard), prepared, claim }),
    }),
    () => prepareOrder(env, customerId, input),
  );
}

/**
 * Books a quoted job: holds the interval in the owner cell of the chosen or best technician, then
 * writes the order. If the write fails the hold is released, so no interval is left behind.
 * Pay-after-service orders are confirmed and dispatched at once: their first dispatch step goes in
 * the same write, with every timeline entry and message, and the calendar booking and the dispatch
 * deadline follow it.
 */
export async function placeOrder(env: Env, customerId: string, input: PlaceOrderInput, opts: PlaceOrderOptions = {}) {
  const { quote, terms } = await (opts.prepared ?? prepareOrder(env, customerId, input));
  const placed = await tryToPlace(env, input, quote, terms, opts, false);
  if (placed) return placed;
  // The service changed since the cached copy was read (reference.service): book once more with it read afresh.
  return (await tryToPlace(env, input, quote, await termsOf(env, customerId, input, quote, true), opts, true))!;
}

/** What placing an order reads before it writes anything: the quote, and the terms it is checked against. */
export interface PreparedOrder {
  quote: QuotePayload;
  terms: Terms;
}

/** Reads and checks what the order needs (no writes): the quote, the address, the service, the city, the chosen technician. */
export async function prepareOrder(env: Env, customerId: string, input: PlaceOrderInput): Promise<PreparedOrder> {
  const quote = await readQuote(env, input.quoteId);
  if (Date.parse(input.start) !== quote.start) throw mismatch("body.start", "differs from the quoted start");
  return { quote, terms: await termsOf(env, customerId, input, quote, false) };
}

/** What a booking is checked against and made of, read in one round (service and city cached). */
export interface Terms {
  customerId: string;
  address: AddressRow;
  found: BookableService;
  city: CityRow;
  cell: string;
  plan: NonNullable<PlaceOrderInput["paymentPlan"]>;
  /** The chosen technician, approved and qualified. */
  chosen?: RosterEntry;
}

async function termsOf(env: Env, customerId: string, input: PlaceOrderInput, quote: QuotePayload, fresh: boolean): Promise<Terms> {
  const db = getDb(env);
  const [address, found, entry] = await Promise.all([
    findOwnAddress(db, customerId, input.addressId),
    cachedService(env, quote.serviceId, { fresh }),
    input.technicianId ? rosterEntry(db, input.technicianId) : Promise.resolve(undefined),
  ]);
  if (!address) throw notFound("Address");
  if (!found) throw notFound("Service");
  if (haversineKm(address, quote) > QUOTE_ADDRESS_TOLERANCE_KM)
    throw mismatch("body.addressId", "the address is not where the quote was priced");
  const { service } = found;
  const cell = cellOf(address, config(env).H3_RESOLUTION);
  const city = await cachedCityOfCell(env, cell);
  if (!city || !found.cityIds.includes(city.id)) throw AppError.of("SERVICE_NOT_OFFERED");

  const options = service.paymentOptions;
  const plan = input.paymentPlan ?? (options.full ? "full" : options.depositPercent !== null ? "deposit" : "after_service");
  const allowed = plan === "full" ? options.full : plan === "deposit" ? options.depositPercent !== null : options.afterService;
  if (!allowed) throw AppError.of("PAYMENT_PLAN_NOT_OFFERED", {}, { errors: [{ path: "body.paymentPlan", message: "not offered" }] });
  if (service.dispatchMode === "chosen" && !input.technicianId)
    throw invalid([{ path: "body.technicianId", message: "this service is booked with a chosen technician" }]);
  if (
    input.technicianId &&
    (!entry || entry.profile.status !== "approved" || !service.requiredSkills.every((s) => entry.profile.skills.includes(s)))
  )
    throw slotUnavailable();
  return { customerId, address, found, city, cell, plan, chosen: entry };
}

/**
 * One attempt at placing the order with the service as cached (`fresh`: as read now). Null when
 * the order write found the service changed since the cached copy (the hold is released then).
 */
async function tryToPlace(
  env: Env,
  input: PlaceOrderInput,
  quote: QuotePayload,
  terms: Terms,
  opts: PlaceOrderOptions,
  fresh: boolean,
): Promise<OrderView | null> {
  const db = getDb(env);
  const { address, city } = terms;
  const { service } = terms.found;
  const job: Job = {
    orderId: newId("ord"),
    customerId: terms.customerId,
    cell: terms.cell,
    start: quote.start,
    end: quote.end,
    lat: address.lat,
    lng: address.lng,
    skills: service.requiredSkills,
    exclude: [],
  };
  const startCode = String(crypto.getRandomValues(new Uint32Array(1))[0]! % 10_000).padStart(4, "0");
  // The personal data is sealed for the order while the cell holds the interval.
  const [held, sealed] = await Promise.all([reserve(env, job, service.dispatchMode, terms.chosen), orderPii(env, address, startCode)]);
  const { reservation, technician } = held;
  if (!reservation) {
    if (held.decision) await insertDecision(getDb(env), held.decision);
    throw slotUnavailable();
  }

  const now = Date.now();
  const { row, steps, step } = newOrder(env, terms, quote, input, job, reservation, sealed, now);
  const afterService = terms.plan === "after_service";
  // The answer is known before the write unless startDispatch still has to run after it.
  const view =
    !afterService || step
      ? renderOrder(
          row,
          {
            events: steps.map((s) => eventRow(row.id, s.event, now)),
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
  const won = orderWon(row.id, row.lastEventId);
  let written: boolean;
  try {
    const coupon = quote.couponId ? couponOfQuote(quote) : null;
    written = await insertOrder(db, row, steps, {
      guard: allOf(
        bookableAsRead(service.id, city.id, fresh ? undefined : service.updatedAt),
        coupon ? couponHasRoom(coupon.couponId, row.customerId, now) : undefined,
        noUnpaidBalance(row.customerId),
        opts.claim?.guard,
      ),
      extra: [
        ...(held.decision ? [decisionStatement(db, held.decision, won)] : []),
        ...(coupon ? redeemStatements(db, { ...coupon, orderId: row.id, customerId: row.customerId }, won, now) : []),
        ...(view && opts.seal ? [await opts.seal(view, won)] : []),
      ],
    });
  } catch (err) {
    // No orphans: the interval goes back before the failure is reported.
    await releaseHold(env, reservation.technicianId, reservation.holdKey, reservation.homeCell);
    throw err;
  }
  if (!written) {
    await releaseHold(env, reservation.technicianId, reservation.holdKey, reservation.homeCell);
    // A retry took the key over (this request outlived its lease): its answer is the one that counts.
    if (opts.claim && !(await opts.claim.held())) throw claimLost();
    // A served order of this customer is still unpaid: they pay it before booking again.
    const unpaid = await unpaidOrderOf(db, row.customerId);
    if (unpaid) throw AppError.of("UNPAID_BALANCE", { orderId: unpaid.orderId }, { extra: { orderId: unpaid.orderId } });
    // The coupon ran out (for this customer, or in all) while the booking was on its way.
    if (quote.couponId && !(await couponStillHasRoom(env, quote.couponId, row.customerId, now))) throw couponUsedUp();
    if (fresh) throw notFound("Service");
    forgetService(service.id);
    return null;
  }
  if (!afterService) return view!;
  if (step) {
    await bookAndArm(env, row, reservation, step.deadline);
    return view!;
  }
  await bookHold(env, reservation.technicianId, reservation.holdKey, reservation.homeCell);
  return orderView(env, await startDispatch(env, row), { viewer: "customer" });
}

/**
 * The new order as written, with its timeline: booked, and for a confirmed order its first dispatch
 * step when that is one plain transition (`step`; null leaves it to startDispatch after the write).
 */
function newOrder(
  env: Env,
  terms: Terms,
  quote: QuotePayload,
  input: PlaceOrderInput,
  job: Job,
  reservation: Reservation,
  sealed: { addressEnc: string; startCodeEnc: string },
  now: number,
): { row: OrderRow; steps: OrderStep[]; step: DispatchStep | null } {
  const { service } = terms.found;
  const afterService = terms.plan === "after_service";
  const [bookedId, dispatchedId] = newIds("evt", 2, now) as [string, string];
  const [bookedMsg, dispatchedMsg] = newIds("msg", 2, now) as [string, string];
  const placed: OrderRow = {
    id: job.orderId,
    customerId: job.customerId,
    serviceId: service.id,
    merchantId: service.merchantId,
    cityId: terms.city.id,
    cell: terms.cell,
    addressId: terms.address.id,
    addressEnc: sealed.addressEnc,
    lat: job.lat,
    lng: job.lng,
    ...orderTermsOf(quote),
    paymentPlan: terms.plan,
    status: afterService ? "confirmed" : "pending_payment",
    dispatchMode: terms.chosen ? "chosen" : service.dispatchMode,
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
    lastEventId: bookedId,
    createdAt: now,
    updatedAt: now,
  };
  const steps: OrderStep[] = [
    {
      event: {
        id: bookedId,
        actorType: "customer",
        actorId: job.customerId,
        from: null,
        to: placed.status,
        reason: afterService ? "booked; pays after the service" : "booked; waiting for payment",
      },
      messages: [
        {
          id: bookedMsg,
          topic: "order.status",
          payload: {
            orderId: placed.id,
            customerId: placed.customerId,
            technicianId: placed.technicianId,
            from: null,
            to: placed.status,
            reason: "booked",
          },
        },
      ],
    },
  ];
  const step = afterService ? dispatchStep(env, placed, now) : null;
  if (!step || !canTransition(placed.status, step.to, SYSTEM.type)) return { row: placed, steps, step: null };
  steps.push({
    event: { id: dispatchedId, actorType: SYSTEM.type, actorId: SYSTEM.id, from: placed.status, to: step.to, reason: step.reason },
    messages: [statusMessage(placed, step.to, step.reason, step.patch, dispatchedMsg)],
  });
  return { row: { ...placed, ...step.patch, status: step.to, version: 2, lastEventId: dispatchedId, updatedAt: now }, steps, step };
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
