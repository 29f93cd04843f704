import { DurableObject } from "cloudflare:workers";
import { travelModelOf, type TravelModel } from "../src/domain/calendar";
import { haversineKm } from "../src/domain/geo";
import type { WeeklyShifts } from "../src/domain/shifts";
import { CalendarStore, MAX_INTERVAL_MS } from "./calendar.store";
import { migrate } from "./cell.schema";
import { parseWeights, type DispatchWeights } from "../src/domain/dispatch";
import { ALARM_FAILURES_REPORTED, type CellEventBody, type DeadlineKind, type DeadlineTimer } from "../src/domain/cell-events";
import type { ChatServerMessage, StreamServerMessage, TrackPositionMessage } from "../src/domain/socket-messages";
import { BatchStore, type BatchDecision, type BatchFacts, type BatchJob } from "./batch.store";
import { OutboxStore } from "./outbox.store";
import { MovesStore, type MoveOptions, type SettleResult } from "./moves.store";
import type {
  AvailabilityQuery,
  Candidate,
  CandidateQuery,
  CalendarItem,
  CellMove,
  CellResult,
  HoldRequest,
  MovesResult,
  PositionUpdate,
  PresenceView,
  ShiftException,
  ShiftsView,
  TechnicianProfile,
  TransferSnapshot,
} from "./cell.types";
import { PresenceStore } from "./presence.store";
import { SurgeStore, surgeConfigOf, type SurgeView } from "./surge.store";
import { OpsFeed } from "./ops.feed";
import { holdInWindow, rescheduleInWindow, windowRoom, type WindowHoldRequest, type WindowRoomQuery } from "./window-hold";
import type { OpsOrder } from "../src/domain/ops-messages";
import { logger } from "../src/lib/log";

const num = (v: string | undefined, fallback: number) => {
  const n = Number(v);
  return v !== undefined && v !== "" && Number.isFinite(n) && n >= 0 ? n : fallback;
};

interface SocketAttachment {
  role: "technician" | "watcher" | "chat";
  /** A chat socket's account and conversation. */
  accountId?: string;
  conversationId?: string;
  technicianId: string;
  /** The order a watcher follows, and where it is (for the ETA). */
  orderId?: string;
  lat?: number;
  lng?: number;
}

/** Queues take at most 100 messages a batch. */
const SEND_BATCH = 100;
/** After a failed send to the cell-events queue, the alarm tries again this much later. */
const RESEND_AFTER_MS = 5_000;
/** The cell's count of alarms failed in a row (synchronous KV of its storage). */
const ALARM_FAILURES_KEY = "alarm_failures";
interface AlarmFailures {
  failures: number;
  since: number;
  error: string;
}

/**
 * One Durable Object per H3 cell: the single writer of the calendars of every technician homed in
 * the cell (holds, bookings, shifts) and the home of their live presence. Every check-then-write
 * runs synchronously inside `transactionSync`. The cell keeps the clock (hold expiries, dispatch
 * deadlines, batch ticks) with one alarm, but does no business work: what falls due is written to
 * the cell's outbox in the same transaction and handed to the cell-events queue, whose consumer in
 * the Worker decides what happens.
 */
export class CellDO extends DurableObject<Env> {
  private readonly calendar: CalendarStore;
  private readonly presence: PresenceStore;
  private readonly batch: BatchStore;
  private readonly outbox: OutboxStore;
  private readonly moves: MovesStore;
  private readonly surge: SurgeStore;
  private readonly travel: TravelModel;
  private readonly ops: OpsFeed;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const vars = env as unknown as Partial<Record<string, string>>;
    this.travel = travelModelOf(vars);
    this.calendar = new CalendarStore(ctx.storage.sql, this.travel);
    this.batch = new BatchStore(ctx.storage.sql, this.calendar, (fn) => ctx.storage.transactionSync(fn));
    this.outbox = new OutboxStore(ctx.storage.sql);
    this.moves = new MovesStore(this.calendar, (fn) => ctx.storage.transactionSync(fn));
    this.surge = new SurgeStore(ctx.storage.sql, ctx.storage.kv, surgeConfigOf(vars));
    this.presence = new PresenceStore(ctx.storage.sql, {
      timeoutMs: num(vars.PRESENCE_TIMEOUT_SECONDS, 90) * 1000,
      retentionMs: num(vars.POSITION_RETENTION_HOURS, 24) * 3_600_000,
      sampleMs: num(vars.POSITION_SAMPLE_SECONDS, 15) * 1000,
    });
    this.ops = new OpsFeed(
      ctx,
      this.calendar,
      this.presence,
      () => this.cellName(),
      num(vars.OPS_FRAME_MS, 250),
      () => this.surge.view().state,
    );
    void ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage.sql, ctx.storage);
      // The cell's name goes with every event it sends; kept for runs where the runtime does not say it.
      if (ctx.id.name !== undefined && this.meta("name") !== ctx.id.name)
        ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('name', ?)", ctx.id.name);
    });
  }

  private meta(key: string): string | undefined {
    return this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value;
  }

  /** The name the Worker addresses this cell by (its H3 index). */
  private cellName(): string {
    return this.ctx.id.name ?? this.meta("name") ?? this.ctx.id.toString();
  }

  /** Runs `fn` as one synchronous transaction after expiring due holds, so nothing expired is ever seen as held. */
  private tx<T>(fn: (now: number) => T): T {
    const now = Date.now();
    return this.ctx.storage.transactionSync(() => {
      this.expireHolds(now);
      return fn(now);
    });
  }

  /** Expires due holds, each with its event in the outbox (call inside a transaction). */
  private expireHolds(now: number): void {
    for (const holdKey of this.calendar.expireDue(now)) this.outbox.add({ type: "hold.expired", holdKey }, now);
  }

  /** When the alarm is set for, as far as this instance knows (undefined: ask storage). */
  private alarmAt: number | null | undefined;
  /** Set while the cell-events queue refuses sends: when to try again. */
  private resendAt: number | null = null;

  /**
   * Points the single alarm at the earliest pending work (hold expiry, timer, unsent event).
   * With `due`, only makes sure the alarm fires no later than that (everything else is armed already).
   */
  private async armAlarm(due?: number): Promise<void> {
    if (due === undefined) {
      const unsent = this.outbox.hasUnsent() ? (this.resendAt ?? Date.now()) : null;
      const next = [this.calendar.nextExpiry(), this.nextTimer(), unsent, this.surge.nextEvaluation(Date.now())].filter(
        (t): t is number => t !== null,
      );
      if (next.length === 0) return;
      due = Math.min(...next);
    }
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt === null || this.alarmAt > due) {
      await this.ctx.storage.setAlarm(due);
      this.alarmAt = due;
    }
  }

  private nextTimer(): number | null {
    const row = this.ctx.storage.sql.exec<{ t: number | null }>("SELECT MIN(due_at) AS t FROM timers").toArray()[0];
    return row?.t ?? null;
  }

  /** Answers at once without touching storage: the floor of one Worker → cell round trip. */
  async ping(): Promise<{ ok: true; at: number }> {
    return { ok: true, at: Date.now() };
  }

  // ---- roster and shifts ----

  /**
   * Brings the cell's copies of its technicians' profiles up to `version` (the newest D1 update
   * among them). Technicians that have moved away are skipped; shifts and calendars are untouched.
   */
  async syncRoster(profiles: TechnicianProfile[], version: number): Promise<{ ok: true; version: number }> {
    return this.tx((now) => {
      for (const profile of profiles) this.calendar.upsertProfile(profile, now);
      const current = this.rosterVersion();
      if (version > current)
        this.ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('roster_version', ?)", String(version));
      return { ok: true as const, version: Math.max(version, current) };
    });
  }

  private rosterVersion(): number {
    const row = this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'roster_version'").toArray()[0];
    return row ? Number(row.value) : 0;
  }

  /** The technician's weekly shifts (default template when never set) and dated exceptions. */
  async getShifts(technicianId: string): Promise<CellResult<{ shifts: ShiftsView }>> {
    const shifts = this.calendar.shifts(technicianId);
    return shifts ? { ok: true, shifts } : { ok: false, code: "UNKNOWN_TECHNICIAN" };
  }

  /**
   * The shifts of several technicians homed here in one call (a report asks once per cell, not once
   * per technician); `unknown`: those this cell keeps no calendar for.
   */
  async shiftsOf(technicianIds: string[]): Promise<{ ok: true; shifts: ShiftsView[]; unknown: string[] }> {
    const shifts: ShiftsView[] = [];
    const unknown: string[] = [];
    for (const id of technicianIds) {
      const view = this.calendar.shifts(id);
      if (view) shifts.push(view);
      else unknown.push(id);
    }
    return { ok: true, shifts, unknown };
  }

  /**
   * Replaces the weekly template (null = back to the default) and the dated exceptions. Existing
   * bookings are kept even when they now fall outside the shifts; only new holds see the change.
   */
  async setShifts(
    technicianId: string,
    weekly: WeeklyShifts | null,
    exceptions: ShiftException[],
  ): Promise<CellResult<{ shifts: ShiftsView }>> {
    return this.tx((now) => {
      const r = this.calendar.setShifts(technicianId, weekly, exceptions, now);
      return r.ok ? { ok: true as const, shifts: this.calendar.shifts(technicianId)! } : r;
    });
  }

  // ---- calendar ----

  /**
   * Places a hold for `orderId` on the technician's calendar if the interval fits their shifts and
   * clashes with no live hold or booking, travel gaps included. Idempotent per orderId: the same
   * request again answers ok with `replayed: true`; a different one for the same order is ORDER_CONFLICT.
   */
  async hold(req: HoldRequest): Promise<CellResult<{ expiresAt: number; replayed: boolean }>> {
    if (!(
      Number.isFinite(req.start) &&
      Number.isFinite(req.end) &&
      req.end > req.start &&
      req.end - req.start <= MAX_INTERVAL_MS &&
      req.ttlMs > 0
    )) {
      return { ok: false, code: "INVALID_INTERVAL" };
    }
    const result = this.tx((now) => this.calendar.hold(req, now));
    if (result.ok && !result.replayed) {
      await this.armAlarm(result.expiresAt);
      await this.countDemand();
    }
    return result;
  }

  /**
   * A hold for a flexible-window job: at the earliest start in [req.start, req.latestStart] where
   * `hold` would accept it (durable/window-hold.ts); the answer says the interval held. Idempotent
   * per orderId as `hold` is.
   */
  async holdInWindow(req: WindowHoldRequest): Promise<CellResult<{ expiresAt: number; replayed: boolean; start: number; end: number }>> {
    const duration = req.end - req.start;
    if (!(Number.isFinite(req.latestStart) && req.latestStart >= req.start && req.latestStart - req.start <= MAX_INTERVAL_MS))
      return { ok: false, code: "INVALID_INTERVAL" };
    if (!(Number.isFinite(duration) && duration > 0 && duration <= MAX_INTERVAL_MS && req.ttlMs > 0))
      return { ok: false, code: "INVALID_INTERVAL" };
    const result = this.tx((now) => holdInWindow(this.calendar, req, now));
    if (result.ok && !result.replayed) {
      await this.armAlarm(result.expiresAt);
      await this.countDemand();
    }
    return result;
  }

  /** Turns a live hold into a booking. Idempotent: confirming a booking answers ok. HOLD_EXPIRED once expired. */
  async confirm(orderId: string): Promise<CellResult<{ item: CalendarItem }>> {
    return this.tx((now) => this.calendar.confirm(orderId, now));
  }

  /**
   * `confirm(holdKey)` and `setDeadline(...)` in one call and one transaction, for a new order whose
   * address is in the cell that holds its interval: the hold becomes a booking and the order's
   * dispatch deadline is armed. The deadline is armed whatever the confirm answers, as with the two
   * calls; the answer is the confirm's.
   */
  async confirmAndSetDeadline(
    holdKey: string,
    deadline: { orderId: string; kind: DeadlineKind; dueAt: number; version: number },
  ): Promise<CellResult<{ item: CalendarItem }>> {
    const r = this.tx((now) => {
      this.putDeadline(deadline.orderId, deadline.kind, deadline.dueAt, deadline.version);
      return this.calendar.confirm(holdKey, now);
    });
    await this.armAlarm(deadline.dueAt);
    return r;
  }

  /** Frees the order's interval, held or booked. Idempotent: an unknown order answers ok with released false. */
  async release(orderId: string): Promise<CellResult<{ released: boolean }>> {
    return this.tx(() => this.calendar.release(orderId));
  }

  /**
   * Moves the order's interval atomically: the old interval is released only if the new one is
   * taken. Idempotent: moving to where it already is answers ok.
   */
  async reschedule(
    orderId: string,
    start: number,
    end: number,
    opts: { lat?: number; lng?: number; ignoreShifts?: boolean } = {},
  ): Promise<CellResult<{ item: CalendarItem }>> {
    if (!(Number.isFinite(start) && Number.isFinite(end) && end > start && end - start <= MAX_INTERVAL_MS))
      return { ok: false, code: "INVALID_INTERVAL" };
    const where = opts.lat !== undefined && opts.lng !== undefined ? { lat: opts.lat, lng: opts.lng } : undefined;
    return this.tx((now) => this.calendar.reschedule(orderId, start, end, where, opts.ignoreShifts === true, now));
  }

  /** Moves an interval, same technician, to the earliest fitting start in [earliest, latestStart] (durable/window-hold.ts). */
  async rescheduleInWindow(orderId: string, earliest: number, latestStart: number): Promise<CellResult<{ item: CalendarItem }>> {
    if (!(
      Number.isFinite(earliest) &&
      Number.isFinite(latestStart) &&
      latestStart >= earliest &&
      latestStart - earliest <= MAX_INTERVAL_MS
    ))
      return { ok: false, code: "INVALID_INTERVAL" };
    return this.tx((now) => rescheduleInWindow(this.calendar, orderId, earliest, latestStart, now));
  }

  /**
   * Several moves as one change, all or nothing (durable/moves.store.ts): swaps and chains fit, and
   * a refusal names the first move that does not fit and why, with nothing changed.
   */
  async applyMoves(moves: CellMove[], opts: MoveOptions = {}): Promise<MovesResult> {
    return this.tx((now) => this.moves.apply(moves, now, opts));
  }

  /** Brings the keys of a change across cells where D1 says (durable/moves.store.ts `settle`). */
  async settleMoves(keep: CellMove[], drop: string[]): Promise<SettleResult> {
    return this.tx((now) => this.moves.settle(keep, drop, now));
  }

  /** The technician's live holds and bookings overlapping [from, to). */
  async schedule(technicianId: string, from: number, to: number): Promise<CellResult<{ items: CalendarItem[] }>> {
    const tech = this.calendar.technician(technicianId);
    if (!tech || tech.state === "moved")
      return tech?.state === "moved"
        ? { ok: false, code: "TECHNICIAN_MOVED", cell: tech.movedTo ?? "" }
        : { ok: false, code: "UNKNOWN_TECHNICIAN" };
    return { ok: true, items: this.calendar.schedule(technicianId, from, to, Date.now()) };
  }

  /**
   * For each start instant, how many technicians homed here could do the whole job there (same
   * rules as hold). ROSTER_STALE when the caller knows of profile changes newer than this cell's copy.
   */
  async availability(q: AvailabilityQuery): Promise<{ ok: true; counts: number[] } | { ok: false; code: "ROSTER_STALE" }> {
    if (q.rosterVersion !== undefined && this.rosterVersion() < q.rosterVersion) return { ok: false, code: "ROSTER_STALE" };
    const counts = this.calendar.availability(q, Date.now());
    if (counts.length > 0 && counts.every((c) => c === 0)) await this.countMiss(q);
    return { ok: true, counts };
  }

  /** For each window, how many technicians homed here have room for the job in it (durable/window-hold.ts). ROSTER_STALE as for availability. */
  async windowRoom(q: WindowRoomQuery): Promise<{ ok: true; counts: number[] } | { ok: false; code: "ROSTER_STALE" }> {
    if (q.rosterVersion !== undefined && this.rosterVersion() < q.rosterVersion) return { ok: false, code: "ROSTER_STALE" };
    return { ok: true, counts: windowRoom(this.calendar, q, Date.now()) };
  }

  /**
   * Per technician homed here who could do the whole job, the indexes into `starts` they are free at
   * (same rules as availability), nearest home first, at most `limit`: one call answers a whole
   * cell for the technician search. ROSTER_STALE as for availability.
   */
  async freeStarts(
    q: AvailabilityQuery & { limit: number },
  ): Promise<{ ok: true; technicians: { technicianId: string; starts: number[] }[] } | { ok: false; code: "ROSTER_STALE" }> {
    if (q.rosterVersion !== undefined && this.rosterVersion() < q.rosterVersion) return { ok: false, code: "ROSTER_STALE" };
    const technicians = this.calendar.freeStarts(q, Date.now());
    if (q.starts.length > 0 && technicians.length === 0) await this.countMiss(q);
    return { ok: true, technicians };
  }

  /** Technicians homed here who could take the job, for dispatch to score. ROSTER_STALE as for availability. */
  async candidates(q: CandidateQuery): Promise<{ ok: true; candidates: Candidate[] } | { ok: false; code: "ROSTER_STALE" }> {
    if (q.rosterVersion !== undefined && this.rosterVersion() < q.rosterVersion) return { ok: false, code: "ROSTER_STALE" };
    const candidates = this.calendar.candidates(q, Date.now());
    if (candidates.length === 0) await this.countMiss(q);
    return { ok: true, candidates };
  }

  // ---- surge (durable/surge.store.ts) ----

  /** A search for a job in this cell found nobody: demand the cell could not meet. */
  private async countMiss(q: { lat: number; lng: number; skills: string[] }): Promise<void> {
    if (this.surge.isHere(this.cellName(), q.lat, q.lng)) await this.countDemand(q.skills);
  }

  /** Counts one demand (with the skills it asked for) and evaluates when due; a change of state goes out at once. */
  private async countDemand(skills: string[] = []): Promise<void> {
    const now = Date.now();
    const changed = this.ctx.storage.transactionSync(() => {
      this.surge.count(now, 1, skills);
      return this.evaluateSurge(now);
    });
    await this.armAlarm(changed ? now : (this.surge.nextEvaluation(now) ?? undefined));
  }

  /** Evaluates the surge state when due, its change written to the outbox (inside a transaction). */
  private evaluateSurge(now: number): boolean {
    if (!this.surge.due(now)) return false;
    const busy = this.calendar.itemsByTechnician(now, now + 1, now);
    const free = this.presence.all(now).filter((p) => p.online && !busy.get(p.technicianId)?.length).length;
    const event = this.surge.evaluate(now, free);
    if (event) {
      this.outbox.add(event, now);
      this.ops.summaryChanged();
    }
    return event !== null;
  }

  /** The cell's surge state and the figures of its last evaluation. */
  async surgeState(): Promise<SurgeView> {
    return this.surge.view();
  }

  // ---- dispatch timers (for orders whose address is in this cell) ----

  /**
   * Arms (or re-arms) the order's dispatch deadline: when it passes, the alarm sends a `deadline`
   * event and the Worker acts (re-dispatch a missed accept, fall back from grab, chase a late
   * departure). `version` is the order version the deadline belongs to; a later change makes it moot.
   */
  async setDeadline(orderId: string, kind: DeadlineKind, dueAt: number, version: number): Promise<{ ok: true }> {
    this.putDeadline(orderId, kind, dueAt, version);
    await this.armAlarm();
    return { ok: true };
  }

  private putDeadline(orderId: string, kind: DeadlineKind, dueAt: number, version: number): void {
    this.ctx.storage.sql.exec(
      "INSERT OR REPLACE INTO timers (key, kind, due_at, payload) VALUES (?, 'dispatch', ?, ?)",
      `dispatch:${orderId}`,
      dueAt,
      JSON.stringify({ orderId, kind, version } satisfies DeadlineTimer),
    );
  }

  /** Drops the order's dispatch deadline, if any. */
  async clearDeadline(orderId: string): Promise<{ ok: true }> {
    this.ctx.storage.sql.exec("DELETE FROM timers WHERE key = ?", `dispatch:${orderId}`);
    return { ok: true };
  }

  // ---- batched dispatch (for jobs whose interval this cell holds) ----

  /**
   * Adds a job to this cell's next dispatch batch, due in `dueInMs` unless a batch is already
   * due sooner. Idempotent per holdKey; UNKNOWN_ORDER when the cell holds no such interval.
   */
  async enqueueBatch(job: BatchJob, dueInMs: number): Promise<CellResult> {
    const r = this.tx((now): CellResult => {
      if (!this.calendar.item(job.holdKey)) return { ok: false, code: "UNKNOWN_ORDER" };
      this.batch.enqueue(job, now);
      this.ctx.storage.sql.exec(
        "INSERT INTO timers (key, kind, due_at) VALUES ('batch', 'batch', ?) ON CONFLICT (key) DO NOTHING",
        now + Math.max(0, dueInMs),
      );
      return { ok: true };
    });
    if (r.ok) await this.armAlarm();
    return r;
  }

  /** What the Worker needs to read scoring facts for a tick: the waiting jobs and the cell's active technicians. */
  async batchInput(): Promise<{ ok: true; jobs: BatchJob[]; technicianIds: string[] }> {
    return this.tx(() => ({
      ok: true as const,
      jobs: this.batch.waiting(),
      technicianIds: this.calendar.activeTechnicians().map((t) => t.profile.id),
    }));
  }

  /**
   * Runs a batch tick over the waiting jobs among `holdKeys` (those the Worker read `facts` for)
   * and answers every decision not yet acted on, this tick's and earlier ones. The batch timer goes
   * once no job waits; jobs that came after the facts were read keep waiting for their own tick.
   */
  async tickBatch(facts: BatchFacts, holdKeys: string[], weights?: DispatchWeights): Promise<{ ok: true; decisions: BatchDecision[] }> {
    const vars = this.env as unknown as Partial<Record<string, string>>;
    const keep = Number(vars.DISPATCH_CANDIDATES) > 0 ? Number(vars.DISPATCH_CANDIDATES) : 10;
    return this.tx((now) => {
      if (holdKeys.length > 0) this.batch.tick(facts, weights ?? parseWeights(vars.DISPATCH_WEIGHTS), keep, now, new Set(holdKeys));
      if (this.batch.waiting().length === 0) this.ctx.storage.sql.exec("DELETE FROM timers WHERE key = 'batch'");
      return { ok: true as const, decisions: this.batch.decided() };
    });
  }

  /** Forgets decisions the Worker has acted on. Idempotent. */
  async batchDone(holdKeys: string[]): Promise<{ ok: true }> {
    this.ctx.storage.transactionSync(() => this.batch.done(holdKeys));
    return { ok: true };
  }

  // ---- moving a technician between cells ----

  /** Freezes the technician here (no more writes) and returns their calendar. Idempotent per transferId. */
  async exportTechnician(technicianId: string, transferId: string, fromCell: string): Promise<CellResult<{ snapshot: TransferSnapshot }>> {
    return this.tx((now) => this.calendar.exportTechnician(technicianId, transferId, fromCell, now));
  }

  /** Takes in a technician's calendar, inactive until `activateTechnician`. Idempotent per transferId. */
  async importTechnician(snapshot: TransferSnapshot, profile: TechnicianProfile): Promise<CellResult> {
    const r = this.tx((now) => this.calendar.importTechnician(snapshot, profile, now));
    if (r.ok) await this.armAlarm();
    return r;
  }

  /** Starts accepting writes for an imported technician. */
  async activateTechnician(technicianId: string, transferId: string): Promise<CellResult> {
    return this.tx((now) => this.calendar.activate(technicianId, transferId, now));
  }

  /** Forgets a technician that now lives in `toCell`; later calls here answer TECHNICIAN_MOVED. */
  async finishExport(technicianId: string, transferId: string, toCell: string): Promise<CellResult> {
    return this.tx((now) => this.calendar.finishExport(technicianId, transferId, toCell, now));
  }

  /** Unfreezes a technician whose move could not complete. */
  async abortExport(technicianId: string, transferId: string): Promise<CellResult> {
    return this.tx((now) => this.calendar.abortExport(technicianId, transferId, now));
  }

  // ---- presence ----

  /** Goes on or off duty. */
  async setOnline(technicianId: string, online: boolean): Promise<CellResult<{ presence: PresenceView }>> {
    const tech = this.calendar.writable(technicianId);
    if ("ok" in tech) return tech;
    const now = Date.now();
    this.ctx.storage.transactionSync(() => this.presence.setOnline(technicianId, online, now));
    await this.armAlarm();
    const presence = this.presence.view(technicianId, now);
    this.broadcast(technicianId, presence);
    return { ok: true, presence };
  }

  /** A heartbeat with the technician's position; OFF_DUTY unless online. Watchers get it with an ETA. */
  async heartbeat(
    technicianId: string,
    pos: PositionUpdate,
  ): Promise<CellResult<{ presence: PresenceView }> | { ok: false; code: "OFF_DUTY" }> {
    const tech = this.calendar.writable(technicianId);
    if ("ok" in tech) return tech;
    const now = Date.now();
    const r = this.ctx.storage.transactionSync(() => this.presence.heartbeat(technicianId, pos, now));
    if (!r.ok) return r;
    await this.armAlarm();
    const presence = this.presence.view(technicianId, now);
    this.broadcast(technicianId, presence);
    return { ok: true, presence };
  }

  /**
   * The cell's calendar for the operators' export: every technician it knows, their live holds and
   * bookings overlapping [from, to) (expired holds left out), and the presence of each. Read-only.
   */
  async exportCalendar(
    from: number,
    to: number,
  ): Promise<{ technicians: ReturnType<CalendarStore["allTechnicians"]>; items: CalendarItem[]; presence: PresenceView[]; at: number }> {
    const now = Date.now();
    const items = [...this.calendar.itemsByTechnician(from, to, now).values()].flat().sort((a, b) => a.start - b.start);
    return { technicians: this.calendar.allTechnicians(), items, presence: this.presence.all(now), at: now };
  }

  /** Presence of every technician homed here who ever went on duty. */
  async listPresence(): Promise<PresenceView[]> {
    return this.presence.all(Date.now());
  }

  // ---- operators' live map (durable/ops.feed.ts) ----

  /** Replaces the cell's copy of its open orders and of its technicians on a visit (the Worker read them from D1). */
  async opsSync(orders: OpsOrder[], busy: string[]): Promise<{ ok: true }> {
    this.ops.sync(orders, busy);
    return { ok: true };
  }

  /**
   * What changed here in one queue batch, in one call: orders of this cell that entered, changed in
   * or (`open: false`) left the open set, and technicians homed here who started or ended a visit.
   */
  async opsChanges(orders: { order: OpsOrder; open: boolean }[], visits: { technicianId: string; busy: boolean }[]): Promise<{ ok: true }> {
    // Unwatched, nothing is written: the next socket starts from D1's reading (opsSync).
    if (!this.ops.watched()) return { ok: true };
    for (const o of orders) this.ops.orderChanged(o.order, o.open);
    for (const v of visits) this.ops.setBusy(v.technicianId, v.busy);
    return { ok: true };
  }

  // ---- timers ----

  /**
   * Expires due holds and silent technicians, turns due dispatch deadlines and a due batch tick
   * into events (each in the same transaction as its change), hands unsent events to the
   * cell-events queue, then re-arms for the next timer. Safe to run again.
   */
  override async alarm(): Promise<void> {
    // The runtime cleared the alarm to run this; armAlarm below sets the next one.
    this.alarmAt = null;
    const now = Date.now();
    let offline: string[];
    try {
      offline = this.ctx.storage.transactionSync(() => {
        this.expireHolds(now);
        this.timersDue(now);
        this.evaluateSurge(now);
        return this.presence.expireHeartbeats(now);
      });
    } catch (err) {
      // The runtime retries a throwing alarm with backoff; the failure is counted first.
      this.alarmFailed(String(err), now);
      throw err;
    }
    for (const technicianId of offline) this.broadcast(technicianId, this.presence.view(technicianId, now));
    const sendError = await this.sendOutbox();
    if (sendError === null) this.ctx.storage.kv.delete(ALARM_FAILURES_KEY);
    else this.alarmFailed(sendError, now);
    await this.armAlarm();
  }

  /**
   * Counts a failed alarm (kept in the cell's storage until an alarm succeeds). At the
   * ALARM_FAILURES_REPORTED-th failure in a row the cell writes an `alarm.failed` event to its
   * outbox: it goes to the Worker, which alerts the operators, as soon as the cell can send again
   * (at once when the failure was not the queue's). Reports once per run of failures.
   */
  private alarmFailed(error: string, now: number): void {
    const prior = this.ctx.storage.kv.get<AlarmFailures>(ALARM_FAILURES_KEY);
    const next: AlarmFailures = { failures: (prior?.failures ?? 0) + 1, since: prior?.since ?? now, error: error.slice(0, 300) };
    this.ctx.storage.kv.put(ALARM_FAILURES_KEY, next);
    logger.error("cell.alarm_failed", { cell: this.cellName(), failures: next.failures, error: next.error });
    if (next.failures === ALARM_FAILURES_REPORTED) {
      this.outbox.add({ type: "alarm.failed", failures: next.failures, since: next.since, error: next.error }, now);
    }
  }

  /** Consecutive alarm failures (0 when the last alarm succeeded): for operators and tests. */
  async alarmFailures(): Promise<{ failures: number; since: number | null; error: string | null }> {
    const f = this.ctx.storage.kv.get<AlarmFailures>(ALARM_FAILURES_KEY);
    return { failures: f?.failures ?? 0, since: f?.since ?? null, error: f?.error ?? null };
  }

  /** Moves due dispatch deadlines and a due batch tick from the timers to the outbox (inside a transaction). */
  private timersDue(now: number): void {
    const due = this.ctx.storage.sql
      .exec<{ key: string; kind: string; payload: string | null }>(
        "SELECT key, kind, payload FROM timers WHERE kind IN ('dispatch', 'batch') AND due_at <= ? ORDER BY due_at, key",
        now,
      )
      .toArray();
    for (const t of due) {
      const event: CellEventBody =
        t.kind === "batch" ? { type: "batch.due" } : { type: "deadline", ...(JSON.parse(t.payload ?? "{}") as DeadlineTimer) };
      this.outbox.add(event, now);
      this.ctx.storage.sql.exec("DELETE FROM timers WHERE key = ?", t.key);
    }
  }

  /**
   * Hands unsent outbox rows to the cell-events queue, marking them sent only once the queue took
   * them. A refused send leaves them for the alarm to try again a little later.
   */
  private async sendOutbox(): Promise<string | null> {
    const cell = this.cellName();
    for (;;) {
      const rows = this.outbox.unsent(cell, SEND_BATCH);
      if (rows.length === 0) break;
      try {
        await this.env.CELL_EVENTS.sendBatch(rows.map((r) => ({ body: r.message, contentType: "json" as const })));
      } catch (err) {
        this.resendAt = Date.now() + RESEND_AFTER_MS;
        logger.error("cell.events_send_failed", { cell, count: rows.length, error: String(err) });
        return String(err);
      }
      this.resendAt = null;
      this.ctx.storage.transactionSync(() =>
        this.outbox.markSent(
          rows.map((r) => r.seq),
          Date.now(),
        ),
      );
      if (rows.length < SEND_BATCH) break;
    }
    return null;
  }

  // ---- WebSockets (hibernatable) ----

  /**
   * `/stream?technicianId=` — a technician's own socket (send `{type:"position",lat,lng,…}`);
   * `/track?technicianId=&orderId=&lat=&lng=` — a watcher of an order receiving that technician's
   * position, status and ETA until `endTracking(orderId)`.
   * The Worker authenticates and authorises before forwarding here. With `ticket=&ticketExpires=`
   * (a socket opened with a single-use ticket) the cell records the ticket until it expires and
   * answers 409 when it has seen it before.
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
    const url = new URL(request.url);
    if (url.pathname.endsWith("/chat")) return this.openChat(url);
    if (url.pathname.endsWith("/ops")) {
      const ticket = url.searchParams.get("ticket");
      if (ticket !== null && !this.useTicket(ticket, Number(url.searchParams.get("ticketExpires")))) {
        return new Response("ticket already used", { status: 409 });
      }
      return this.ops.open(url.searchParams.get("merchantId") || null);
    }
    const technicianId = url.searchParams.get("technicianId") ?? "";
    if (!this.calendar.technician(technicianId)) return new Response("unknown technician", { status: 404 });
    const ticket = url.searchParams.get("ticket");
    if (ticket !== null && !this.useTicket(ticket, Number(url.searchParams.get("ticketExpires")))) {
      return new Response("ticket already used", { status: 409 });
    }
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    if (url.pathname.endsWith("/stream")) {
      this.ctx.acceptWebSocket(server, [`tech:${technicianId}`]);
      server.serializeAttachment({ role: "technician", technicianId } satisfies SocketAttachment);
    } else {
      const lat = Number(url.searchParams.get("lat"));
      const lng = Number(url.searchParams.get("lng"));
      const orderId = url.searchParams.get("orderId") ?? "";
      this.ctx.acceptWebSocket(server, [`watch:${technicianId}`, `order:${orderId}`]);
      server.serializeAttachment({ role: "watcher", technicianId, orderId, lat, lng } satisfies SocketAttachment);
      server.send(JSON.stringify(this.trackMessage(this.presence.view(technicianId, Date.now()), { lat, lng })));
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * `/chat?conversationId=&accountId=` — a participant's socket on a conversation (the Worker checked
   * who may open it). Hibernatable, tagged `chat:<conversationId>`; it receives what `chatFanout` sends.
   */
  private openChat(url: URL): Response {
    const conversationId = url.searchParams.get("conversationId") ?? "";
    const accountId = url.searchParams.get("accountId") ?? "";
    if (!conversationId || !accountId) return new Response("conversationId and accountId expected", { status: 400 });
    const ticket = url.searchParams.get("ticket");
    if (ticket !== null && !this.useTicket(ticket, Number(url.searchParams.get("ticketExpires")))) {
      return new Response("ticket already used", { status: 409 });
    }
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [`chat:${conversationId}`]);
    server.serializeAttachment({ role: "chat", technicianId: "", accountId, conversationId } satisfies SocketAttachment);
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * Sends a stored chat message (a JSON text frame) to every live socket on the conversation; the
   * accounts it reached, so the Worker tells the others through the notifications outbox.
   */
  async chatFanout(conversationId: string, frame: string): Promise<{ online: string[] }> {
    const online = new Set<string>();
    for (const ws of this.ctx.getWebSockets(`chat:${conversationId}`)) {
      const att = ws.deserializeAttachment() as SocketAttachment | null;
      try {
        ws.send(frame);
        if (att?.accountId) online.add(att.accountId);
      } catch {
        // gone; its close handler cleans up
      }
    }
    return { online: [...online] };
  }

  /** Records a socket ticket until it expires (forgetting expired ones); false when it was used before. */
  private useTicket(id: string, expiresAt: number): boolean {
    const now = Date.now();
    return this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec("DELETE FROM used_tickets WHERE expires_at <= ?", now);
      const cursor = this.ctx.storage.sql.exec(
        "INSERT INTO used_tickets (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
        id,
        Number.isFinite(expiresAt) && expiresAt > now ? expiresAt : now + 300_000,
      );
      return cursor.rowsWritten > 0;
    });
  }

  /**
   * Closes every watcher socket of the order (1000 "tracking ended"): the order left the statuses
   * in which its customer may watch the technician, or has another technician now. Idempotent.
   */
  async endTracking(orderId: string): Promise<{ ok: true; closed: number }> {
    const sockets = this.ctx.getWebSockets(`order:${orderId}`);
    for (const ws of sockets) {
      try {
        ws.close(1000, "tracking ended");
      } catch {
        // already closed
      }
    }
    return { ok: true, closed: sockets.length };
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const att = ws.deserializeAttachment() as SocketAttachment | null;
    if (this.ops.handles(ws, att, message)) return;
    if (att?.role === "chat" && typeof message === "string") {
      // Chat sockets only receive; a ping is answered so clients can keep the socket alive.
      if (message.includes('"ping"')) ws.send(JSON.stringify({ type: "pong", at: Date.now() } satisfies ChatServerMessage));
      return;
    }
    if (!att || att.role !== "technician" || typeof message !== "string") return;
    let msg: { type?: string; lat?: unknown; lng?: unknown; accuracy?: unknown; heading?: unknown; battery?: unknown };
    try {
      msg = JSON.parse(message) as typeof msg;
    } catch {
      ws.send(JSON.stringify({ type: "error", code: "MALFORMED_JSON" } satisfies StreamServerMessage));
      return;
    }
    if (msg.type === "ping") {
      ws.send(JSON.stringify({ type: "pong", at: Date.now() } satisfies StreamServerMessage));
      return;
    }
    const valid =
      msg.type === "position" &&
      typeof msg.lat === "number" &&
      typeof msg.lng === "number" &&
      Math.abs(msg.lat) <= 90 &&
      Math.abs(msg.lng) <= 180;
    if (!valid) {
      ws.send(JSON.stringify({ type: "error", code: "VALIDATION_FAILED" } satisfies StreamServerMessage));
      return;
    }
    const opt = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
    const r = await this.heartbeat(att.technicianId, {
      lat: msg.lat as number,
      lng: msg.lng as number,
      accuracy: opt(msg.accuracy),
      heading: opt(msg.heading),
      battery: opt(msg.battery),
    });
    ws.send(JSON.stringify(r.ok ? { type: "ack", at: r.presence.lastSeenAt } : { type: "error", code: r.code }));
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 ? 1000 : code, "closing");
    } catch {
      // already closed
    }
  }

  private trackMessage(p: PresenceView, to: { lat?: number; lng?: number }): TrackPositionMessage {
    const eta =
      p.lat !== null && p.lng !== null && to.lat !== undefined && to.lng !== undefined && Number.isFinite(to.lat) && Number.isFinite(to.lng)
        ? Math.ceil(
            ((haversineKm({ lat: p.lat, lng: p.lng }, { lat: to.lat, lng: to.lng }) * this.travel.roadFactor) / this.travel.speedKmh) *
              3600,
          )
        : null;
    return {
      type: "position",
      technicianId: p.technicianId,
      status: p.online ? "online" : "offline",
      lat: p.lat,
      lng: p.lng,
      heading: p.heading,
      etaSeconds: eta,
      at: p.lastSeenAt,
    };
  }

  private broadcast(technicianId: string, presence: PresenceView): void {
    this.ops.technicianChanged(technicianId);
    for (const ws of this.ctx.getWebSockets(`watch:${technicianId}`)) {
      const att = ws.deserializeAttachment() as SocketAttachment | null;
      try {
        ws.send(JSON.stringify(this.trackMessage(presence, { lat: att?.lat, lng: att?.lng })));
      } catch {
        // a watcher that went away; its close handler cleans up
      }
    }
  }
}
