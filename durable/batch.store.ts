/**
 * Batched dispatch inside one CellDO. Newly confirmed auto jobs whose interval this cell holds wait
 * here for the next tick; a tick matches all of them to the cell's technicians at once as a
 * minimum-cost assignment (cost = 1 − dispatch score) and moves the intervals in one synchronous
 * transaction, so two jobs may even swap technicians with no moment where either is double-booked.
 * Decisions stay in the queue until the Worker has acted on them (the cell-events queue retries).
 */
import { priorityAssignment } from "../src/domain/assignment";
import type { Level } from "../src/domain/credit";
import { candidateFacts, mayTake, rank, type DispatchWeights, type MerchantRule, type ScoredCandidate } from "../src/domain/dispatch";
import { ReassignError, type CalendarStore } from "./calendar.store";

/** What the cell needs to know of a job beyond its interval (which it already holds). */
export interface BatchJob {
  /** The calendar key of the job's interval in this cell. */
  holdKey: string;
  orderId: string;
  customerId: string;
  skills: string[];
  /** Technicians already tried for the order. */
  exclude: string[];
  /**
   * The customer's membership level carries priority dispatch: the job is matched before the
   * others of its cluster (it may take the technician another job would have had) and its
   * decision is handed out first. Absent: false.
   */
  priority?: boolean;
  /**
   * A flexible-window job: the starts it may take (its window, what is left of it). Moved to
   * another technician, it takes its earliest fitting start there (durable/window-hold.ts).
   * Absent: a fixed-time job, moved only at its start.
   */
  window?: { start: number; latestStart: number };
}

/** History from the records that scoring needs (the cell only knows calendars). */
export interface BatchFacts {
  /** Completed-order revenue over the last 7 days, by technician. */
  earnings: Record<string, number>;
  /** Accepted ÷ offered, by technician (absent: no history). */
  acceptance: Record<string, number>;
  /** Favourite technicians, by customer. */
  favourites: Record<string, string[]>;
  /** Level and credit score, by technician (absent: scored as a new trainee). */
  standing?: Record<string, { level: Level; creditScore: number }>;
  /**
   * The merchant rule of each job's order, by order id, as the records have it at the tick (absent:
   * a platform order, anyone may take it). A merchant's job is never moved to another merchant's
   * technician, nor to a platform technician unless the merchant allows it; an own technician is
   * preferred to a platform one (see `matchCluster`).
   */
  merchants: Record<string, NonNullable<MerchantRule>>;
}

export interface BatchDecision {
  holdKey: string;
  orderId: string;
  /** The technician who held the interval before the tick, and the one who holds it now. */
  from: string;
  to: string;
  /** The job's scored candidates, best first (at most `keep`). */
  candidates: ScoredCandidate[];
  /** Total cost of the tick's assignment and of keeping every job where it was. */
  batch: { jobs: number; cost: number; keptCost: number };
  /** A flexible-window job that moved to another start inside its window: the start it had and the interval it has now. */
  held?: { from: number; start: number; end: number };
}

interface QueueRow {
  hold_key: string;
  order_id: string;
  customer_id: string;
  skills: string;
  exclude: string;
  decision: string | null;
  priority: number;
  window_starts: string | null;
  [k: string]: SqlStorageValue;
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

export class BatchStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly calendar: CalendarStore,
    /** Runs `fn` as a (nested) transaction: rolled back if it throws. */
    private readonly transact: <T>(fn: () => T) => T,
  ) {}

  /** Adds a job to the next tick (idempotent per holdKey). */
  enqueue(job: BatchJob, now: number): void {
    this.sql.exec(
      `INSERT INTO batch_queue (hold_key, order_id, customer_id, skills, exclude, enqueued_at, priority, window_starts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (hold_key) DO NOTHING`,
      job.holdKey,
      job.orderId,
      job.customerId,
      JSON.stringify(job.skills),
      JSON.stringify(job.exclude),
      now,
      job.priority ? 1 : 0,
      job.window ? JSON.stringify(job.window) : null,
    );
  }

  /** Jobs waiting for a tick, priority jobs first. */
  waiting(): BatchJob[] {
    return this.sql
      .exec<QueueRow>("SELECT * FROM batch_queue WHERE decision IS NULL ORDER BY priority DESC, enqueued_at, hold_key")
      .toArray()
      .map((r) => ({
        holdKey: r.hold_key,
        orderId: r.order_id,
        customerId: r.customer_id,
        skills: JSON.parse(r.skills) as string[],
        exclude: JSON.parse(r.exclude) as string[],
        ...(r.priority ? { priority: true } : {}),
        ...(r.window_starts ? { window: JSON.parse(r.window_starts) as { start: number; latestStart: number } } : {}),
      }));
  }

  /** Decisions made but not yet acted on by the Worker, priority jobs first (they are offered first). */
  decided(): BatchDecision[] {
    return this.sql
      .exec<QueueRow>("SELECT * FROM batch_queue WHERE decision IS NOT NULL ORDER BY priority DESC, enqueued_at, hold_key")
      .toArray()
      .map((r) => JSON.parse(r.decision!) as BatchDecision);
  }

  /** Forgets jobs the Worker has acted on. */
  done(holdKeys: string[]): void {
    for (const k of holdKeys) this.sql.exec("DELETE FROM batch_queue WHERE hold_key = ?", k);
  }

  /**
   * One tick, synchronous (run it inside a transaction): matches every waiting job to a technician
   * and moves the intervals that change hands. A job whose interval is gone (cancelled, expired) is
   * dropped. With `only`, jobs outside it keep waiting. Returns the decisions, also kept in the
   * queue until `done`.
   *
   * Jobs are matched in clusters of jobs close in time (intervals within CLUSTER_GAP of each other):
   * inside a cluster a technician can do at most one of them, which is what makes it an assignment
   * problem; clusters further apart do not compete. Each cluster's plan is placed as a whole, or, if
   * that does not fit, move by move (largest saving first, each only if it fits and saves).
   */
  tick(facts: BatchFacts, weights: DispatchWeights, keep: number, now: number, only?: ReadonlySet<string>): BatchDecision[] {
    const jobs = this.waiting().flatMap((job) => {
      if (only && !only.has(job.holdKey)) return [];
      const item = this.calendar.item(job.holdKey);
      if (!item || (item.expiresAt !== null && item.expiresAt <= now)) {
        this.done([job.holdKey]);
        return [];
      }
      return [{ job: withWindowLeft(job, now), item }];
    });
    const decisions = clusters(jobs).flatMap((cluster) => this.matchCluster(cluster, facts, weights, keep, now));
    for (const d of decisions) {
      this.sql.exec("UPDATE batch_queue SET decision = ? WHERE hold_key = ?", JSON.stringify(d), d.holdKey);
    }
    return decisions;
  }

  private matchCluster(jobs: Queued[], facts: BatchFacts, weights: DispatchWeights, keep: number, now: number): BatchDecision[] {
    const ignore = new Set(jobs.map((j) => j.item.orderId));
    const rules = jobs.map(({ job }) => facts.merchants[job.orderId] ?? null);
    // Technicians a merchant's job may not go to are no candidates; platform technicians it may go
    // to cost one more than any of its own (own technicians first, as in first-come dispatch).
    const penalty = jobs.map(() => new Set<string>());
    // Scored candidates per job, with every job of the cluster lifted off its technician's calendar.
    const ranked = jobs.map(({ job, item }, i) => {
      const rule = rules[i]!;
      // A flexible-window job: who fits somewhere in its window, scored at their earliest fitting start.
      const at = job.window
        ? { start: job.window.start, end: job.window.start + (item.end - item.start), latestStart: job.window.latestStart }
        : { start: item.start, end: item.end };
      const found = this.calendar
        .candidates({ ...at, lat: item.lat, lng: item.lng, skills: job.skills, exclude: job.exclude }, now, ignore)
        .filter((c) => mayTake(rule, c.merchantId));
      for (const c of found) if (rule && c.merchantId !== rule.merchantId) penalty[i]!.add(c.technicianId);
      const favourites = new Set(facts.favourites[job.customerId] ?? []);
      const known = {
        earnings: (id: string) => facts.earnings[id],
        acceptance: (id: string) => facts.acceptance[id],
        favourite: (id: string) => favourites.has(id),
        standing: (id: string) => facts.standing?.[id],
      };
      return rank(
        found.map((c) => candidateFacts(c, known)),
        weights,
      );
    });
    const columns = [...new Set(ranked.flatMap((list) => list.map((c) => c.technicianId)))].sort();
    const col = new Map(columns.map((id, i) => [id, i]));
    const cost = ranked.map((list, i) => {
      const row = new Array<number>(columns.length).fill(Infinity);
      for (const c of list) row[col.get(c.technicianId)!] = 1 - c.score + (penalty[i]!.has(c.technicianId) ? 1 : 0);
      return row;
    });
    // A technician who is no candidate (e.g. off shift now) costs as much as the worst candidate.
    const costOf = (i: number, tech: string) => {
      const j = col.get(tech);
      return j === undefined ? 1 : cost[i]![j]!;
    };
    const held = jobs.map(({ item }) => item.technicianId);
    const target = [...held];
    const priority = jobs.map(({ job }) => job.priority === true);
    for (const p of priorityAssignment(cost, priority).pairs) target[p.row] = columns[p.col]!;

    // A technician may hold several jobs of a cluster that do not clash, which one assignment cannot
    // express: take the plan as a whole only when it costs less than keeping things as they are —
    // compared first on the priority jobs alone, then on all (with no priority job: on all).
    const sumOf = (techs: string[], only?: boolean) =>
      techs.reduce((sum, t, i) => (only === undefined || priority[i] === only ? sum + costOf(i, t) : sum), 0);
    const planCost = sumOf(target);
    const keptCost = sumOf(held);
    const planPriority = sumOf(target, true);
    const keptPriority = sumOf(held, true);
    const better = planPriority < keptPriority || (planPriority === keptPriority && planCost < keptCost);
    // Only to a candidate of the job itself (never across the merchant rule), or staying put.
    const allowed = (i: number, tech: string) => tech === held[i] || ranked[i]!.some((c) => c.technicianId === tech);
    const moves = jobs.map(({ job, item }, i) => ({
      orderId: item.orderId,
      to: allowed(i, target[i]!) ? target[i]! : held[i]!,
      ...(job.window ? { window: job.window } : {}),
    }));
    if (!(better && this.tryMoves(moves, now))) {
      // Not as a whole: take the plan's moves one at a time where each still fits and saves,
      // priority jobs' moves first.
      const savings = jobs
        .map((_, i) => ({ i, saving: costOf(i, held[i]!) - costOf(i, target[i]!) }))
        .filter((m) => m.saving > 0)
        .sort((a, b) => Number(priority[b.i]) - Number(priority[a.i]) || b.saving - a.saving);
      for (const m of savings) this.tryMoves([moves[m.i]!], now);
    }

    const placed = jobs.map(({ item }) => this.calendar.item(item.orderId) ?? item);
    const final = placed.map((p) => p.technicianId);
    const batch = {
      jobs: jobs.length,
      cost: round4(final.reduce((sum, t, i) => sum + costOf(i, t), 0)),
      keptCost: round4(keptCost),
    };
    return jobs.map(({ job, item }, i) => ({
      holdKey: job.holdKey,
      orderId: job.orderId,
      from: held[i]!,
      to: final[i]!,
      candidates: ranked[i]!.slice(0, keep),
      batch,
      ...(placed[i]!.start !== item.start ? { held: { from: item.start, start: placed[i]!.start, end: placed[i]!.end } } : {}),
    }));
  }

  /** Applies moves all together in a nested transaction; false (and nothing changed) if they do not fit. */
  private tryMoves(moves: Parameters<CalendarStore["reassign"]>[0], now: number): boolean {
    try {
      this.transact(() => this.calendar.reassign(moves, now));
      return true;
    } catch (err) {
      if (!(err instanceof ReassignError)) throw err;
      return false;
    }
  }
}

interface Queued {
  job: BatchJob;
  item: { orderId: string; technicianId: string; start: number; end: number; lat: number; lng: number };
}

/** Jobs closer in time than this may compete for one technician (travel between them included). */
const CLUSTER_GAP = 3 * 3_600_000;

/** The job with what is left of its window at `now` (from the next whole minute); none left: a fixed-time job. */
function withWindowLeft(job: BatchJob, now: number): BatchJob {
  if (!job.window) return job;
  const start = Math.max(job.window.start, Math.ceil(now / 60_000) * 60_000);
  if (start > job.window.latestStart) return { ...job, window: undefined };
  return { ...job, window: { start, latestStart: job.window.latestStart } };
}

/** The time a job may take: its interval, or for a flexible-window job every interval its window allows. */
function spanOf({ job, item }: Queued): { start: number; end: number } {
  if (!job.window) return item;
  return { start: Math.min(item.start, job.window.start), end: Math.max(item.end, job.window.latestStart + (item.end - item.start)) };
}

/** Groups jobs whose spans (spanOf), widened by CLUSTER_GAP, overlap (transitively), in time order. */
function clusters(jobs: Queued[]): Queued[][] {
  const spans = new Map(jobs.map((j) => [j, spanOf(j)]));
  const sorted = [...jobs].sort((a, b) => spans.get(a)!.start - spans.get(b)!.start || a.job.holdKey.localeCompare(b.job.holdKey));
  const out: Queued[][] = [];
  let reach = -Infinity;
  for (const j of sorted) {
    const span = spans.get(j)!;
    if (span.start >= reach + CLUSTER_GAP || out.length === 0) out.push([]);
    out[out.length - 1]!.push(j);
    reach = Math.max(reach, span.end);
  }
  return out;
}
