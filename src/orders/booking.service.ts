/**
 * Booking: placing an order from a quote. The hot path of the API, so it is written for round
 * trips. On a warm isolate a booking makes two remote calls before it answers: the hold in the
 * owner cell, then one D1 batch with everything the booking writes (order, timeline entries and
 * messages, dispatch decision, and the Idempotency-Key's record with the answer — written only if
 * the key is new and the copies it used are current, all or nothing). What it reads besides comes
 * from the signed quote and from per-isolate caches (reference.service, booking-cache) that the
 * batch checks itself. The calendar booking and the accept deadline follow after the answer
 * (`defer`, the request's waitUntil); a hold whose booking never arrives lapses and is repaired
 * (order-flow.service repairLapsedHold). test/orders/booking-roundtrips.test.ts bounds the counts.
 *
 * Idempotency without a claim first: the order id is derived from the quote and the key, so a
 * retry asks the cell for the same hold key and gets the same hold back (the calendar treats a
 * repeated hold as one), and only one of two racing batches finds the key new. The loser reads
 * the key and answers with what is stored there.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { addressAsRead, type AddressRow } from "../db/repositories/addresses.repo";
import { bookableAsRead } from "../db/repositories/booking.repo";
import type { CityRow } from "../db/repositories/cities.repo";
import {
  decisionStatement,
  findIdempotencyKey,
  idempotencyRecord,
  insertDecision,
  insertOrder,
  keyIsNew,
  storeIdempotencyAnswer,
  type DecisionRow,
  type IdempotencyRow,
  type OrderRow,
  type OrderStep,
} from "../db/repositories/orders.repo";
import { technicianAsRead, type RosterEntry } from "../db/repositories/roster.repo";
import { couponHasRoom, redeemStatements } from "../db/repositories/coupons.repo";
import { noUnpaidBalance, unpaidOrderOf } from "../db/repositories/dues.repo";
import { allOf, orderWon } from "../db/repositories/statements";
import { cellOf, haversineKm, type LatLng } from "../domain/geo";
import { canTransition } from "../domain/order-state";
import { AppError, notFound, invalid } from "../errors";
import { exactPoint, pointColumns, type PointColumns } from "../lib/coordinates";
import { sha256Hex } from "../lib/encoding";
import { newIds } from "../lib/ids";
import { Pii } from "../lib/pii";
import { couponStillHasRoom, couponUsedUp } from "../coupons/coupons.service";
import { couponOfQuote } from "../domain/coupons";
import { memberBooking, memberRefusal } from "../membership";
import { bookHold, chooseAndHold, holdFor, releaseHold, type Job, type Reservation } from "../dispatch/dispatch.service";
import { bookAndArm, dispatchStep, startDispatch, statusMessage, SYSTEM, type DispatchStep } from "./order-flow.service";
import { eventRow, orderView, renderOrder, type OrderView, type ShownTechnician } from "./orders.view";
import { orderTermsOf, readQuote, type QuotePayload } from "./quotes.service";
import { heldInWindow, latestStartOf, windowNote } from "./quote-window";
import { answerOf, inFlight, readable, storable, storableRefusal, type Outcome } from "./idempotency.service";
import { cachedCityOfCell, cachedService, forgetService, type BookableService } from "../catalog/reference.service";
import { cachedOwnAddress, cachedRosterEntry } from "./booking-cache";
import { orderIdOf } from "./order-ids";
import { getOwnOrder } from "./orders.service";
import { refuseOverOpenOrderCap, withinOpenOrderCap } from "./open-orders";
import { newStartCode } from "../visit/start-code.service";
import { logger } from "../lib/log";
import { METRICS, writePoint } from "../observability";

export interface PlaceOrderInput {
  quoteId: string;
  addressId: string;
  start: string;
  technicianId?: string;
  notes?: string;
  paymentPlan?: "full" | "deposit" | "after_service";
  /**
   * A free rework visit an after-sales ticket decided (src/orders/rework.service.ts; never from the
   * HTTP body): paid after the service whatever the service offers (its total is 0), and not held
   * back by the customer's open-order cap or an unpaid balance (the order it reworks may be that one).
   */
  rework?: { ticketId: string };
  /**
   * A visit of a recurring series (src/series; never from the HTTP body): booked weeks ahead and
   * paid after each visit, so not held back by the customer's open-order cap (the series is one
   * commitment); an unpaid balance still stops it.
   */
  series?: { seriesId: string };
}

/** Runs work after the answer (the request's waitUntil); it must not throw. */
export type Defer = (work: Promise<unknown>) => void;

/** The request's Idempotency-Key: who sent it, the key, and the hash of the body it came with. */
interface Keyed {
  accountId: string;
  key: string;
  requestHash: string;
}

/** How long the claim of a request with the same key (another route's, or one from before) is taken to be alive. */
const leaseMs = (env: Env) => config(env).IDEMPOTENCY_LEASE_SECONDS * 1000;

/** The address must be where the quote was priced (within this many km). */
const QUOTE_ADDRESS_TOLERANCE_KM = 0.5;

function mismatch(path: string, message: string): AppError {
  return AppError.of("QUOTE_MISMATCH", {}, { errors: [{ path, message }] });
}

function slotUnavailable(): AppError {
  return AppError.of("SLOT_UNAVAILABLE");
}

/** The key has an answer already (another request with it got there first): that answer counts. */
class Answered extends Error {
  constructor(readonly row: IdempotencyRow) {
    super("answered under this key already");
  }
}

/** A duplicate of this request (same key, same order id) holds the interval and is still running. */
class Duplicate extends Error {
  constructor() {
    super("a duplicate request is still running");
  }
}

/** Work after the answer that must not fail the request: logged, left to the backstops. */
function quietly(work: Promise<unknown>, what: string): Promise<void> {
  return work.then(
    () => undefined,
    (err: unknown) => logger.error(what, { error: String(err) }),
  );
}

/**
 * Places the order once per (customer, Idempotency-Key). A retry with the same body gets the
 * stored answer, another body under the key gets 422, and a retry while the first still runs gets
 * 409. A refusal (4xx) is stored as the key's answer like an order is. `request` is what the key's
 * body is compared on (default `input`; a re-order's own body, whose quote is made afresh each time).
 */
export async function placeOrderOnce(
  env: Env,
  customerId: string,
  key: string,
  input: PlaceOrderInput,
  defer: Defer = () => undefined,
  request: unknown = input,
): Promise<Outcome> {
  const keyed: Keyed = { accountId: customerId, key, requestHash: await sha256Hex(JSON.stringify(request ?? null)) };
  const db = getDb(env);
  const earlier = async () => {
    const row = await findIdempotencyKey(db, customerId, key);
    return row && replayed(env, customerId, await answerOf(env, row, keyed.requestHash));
  };
  try {
    return { status: 201, body: await placeKeyed(env, customerId, input, keyed, defer), replayed: false };
  } catch (err) {
    if (err instanceof Answered) return replayed(env, customerId, await answerOf(env, err.row, keyed.requestHash));
    if (err instanceof Duplicate) {
      const answer = await earlier();
      if (answer) return answer;
      throw inFlight();
    }
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    // A refusal is this key's answer, unless the key has one already (then that one counts).
    const stored = await storeIdempotencyAnswer(
      db,
      { ...keyed, status: err.status, body: await storableRefusal(env, err) },
      leaseMs(env),
      Date.now(),
    );
    if (!stored) {
      const answer = await earlier();
      if (answer) return answer;
    }
    throw err;
  }
}

/**
 * Books a quoted job: holds the interval in the owner cell of the chosen or best technician, then
 * writes the order. If the write fails the hold is released, so no interval is left behind.
 * Pay-after-service orders are confirmed and dispatched at once: their first dispatch step goes in
 * the same write, with every timeline entry and message, and the calendar booking and the
 * dispatch deadline follow it, after the answer.
 */
async function placeKeyed(env: Env, customerId: string, input: PlaceOrderInput, keyed: Keyed, defer: Defer): Promise<OrderView> {
  const quote = await readQuote(env, input.quoteId);
  if (Date.parse(input.start) !== quote.start) throw mismatch("body.start", "differs from the quoted start");
  const orderId = await orderIdOf(quote, input.quoteId, keyed.accountId, keyed.key);
  const terms = await termsOf(env, customerId, input, quote, false);
  const placed = await tryToPlace(env, input, quote, terms, keyed, orderId, defer, false);
  // A copy read from a cache changed since (the service, the address, the technician): book once more with them read afresh.
  const booked =
    placed ?? (await tryToPlace(env, input, quote, await termsOf(env, customerId, input, quote, true), keyed, orderId, defer, true))!;
  // Analytics Engine only (no D1 statement): the screen counts bookings from the orders themselves.
  writePoint(env, { name: METRICS.booking, cityId: terms.city.id, value: 1 });
  return booked;
}

/**
 * Places an order without a client's Idempotency-Key (operations and tests that book directly):
 * under a key of its own, and with the calendar booking done before it returns.
 */
export async function placeOrder(env: Env, customerId: string, input: PlaceOrderInput): Promise<OrderView> {
  const after: Promise<unknown>[] = [];
  const keyed: Keyed = { accountId: customerId, key: `direct:${crypto.randomUUID()}`, requestHash: "direct" };
  const view = await placeKeyed(env, customerId, input, keyed, (work) => after.push(work));
  await Promise.all(after);
  return view;
}

/** What a booking is checked against and made of, read in one round (every read cached per isolate). */
export interface Terms {
  customerId: string;
  address: AddressRow;
  /** The address's exact point (opened from its sealed column). */
  point: LatLng;
  found: BookableService;
  city: CityRow;
  cell: string;
  plan: NonNullable<PlaceOrderInput["paymentPlan"]>;
  /** The chosen technician, approved and qualified. */
  chosen?: RosterEntry;
}

async function termsOf(env: Env, customerId: string, input: PlaceOrderInput, quote: QuotePayload, fresh: boolean): Promise<Terms> {
  const [address, found, entry] = await Promise.all([
    cachedOwnAddress(env, customerId, input.addressId, fresh),
    cachedService(env, quote.serviceId, { fresh }),
    // The quote's point is within QUOTE_ADDRESS_TOLERANCE_KM of the address: its cell is (nearly always) the booking's.
    input.technicianId
      ? cachedRosterEntry(env, input.technicianId, fresh, cellOf(quote, config(env).H3_RESOLUTION))
      : Promise.resolve(undefined),
  ]);
  if (!address) throw notFound("Address");
  if (!found) throw notFound("Service");
  const point = await exactPoint(await Pii.fromEnv(env), "addresses", address);
  if (haversineKm(point, quote) > QUOTE_ADDRESS_TOLERANCE_KM)
    throw mismatch("body.addressId", "the address is not where the quote was priced");
  const { service } = found;
  const cell = cellOf(point, config(env).H3_RESOLUTION);
  const city = await cachedCityOfCell(env, cell);
  if (!city || !found.cityIds.includes(city.id)) throw AppError.of("SERVICE_NOT_OFFERED");

  const options = service.paymentOptions;
  // Nothing to pay (a package or points cover it all): confirmed at once, like a rework visit.
  const plan =
    input.rework || quote.total === 0
      ? "after_service"
      : (input.paymentPlan ?? (options.full ? "full" : options.depositPercent !== null ? "deposit" : "after_service"));
  const allowed =
    input.rework !== undefined ||
    quote.total === 0 ||
    (plan === "full" ? options.full : plan === "deposit" ? options.depositPercent !== null : options.afterService);
  if (!allowed) throw AppError.of("PAYMENT_PLAN_NOT_OFFERED", {}, { errors: [{ path: "body.paymentPlan", message: "not offered" }] });
  if (service.dispatchMode === "chosen" && !input.technicianId)
    throw invalid([{ path: "body.technicianId", message: "this service is booked with a chosen technician" }]);
  if (
    input.technicianId &&
    (!entry || entry.profile.status !== "approved" || !service.requiredSkills.every((s) => entry.profile.skills.includes(s)))
  )
    throw slotUnavailable();
  return { customerId, address, point, found, city, cell, plan, chosen: entry };
}

/**
 * One attempt at placing the order with the copies as cached (`fresh`: as read now). Null when
 * the order write found one of them changed since (the hold is released then).
 */
async function tryToPlace(
  env: Env,
  input: PlaceOrderInput,
  quote: QuotePayload,
  terms: Terms,
  keyed: Keyed,
  orderId: string,
  defer: Defer,
  fresh: boolean,
): Promise<OrderView | null> {
  const db = getDb(env);
  const { address, city, chosen } = terms;
  const { service } = terms.found;
  const job: Job = {
    orderId,
    customerId: terms.customerId,
    cell: terms.cell,
    start: quote.start,
    end: quote.end,
    latestStart: latestStartOf(quote),
    lat: terms.point.lat,
    lng: terms.point.lng,
    skills: service.requiredSkills,
    exclude: [],
    merchantId: service.merchantId,
  };
  const startCode = newStartCode();
  // The personal data is sealed for the order while the cell holds the interval.
  const [held, sealed] = await Promise.all([reserve(env, job, service.dispatchMode, chosen), orderPii(env, address, startCode, job)]);
  const { reservation, technician } = held;
  if (held.duplicate) throw new Duplicate();
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
    const member = memberBooking(
      db,
      quote.member,
      { orderId: row.id, customerId: row.customerId, serviceId: row.serviceId, currency: row.currency },
      won,
      now,
    );
    written = await insertOrder(db, row, steps, {
      guard: allOf(
        keyIsNew(keyed.accountId, keyed.key, keyed.requestHash, leaseMs(env), now),
        bookableAsRead(service.id, city.id, fresh ? undefined : service.updatedAt),
        addressAsRead(terms.customerId, address.id, address.updatedAt),
        chosen ? technicianAsRead(chosen.profile.id, chosen.updatedAt) : undefined,
        coupon ? couponHasRoom(coupon.couponId, row.customerId, now, coupon.amount) : undefined,
        member.guard,
        input.rework || input.series ? undefined : withinOpenOrderCap(env, row.customerId, terms.plan, now),
        input.rework ? undefined : noUnpaidBalance(row.customerId),
      ),
      extra: [
        ...(held.decision ? [decisionStatement(db, held.decision, won)] : []),
        ...(coupon ? redeemStatements(db, { ...coupon, orderId: row.id, customerId: row.customerId }, won, now) : []),
        ...member.statements,
        // The key's record with the answer; when the answer is only known after the write (batched
        // dispatch), the order's id, and a retry gets the order as it is then.
        idempotencyRecord(db, { ...keyed, status: 201, body: await storable(env, view ?? { [PENDING]: row.id }) }, leaseMs(env), now, won),
      ],
    });
  } catch (err) {
    // No orphans: the interval goes back before the failure is reported.
    await releaseHold(env, reservation.technicianId, reservation.holdKey, reservation.homeCell);
    throw err;
  }
  if (!written) {
    const answered = await findIdempotencyKey(db, keyed.accountId, keyed.key);
    if (answered) {
      // A duplicate of this request wrote first. It may have booked this very hold (same order id,
      // same technician): then the hold is its booking and stays.
      if (!(await holdsSameBooking(env, answered, row))) {
        await releaseHold(env, reservation.technicianId, reservation.holdKey, reservation.homeCell);
      }
      throw new Answered(answered);
    }
    await releaseHold(env, reservation.technicianId, reservation.holdKey, reservation.homeCell);
    // A served order of this customer is still unpaid: they pay it before booking again.
    const unpaid = await unpaidOrderOf(db, row.customerId);
    if (unpaid) throw AppError.of("UNPAID_BALANCE", { orderId: unpaid.orderId }, { extra: { orderId: unpaid.orderId } });
    // The coupon ran out (for this customer, or in all) while the booking was on its way.
    if (quote.couponId && !(await couponStillHasRoom(env, quote.couponId, row.customerId, now, couponOfQuote(quote)?.amount)))
      throw couponUsedUp();
    // The package or the points ran out while the booking was on its way.
    const memberRefused = await memberRefusal(env, quote.member, row.customerId);
    if (memberRefused) throw memberRefused;
    if (!input.series) await refuseOverOpenOrderCap(env, row.customerId, terms.plan, now);
    if (fresh) throw notFound("Service");
    forgetService(service.id);
    return null;
  }
  if (!afterService) return view!;
  if (step) {
    defer(quietly(bookAndArm(env, row, reservation, step.deadline), "booking.confirm_failed"));
    return view!;
  }
  await bookHold(env, reservation.technicianId, reservation.holdKey, reservation.homeCell);
  return orderView(env, await startDispatch(env, row), { viewer: "customer" });
}

/** The stored answer of a booking whose answer was rendered after its write: the order's id. */
const PENDING = "pendingOrderId";

/** Whether the order stored under the key is this one, on the same technician (so the same hold). */
async function holdsSameBooking(env: Env, answered: IdempotencyRow, row: OrderRow): Promise<boolean> {
  if (answered.statusCode !== 201 || !answered.body) return false;
  const view = (await readable(env, answered.body)) as { id?: string; technician?: { id?: string } | null; [PENDING]?: string };
  if (view[PENDING] !== undefined) return view[PENDING] === row.id;
  return view.id === row.id && view.technician?.id === row.technicianId;
}

/** A stored answer as the client gets it again: a pending one is the order as it is now. */
async function replayed(env: Env, customerId: string, outcome: Outcome): Promise<Outcome> {
  const pending = (outcome.body as { [PENDING]?: string } | null)?.[PENDING];
  if (pending === undefined) return outcome;
  return { ...outcome, body: await getOwnOrder(env, customerId, pending) };
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
  sealed: { addressEnc: string; startCodeEnc: string; point: PointColumns },
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
    ...sealed.point,
    ...orderTermsOf(quote),
    ...heldInWindow(reservation),
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
    refundCapPercent: null,
    startCodeFailures: 0,
    startCodeLockedAt: null,
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
        ...windowNote(quote, reservation, terms.city.timeZone),
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
            ...windowNote(quote, reservation, terms.city.timeZone).data,
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
): Promise<{ reservation: Reservation | null; technician: ShownTechnician | null; decision?: DecisionRow; duplicate?: boolean }> {
  if (chosen) {
    const { id, name, ratingX100 } = chosen.profile;
    let refused: string | undefined;
    const reservation = await holdFor(env, id, job, 1, { entry: chosen, refused: (code) => (refused = code) });
    // The order's hold key is held for another interval or technician: a duplicate of this request holds it.
    return { reservation, technician: { id, name, ratingX100 }, duplicate: refused === "ORDER_CONFLICT" };
  }
  const { reservation, decision, duplicate } = await chooseAndHold(env, job, 1, mode, "booking");
  return {
    reservation,
    technician: reservation && { id: reservation.technicianId, name: reservation.name, ratingX100: reservation.ratingX100 },
    decision,
    duplicate,
  };
}

/** The order's own copy of the address and its point (sealed for the order), and its sealed start code. */
async function orderPii(env: Env, address: AddressRow, startCode: string, job: Job) {
  const pii = await Pii.fromEnv(env);
  const [text, contactName, contactPhone] = await Promise.all([
    pii.decrypt("address", address.textEnc),
    pii.decrypt("contact_name", address.contactNameEnc),
    pii.decrypt("phone", address.contactPhoneEnc),
  ]);
  const [addressEnc, startCodeEnc, point] = await Promise.all([
    pii.encrypt("order_address", JSON.stringify({ label: address.label, text, contactName, contactPhone })),
    pii.encrypt("start_code", startCode),
    pointColumns(pii, "orders", job.orderId, job),
  ]);
  return { addressEnc, startCodeEnc, point };
}
