/**
 * Several calendar moves of one cell as one change, all or nothing: the dispatcher's board and
 * accepted route plans rearrange a day with it. Every moved interval is taken out first, then each
 * is placed where its move puts it with the usual rules (shifts, clashes and travel gaps of
 * src/domain/calendar.ts) against everything already placed, so swaps and chains fit. The first move
 * that does not fit rolls the whole change back and is named in the answer. A change across cells
 * names the intervals leaving this cell (they stay until the change is settled, blocking nobody of
 * it) and is settled afterwards to what D1 says (`settle`).
 */
import { MAX_INTERVAL_MS, type CalendarStore } from "./calendar.store";
import type { CalendarItem, CellMove, MoveFailure, MoveRefusal } from "./cell.types";

/** Thrown inside the nested transaction to roll every write of the change back. */
class MoveRefused extends Error {
  constructor(readonly failure: MoveFailure) {
    super(failure.reason);
  }
}

export class MovesStore {
  constructor(
    private readonly calendar: CalendarStore,
    /** Runs `fn` in a (nested) transaction that a throw rolls back. */
    private readonly transact: <T>(fn: () => T) => T,
  ) {}

  /**
   * Applies `moves` (each names the interval by its key, `orderId`) or nothing. A move with `place`
   * puts a new booking for an order the cell holds nothing for yet; any other needs the interval held
   * or booked here. `skills`: what the new technician must have (and be approved). Intervals keep
   * their state (held or booked) and their expiry.
   */
  apply(
    moves: CellMove[],
    now: number,
    opts: MoveOptions = {},
  ): { ok: true; items: CalendarItem[] } | { ok: false; code: "MOVE_REFUSED"; failure: MoveFailure } {
    const shape = this.checkShape(moves);
    if (shape) return { ok: false, code: "MOVE_REFUSED", failure: shape };
    try {
      const items = this.transact(() => this.place(moves, now, opts.ignoreShifts === true, opts.leaving ?? []));
      return { ok: true, items };
    } catch (err) {
      if (err instanceof MoveRefused) return { ok: false, code: "MOVE_REFUSED", failure: err.failure };
      throw err;
    }
  }

  /**
   * Makes the cell agree with D1 on the keys of a change that touched several cells (after it was
   * applied or refused, or by the repair of one left half-way): each of `keep` is where it says
   * (moved, or placed as a booking at `place` when this cell does not hold it), each of `drop` is
   * not here. Shifts are not checked; a clash refuses the whole settlement (nothing changes) and is
   * answered as a failure naming the key.
   */
  settle(keep: CellMove[], drop: string[], now: number): SettleResult {
    try {
      this.transact(() => {
        const before = new Map(keep.map((m) => [m.orderId, this.calendar.item(m.orderId)]));
        for (const [key, item] of before) if (item) this.calendar.lift(key);
        for (const key of drop) {
          const gone = this.calendar.release(key);
          if (!gone.ok) throw new MoveRefused(leavingFailure(key, "TECHNICIAN_MOVING"));
        }
        for (const [index, m] of keep.entries()) {
          const was = before.get(m.orderId);
          const tech = this.calendar.writable(m.technicianId);
          if ("ok" in tech)
            throw new MoveRefused({ index, orderId: m.orderId, technicianId: m.technicianId, reason: "UNKNOWN_TECHNICIAN" });
          const item = movedItem(was, m);
          const failure = this.calendar.fits(tech, item, true, now);
          if (failure)
            throw new MoveRefused({
              index,
              orderId: m.orderId,
              technicianId: m.technicianId,
              reason: "SLOT_UNAVAILABLE",
              ...("clashWith" in failure && failure.clashWith ? { clashWith: failure.clashWith } : {}),
            });
          this.calendar.put(item, now);
          const same = was && was.technicianId === item.technicianId && was.start === item.start && was.end === item.end;
          if (!same)
            this.calendar.event(
              was ? "interval.moved" : "interval.placed",
              item,
              was ? { from: was.technicianId, fromStart: was.start, fromEnd: was.end } : {},
            );
        }
      });
      return { ok: true };
    } catch (err) {
      if (err instanceof MoveRefused) return { ok: false, code: "MOVE_REFUSED", failure: err.failure };
      throw err;
    }
  }

  private checkShape(moves: CellMove[]): MoveFailure | null {
    const seen = new Set<string>();
    for (const [index, m] of moves.entries()) {
      const fail = (reason: MoveRefusal): MoveFailure => ({ index, orderId: m.orderId, technicianId: m.technicianId, reason });
      if (!(Number.isFinite(m.start) && Number.isFinite(m.end) && m.end > m.start && m.end - m.start <= MAX_INTERVAL_MS))
        return fail("INVALID_INTERVAL");
      if (m.place && !(Number.isFinite(m.place.lat) && Number.isFinite(m.place.lng))) return fail("INVALID_INTERVAL");
      if (seen.has(m.orderId)) return fail("DUPLICATE_ORDER");
      seen.add(m.orderId);
    }
    return null;
  }

  private place(moves: CellMove[], now: number, ignoreShifts: boolean, leaving: string[]): CalendarItem[] {
    const refuse = (index: number, reason: MoveRefusal, clashWith?: string): never => {
      const m = moves[index]!;
      throw new MoveRefused({ index, orderId: m.orderId, technicianId: m.technicianId, reason, ...(clashWith ? { clashWith } : {}) });
    };
    // What each move starts from: its live interval here, or (for `place`) none.
    const current = moves.map((m, index) => {
      const item = this.calendar.item(m.orderId);
      const live = item && (item.expiresAt === null || item.expiresAt > now) ? item : undefined;
      if (m.place) {
        if (live) refuse(index, "ORDER_CONFLICT");
        return undefined;
      }
      if (!live) return refuse(index, item ? "HOLD_EXPIRED" : "UNKNOWN_ORDER");
      const from = this.calendar.writable(live.technicianId);
      if ("ok" in from) refuse(index, from.code === "UNKNOWN_TECHNICIAN" ? "UNKNOWN_TECHNICIAN" : "TECHNICIAN_MOVING");
      return live;
    });
    // Intervals leaving for another cell stay (until the change is settled) but block none of its moves.
    for (const key of leaving) {
      const item = this.calendar.item(key);
      if (!item || (item.expiresAt !== null && item.expiresAt <= now))
        throw new MoveRefused(leavingFailure(key, item ? "HOLD_EXPIRED" : "UNKNOWN_ORDER"));
      if ("ok" in this.calendar.writable(item.technicianId)) throw new MoveRefused(leavingFailure(key, "TECHNICIAN_MOVING"));
    }
    const passing = new Set(leaving);
    // Everything moved is taken out first, so a move may go where another one leaves.
    for (const item of current) if (item) this.calendar.lift(item.orderId);
    const placed: CalendarItem[] = [];
    for (const [index, m] of moves.entries()) {
      const tech = this.calendar.writable(m.technicianId);
      if ("ok" in tech) return refuse(index, tech.code === "UNKNOWN_TECHNICIAN" ? "UNKNOWN_TECHNICIAN" : "TECHNICIAN_MOVING");
      const p = tech.profile;
      if (m.skills && (p.status !== "approved" || !m.skills.every((s) => p.skills.includes(s)))) refuse(index, "NOT_QUALIFIED");
      const before = current[index];
      if (!before) this.calendar.release(m.orderId); // a lapsed hold of the same key, if any
      const item = movedItem(before, m);
      const failure = this.calendar.fits(tech, item, ignoreShifts, now, passing);
      if (failure)
        refuse(
          index,
          failure.code === "OUTSIDE_SHIFT" ? "OUTSIDE_SHIFT" : "SLOT_UNAVAILABLE",
          "clashWith" in failure ? failure.clashWith : undefined,
        );
      this.calendar.put(item, now);
      if (before) this.calendar.event("interval.moved", item, { from: before.technicianId, fromStart: before.start, fromEnd: before.end });
      else this.calendar.event("interval.placed", item, {});
      placed.push(item);
    }
    return placed;
  }
}

export type SettleResult = { ok: true } | { ok: false; code: "MOVE_REFUSED"; failure: MoveFailure };

/** How a multi-move runs in one cell. */
export interface MoveOptions {
  /** Put intervals where the moves say even outside shifts (putting a cell back). */
  ignoreShifts?: boolean;
  /**
   * Keys of intervals here whose orders move to a technician of another cell in the same change:
   * they must be live here and stay until the change is settled, but the change's moves may overlap them.
   */
  leaving?: string[];
}

/**
 * A leaving interval that cannot leave: `index` -1 (it is no move of this cell's list; the Worker
 * names the move of the whole change by the key).
 */
function leavingFailure(key: string, reason: MoveRefusal): MoveFailure {
  return { index: -1, orderId: key, technicianId: "", reason };
}

/**
 * Where a move puts its order: the interval it starts from (`was`, keeping its key, state and expiry)
 * on the move's technician and times, or a new booking at the move's `place` when this cell held none.
 */
function movedItem(was: CalendarItem | undefined, m: CellMove): CalendarItem {
  if (was) return { ...was, technicianId: m.technicianId, start: m.start, end: m.end };
  return {
    orderId: m.orderId,
    technicianId: m.technicianId,
    start: m.start,
    end: m.end,
    lat: m.place!.lat,
    lng: m.place!.lng,
    state: "booked",
    expiresAt: null,
  };
}
