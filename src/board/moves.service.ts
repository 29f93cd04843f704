/**
 * Several orders moved as one change (the dispatcher's board, accepted route plans): each cell
 * touched checks and applies its part or none (CellDO.applyMoves), then D1 follows in one batch
 * (each order's technician and times, a timeline entry, notices, the move's record), and the audit
 * log. If a cell or D1 refuses, every touched cell is put back where D1 says each order is. Every
 * multi-move holds an intent in D1 while it runs (docs/board.md "Across cells"); the cron settles
 * one whose request died between its steps (move-repair.service.ts).
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
import { deleteMoveIntent, insertMoveIntent, moveRecordRefused, moveRecordStatements, ordersByIds } from "./board.repo";

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

/** The most moves one request of the board applies. */
export const MAX_MOVES = 40;

/**
 * The most moves one multi-move from code applies (an accepted route plan): its D1 batch writes at
 * most three statements per order and a guard per 40, well under a Worker's 1,000 D1 queries.
 */
export const MAX_PLAN_MOVES = 200;

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

/** The most cells one multi-move touches (a cell and its six neighbours). */
export const MAX_CELLS = 7;

/** How long a move across cells may run before the cron settles its cells (src/scheduled.ts). */
export const MOVE_LEASE_MS = 120_000;

/** One cell's share of a multi-move: its moves (with their place in the whole list) and the keys leaving it. */
interface CellPart {
  cell: string;
  moves: CellMove[];
  indexes: number[];
  leaving: string[];
}

/**
 * Applies `moves` asked of cell `cellId`, all or nothing. A move may give an order to a technician
 * homed in another cell, and take one whose calendar entry is in another cell: every cell touched
 * first takes its part (intervals arriving are placed, those leaving stay), then D1 follows in one
 * batch, then each cell drops what left it. A refusal anywhere puts every touched cell back where D1
 * says. 404 for an order or technician the actor may not manage; 409 MOVE_REFUSED with the failing
 * move; 409 CONCURRENT_UPDATE when an order changed while the move ran (nothing changed then either).
 */
export async function applyOrderMoves(
  env: Env,
  actor: MoveActor,
  cellId: string,
  moves: OrderMove[],
  wording: MoveWording = DISPATCHER,
  limit: number = MAX_MOVES,
) {
  const max = Math.min(limit, MAX_PLAN_MOVES);
  if (moves.length === 0 || moves.length > max) throw invalid([{ path: "body.moves", message: `between 1 and ${max} moves` }]);
  const db = getDb(env);
  const { planned, parts } = await plan(env, db, actor, moves);
  if (parts.length > MAX_CELLS) throw invalid([{ path: "body.moves", message: `at most ${MAX_CELLS} cells in one multi-move` }]);
  const cells = parts.map((p) => p.cell);
  const across = parts.length > 1;
  const now = Date.now();
  const moveId = newId("mov");
  // Held while the cells and D1 disagree: a request that dies between its steps is settled by the cron.
  const lease = { id: moveId, token: newId("lse") };
  await insertMoveIntent(db, {
    id: moveId,
    cell: cellId,
    cells,
    orders: planned.map((p) => ({ orderId: p.order.id, key: p.key })),
    leaseToken: lease.token,
    leaseUntil: now + MOVE_LEASE_MS,
    createdAt: now,
  });
  const touched: string[] = [];
  const settle = async (which: string[]) => {
    if (await settleCells(env, db, which, planned)) await deleteMoveIntent(db, lease.id, lease.token);
  };
  for (const part of parts) {
    touched.push(part.cell);
    const r = await applyInCell(env, db, part);
    if (!r.ok) {
      // A cell that refuses changed nothing: with a single cell, nothing is left to put back.
      if (across) await settle(touched);
      else await deleteMoveIntent(db, lease.id, lease.token);
      throw moveRefused(failureOf(r.failure, part, planned));
    }
  }

  const written = planned.map((p) => ({ ...p, ...orderChange(env, p, actor, now, wording) }));
  try {
    await runBatch(db, [
      ...written.flatMap((w) => orderUpdateStatements(db, w.order, w.patch, w.event, w.messages, now)),
      ...moveRecordStatements(
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
        { ...lease, now: Date.now() },
      ),
    ]);
  } catch (err) {
    await settle(cells);
    if (moveRecordRefused(err)) throw AppError.of("CONCURRENT_UPDATE");
    throw err;
  }
  // The intervals that left a cell go now that D1 points at their new one; a single cell already agrees.
  if (across) await settle(cells);
  else await deleteMoveIntent(db, lease.id, lease.token);
  const updated = written.map((w) => ({ ...w.order, ...w.patch, version: w.order.version + 1, lastEventId: w.event.id, updatedAt: now }));
  await Promise.all(
    updated.map((o, i) => (written[i]!.changesTechnician ? setDeadline(env, o, "accept", o.acceptBy!) : rearmDeadline(env, o))),
  );
  await appendAudit(db, {
    actorId: actor.id,
    action: "cell.moves",
    targetType: "cell",
    targetId: cellId,
    data: {
      moveId,
      orders: planned.map((p) => p.order.id),
      technicians: [...new Set(moves.map((m) => m.technicianId))],
      ...(across ? { cells } : {}),
    },
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

/** One cell's part; a cell that has not heard of a technician homed there yet has its roster brought in step once. */
async function applyInCell(env: Env, db: Db, part: CellPart) {
  const stub = cellStub(env, part.cell);
  const opts = part.leaving.length ? { leaving: part.leaving } : {};
  let r = await stub.applyMoves(part.moves, opts);
  if (!r.ok && r.failure.reason === "UNKNOWN_TECHNICIAN") {
    const entries = await rosterEntries(db, [...new Set(part.moves.map((m) => m.technicianId))]);
    await stub.syncRoster(
      await cellProfiles(
        env,
        entries.filter((e) => e.homeCell === part.cell),
      ),
      0,
    );
    r = await stub.applyMoves(part.moves, opts);
  }
  return r;
}

/**
 * Reads and checks every move (scope, status, duration, the technicians' home cells) and splits the
 * calendar's work by cell: a move within one cell is a move there; a move to a technician of
 * another cell places a booking there and leaves the interval where it is until the change settles.
 */
async function plan(env: Env, db: Db, actor: MoveActor, moves: OrderMove[]): Promise<{ planned: Planned[]; parts: CellPart[] }> {
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
  const parts = new Map<string, CellPart>();
  const partOf = (cell: string) => {
    const part = parts.get(cell) ?? { cell, moves: [], indexes: [], leaving: [] };
    parts.set(cell, part);
    return part;
  };
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
    const current = order.technicianId ? roster.get(order.technicianId) : undefined;
    if (order.holdKey && !current) throw refuse("ORDER_NOT_IN_CELL");
    const from = order.holdKey ? current!.homeCell : null;
    const to = tech.homeCell;
    const key = order.holdKey ?? `${order.id}:${order.dispatchRound + 1}`;
    const cell: CellMove = {
      orderId: key,
      technicianId: move.technicianId,
      start: move.start,
      end: move.end,
      skills: skills.get(order.serviceId) ?? [],
      ...(from === to ? {} : { place: await orderPoint(env, order) }),
    };
    const part = partOf(to);
    part.moves.push(cell);
    part.indexes.push(index);
    if (from !== null && from !== to) partOf(from).leaving.push(key);
    out.push({ move, order, key, cell, changesTechnician });
  }
  return { planned: out, parts: [...parts.values()] };
}

/** A cell's refusal in the request's terms (the move's place in the whole list, the order id, not the calendar key). */
function failureOf(f: MoveFailure, part: CellPart, planned: Planned[]) {
  const index = f.index >= 0 ? part.indexes[f.index]! : planned.findIndex((p) => p.key === f.orderId);
  const move = planned[index]!.move;
  return {
    index,
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
 * Brings each of `cells` to what D1 now says of the orders' calendar keys (after a move, a refusal,
 * or for the repair of a move that died half-way): a key D1 points at stays (or is placed) in the
 * home cell of the order's technician at D1's times and goes from every other cell; a key D1 no
 * longer points at goes everywhere (a concurrent change of the same order may have won: its interval
 * stays where that put it). True when every cell agreed; a failure is logged and left to the repair.
 */
export async function settleCells(env: Env, db: Db, cells: string[], entries: { order: { id: string }; key: string }[]): Promise<boolean> {
  try {
    const now = new Map(
      (
        await ordersByIds(
          db,
          entries.map((e) => e.order.id),
        )
      ).map((o) => [o.id, o]),
    );
    const techIds = [...new Set([...now.values()].flatMap((o) => (o.technicianId ? [o.technicianId] : [])))];
    const home = new Map((await rosterEntries(db, techIds)).map((e) => [e.profile.id, e.homeCell]));
    const wanted = new Map<string, { cell: string; move: CellMove }>();
    for (const e of entries) {
      const o = now.get(e.order.id);
      if (!o || o.holdKey !== e.key || !o.technicianId || !home.has(o.technicianId)) continue;
      wanted.set(e.key, {
        cell: home.get(o.technicianId)!,
        move: { orderId: e.key, technicianId: o.technicianId, start: o.startAt, end: o.endAt, place: await orderPoint(env, o) },
      });
    }
    const results = await Promise.all(
      cells.map(async (cell) => {
        const keep = [...wanted.values()].filter((w) => w.cell === cell).map((w) => w.move);
        const drop = entries.map((e) => e.key).filter((k) => wanted.get(k)?.cell !== cell);
        const r = await cellStub(env, cell).settleMoves(keep, drop);
        if (!r.ok) logger.error("board.settle_failed", { cell, reason: r.failure.reason, key: r.failure.orderId });
        return r.ok;
      }),
    );
    return results.every(Boolean);
  } catch (err) {
    logger.error("board.settle_failed", { cells: cells.join(","), error: String(err) });
    return false;
  }
}
