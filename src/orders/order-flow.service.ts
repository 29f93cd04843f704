/**
 * Moving orders through the state machine: one guarded, versioned D1 write per transition with its
 * timeline entry and outbox message, plus the calendar work around it (hold, book, release) and the
 * dispatch deadlines kept by the order's cell.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { bookableService } from "../db/repositories/booking.repo";
import { rosterEntry } from "../db/repositories/roster.repo";
import {
  findOrder,
  findOrderByHoldKey,
  updateOrder,
  type OrderPatch,
  type OrderRow,
  type OutboxMessage,
  type TimelineEntry,
} from "../db/repositories/orders.repo";
import { releaseStatements } from "../db/repositories/coupons.repo";
import { memberReleaseStatements } from "../membership";
import { orderWon, type Guard } from "../db/repositories/statements";
import { BEFORE_DEPARTURE, canTransition, endsTracking, type ActorType, type OrderStatus } from "../domain/order-state";
import { AppError } from "../errors";
import { orderPoint } from "../lib/coordinates";
import { newId } from "../lib/ids";
import { enqueueForBatch } from "../dispatch/batch-dispatch.service";
import { forgetRankingFacts } from "../dispatch/ranking-history";
import { cellStub } from "../cells/cells.service";
import {
  acceptDeadlineMs,
  bookHold,
  enRouteLeadMs,
  grabDeadlineMs,
  holdTtlMs,
  jobOf,
  maxRounds,
  releaseHold,
  reserveBest,
  type Reservation,
} from "../dispatch/dispatch.service";
import type { DeadlineKind } from "../domain/cell-events";
import { endTracking } from "../visit/visit.service";
import type { Localized } from "../lib/locale";
import { logger } from "../lib/log";
import { reheldInWindow, windowNoteOf } from "./quote-window";
import { creditFactStatementsOf } from "../credit";
import { CREDIT_REASONS, type CreditReason } from "../domain/credit";

export interface Actor {
  type: ActorType;
  id: string | null;
}

export const SYSTEM: Actor = { type: "system", id: null };

export function invalidTransition(order: OrderRow, to: OrderStatus): AppError {
  return AppError.of("INVALID_TRANSITION", { status: order.status }, { extra: { status: order.status, to } });
}

export function concurrentChange(): AppError {
  return AppError.of("CONCURRENT_UPDATE");
}

/** What else a transition writes in its batch: money it moves and messages beyond `order.status`. */
export interface TransitionEffects {
  /** Statements guarded by `guard` (true only if this transition won), built with the batch's time and the timeline event id. */
  extra?: (guard: Guard, now: number, eventId: string) => D1PreparedStatement[];
  messages?: OutboxMessage[];
  /** A note for people on the transition's status message (a flexible-window order's window, src/orders/quote-window.ts). */
  note?: Localized;
  /** The home cell of the order's technician, when the caller read it already (ending tracking then reads nothing). */
  technicianCell?: string;
  /** Told the timeline entry the transition wrote and when, for an answer built without reading the timeline back. */
  written?: (event: TimelineEntry, at: number) => void;
}

/**
 * Applies one legal transition (or throws 409 INVALID_TRANSITION), recorded in the timeline; the
 * write names the version it read, so of two concurrent actors only one wins (the other gets 409
 * CONCURRENT_UPDATE). A transition that ends the customer's view of the technician closes it.
 */
export async function transition(
  env: Env,
  order: OrderRow,
  to: OrderStatus,
  actor: Actor,
  reason: string,
  patch: OrderPatch = {},
  data: Record<string, unknown> = {},
  effects: TransitionEffects = {},
): Promise<OrderRow> {
  const db = getDb(env);
  if (!canTransition(order.status, to, actor.type)) throw invalidTransition(order, to);
  const eventId = newId("evt");
  const now = Date.now();
  const event: TimelineEntry = { id: eventId, actorType: actor.type, actorId: actor.id, from: order.status, to, reason, data };
  const updated = await updateOrder(
    db,
    order,
    { ...patch, status: to },
    event,
    [statusMessage(order, to, reason, patch, undefined, effects.note), ...(effects.messages ?? [])],
    now,
    [
      ...(effects.extra?.(orderWon(order.id, eventId), now, eventId) ?? []),
      // A cancelled order gives its coupon back.
      ...(to === "cancelled" ? releaseStatements(db, order.id, orderWon(order.id, eventId), now) : []),
      // …and its package draw and points (src/membership).
      ...(to === "cancelled" ? memberReleaseStatements(db, order.id, orderWon(order.id, eventId), now) : []),
    ],
  );
  if (!updated) throw concurrentChange();
  effects.written?.(event, now);
  // Completion, acceptance and declines change what dispatch ranks on: this isolate reads them afresh.
  forgetRankingFacts(order.technicianId, updated.technicianId);
  if (endsTracking(order.status, order.technicianId, to, updated.technicianId))
    await endTracking(env, order.technicianId!, order.id, effects.technicianCell);
  return updated;
}

/** The `order.status` message of a change of `order` to `to` (what notifications and webhooks hear). */
export function statusMessage(
  order: OrderRow,
  to: OrderStatus,
  reason: string,
  patch: OrderPatch,
  id = newId("msg"),
  note?: Localized,
): OutboxMessage {
  return {
    id,
    topic: "order.status",
    payload: {
      orderId: order.id,
      customerId: order.customerId,
      technicianId: patch.technicianId ?? order.technicianId,
      from: order.status,
      to,
      reason,
      ...("exception" in patch ? { exception: patch.exception } : {}),
      ...(note ? { note } : {}),
    },
  };
}

export async function setDeadline(env: Env, order: OrderRow, kind: DeadlineKind, dueAt: number): Promise<void> {
  await cellStub(env, order.cell).setDeadline(order.id, kind, dueAt, order.version);
}

/**
 * Books a new order's held interval and arms its first dispatch deadline: one call when the cell
 * holding the interval is the order's own cell, else the two calls in parallel.
 */
export async function bookAndArm(env: Env, order: OrderRow, reservation: Reservation, deadline?: DispatchStep["deadline"]): Promise<void> {
  if (deadline && reservation.homeCell === order.cell) {
    await cellStub(env, order.cell).confirmAndSetDeadline(reservation.holdKey, {
      orderId: order.id,
      kind: deadline.kind,
      dueAt: deadline.dueAt,
      version: order.version,
    });
    return;
  }
  await Promise.all([
    bookHold(env, reservation.technicianId, reservation.holdKey, reservation.homeCell),
    deadline ? setDeadline(env, order, deadline.kind, deadline.dueAt) : undefined,
  ]);
}

export async function clearDeadline(env: Env, order: OrderRow): Promise<void> {
  await cellStub(env, order.cell).clearDeadline(order.id);
}

/** How a confirmed order enters dispatch when that is one plain transition, and the deadline it arms. */
export interface DispatchStep {
  to: OrderStatus;
  reason: string;
  patch: OrderPatch;
  deadline?: { kind: DeadlineKind; dueAt: number };
}

/**
 * The first dispatch step of a confirmed order by its mode, as of `now`; null for batched
 * dispatch, which asks the cell first (startDispatch does that).
 */
export function dispatchStep(env: Env, order: OrderRow, now: number): DispatchStep | null {
  if (order.dispatchMode === "manual") {
    return { to: "dispatching", reason: "waiting for an operator to assign", patch: { exception: "manual_dispatch" } };
  }
  if (order.dispatchMode === "grab") {
    const acceptBy = now + grabDeadlineMs(env);
    return { to: "dispatching", reason: "open for grabbing", patch: { acceptBy }, deadline: { kind: "grab", dueAt: acceptBy } };
  }
  if (order.dispatchMode === "auto" && config(env).DISPATCH_STRATEGY === "batch") return null;
  const acceptBy = now + acceptDeadlineMs(env);
  return { to: "assigned", reason: "offered to the technician", patch: { acceptBy }, deadline: { kind: "accept", dueAt: acceptBy } };
}

/** A confirmed order enters dispatch according to its mode. */
export async function startDispatch(env: Env, order: OrderRow): Promise<OrderRow> {
  const step = dispatchStep(env, order, Date.now());
  if (step) {
    const next = await transition(env, order, step.to, SYSTEM, step.reason, step.patch);
    if (step.deadline) await setDeadline(env, next, step.deadline.kind, step.deadline.dueAt);
    return next;
  }
  const waiting = await transition(env, order, "dispatching", SYSTEM, "waiting for the next dispatch batch", { exception: null });
  if (await enqueueForBatch(env, waiting, await skillsOf(env, waiting))) return waiting;
  const next = await transition(env, waiting, "assigned", SYSTEM, "offered to the technician (the batch was unavailable)", {
    acceptBy: Date.now() + acceptDeadlineMs(env),
  });
  await setDeadline(env, next, "accept", next.acceptBy!);
  return next;
}

/**
 * A batch tick chose the technician now holding the order's interval: offer it to them. `held`: the
 * batch gave a flexible-window order another start inside its window; the order takes it in the
 * same write, with the window note and the new-time notice as any later round (`reheldInWindow`),
 * unless the order moved meanwhile (its start is no longer the one the batch moved from).
 */
export async function offerFromBatch(
  env: Env,
  order: OrderRow,
  patch: { technicianId: string; acceptBy: number },
  reason: string,
  held?: { from: number; start: number; end: number },
): Promise<OrderRow> {
  const moved = reheldInWindow(order, held && held.from === order.startAt ? { technicianId: patch.technicianId, held } : null);
  const note = moved.patch.startAt === undefined ? undefined : await windowNoteOf(getDb(env), order, moved.patch.startAt);
  const next = await transition(
    env,
    order,
    "assigned",
    SYSTEM,
    reason,
    { ...patch, ...moved.patch, exception: null },
    { ...moved.data, ...(note ? { note } : {}) },
    { messages: moved.messages, note },
  );
  await setDeadline(env, next, "accept", patch.acceptBy);
  return next;
}

async function skillsOf(env: Env, order: OrderRow): Promise<string[]> {
  const found = await bookableService(getDb(env), order.serviceId);
  return found?.service.requiredSkills ?? [];
}

/**
 * Takes the order off its technician (released and excluded from now on) and dispatches it again.
 */
export async function redispatch(env: Env, order: OrderRow, actor: Actor, reason: string): Promise<OrderRow> {
  const tried =
    order.technicianId && !order.triedTechnicians.includes(order.technicianId)
      ? [...order.triedTechnicians, order.technicianId]
      : order.triedTechnicians;
  const next = await transition(
    env,
    order,
    "dispatching",
    actor,
    reason,
    {
      technicianId: null,
      holdKey: null,
      triedTechnicians: tried,
      dispatchRound: order.dispatchRound + 1,
      acceptBy: null,
    },
    {},
    { extra: creditEffect(env, order.technicianId, reason) },
  );
  await releaseHold(env, order.technicianId, order.holdKey);
  await clearDeadline(env, next);
  return dispatchNext(env, next, reason);
}

/**
 * What taking an order off its technician says of them (src/domain/credit.ts): an offer declined or
 * left to expire, a cancellation after accepting, not setting off in time (a no-show). Recorded in the
 * transition's batch, once per timeline event.
 */
function creditEffect(env: Env, technicianId: string | null, reason: string): TransitionEffects["extra"] {
  const code: CreditReason | null =
    reason === "declined"
      ? "OFFER_DECLINED"
      : reason === "accept deadline missed"
        ? "OFFER_EXPIRED"
        : reason === "not on the way in time"
          ? "NO_SHOW"
          : reason.startsWith("technician cancelled")
            ? "TECHNICIAN_CANCELLED"
            : null;
  if (!technicianId || !code) return undefined;
  const kind = CREDIT_REASONS[code].kind;
  return (guard, now, eventId) =>
    creditFactStatementsOf(getDb(env), { technicianId, kind, sourceType: "order_event", sourceId: eventId, reasonCode: code }, guard, now);
}

/**
 * Offers a dispatching order to the best free technician not tried yet. After DISPATCH_MAX_ROUNDS,
 * or with nobody free, the order waits in the operators' exception queue.
 */
export async function dispatchNext(env: Env, order: OrderRow, reason: string): Promise<OrderRow> {
  const round = order.dispatchRound;
  const reservation =
    round > maxRounds(env)
      ? null
      : await reserveBest(env, await jobOf(env, order, await skillsOf(env, order)), round, order.dispatchMode, reason);
  if (!reservation) {
    const exception = round > maxRounds(env) ? "max_rounds" : "no_candidate";
    return transition(
      env,
      order,
      "dispatching",
      SYSTEM,
      exception === "max_rounds" ? `no acceptance after ${maxRounds(env)} rounds` : "no free technician",
      { exception },
    );
  }
  return switchTechnician(env, order, reservation, SYSTEM, "offered to the next technician", "assigned");
}

/**
 * Points the order at a newly held technician, books that hold and releases the previous
 * technician. If the order changed meanwhile, the new hold is released and the change refused.
 */
export async function switchTechnician(
  env: Env,
  order: OrderRow,
  reservation: Reservation,
  actor: Actor,
  reason: string,
  to: "assigned" | "accepted",
  patch: OrderPatch = {},
  told: Pick<TransitionEffects, "written"> = {},
): Promise<OrderRow> {
  const previous = { technicianId: order.technicianId, holdKey: order.holdKey };
  const acceptBy = to === "assigned" ? Date.now() + acceptDeadlineMs(env) : null;
  // A flexible-window order takes the start its new hold got inside the window; the timeline and
  // the status notice say the window and that start.
  const moved = reheldInWindow(order, reservation);
  const note = moved.patch.startAt === undefined ? undefined : await windowNoteOf(getDb(env), order, moved.patch.startAt);
  let next: OrderRow;
  try {
    next = await transition(
      env,
      order,
      to,
      actor,
      reason,
      { ...patch, ...moved.patch, technicianId: reservation.technicianId, holdKey: reservation.holdKey, acceptBy, exception: null },
      { ...moved.data, ...(note ? { note } : {}) },
      { messages: moved.messages, note, ...told },
    );
  } catch (err) {
    await releaseHold(env, reservation.technicianId, reservation.holdKey, reservation.homeCell);
    throw err;
  }
  // The cell's part in one round: the new booking, the previous hold freed, the next deadline.
  await Promise.all([
    bookHold(env, reservation.technicianId, reservation.holdKey, reservation.homeCell),
    previous.holdKey && previous.holdKey !== reservation.holdKey ? releaseHold(env, previous.technicianId, previous.holdKey) : undefined,
    acceptBy !== null ? setDeadline(env, next, "accept", acceptBy) : armEnRouteDeadline(env, next),
  ]);
  return next;
}

/**
 * Sets the order's pending dispatch deadline again for its current version, after a write that
 * kept its status (a new start): deadlines name the version they were set for and ignore others.
 */
export async function rearmDeadline(env: Env, order: OrderRow): Promise<void> {
  if (order.status === "accepted") await armEnRouteDeadline(env, order);
  else if (order.status === "assigned" && order.acceptBy !== null) await setDeadline(env, order, "accept", order.acceptBy);
  else if (order.status === "dispatching" && order.acceptBy !== null) await setDeadline(env, order, "grab", order.acceptBy);
}

/** After acceptance: the technician must be on the way EN_ROUTE_LEAD_MINUTES before the start. */
export async function armEnRouteDeadline(env: Env, order: OrderRow): Promise<void> {
  await setDeadline(env, order, "enroute", Math.max(Date.now(), order.startAt - enRouteLeadMs(env)));
}

/** A dispatch deadline passed (a cell event). Does nothing if the order moved on. */
export async function handleDeadline(env: Env, orderId: string, kind: DeadlineKind, version: number): Promise<void> {
  const order = await findOrder(getDb(env), orderId);
  if (!order || order.version !== version) return;
  try {
    if (kind === "accept" && order.status === "assigned") await redispatch(env, order, SYSTEM, "accept deadline missed");
    else if (kind === "enroute" && order.status === "accepted") await redispatch(env, order, SYSTEM, "not on the way in time");
    else if (kind === "grab" && order.status === "dispatching" && order.technicianId && order.holdKey) {
      const next = await transition(env, order, "assigned", SYSTEM, "nobody grabbed it: offered to the reserved technician", {
        acceptBy: Date.now() + acceptDeadlineMs(env),
      });
      await setDeadline(env, next, "accept", next.acceptBy!);
    }
  } catch (err) {
    // Someone else moved the order first: the deadline is moot.
    if (err instanceof AppError && err.status === 409) return;
    throw err;
  }
}

/** The deadline an order waits on before anyone accepted it (armed with its booking), if any. */
function firstDeadlineOf(order: OrderRow): DeadlineKind | null {
  if (order.acceptBy === null) return null;
  if (order.status === "assigned") return "accept";
  if (order.status === "dispatching" && order.dispatchMode === "grab") return "grab";
  return null;
}

/** Statuses in which the order's interval must be a booking, not a hold that can lapse. */
const BOOKED_STATUSES: readonly OrderStatus[] = ["confirmed", "dispatching", "assigned", "accepted", "en_route", "arrived", "in_service"];

/**
 * A hold of a live (paid or pay-after-service) order lapsed because its booking never reached the
 * cell (the confirm after the order's write failed). The same interval is held again for the same
 * technician and booked at once; if someone else took it meanwhile, an order not yet under way is
 * dispatched again, one under way goes to the operators' exception queue. Idempotent.
 */
export async function repairLapsedHold(env: Env, order: OrderRow, holdKey: string): Promise<void> {
  const db = getDb(env);
  if (!BOOKED_STATUSES.includes(order.status) || order.holdKey !== holdKey || !order.technicianId) return;
  const entry = await rosterEntry(db, order.technicianId);
  if (entry) {
    const stub = cellStub(env, entry.homeCell);
    const point = await orderPoint(env, order);
    const again = await stub.hold({
      technicianId: order.technicianId,
      orderId: holdKey,
      start: order.startAt,
      end: order.endAt,
      lat: point.lat,
      lng: point.lng,
      ttlMs: holdTtlMs(env),
      ignoreShifts: true,
    });
    if (again.ok && (await stub.confirm(holdKey)).ok) {
      // The booking went after the answer, with the order's first deadline: arm that again too.
      const deadline = firstDeadlineOf(order);
      if (deadline) await setDeadline(env, order, deadline, order.acceptBy!);
      logger.warn("calendar.hold_repaired", { orderId: order.id, holdKey });
      return;
    }
  }
  logger.error("calendar.hold_lost", { orderId: order.id, holdKey });
  try {
    if (BEFORE_DEPARTURE.includes(order.status)) {
      await redispatch(env, order, SYSTEM, "the booking's calendar interval was lost");
    } else {
      // Under way: nobody else can take over now; operators sort it out with the technician.
      const reason = "the booking's calendar interval was lost";
      const updated = await updateOrder(
        db,
        order,
        { exception: "calendar_lost" },
        { id: newId("evt"), actorType: "system", actorId: null, from: order.status, to: order.status, reason },
      );
      if (!updated) throw concurrentChange();
    }
  } catch (err) {
    if (err instanceof AppError && err.status === 409) return; // moved on meanwhile
    throw err;
  }
}

/** A pending-payment hold expired (a cell event): the unpaid order is cancelled. */
export async function handleHoldExpired(env: Env, holdKey: string): Promise<void> {
  const order = await findOrderByHoldKey(getDb(env), holdKey);
  if (!order || order.status !== "pending_payment") return;
  try {
    await transition(env, order, "cancelled", SYSTEM, "not paid before the hold expired", {
      cancelReason: "hold_expired",
      refundDecision: { percent: 0, amount: 0, visitFee: 0, reason: "nothing was paid" },
    });
  } catch (err) {
    if (err instanceof AppError && err.status === 409) return;
    throw err;
  }
}
