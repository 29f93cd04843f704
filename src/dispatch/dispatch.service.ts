/**
 * Dispatch: finding, scoring and reserving a technician for an order, and moving the order to the
 * next one when a technician declines, cancels or misses a deadline.
 *
 * Reserving is always "hold the new technician first, then switch the order in D1 (conditional on
 * its version), then release the previous technician": a failed switch releases the new hold, and
 * a hold that is never confirmed expires by itself, so no interval is ever left behind.
 */
import { config } from "../config";
import { dispatchWeights } from "./weights.service";
import { gridDisk } from "h3-js";
import type { Candidate, CandidateQuery } from "../../durable/cell.types";
import { getDb } from "../db/client";
import { insertDecision, type DecisionRow, type OrderRow } from "../db/repositories/orders.repo";
import { rosterEntry, type RosterEntry } from "../db/repositories/roster.repo";
import { candidateFacts, mayTake, rank, type MerchantRule, type ScoredCandidate } from "../domain/dispatch";
import { orderPoint } from "../lib/coordinates";
import { newId } from "../lib/ids";
import { cellProfiles, cellStub, syncCellRoster } from "../cells/cells.service";
import { cachedCellVersions } from "../cells/roster-versions";
import { cachedRankingHistory } from "./ranking-history";
import { METRICS, writePoint } from "../observability";

/** What dispatch needs of an order: where and when, which skills, who was tried. */
export interface Job extends Omit<CandidateQuery, "rosterVersion"> {
  orderId: string;
  customerId: string;
  cell: string;
  /**
   * The merchant whose service it is (null: the platform's own; undefined: not known, no filter).
   * A merchant's job goes to its own technicians, and to platform technicians after them only when
   * the merchant allows it (merchants.platform_technicians); never to another merchant's.
   */
  merchantId?: string | null;
}

export const holdTtlMs = (env: Env) => config(env).HOLD_TTL_SECONDS * 1000;
export const acceptDeadlineMs = (env: Env) => config(env).ACCEPT_DEADLINE_SECONDS * 1000;
export const grabDeadlineMs = (env: Env) => config(env).GRAB_DEADLINE_SECONDS * 1000;
export const enRouteLeadMs = (env: Env) => config(env).EN_ROUTE_LEAD_MINUTES * 60_000;
export const maxRounds = (env: Env) => config(env).DISPATCH_MAX_ROUNDS;
export const batchIntervalMs = (env: Env) => config(env).BATCH_INTERVAL_SECONDS * 1000;
export const candidatesKept = (env: Env) => config(env).DISPATCH_CANDIDATES;

/** Earnings fairness looks back this far. */
import { WEEK_MS } from "./ranking-history";
export { WEEK_MS };

/** A candidate as its home cell answered for it: where to hold it, and the name to show. */
export interface CandidateHome {
  cell: string;
  name: string;
}

/** Ranked candidates and the home cell that answered for each of them. */
export interface RankedCandidates {
  ranked: ScoredCandidate[];
  homes: Map<string, CandidateHome>;
}

/**
 * Every free, qualified technician of the job's cell and its ring, scored and ranked. Only cells
 * with approved technicians are asked (one roster-version query serves them all), in parallel.
 */
export async function candidatesWithHomes(env: Env, job: Job): Promise<RankedCandidates> {
  // Read (or taken from the isolate's copy) alongside the candidates; awaited when ranking.
  const weights = dispatchWeights(env);
  weights.catch(() => undefined); // a failure surfaces at the await below, never as an unhandled rejection
  const cells = gridDisk(job.cell, config(env).AVAILABILITY_RING);
  // The ring's roster versions and a merchant's rule, from the isolate's copy (src/cells/roster-versions.ts).
  const merchantId = typeof job.merchantId === "string" ? job.merchantId : undefined;
  const ring = await cachedCellVersions(env, cells, merchantId);
  const versions = ring.versions;
  const rule: MerchantRule = merchantId !== undefined ? { merchantId, platformTechnicians: ring.platformTechnicians } : null;
  const staffed = cells.filter((c) => (versions.get(c)?.approved ?? 0) > 0);
  const query = {
    start: job.start,
    end: job.end,
    lat: job.lat,
    lng: job.lng,
    skills: job.skills,
    exclude: job.exclude,
    latestStart: job.latestStart,
  };
  const homes = new Map<string, CandidateHome>();
  const found: Candidate[] = (
    await Promise.all(
      staffed.map(async (c) => {
        const rosterVersion = versions.get(c)!.version;
        const stub = cellStub(env, c);
        let r = await stub.candidates({ ...query, rosterVersion });
        if (!r.ok) {
          await syncCellRoster(env, c, rosterVersion);
          r = await stub.candidates({ ...query, rosterVersion });
        }
        if (!r.ok) return [];
        const allowed = r.candidates.filter((candidate) => mayTake(rule, candidate.merchantId));
        for (const candidate of allowed) homes.set(candidate.technicianId, { cell: c, name: candidate.name });
        return allowed;
      }),
    )
  ).flat();
  // Ranking facts from the isolate's copies (src/dispatch/ranking-history.ts).
  const known = await cachedRankingHistory(
    env,
    found.map((c) => c.technicianId),
    job.customerId,
  );
  const scored = rank(
    found.map((c) => candidateFacts(c, known)),
    await weights,
  );
  // The merchant's own technicians first; platform technicians (when allowed) only after them.
  const own = new Set(found.filter((c) => rule && c.merchantId === rule.merchantId).map((c) => c.technicianId));
  const ranked = rule ? [...scored.filter((c) => own.has(c.technicianId)), ...scored.filter((c) => !own.has(c.technicianId))] : scored;
  return { ranked, homes };
}

/** Every free, qualified technician of the job's cell and its ring, scored and ranked. */
export async function rankedCandidates(env: Env, job: Job): Promise<ScoredCandidate[]> {
  return (await candidatesWithHomes(env, job)).ranked;
}

export interface Reservation {
  technicianId: string;
  holdKey: string;
  expiresAt: number;
  /** The cell that holds the interval (the technician's home cell when it was placed). */
  homeCell: string;
  /** A flexible-window job: the interval the cell held inside the window. */
  held?: { start: number; end: number };
}

/** The outcome of choosing a technician: the hold (if any), who it is, and the decision to record. */
export interface Choice {
  reservation: (Reservation & { name: string; ratingX100: number }) | null;
  decision: DecisionRow;
  /** The order's hold key is held already by a duplicate of the request (same order id) still running. */
  duplicate?: boolean;
}

/**
 * Holds the interval on the first candidate whose home cell accepts it (another booking may win a
 * candidate between scoring and holding; then the next is tried), and says what to record of the
 * decision: the caller writes it, in the batch of the order write that uses the hold when it can.
 */
export async function chooseAndHold(env: Env, job: Job, round: number, mode: string, reason: string): Promise<Choice> {
  const { ranked, homes } = await candidatesWithHomes(env, job);
  const kept = ranked.slice(0, candidatesKept(env));
  const decision = (chosen: string | null, why: string): DecisionRow => ({
    id: newId("dsp"),
    orderId: job.orderId,
    round,
    mode,
    chosenTechnicianId: chosen,
    reason: why,
    candidates: kept,
    createdAt: Date.now(),
  });
  for (const candidate of ranked) {
    const home = homes.get(candidate.technicianId);
    let refused: string | undefined;
    const r = await holdFor(env, candidate.technicianId, job, round, { homeCell: home?.cell, refused: (code) => (refused = code) });
    // The hold key is held already, for someone else: only a duplicate of this very request (the
    // same order id) can have placed it, and it is still running.
    if (refused === "ORDER_CONFLICT")
      return { reservation: null, decision: decision(null, `${reason}: a duplicate request holds it`), duplicate: true };
    if (r) {
      return {
        reservation: { ...r, name: home?.name ?? "", ratingX100: candidate.ratingX100 },
        decision: decision(candidate.technicianId, reason),
      };
    }
  }
  return {
    reservation: null,
    decision: decision(null, ranked.length ? `${reason}: every candidate was taken meanwhile` : `${reason}: no candidate`),
  };
}

/**
 * Holds the interval on the first candidate whose home cell accepts it (another booking may win a
 * candidate between scoring and holding; then the next is tried). Records the decision.
 */
export async function reserveBest(env: Env, job: Job, round: number, mode: string, reason: string): Promise<Reservation | null> {
  const choice = await chooseAndHold(env, job, round, mode, reason);
  await insertDecision(getDb(env), choice.decision);
  writePoint(env, { name: `${METRICS.dispatch}.${choice.reservation ? "assigned" : "unassigned"}`, cityId: null, value: 1 });
  return choice.reservation;
}

/**
 * Holds the job's interval on one technician (in their home cell), or null when it does not fit.
 * With `entry` (the technician as just read) or `homeCell` (the cell that just offered them as a
 * candidate) no roster look-up is needed; a cell that does not know the technician yet is synced
 * from D1 and asked again.
 */
export async function holdFor(
  env: Env,
  technicianId: string,
  job: Job,
  round: number,
  opts: { ignoreShifts?: boolean; entry?: RosterEntry; homeCell?: string; refused?: (code: string) => void } = {},
): Promise<Reservation | null> {
  let entry = opts.entry;
  let cell = opts.homeCell ?? entry?.homeCell;
  if (cell === undefined) {
    entry = await rosterEntry(getDb(env), technicianId);
    if (!entry) return null;
    cell = entry.homeCell;
  }
  const holdKey = `${job.orderId}:${round}`;
  const req = {
    technicianId,
    orderId: holdKey,
    start: job.start,
    end: job.end,
    lat: job.lat,
    lng: job.lng,
    ttlMs: holdTtlMs(env),
    ignoreShifts: opts.ignoreShifts,
  };
  // A flexible-window job takes the earliest start in its window that fits (durable/window-hold.ts).
  const place = (stub: ReturnType<typeof cellStub>) =>
    job.latestStart === undefined ? stub.hold(req) : stub.holdInWindow({ ...req, latestStart: job.latestStart });
  let r = await place(cellStub(env, cell));
  if (!r.ok && r.code === "UNKNOWN_TECHNICIAN") {
    entry ??= await rosterEntry(getDb(env), technicianId);
    if (!entry) return null;
    cell = entry.homeCell;
    const stub = cellStub(env, cell);
    await stub.syncRoster(await cellProfiles(env, [entry]), 0);
    r = await place(stub);
  }
  if (!r.ok) {
    opts.refused?.(r.code);
    return null;
  }
  const held = "start" in r && "end" in r ? { start: r.start as number, end: r.end as number } : undefined;
  return { technicianId, holdKey, expiresAt: r.expiresAt, homeCell: cell, ...(held ? { held } : {}) };
}

export async function recordDecision(
  env: Env,
  orderId: string,
  round: number,
  mode: string,
  chosen: string | null,
  reason: string,
  candidates: ScoredCandidate[],
): Promise<void> {
  writePoint(env, { name: `${METRICS.dispatch}.${chosen ? "assigned" : "unassigned"}`, cityId: null, value: 1 });
  await insertDecision(getDb(env), {
    id: newId("dsp"),
    orderId,
    round,
    mode,
    chosenTechnicianId: chosen,
    reason,
    candidates,
    createdAt: Date.now(),
  });
}

/** The cell that holds a technician's intervals: `known` when the caller just used it, else from the roster. */
async function homeCellOf(env: Env, technicianId: string, known?: string): Promise<string | undefined> {
  return known ?? (await rosterEntry(getDb(env), technicianId))?.homeCell;
}

/**
 * Turns a technician's hold into a booking (the order is paid or pays after the service).
 * `homeCell`: the cell the hold was just placed in (Reservation.homeCell), sparing the look-up.
 */
export async function bookHold(env: Env, technicianId: string, holdKey: string, homeCell?: string): Promise<boolean> {
  const cell = await homeCellOf(env, technicianId, homeCell);
  if (!cell) return false;
  const r = await cellStub(env, cell).confirm(holdKey);
  return r.ok;
}

/** Frees a technician's interval for an order (idempotent); `homeCell` as for bookHold. */
export async function releaseHold(env: Env, technicianId: string | null, holdKey: string | null, homeCell?: string): Promise<void> {
  if (!technicianId || !holdKey) return;
  const cell = await homeCellOf(env, technicianId, homeCell);
  if (!cell) return;
  await cellStub(env, cell).release(holdKey);
}

/**
 * The order as a job to place: its exact point opened from its sealed column (src/lib/coordinates.ts).
 * A flexible-window order is placed anywhere in what is left of its window (`windowedStarts`): the
 * hold's start (`Reservation.held`) becomes the order's.
 */
export async function jobOf(env: Env, order: OrderRow, skills: string[], now = Date.now()): Promise<Job> {
  const point = await orderPoint(env, order);
  const window = windowedStarts(order, now);
  return {
    orderId: order.id,
    customerId: order.customerId,
    cell: order.cell,
    start: window?.start ?? order.startAt,
    end: (window?.start ?? order.startAt) + (order.endAt - order.startAt),
    ...(window ? { latestStart: window.latestStart } : {}),
    lat: point.lat,
    lng: point.lng,
    skills,
    exclude: order.triedTechnicians,
    merchantId: order.merchantId,
  };
}

/**
 * The starts a later round may give a flexible-window order: from the window's start (or the next
 * whole minute, once that has passed) to the last start that still ends inside it. Null for a
 * fixed-time order, or when the window has no room left (the order keeps its start then).
 */
export function windowedStarts(
  order: Pick<OrderRow, "startAt" | "endAt" | "windowStartAt" | "windowEndAt">,
  now: number,
): { start: number; latestStart: number } | null {
  if (order.windowStartAt === null || order.windowEndAt === null) return null;
  const start = Math.max(order.windowStartAt, Math.ceil(now / 60_000) * 60_000);
  const latestStart = order.windowEndAt - (order.endAt - order.startAt);
  return start <= latestStart ? { start, latestStart } : null;
}
