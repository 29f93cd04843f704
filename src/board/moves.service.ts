/**
 * Several orders moved as one change (the dispatcher's board, accepted route plans): the cell
 * checks and applies every calendar move or none (CellDO.applyMoves), then D1 follows in one batch
 * (each order's technician and times, a timeline entry, notices, the move's record), and the audit
 * log. If D1 refuses (an order changed meanwhile) the cell is put back where D1 says each order is,
 * as a reschedule does.
 */
import type { CellMove, MoveFailure } from "../../durable/cell.types";
import { cellProfiles, cellStub } from "../cells/cells.service";
import { getDb, type Db } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { bookableService } from "../db/repositories/booking.repo";
import { orderUpdateStatements, type OrderPatch, type OrderRow, type OutboxMessage } from "../db/repositories/orders.repo";
import { rosterEntries, type RosterEntry } from "../db/repositories/roster.repo";
import { runBatch } from "../db/repositories/statements";
import { acceptDeadlineMs } from "../dispatch/dispatch.service";
import { MOVE_REASONS, MOVED_NOTE, type MoveReason } from "../domain/board";
import { canTransition, type ActorType, type OrderStatus } from "../domain/order-state";
import { AppError, invalid, notFound } from "../errors";
import { orderPoint } from "../lib/coordinates";
import { newId } from "../lib/ids";
import type { Localized } from "../lib/locale";
import { logger } from "../lib/log";
import { rearmDeadline, setDeadline, statusMessage } from "../orders/order-flow.service";
import { windowAfterReschedule } from "../orders/quote-window";
import { moveRecordRefused, moveRecordStatement, ordersByIds } from "./board.repo";

/** One order to `technicianId` at [start, end) (UTC ms; the order's duration is kept). */
export interface OrderMove {
  orderId: string;
  technicianId: string;
  start: number;
  end: number;
}

/** Who moves: `merchantId` set limits the moves to that merchant's orders and technicians. */
export interface MoveActor {
  type: ActorType;
  id: string | null;
  merchantId?: string | null;
}

/** The most moves one request applies (the batch's guard binds two parameters per order). */
export const MAX_MOVES = 40;

/** Statuses an order may be moved in: not yet on the way. */
const MOVABLE: readonly OrderStatus[] = ["confirmed", "dispatching", "assigned", "accepted"];

const REASON_TEXT = "moved by the dispatcher";

/** What the timeline says of a move: the reason (a fixed text) and its note for people, in both languages. */
export interface MoveWording {
  reason: string;
  note: Localized;
}

const DISPATCHER: MoveWording = { reason: REASON_TEXT, note: MOVED_NOTE };

/** 409 MOVE_REFUSED naming the move (1-based in the text, 0-based `failure.index`) and why. */
export function moveRefused(failure: { index: number; orderId: string; technicianId: string; reason: MoveReason; clashWith?: string }) {
  return AppError.of(
    "MOVE_REFUSED",
    { n: failure.index + 1, orderId: failure.orderId, why: MOVE_REASONS[failure.reason] },
    { extra: { failure: { ...failure, message: MOVE_REASONS[failure.reason] } } },
  );
}

interface Planned {
  move: OrderMove;
  order: OrderRow;
  key: string;
  cell: CellMove;
  changesTechnician: boolean;
}

/**
 * Applies `moves` in cell `cellId` (the home cell of every technician concerned), all or nothing.
 * 404 for an order or technician the actor may not manage; 409 MOVE_REFUSED with the failing move;
 * 409 CONCURRENT_UPDATE when an order changed while the move ran (nothing changed then either).
 */
export async function applyOrderMoves(env: Env, actor: MoveActor, cellId: string, moves: OrderMove[], wording: MoveWording = DISPATCHER) {
  if (moves.length === 0 || moves.length > MAX_MOVES) throw invalid([{ path: "body.moves", message: `between 1 and ${MAX_MOVES} moves` }]);
  const db = getDb(env);
  const planned = await plan(env, db, actor, cellId, moves);
  const stub = cellStub(env, cellId);
  let r = await stub.applyMoves(planned.map((p) => p.cell));
  if (!r.ok && r.failure.reason === "UNKNOWN_TECHNICIAN") {
    // The cell may not have heard of a technician homed there yet: bring its roster in step once.
    const entries = await rosterEntries(db, [...new Set(moves.map((m) => m.technicianId))]);
    await stub.syncRoster(await cellProfiles(env, entries), 0);
    r = await stub.applyMoves(planned.map((p) => p.cell));
  }
  if (!r.ok) throw moveRefused(failureOf(r.failure, moves));

  const now = Date.now();
  const moveId = newId("mov");
  const written = planned.map((p) => ({ ...p, ...orderChange(env, p, actor, now, wording) }));
  try {
    await runBatch(db, [
      ...written.flatMap((w) => orderUpdateStatements(db, w.order, w.patch, w.event, w.messages, now)),
      moveRecordStatement(
        db,
        {
          id: moveId,
          cell: cellId,
          actorId: actor.id,
          moves: planned.map((p) => ({
            orderId: p.order.id,
            technicianId: p.move.technicianId,
            start: p.move.start,
            end: p.move.end,
            fromTechnicianId: p.order.technicianId,
            fromStart: p.order.startAt,
          })),
          createdAt: now,
        },
        written.map((w) => ({ orderId: w.order.id, eventId: w.event.id })),
      ),
    ]);
  } catch (err) {
    await putBack(env, db, cellId, planned);
    if (moveRecordRefused(err)) throw AppError.of("CONCURRENT_UPDATE");
    throw err;
  }
  const updated = written.map((w) => ({ ...w.order, ...w.patch, version: w.order.version + 1, lastEventId: w.event.id, updatedAt: now }));
  await Promise.all(
    updated.map((o, i) => (written[i]!.changesTechnician ? setDeadline(env, o, "accept", o.acceptBy!) : rearmDeadline(env, o))),
  );
  await appendAudit(db, {
    actorId: actor.id,
    action: "cell.moves",
    targetType: "cell",
    targetId: cellId,
    data: { moveId, orders: planned.map((p) => p.order.id), technicians: [...new Set(moves.map((m) => m.technicianId))] },
  });
  return {
    moveId,
    orders: updated.map((o) => ({
      id: o.id,
      status: o.status,
      technicianId: o.technicianId,
      start: new Date(o.startAt).toISOString(),
      end: new Date(o.endAt).toISOString(),
    })),
  };
}

/** Reads and checks every move (scope, status, duration, technicians' home cell) and builds the cell's moves. */
async function plan(env: Env, db: Db, actor: MoveActor, cellId: string, moves: OrderMove[]): Promise<Planned[]> {
  const orders = new Map(
    (
      await ordersByIds(
        db,
        moves.map((m) => m.orderId),
      )
    ).map((o) => [o.id, o]),
  );
  const scoped = actor.merchantId !== undefined && actor.merchantId !== null ? actor.merchantId : null;
  const limited = actor.merchantId !== undefined;
  const techIds = [
    ...new Set([...moves.map((m) => m.technicianId), ...[...orders.values()].flatMap((o) => (o.technicianId ? [o.technicianId] : []))]),
  ];
  const roster = new Map((await rosterEntries(db, techIds)).map((e) => [e.profile.id, e]));
  const skills = new Map<string, string[]>();
  for (const serviceId of new Set([...orders.values()].map((o) => o.serviceId))) {
    skills.set(serviceId, (await bookableService(db, serviceId))?.service.requiredSkills ?? []);
  }
  const mayManage = (merchantId: string | null) => !limited || (scoped !== null && merchantId === scoped);
  const out: Planned[] = [];
  for (const [index, move] of moves.entries()) {
    const refuse = (reason: MoveReason) => moveRefused({ index, orderId: move.orderId, technicianId: move.technicianId, reason });
    const order = orders.get(move.orderId);
    if (!order || !mayManage(order.merchantId)) throw notFound("Order");
    const tech: RosterEntry | undefined = roster.get(move.technicianId);
    if (!tech || !mayManage(tech.profile.merchantId)) throw notFound("Technician");
    const changesTechnician = order.technicianId !== move.technicianId;
    if (!MOVABLE.includes(order.status) || (changesTechnician && !canTransition(order.status, "assigned", actor.type)))
      throw refuse("ORDER_NOT_MOVABLE");
    if (move.end - move.start !== order.endAt - order.startAt) throw refuse("DURATION_CHANGED");
    if (tech.homeCell !== cellId) throw refuse("UNKNOWN_TECHNICIAN");
    const current = order.technicianId ? roster.get(order.technicianId) : undefined;
    if (order.holdKey && (!current || current.homeCell !== cellId)) throw refuse("ORDER_NOT_IN_CELL");
    const key = order.holdKey ?? `${order.id}:${order.dispatchRound + 1}`;
    const cell: CellMove = {
      orderId: key,
      technicianId: move.technicianId,
      start: move.start,
      end: move.end,
      skills: skills.get(order.serviceId) ?? [],
      ...(order.holdKey ? {} : { place: await orderPoint(env, order) }),
    };
    out.push({ move, order, key, cell, changesTechnician });
  }
  return out;
}

/** The cell's refusal in the request's terms (the order id, not the calendar key). */
function failureOf(f: MoveFailure, moves: OrderMove[]) {
  const move = moves[f.index]!;
  return {
    index: f.index,
    orderId: move.orderId,
    technicianId: move.technicianId,
    reason: f.reason,
    ...(f.clashWith ? { clashWith: f.clashWith.split(":")[0]! } : {}),
  };
}

/** What D1 records for one move: the order's new technician and times, its timeline entry and notices. */
function orderChange(env: Env, p: Planned, actor: MoveActor, now: number, wording: MoveWording) {
  const { order, move } = p;
  const to: OrderStatus = p.changesTechnician ? "assigned" : order.status;
  const patch: OrderPatch = {
    technicianId: move.technicianId,
    holdKey: p.key,
    startAt: move.start,
    endAt: move.end,
    ...(move.start !== order.startAt ? { bookedStartAt: order.bookedStartAt ?? order.startAt } : {}),
    // A flexible-window order moved outside its window becomes a fixed-time order there.
    ...windowAfterReschedule(order, move.start, move.end),
    ...(p.changesTechnician
      ? {
          status: to,
          acceptBy: now + acceptDeadlineMs(env),
          exception: null,
          dispatchRound: order.holdKey ? order.dispatchRound : order.dispatchRound + 1,
        }
      : {}),
  };
  const messages: OutboxMessage[] = [];
  if (p.changesTechnician) messages.push(statusMessage(order, to, wording.reason, patch));
  // The technician the order is taken from is told, so that they do not go.
  if (p.changesTechnician && order.technicianId !== null && order.technicianId !== move.technicianId) {
    messages.push({
      id: newId("msg"),
      topic: "order.reassigned",
      payload: { orderId: order.id, customerId: order.customerId, technicianId: order.technicianId, start: move.start },
    });
  }
  if (move.start !== order.startAt) {
    messages.push({
      id: newId("msg"),
      topic: "order.rescheduled",
      payload: { orderId: order.id, customerId: order.customerId, technicianId: move.technicianId, start: move.start },
    });
  }
  const event = {
    id: newId("evt"),
    actorType: actor.type,
    actorId: actor.id,
    from: order.status,
    to,
    reason: wording.reason,
    data: {
      fromTechnicianId: order.technicianId,
      toTechnicianId: move.technicianId,
      from: order.startAt,
      to: move.start,
      note: wording.note,
    },
  };
  return { patch, event, messages };
}

/**
 * After D1 refused: every moved interval goes back where D1 now says its order is (a concurrent
 * change of the same order may have won; its interval must stay where that put it); a new booking
 * placed for an order D1 does not point at is freed.
 */
async function putBack(env: Env, db: Db, cellId: string, planned: Planned[]): Promise<void> {
  const stub = cellStub(env, cellId);
  try {
    const now = new Map(
      (
        await ordersByIds(
          db,
          planned.map((p) => p.order.id),
        )
      ).map((o) => [o.id, o]),
    );
    const back: CellMove[] = [];
    const free: string[] = [];
    for (const p of planned) {
      const o = now.get(p.order.id) ?? p.order;
      if (o.holdKey === p.key && o.technicianId)
        back.push({ orderId: p.key, technicianId: o.technicianId, start: o.startAt, end: o.endAt });
      else if (!p.order.holdKey) free.push(p.key);
      else back.push({ orderId: p.key, technicianId: p.order.technicianId!, start: p.order.startAt, end: p.order.endAt });
    }
    const r = back.length ? await stub.applyMoves(back, { ignoreShifts: true }) : { ok: true as const };
    await Promise.all(free.map((key) => stub.release(key)));
    if (!r.ok) logger.error("board.put_back_failed", { cell: cellId, reason: r.failure.reason, orderId: r.failure.orderId });
  } catch (err) {
    logger.error("board.put_back_failed", { cell: cellId, error: String(err) });
  }
}
