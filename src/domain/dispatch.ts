/** Dispatch scoring: after the hard constraints (checked in the cell), a weighted score per candidate. */

/** Technician levels (见习 / 标准 / 金牌 / 钻石), lowest first; the credit rules are in src/domain/credit.ts. */
export const LEVELS = ["trainee", "standard", "gold", "diamond"] as const;
export type Level = (typeof LEVELS)[number];
export const MIN_SCORE = 0;
export const MAX_SCORE = 1000;
export const clampScore = (x: number) => Math.min(MAX_SCORE, Math.max(MIN_SCORE, Math.round(x)));
export const levelRank = (level: Level) => LEVELS.indexOf(level);

/** The dispatch ranking's standing part (0–1): three quarters the level, a quarter the score. */
export function standingPart(level: Level, creditScore: number): number {
  return 0.75 * (levelRank(level) / 3) + 0.25 * (clampScore(creditScore) / MAX_SCORE);
}

export interface DispatchWeights {
  travel: number;
  rating: number;
  load: number;
  fairness: number;
  acceptance: number;
  favourite: number;
  /** The technician's level and credit score (src/domain/credit.ts standingPart). */
  level: number;
}

export const DEFAULT_WEIGHTS: DispatchWeights = {
  travel: 0.35,
  rating: 0.2,
  load: 0.15,
  fairness: 0.1,
  acceptance: 0.1,
  favourite: 0.1,
  level: 0.1,
};

export interface CandidateFacts {
  technicianId: string;
  travelKm: number;
  ratingX100: number;
  jobsThatDay: number;
  /** Completed-order revenue over the last 7 days (minor units). */
  weekEarnings: number;
  /** Accepted ÷ offered, or null without history. */
  acceptanceRate: number | null;
  favourite: boolean;
  /** Level and credit score (null: not known, scored as a new trainee at 600). */
  level?: Level | null;
  creditScore?: number | null;
}

export interface ScoredCandidate extends CandidateFacts {
  score: number;
  /** Each weighted component; they sum to `score`. */
  breakdown: Record<keyof DispatchWeights, number>;
}

const clamp = (x: number) => Math.min(1, Math.max(0, x));
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** Parses DISPATCH_WEIGHTS (JSON), keeping defaults for anything missing or out of range. */
export function parseWeights(json: string | undefined): DispatchWeights {
  const w = { ...DEFAULT_WEIGHTS };
  try {
    const given = JSON.parse(json ?? "{}") as Record<string, unknown>;
    for (const k of Object.keys(w) as (keyof DispatchWeights)[]) {
      const v = given[k];
      if (typeof v === "number" && v >= 0 && v <= 1) w[k] = v;
    }
  } catch {
    // malformed configuration: defaults
  }
  return w;
}

/**
 * Whose technicians a job may go to, by the job's merchant; null: anyone (a platform job). A
 * merchant's job goes to its own technicians, and to platform technicians only when the merchant
 * allows it (merchants.platform_technicians); never to another merchant's.
 */
export type MerchantRule = { merchantId: string; platformTechnicians: boolean } | null;

/** Whether a job under `rule` may go to a technician of `candidateMerchant` (null: the platform's). */
export function mayTake(rule: MerchantRule, candidateMerchant: string | null): boolean {
  if (!rule) return true;
  return candidateMerchant === rule.merchantId || (candidateMerchant === null && rule.platformTechnicians);
}

/** What the records know of candidates beyond their calendars (all optional: no history). */
export interface CandidateHistory {
  earnings: (technicianId: string) => number | undefined;
  acceptance: (technicianId: string) => number | undefined;
  favourite: (technicianId: string) => boolean;
  standing?: (technicianId: string) => { level: Level; creditScore: number } | undefined;
}

/** Joins a calendar candidate with its history into the facts it is scored on. */
export function candidateFacts(
  c: { technicianId: string; travelKm: number; ratingX100: number; jobsThatDay: number },
  h: CandidateHistory,
): CandidateFacts {
  return {
    technicianId: c.technicianId,
    travelKm: Math.round(c.travelKm * 100) / 100,
    ratingX100: c.ratingX100,
    jobsThatDay: c.jobsThatDay,
    weekEarnings: h.earnings(c.technicianId) ?? 0,
    acceptanceRate: h.acceptance(c.technicianId) ?? null,
    favourite: h.favourite(c.technicianId),
    level: h.standing?.(c.technicianId)?.level ?? null,
    creditScore: h.standing?.(c.technicianId)?.creditScore ?? null,
  };
}

/** Scores and ranks candidates, best first (ties broken by id for a stable order). */
export function rank(candidates: CandidateFacts[], weights: DispatchWeights): ScoredCandidate[] {
  const maxEarnings = Math.max(0, ...candidates.map((c) => c.weekEarnings));
  return candidates
    .map((c) => {
      const parts = {
        travel: 1 - clamp(c.travelKm / 20),
        rating: clamp((c.ratingX100 / 100 - 3) / 2),
        load: 1 - clamp(c.jobsThatDay / 6),
        fairness: maxEarnings > 0 ? 1 - c.weekEarnings / maxEarnings : 1,
        acceptance: c.acceptanceRate ?? 0.8,
        favourite: c.favourite ? 1 : 0,
        level: standingPart(c.level ?? "trainee", c.creditScore ?? 600),
      };
      const breakdown = Object.fromEntries(
        (Object.keys(parts) as (keyof DispatchWeights)[]).map((k) => [k, round4(parts[k] * weights[k])]),
      ) as Record<keyof DispatchWeights, number>;
      const score = round4(Object.values(breakdown).reduce((s, v) => s + v, 0));
      return { ...c, score, breakdown };
    })
    .sort((a, b) => b.score - a.score || a.technicianId.localeCompare(b.technicianId));
}
