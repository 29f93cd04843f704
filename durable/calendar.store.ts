/**
 * Technician calendars inside one CellDO. Every method is synchronous: callers run them inside
 * `transactionSync`, so each check-then-write happens with no await between the read and the write.
 */
import { firstClash, insideWindows, shiftWindows, travelGapMs, type ShiftException, type TravelModel } from "../src/domain/calendar";
import { haversineKm } from "../src/domain/geo";
import { DEFAULT_WEEKLY_SHIFTS, type ShiftInterval, type WeeklyShifts } from "../src/domain/shifts";
import { localDate } from "../src/domain/zoned";
import { earliestFit, placeInWindow } from "./window-hold";
import type {
  CalendarItem,
  Candidate,
  CellFailure,
  CellResult,
  HoldRequest,
  ShiftsView,
  TechnicianProfile,
  TransferSnapshot,
} from "./cell.types";

const DAY = 86_400_000;
/**
 * The longest interval a calendar holds (hold and reschedule refuse longer ones). It bounds every
 * read from below: an interval ending after `from` starts after `from - MAX_INTERVAL_MS`, so a
 * window is one index range, whatever the calendar kept before it.
 */
export const MAX_INTERVAL_MS = DAY;
/** Longest job plus travel we ever need to look around an interval for clashes. */
const CLASH_WINDOW = 2 * DAY;

interface TechRow {
  id: string;
  profile: string;
  weekly: string | null;
  state: "active" | "frozen" | "incoming" | "moved";
  moved_to: string | null;
  transfer_id: string | null;
  [k: string]: SqlStorageValue;
}

interface IntervalRow {
  order_id: string;
  technician_id: string;
  start_ms: number;
  end_ms: number;
  lat: number;
  lng: number;
  state: "held" | "booked";
  expires_at: number | null;
  [k: string]: SqlStorageValue;
}

export interface Technician {
  profile: TechnicianProfile;
  weekly: WeeklyShifts;
  isDefault: boolean;
  state: TechRow["state"];
  movedTo: string | null;
  transferId: string | null;
}

const NO_EXCEPTIONS: ReadonlyMap<string, ShiftInterval[]> = new Map();

function toTechnician(row: TechRow): Technician {
  const profile = JSON.parse(row.profile) as TechnicianProfile;
  const own = row.weekly ? (JSON.parse(row.weekly) as WeeklyShifts) : null;
  return {
    profile,
    weekly: own ?? profile.defaultWeekly ?? DEFAULT_WEEKLY_SHIFTS,
    isDefault: own === null,
    state: row.state,
    movedTo: row.moved_to,
    transferId: row.transfer_id,
  };
}

const toItem = (r: IntervalRow): CalendarItem => ({
  orderId: r.order_id,
  technicianId: r.technician_id,
  start: r.start_ms,
  end: r.end_ms,
  lat: r.lat,
  lng: r.lng,
  state: r.state,
  expiresAt: r.expires_at,
});

/** A batch reassignment that cannot be placed as planned; thrown to roll its transaction back. */
export class ReassignError extends Error {}

export class CalendarStore {
  // The cell is the only writer of these tables, so in-memory copies stay exact as long as every
  // write below calls invalidate(). They keep availability off the JSON parsing and time-zone maths.
  private roster: Technician[] | null = null;
  private exceptionsCache: Map<string, Map<string, ShiftInterval[]>> | null = null;
  private readonly windowsCache = new Map<string, [number, number][]>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly travel: TravelModel,
  ) {}

  /** The travel model the clash rules use. */
  get travelModel(): TravelModel {
    return this.travel;
  }

  /** Runs a write and then drops the in-memory copies it may have made stale. */
  private mutating<T>(write: () => T): T {
    try {
      return write();
    } finally {
      this.invalidate();
    }
  }

  private invalidate(): void {
    this.roster = null;
    this.exceptionsCache = null;
    this.windowsCache.clear();
    this.techCache.clear();
  }

  private readonly techCache = new Map<string, Technician | undefined>();

  technician(id: string): Technician | undefined {
    if (this.techCache.has(id)) return this.techCache.get(id);
    const row = this.sql.exec<TechRow>("SELECT * FROM technicians WHERE id = ?", id).toArray()[0];
    const tech = row ? toTechnician(row) : undefined;
    if (this.techCache.size > 10_000) this.techCache.clear();
    this.techCache.set(id, tech);
    return tech;
  }

  /** The technician when this cell may write their calendar now, else the failure to report. */
  writable(id: string): Technician | CellFailure {
    const tech = this.technician(id);
    if (!tech) return { ok: false, code: "UNKNOWN_TECHNICIAN" };
    if (tech.state === "moved") return { ok: false, code: "TECHNICIAN_MOVED", cell: tech.movedTo ?? "" };
    if (tech.state !== "active") return { ok: false, code: "TECHNICIAN_MOVING" };
    return tech;
  }

  /** Every technician this cell knows (any state), for the operators' export: id, name, merchant, state. */
  allTechnicians(): { id: string; name: string; merchantId: string | null; state: TechRow["state"]; movedTo: string | null }[] {
    return this.sql
      .exec<TechRow>("SELECT * FROM technicians ORDER BY id")
      .toArray()
      .map(toTechnician)
      .map((t) => ({ id: t.profile.id, name: t.profile.name, merchantId: t.profile.merchantId, state: t.state, movedTo: t.movedTo }));
  }

  activeTechnicians(): Technician[] {
    this.roster ??= this.sql.exec<TechRow>("SELECT * FROM technicians WHERE state = 'active'").toArray().map(toTechnician);
    return this.roster;
  }

  upsertProfile(profile: TechnicianProfile, now: number): CellResult {
    return this.mutating(() => {
      const existing = this.technician(profile.id);
      if (existing && existing.state !== "active") return this.writable(profile.id) as CellFailure;
      this.sql.exec(
        `INSERT INTO technicians (id, profile, weekly, state, updated_at) VALUES (?1, ?2, NULL, 'active', ?3)
         ON CONFLICT (id) DO UPDATE SET profile = ?2, updated_at = ?3`,
        profile.id,
        JSON.stringify(profile),
        now,
      );
      return { ok: true };
    });
  }

  shifts(id: string): ShiftsView | undefined {
    const tech = this.technician(id);
    if (!tech || tech.state === "moved") return undefined;
    return {
      technicianId: id,
      timeZone: tech.profile.timeZone,
      isDefault: tech.isDefault,
      weekly: tech.weekly,
      exceptions: this.exceptions(id),
    };
  }

  exceptions(id: string): ShiftException[] {
    return this.sql
      .exec<{ date: string; intervals: string; [k: string]: SqlStorageValue }>(
        "SELECT date, intervals FROM shift_exceptions WHERE technician_id = ? ORDER BY date",
        id,
      )
      .toArray()
      .map((r) => ({ date: r.date, intervals: JSON.parse(r.intervals) as ShiftInterval[] }));
  }

  setShifts(id: string, weekly: WeeklyShifts | null, exceptions: ShiftException[], now: number): CellResult {
    return this.mutating(() => {
      const tech = this.writable(id);
      if ("ok" in tech) return tech;
      this.sql.exec("UPDATE technicians SET weekly = ?, updated_at = ? WHERE id = ?", weekly ? JSON.stringify(weekly) : null, now, id);
      this.sql.exec("DELETE FROM shift_exceptions WHERE technician_id = ?", id);
      for (const ex of exceptions) {
        this.sql.exec(
          "INSERT INTO shift_exceptions (technician_id, date, intervals) VALUES (?, ?, ?)",
          id,
          ex.date,
          JSON.stringify(ex.intervals),
        );
      }
      return { ok: true };
    });
  }

  /** Working windows of a technician on a local date (cached until their shifts change). */
  windowsOn(tech: Technician, date: string): [number, number][] {
    const key = `${tech.profile.id}|${date}`;
    let windows = this.windowsCache.get(key);
    if (!windows) {
      windows = shiftWindows(tech.weekly, this.allExceptions().get(tech.profile.id) ?? NO_EXCEPTIONS, date, tech.profile.timeZone);
      if (this.windowsCache.size > 50_000) this.windowsCache.clear();
      this.windowsCache.set(key, windows);
    }
    return windows;
  }

  item(orderId: string): CalendarItem | undefined {
    const row = this.sql.exec<IntervalRow>("SELECT * FROM intervals WHERE order_id = ?", orderId).toArray()[0];
    return row ? toItem(row) : undefined;
  }

  /**
   * Live (not expired) items of one technician that could interact with [from, to): one range of
   * intervals_tech_start, bounded on both sides (see MAX_INTERVAL_MS).
   */
  itemsNear(technicianId: string, from: number, to: number, now: number): CalendarItem[] {
    return this.sql
      .exec<IntervalRow>(
        "SELECT * FROM intervals WHERE technician_id = ? AND start_ms > ? AND start_ms < ? AND end_ms > ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY start_ms",
        technicianId,
        from - MAX_INTERVAL_MS,
        to,
        from,
        now,
      )
      .toArray()
      .map(toItem);
  }

  /**
   * Live items of every technician in [from, to), grouped by technician (each list by start): one
   * range of intervals_start, bounded on both sides (see MAX_INTERVAL_MS).
   */
  itemsByTechnician(from: number, to: number, now: number): Map<string, CalendarItem[]> {
    const out = new Map<string, CalendarItem[]>();
    for (const row of this.sql.exec<IntervalRow>(
      "SELECT * FROM intervals WHERE start_ms > ? AND start_ms < ? AND end_ms > ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY start_ms",
      from - MAX_INTERVAL_MS,
      to,
      from,
      now,
    )) {
      const list = out.get(row.technician_id) ?? [];
      list.push(toItem(row));
      out.set(row.technician_id, list);
    }
    return out;
  }

  /**
   * Checks that `candidate` fits the technician's shifts and clashes with none of their live items.
   * `near`: their live items within CLASH_WINDOW of the candidate, when the caller read them already.
   */
  fits(
    tech: Technician,
    candidate: { orderId: string; start: number; end: number; lat: number; lng: number },
    ignoreShifts: boolean,
    now: number,
    ignore?: ReadonlySet<string>,
    near: CalendarItem[] = this.itemsNear(tech.profile.id, candidate.start - CLASH_WINDOW, candidate.end + CLASH_WINDOW, now),
  ): CellFailure | null {
    if (
      !ignoreShifts &&
      !insideWindows(this.windowsOn(tech, localDate(candidate.start, tech.profile.timeZone)), candidate.start, candidate.end)
    ) {
      return { ok: false, code: "OUTSIDE_SHIFT" };
    }
    const others = near.filter((i) => i.orderId !== candidate.orderId && !ignore?.has(i.orderId));
    const clash = firstClash(others, candidate, this.travel);
    return clash ? { ok: false, code: "SLOT_UNAVAILABLE", clashWith: clash.orderId } : null;
  }

  /**
   * Technicians homed here who could take the job now (approved, skilled, in range, in shift, no
   * clash), with what dispatch scores them on. Read-only. One read of the calendars for all of them
   * (the clash window, which holds the day window around the job too), however many there are.
   */
  candidates(
    query: { start: number; end: number; lat: number; lng: number; skills: string[]; exclude: string[]; latestStart?: number },
    now: number,
    ignore?: ReadonlySet<string>,
  ): Candidate[] {
    const eligible = this.activeTechnicians().filter((tech) => {
      const p = tech.profile;
      if (p.status !== "approved" || query.exclude.includes(p.id) || !query.skills.every((s) => p.skills.includes(s))) return false;
      return haversineKm(p.home, query) <= p.serviceRadiusKm;
    });
    if (eligible.length === 0) return [];
    const lastEnd = query.end + (query.latestStart === undefined ? 0 : query.latestStart - query.start);
    const items = this.itemsByTechnician(query.start - CLASH_WINDOW, lastEnd + CLASH_WINDOW, now);
    const out: Candidate[] = [];
    for (const tech of eligible) {
      const p = tech.profile;
      const mine = items.get(p.id) ?? [];
      const job = query.latestStart === undefined ? query : this.inWindow(tech, query, query.latestStart, now, ignore, mine);
      if (!job || (job === query && this.fits(tech, { orderId: "", ...job }, false, now, ignore, mine))) continue;
      const day = localDate(job.start, p.timeZone);
      const sameDay = mine.filter(
        (i) => i.start < job.end + DAY && i.end > job.start - DAY && localDate(i.start, p.timeZone) === day && !ignore?.has(i.orderId),
      );
      const before = sameDay.filter((i) => i.end <= job.start).sort((a, b) => b.end - a.end)[0];
      out.push({
        technicianId: p.id,
        name: p.name,
        merchantId: p.merchantId,
        ratingX100: p.ratingX100,
        travelKm: before ? haversineKm(before, job) : haversineKm(p.home, job),
        jobsThatDay: sameDay.length,
      });
    }
    return out;
  }

  /** A flexible-window job placed at its earliest fitting start for `tech` (durable/window-hold.ts), or null. */
  private inWindow<J extends { start: number; end: number; lat: number; lng: number }>(
    tech: Technician,
    job: J,
    latestStart: number,
    now: number,
    ignore: ReadonlySet<string> | undefined,
    mine: CalendarItem[],
  ): J | null {
    const found = earliestFit(
      this,
      tech,
      { orderId: "", ...job },
      latestStart,
      false,
      now,
      ignore ? mine.filter((i) => !ignore.has(i.orderId)) : mine,
    );
    return "failure" in found ? null : { ...job, start: found.start, end: found.start + (job.end - job.start) };
  }

  hold(req: HoldRequest, now: number): CellResult<{ expiresAt: number; replayed: boolean }> {
    const tech = this.writable(req.technicianId);
    if ("ok" in tech) return tech;
    const existing = this.item(req.orderId);
    if (existing && (existing.expiresAt === null || existing.expiresAt > now)) {
      const same = existing.technicianId === req.technicianId && existing.start === req.start && existing.end === req.end;
      return same ? { ok: true, expiresAt: existing.expiresAt ?? 0, replayed: true } : { ok: false, code: "ORDER_CONFLICT" };
    }
    const failure = this.fits(tech, req, req.ignoreShifts === true, now);
    if (failure) return failure;
    const expiresAt = now + req.ttlMs;
    this.sql.exec(
      `INSERT OR REPLACE INTO intervals (order_id, technician_id, start_ms, end_ms, lat, lng, state, expires_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'held', ?, ?, ?)`,
      req.orderId,
      req.technicianId,
      req.start,
      req.end,
      req.lat,
      req.lng,
      expiresAt,
      now,
      now,
    );
    return { ok: true, expiresAt, replayed: false };
  }

  confirm(orderId: string, now: number): CellResult<{ item: CalendarItem }> {
    const item = this.item(orderId);
    if (!item) return { ok: false, code: this.wasExpired(orderId) ? "HOLD_EXPIRED" : "UNKNOWN_ORDER" };
    const tech = this.writable(item.technicianId);
    if ("ok" in tech) return tech;
    if (item.state === "booked") return { ok: true, item };
    if (item.expiresAt !== null && item.expiresAt <= now) return { ok: false, code: "HOLD_EXPIRED" };
    this.sql.exec("UPDATE intervals SET state = 'booked', expires_at = NULL, updated_at = ? WHERE order_id = ?", now, orderId);
    return { ok: true, item: { ...item, state: "booked", expiresAt: null } };
  }

  release(orderId: string): CellResult<{ released: boolean }> {
    const item = this.item(orderId);
    if (!item) return { ok: true, released: false };
    const tech = this.writable(item.technicianId);
    if ("ok" in tech) return tech;
    this.sql.exec("DELETE FROM intervals WHERE order_id = ?", orderId);
    this.event("interval.released", item, {});
    return { ok: true, released: true };
  }

  reschedule(
    orderId: string,
    start: number,
    end: number,
    where: { lat: number; lng: number } | undefined,
    ignoreShifts: boolean,
    now: number,
  ): CellResult<{ item: CalendarItem }> {
    const item = this.item(orderId);
    if (!item) return { ok: false, code: this.wasExpired(orderId) ? "HOLD_EXPIRED" : "UNKNOWN_ORDER" };
    if (item.expiresAt !== null && item.expiresAt <= now) return { ok: false, code: "HOLD_EXPIRED" };
    const tech = this.writable(item.technicianId);
    if ("ok" in tech) return tech;
    const moved = { orderId, start, end, lat: where?.lat ?? item.lat, lng: where?.lng ?? item.lng };
    if (moved.start === item.start && moved.end === item.end && moved.lat === item.lat && moved.lng === item.lng) return { ok: true, item };
    // The old interval stays in place until the new one is known to fit: a failure changes nothing.
    const failure = this.fits(tech, moved, ignoreShifts, now);
    if (failure) return failure;
    this.sql.exec(
      "UPDATE intervals SET start_ms = ?, end_ms = ?, lat = ?, lng = ?, updated_at = ? WHERE order_id = ?",
      start,
      end,
      moved.lat,
      moved.lng,
      now,
      orderId,
    );
    return { ok: true, item: { ...item, ...moved } };
  }

  /**
   * Gives each interval in `moves` to its new technician, all or nothing: every moved interval is
   * lifted first, then each is placed with the usual checks (shifts, clashes, travel) against what
   * is already placed, those staying with their technician first. The first that does not fit
   * throws, so the caller's transaction rolls the whole move back. Intervals keep their state.
   */
  reassign(moves: { orderId: string; to: string; window?: { start: number; latestStart: number } }[], now: number): void {
    const items = moves.map((m) => {
      const item = this.item(m.orderId);
      if (!item || (item.expiresAt !== null && item.expiresAt <= now)) throw new ReassignError(`interval ${m.orderId} is gone`);
      const from = this.writable(item.technicianId);
      if ("ok" in from) throw new ReassignError(`technician ${item.technicianId} cannot change`);
      return { item, to: m.to, window: m.window };
    });
    for (const { item } of items) this.sql.exec("UPDATE intervals SET technician_id = '' WHERE order_id = ?", item.orderId);
    const staying = items.filter((m) => m.to === m.item.technicianId);
    const moving = items.filter((m) => m.to !== m.item.technicianId);
    for (const { item, to, window } of [...staying, ...moving]) {
      const tech = this.writable(to);
      if ("ok" in tech) throw new ReassignError(`technician ${to} cannot take work`);
      // A flexible-window job moving to another technician takes its earliest fitting start there.
      const placed = window && to !== item.technicianId ? placeInWindow(this, tech, item, window, now) : item;
      if (!placed || (placed === item && this.fits(tech, item, false, now)))
        throw new ReassignError(`interval ${item.orderId} does not fit ${to}`);
      this.sql.exec(
        "UPDATE intervals SET technician_id = ?, start_ms = ?, end_ms = ?, updated_at = ? WHERE order_id = ?",
        to,
        placed.start,
        placed.end,
        now,
        item.orderId,
      );
      if (to !== item.technicianId) this.event("interval.moved", { ...placed, technicianId: to }, { from: item.technicianId });
    }
  }

  /** Takes an interval off every technician's calendar until `put` places it again (inside a transaction). */
  lift(orderId: string): void {
    this.sql.exec("UPDATE intervals SET technician_id = '' WHERE order_id = ?", orderId);
  }

  /** Writes an interval where `item` says, new or moved (its state and expiry as given). */
  put(item: CalendarItem, now: number): void {
    this.sql.exec(
      `INSERT INTO intervals (order_id, technician_id, start_ms, end_ms, lat, lng, state, expires_at, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
       ON CONFLICT (order_id) DO UPDATE SET technician_id = ?2, start_ms = ?3, end_ms = ?4, lat = ?5, lng = ?6, updated_at = ?9`,
      item.orderId,
      item.technicianId,
      item.start,
      item.end,
      item.lat,
      item.lng,
      item.state,
      item.expiresAt,
      now,
    );
  }

  schedule(technicianId: string, from: number, to: number, now: number): CalendarItem[] {
    return this.itemsNear(technicianId, from, to, now);
  }

  /** Removes every hold past its expiry, recording one `hold.expired` event each. Returns their keys. */
  expireDue(now: number): string[] {
    const due = this.sql.exec<IntervalRow>("SELECT * FROM intervals WHERE expires_at IS NOT NULL AND expires_at <= ?", now).toArray();
    for (const row of due) {
      this.sql.exec("DELETE FROM intervals WHERE order_id = ?", row.order_id);
      this.event("hold.expired", toItem(row), { expiresAt: row.expires_at });
    }
    return due.map((row) => row.order_id);
  }

  nextExpiry(): number | null {
    const row = this.sql.exec<{ t: number | null }>("SELECT MIN(expires_at) AS t FROM intervals WHERE expires_at IS NOT NULL").toArray()[0];
    return row?.t ?? null;
  }

  private wasExpired(orderId: string): boolean {
    return this.sql.exec("SELECT 1 FROM events WHERE order_id = ? AND kind = 'hold.expired' LIMIT 1", orderId).toArray().length > 0;
  }

  event(kind: string, item: CalendarItem, data: Record<string, unknown>): void {
    this.sql.exec(
      "INSERT INTO events (kind, order_id, technician_id, data, created_at) VALUES (?, ?, ?, ?, ?)",
      kind,
      item.orderId,
      item.technicianId,
      JSON.stringify({ start: item.start, end: item.end, ...data }),
      Date.now(),
    );
  }

  /**
   * How many technicians could start the job at each instant (same rules as hold). Built for the
   * hot path: one query each for the roster, the exceptions and the calendars, and the travel gap
   * to the job computed once per existing item rather than once per slot.
   */
  availability(
    q: { starts: number[]; durationMinutes: number; skills: string[]; lat: number; lng: number; technicianId?: string },
    now: number,
  ): number[] {
    const counts = q.starts.map(() => 0);
    this.eachFree(q, now, (_tech, i) => {
      counts[i]! += 1;
    });
    return counts;
  }

  /**
   * Per technician who could do the job at one or more of the instants (same rules as availability),
   * the indexes into `starts` they are free at, at most `limit` technicians (nearest home first).
   */
  freeStarts(
    q: { starts: number[]; durationMinutes: number; skills: string[]; lat: number; lng: number; limit: number },
    now: number,
  ): { technicianId: string; starts: number[] }[] {
    const free = new Map<string, number[]>();
    this.eachFree(q, now, (tech, i) => {
      let mine = free.get(tech.profile.id);
      if (!mine) free.set(tech.profile.id, (mine = []));
      mine.push(i);
    });
    const homeKm = new Map(this.activeTechnicians().map((t) => [t.profile.id, haversineKm(t.profile.home, q)]));
    return [...free.entries()]
      .sort(([a], [b]) => (homeKm.get(a) ?? 0) - (homeKm.get(b) ?? 0) || a.localeCompare(b))
      .slice(0, Math.max(0, q.limit))
      .map(([technicianId, starts]) => ({ technicianId, starts }));
  }

  /** Active technicians who may do the job at all: approved, skilled, in range (and the one asked for, if any). */
  eligibleFor(q: { skills: string[]; lat: number; lng: number; technicianId?: string }): Technician[] {
    return this.activeTechnicians().filter(
      (t) =>
        t.profile.status === "approved" &&
        (q.technicianId === undefined || t.profile.id === q.technicianId) &&
        q.skills.every((s) => t.profile.skills.includes(s)) &&
        haversineKm(t.profile.home, q) <= t.profile.serviceRadiusKm,
    );
  }

  /** Calls `free(tech, i)` for each eligible technician and each start index `i` they could take the job at. */
  private eachFree(
    q: { starts: number[]; durationMinutes: number; skills: string[]; lat: number; lng: number; technicianId?: string },
    now: number,
    free: (tech: Technician, i: number) => void,
  ): void {
    if (q.starts.length === 0) return;
    const duration = q.durationMinutes * 60_000;
    const eligible = this.eligibleFor(q);
    if (eligible.length === 0) return;
    const first = Math.min(...q.starts);
    const last = Math.max(...q.starts) + duration;
    const items = this.itemsByTechnician(first - CLASH_WINDOW, last + CLASH_WINDOW, now);
    const datesByZone = new Map<string, string[]>();
    for (const tech of eligible) {
      const tz = tech.profile.timeZone;
      let dates = datesByZone.get(tz);
      if (!dates) {
        dates = q.starts.map((t) => localDate(t, tz));
        datesByZone.set(tz, dates);
      }
      const mine = items.get(tech.profile.id) ?? [];
      const gaps = mine.map((it) => travelGapMs(it, q, this.travel));
      q.starts.forEach((start, i) => {
        const end = start + duration;
        const windows = this.windowsOn(tech, dates[i]!);
        if (!insideWindows(windows, start, end)) return;
        for (let j = 0; j < mine.length; j++) {
          const it = mine[j]!;
          if (!(it.end + gaps[j]! <= start || end + gaps[j]! <= it.start)) return;
        }
        free(tech, i);
      });
    }
  }

  private allExceptions(): Map<string, Map<string, ShiftInterval[]>> {
    if (this.exceptionsCache) return this.exceptionsCache;
    const out = new Map<string, Map<string, ShiftInterval[]>>();
    this.exceptionsCache = out;
    for (const r of this.sql.exec<{ technician_id: string; date: string; intervals: string }>(
      "SELECT technician_id, date, intervals FROM shift_exceptions",
    )) {
      let m = out.get(r.technician_id);
      if (!m) out.set(r.technician_id, (m = new Map()));
      m.set(r.date, JSON.parse(r.intervals) as ShiftInterval[]);
    }
    return out;
  }

  // Moving a technician between cells. At every moment at most one cell accepts writes for them:
  // the old cell freezes before exporting, the new one imports inactive and is activated only
  // after D1 points at it, then the old cell forgets them and redirects.

  exportTechnician(id: string, transferId: string, fromCell: string, now: number): CellResult<{ snapshot: TransferSnapshot }> {
    return this.mutating(() => {
      const stored = this.sql.exec<{ snapshot: string }>("SELECT snapshot FROM transfers WHERE transfer_id = ?", transferId).toArray()[0];
      if (stored) return { ok: true, snapshot: JSON.parse(stored.snapshot) as TransferSnapshot };
      const tech = this.writable(id);
      if ("ok" in tech) return tech;
      const snapshot: TransferSnapshot = {
        transferId,
        fromCell,
        profile: tech.profile,
        weekly: tech.isDefault ? null : tech.weekly,
        exceptions: this.exceptions(id),
        items: this.itemsNear(id, 0, Number.MAX_SAFE_INTEGER, now),
      };
      this.sql.exec("UPDATE technicians SET state = 'frozen', transfer_id = ?, updated_at = ? WHERE id = ?", transferId, now, id);
      this.sql.exec(
        "INSERT INTO transfers (transfer_id, technician_id, snapshot, created_at) VALUES (?, ?, ?, ?)",
        transferId,
        id,
        JSON.stringify(snapshot),
        now,
      );
      return { ok: true, snapshot };
    });
  }

  importTechnician(snapshot: TransferSnapshot, profile: TechnicianProfile, now: number): CellResult {
    return this.mutating(() => {
      const existing = this.technician(profile.id);
      if (existing && existing.transferId === snapshot.transferId) return { ok: true };
      if (existing && existing.state !== "moved") return { ok: false, code: "TECHNICIAN_MOVING" };
      this.sql.exec("DELETE FROM intervals WHERE technician_id = ?", profile.id);
      this.sql.exec("DELETE FROM shift_exceptions WHERE technician_id = ?", profile.id);
      this.sql.exec(
        `INSERT OR REPLACE INTO technicians (id, profile, weekly, state, moved_to, transfer_id, updated_at) VALUES (?, ?, ?, 'incoming', NULL, ?, ?)`,
        profile.id,
        JSON.stringify(profile),
        snapshot.weekly ? JSON.stringify(snapshot.weekly) : null,
        snapshot.transferId,
        now,
      );
      for (const ex of snapshot.exceptions) {
        this.sql.exec(
          "INSERT INTO shift_exceptions (technician_id, date, intervals) VALUES (?, ?, ?)",
          profile.id,
          ex.date,
          JSON.stringify(ex.intervals),
        );
      }
      for (const it of snapshot.items) {
        this.sql.exec(
          `INSERT OR REPLACE INTO intervals (order_id, technician_id, start_ms, end_ms, lat, lng, state, expires_at, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          it.orderId,
          it.technicianId,
          it.start,
          it.end,
          it.lat,
          it.lng,
          it.state,
          it.expiresAt,
          now,
          now,
        );
      }
      return { ok: true };
    });
  }

  activate(id: string, transferId: string, now: number): CellResult {
    return this.mutating(() => {
      const tech = this.technician(id);
      if (!tech || tech.transferId !== transferId) return { ok: false, code: "UNKNOWN_TECHNICIAN" };
      if (tech.state === "incoming") this.sql.exec("UPDATE technicians SET state = 'active', updated_at = ? WHERE id = ?", now, id);
      return { ok: true };
    });
  }

  finishExport(id: string, transferId: string, toCell: string, now: number): CellResult {
    return this.mutating(() => {
      const tech = this.technician(id);
      if (!tech || tech.transferId !== transferId) return { ok: false, code: "UNKNOWN_TECHNICIAN" };
      if (tech.state === "moved") return { ok: true };
      this.sql.exec("DELETE FROM intervals WHERE technician_id = ?", id);
      this.sql.exec("DELETE FROM shift_exceptions WHERE technician_id = ?", id);
      this.sql.exec("DELETE FROM presence WHERE technician_id = ?", id);
      this.sql.exec("DELETE FROM positions WHERE technician_id = ?", id);
      this.sql.exec("UPDATE technicians SET state = 'moved', moved_to = ?, weekly = NULL, updated_at = ? WHERE id = ?", toCell, now, id);
      this.sql.exec("DELETE FROM transfers WHERE transfer_id = ?", transferId);
      return { ok: true };
    });
  }

  abortExport(id: string, transferId: string, now: number): CellResult {
    return this.mutating(() => {
      const tech = this.technician(id);
      if (!tech || tech.transferId !== transferId) return { ok: false, code: "UNKNOWN_TECHNICIAN" };
      if (tech.state === "frozen")
        this.sql.exec("UPDATE technicians SET state = 'active', transfer_id = NULL, updated_at = ? WHERE id = ?", now, id);
      this.sql.exec("DELETE FROM transfers WHERE transfer_id = ?", transferId);
      return { ok: true };
    });
  }
}
