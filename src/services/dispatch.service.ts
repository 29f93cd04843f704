/**
 * Dispatch: finding, scoring and reserving a technician for an order, and moving the order to the
 * next one when a technician declines, cancels or misses a deadline.
 *
 * Reserving is always "hold the new technician first, then switch the order in D1 (conditional on
 * its version), then release the previous technician": a failed switch releases the new hold, and
 * a hold that is never confirmed expires by itself, so no interval is ever left behind.
 */
import { gridDisk } from "h3-js";
import type { Candidate, CandidateQuery } from "../../durable/cell.types";
import { getDb } from "../db/client";
import { candidateHistory, insertDecision, type OrderRow } from "../db/repositories/orders.repo";
import { cellVersions, rosterEntry } from "../db/repositories/roster.repo";
import { candidateFacts, parseWeights, rank, type ScoredCandidate } from "../domain/dispatch";
import { newId } from "../lib/ids";
import { cellStub, syncCellRoster } from "./cells.service";

/** What dispatch needs of an order: where and when, which skills, who was tried. */
export interface Job extends Omit<CandidateQuery, "rosterVersion"> {
  orderId: string;
  customerId: string;
  cell: string;
}

export const positive = (v: string | undefined, fallback: number) => {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : fallback;
};

export const holdTtlMs = (env: Env) => positive(env.HOLD_TTL_SECONDS, 900) * 1000;
export const acceptDeadlineMs = (env: Env) => positive(env.ACCEPT_DEADLINE_SECONDS, 60) * 1000;
export const grabDeadlineMs = (env: Env) => positive(env.GRAB_DEADLINE_SECONDS, 120) * 1000;
export const enRouteLeadMs = (env: Env) => positive(env.EN_ROUTE_LEAD_MINUTES, 30) * 60_000;
export const maxRounds = (env: Env) => positive(env.DISPATCH_MAX_ROUNDS, 3);
export const batchIntervalMs = (env: Env) => positive(env.BATCH_INTERVAL_SECONDS, 5) * 1000;
export const candidatesKept = (env: Env) => positive(env.DISPATCH_CANDIDATES, 10);

/** Earnings fairness looks back this far. */
export const WEEK_MS = 7 * 86_400_000;

/** Every free, qualified technician of the job's cell and its ring, scored and ranked. */
export async function rankedCandidates(env: Env, job: Job): Promise<ScoredCandidate[]> {
  const db = getDb(env);
  const cells = gridDisk(job.cell, positive(env.AVAILABILITY_RING, 1));
  const versions = await cellVersions(db, cells);
  const staffed = cells.filter((c) => (versions.get(c)?.approved ?? 0) > 0);
  const query = { start: job.start, end: job.end, lat: job.lat, lng: job.lng, skills: job.skills, exclude: job.exclude };
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
        return r.ok ? r.candidates : [];
      }),
    )
  ).flat();
  const history = await candidateHistory(
    db,
    found.map((c) => c.technicianId),
    [job.customerId],
    Date.now() - WEEK_MS,
  );
  const favourites = history.favourites.get(job.customerId);
  const known = {
    earnings: (id: string) => history.earnings.get(id),
    acceptance: (id: string) => history.acceptance.get(id),
    favourite: (id: string) => favourites?.has(id) ?? false,
  };
  return rank(
    found.map((c) => candidateFacts(c, known)),
    parseWeights(env.DISPATCH_WEIGHTS),
  );
}

export interface Reservation {
  technicianId: string;
  holdKey: string;
  expiresAt: number;
}

/**
 * Holds the interval on the first candidate whose home cell accepts it (another booking may win a
 * candidate between scoring and holding; then the next is tried). Records the decision.
 */
export async function reserveBest(
  env: Env,
  job: Job,
  round: number,
  mode: string,
  reason: string,
  ranked?: ScoredCandidate[],
): Promise<Reservation | null> {
  const list = ranked ?? (await rankedCandidates(env, job));
  const keep = candidatesKept(env);
  for (const candidate of list) {
    const r = await holdFor(env, candidate.technicianId, job, round);
    if (r) {
      await recordDecision(env, job.orderId, round, mode, candidate.technicianId, reason, list.slice(0, keep));
      return r;
    }
  }
  await recordDecision(
    env,
    job.orderId,
    round,
    mode,
    null,
    list.length ? `${reason}: every candidate was taken meanwhile` : `${reason}: no candidate`,
    list.slice(0, keep),
  );
  return null;
}

/** Holds the job's interval on one technician (in their home cell), or null when it does not fit. */
export async function holdFor(
  env: Env,
  technicianId: string,
  job: Job,
  round: number,
  opts: { ignoreShifts?: boolean } = {},
): Promise<Reservation | null> {
  const entry = await rosterEntry(getDb(env), technicianId);
  if (!entry) return null;
  const holdKey = `${job.orderId}:${round}`;
  const stub = cellStub(env, entry.homeCell);
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
  let r = await stub.hold(req);
  if (!r.ok && r.code === "UNKNOWN_TECHNICIAN") {
    await stub.syncRoster([entry.profile], 0);
    r = await stub.hold(req);
  }
  return r.ok ? { technicianId, holdKey, expiresAt: r.expiresAt } : null;
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

/** Turns a technician's hold into a booking (the order is paid or pays after the service). */
export async function bookHold(env: Env, technicianId: string, holdKey: string): Promise<boolean> {
  const entry = await rosterEntry(getDb(env), technicianId);
  if (!entry) return false;
  const r = await cellStub(env, entry.homeCell).confirm(holdKey);
  return r.ok;
}

/** Frees a technician's interval for an order (idempotent). */
export async function releaseHold(env: Env, technicianId: string | null, holdKey: string | null): Promise<void> {
  if (!technicianId || !holdKey) return;
  const entry = await rosterEntry(getDb(env), technicianId);
  if (!entry) return;
  await cellStub(env, entry.homeCell).release(holdKey);
}

export function jobOf(order: OrderRow, skills: string[]): Job {
  return {
    orderId: order.id,
    customerId: order.customerId,
    cell: order.cell,
    start: order.startAt,
    end: order.endAt,
    lat: order.lat,
    lng: order.lng,
    skills,
    exclude: order.triedTechnicians,
  };
}
