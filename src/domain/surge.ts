/**
 * Surge detection: a cell is `surging` while demand outruns the technicians free to meet it.
 * Demand is what the cell was asked for in a short rolling window (holds placed and searches that
 * found nobody); supply is the technicians online and free now. The state moves with hysteresis:
 * it enters after `enterAfter` evaluations in a row at or above `enterRatio` and leaves after
 * `exitAfter` evaluations in a row at or below `exitRatio` (< `enterRatio`), so a ratio wandering
 * between the two never flips it.
 */

export type SurgeState = "normal" | "surging";

export interface SurgeRule {
  /** Demand per free technician at or above which an evaluation counts towards surging. */
  enterRatio: number;
  /** Demand per free technician at or below which an evaluation counts towards normal. */
  exitRatio: number;
  /** Evaluations in a row at or above `enterRatio` that start a surge (K). */
  enterAfter: number;
  /** Evaluations in a row at or below `exitRatio` that end it (K'). */
  exitAfter: number;
  /** Less demand than this in the window is never a surge (one search in an empty cell is not). */
  minDemand: number;
}

export const DEFAULT_SURGE_RULE: SurgeRule = { enterRatio: 2, exitRatio: 1, enterAfter: 3, exitAfter: 5, minDemand: 3 };

/** Where a cell stands between evaluations: its state and how many evaluations in a row pointed away from it. */
export interface SurgeMemory {
  state: SurgeState;
  streak: number;
}

export const NORMAL: SurgeMemory = { state: "normal", streak: 0 };

/** The figures of one evaluation. */
export interface SurgeFigures {
  demand: number;
  supply: number;
  ratio: number;
}

/** Demand per free technician; with nobody free, the demand itself (as if one were). */
export function demandRatio(demand: number, supply: number): number {
  return demand / Math.max(1, supply);
}

/** True when the rule is usable: 0 ≤ exit < enter, whole positive counts. */
export function validSurgeRule(rule: SurgeRule): boolean {
  return (
    Number.isFinite(rule.enterRatio) &&
    Number.isFinite(rule.exitRatio) &&
    rule.exitRatio >= 0 &&
    rule.exitRatio < rule.enterRatio &&
    Number.isInteger(rule.enterAfter) &&
    rule.enterAfter >= 1 &&
    Number.isInteger(rule.exitAfter) &&
    rule.exitAfter >= 1 &&
    rule.minDemand >= 0
  );
}

/**
 * One evaluation: the next memory and, when the state changed, `changed: true`. A normal cell counts
 * evaluations at or above ENTER (with at least `minDemand`), a surging one evaluations at or below EXIT;
 * any other evaluation resets the count.
 */
export function stepSurge(
  memory: SurgeMemory,
  demand: number,
  supply: number,
  rule: SurgeRule,
): { memory: SurgeMemory; changed: boolean; figures: SurgeFigures } {
  const ratio = demandRatio(demand, supply);
  const figures = { demand, supply, ratio };
  if (memory.state === "normal") {
    const hot = demand >= rule.minDemand && ratio >= rule.enterRatio;
    const streak = hot ? memory.streak + 1 : 0;
    if (streak >= rule.enterAfter) return { memory: { state: "surging", streak: 0 }, changed: true, figures };
    return { memory: { state: "normal", streak }, changed: false, figures };
  }
  const cool = ratio <= rule.exitRatio;
  const streak = cool ? memory.streak + 1 : 0;
  if (streak >= rule.exitAfter) return { memory: { state: "normal", streak: 0 }, changed: true, figures };
  return { memory: { state: "surging", streak }, changed: false, figures };
}

/** Demand counted per time bucket: bucket index (ms / bucketMs) → count. */
export type DemandBuckets = ReadonlyMap<number, number>;

/** The demand of the `windowBuckets` buckets ending with the one `now` falls in. */
export function windowDemand(buckets: DemandBuckets, now: number, bucketMs: number, windowBuckets: number): number {
  const last = Math.floor(now / bucketMs);
  let sum = 0;
  for (const [bucket, count] of buckets) if (bucket > last - windowBuckets && bucket <= last) sum += count;
  return sum;
}

/** What the surge line of a quote may add, as operators cap it. Off unless `enabled`. */
export interface SurgePricing {
  enabled: boolean;
  /** Percent of the subtotal while the cell surges (0..100). */
  percent: number;
  /** The most the line may add, in minor units. */
  maxAmount: number;
}

export const SURGE_PRICING_OFF: SurgePricing = { enabled: false, percent: 0, maxAmount: 0 };

/**
 * The amount of the `surge` line on `subtotal` (minor units) for a job in a cell in `state`: 0 when
 * pricing is off or the cell is normal; else the percentage rounded half up, never above `maxAmount`.
 */
export function surgeAmount(pricing: SurgePricing, state: SurgeState, subtotal: number): number {
  if (!pricing.enabled || state !== "surging" || subtotal <= 0) return 0;
  const percent = Math.min(100, Math.max(0, pricing.percent));
  const amount = Math.floor((subtotal * percent + 50) / 100);
  return Math.max(0, Math.min(amount, pricing.maxAmount));
}
