/**
 * Demand forecasts per cell and hour of the week. The seasonal baseline of an hour is a robust mean
 * of the same hour of the week over the last weeks; a trend factor (the last weeks against what the
 * baseline said for them), capped, scales it. Demand already known for the hour (recurring visits
 * generated, package bookings) is a floor: the history the baseline learns from holds such visits
 * too, so adding them on top would count them twice.
 */

export const HOURS_PER_WEEK = 168;
const HOUR_MS = 3_600_000;

/** 0 = Monday 00:00–01:00 … 167 = Sunday 23:00–24:00, for a local day index (0 = Monday) and hour. */
export function hourOfWeek(weekday: number, hour: number): number {
  return weekday * 24 + hour;
}

/**
 * Mean of the values after dropping the highest and the lowest when there are at least four
 * (one odd week, a holiday or an outage, does not move the baseline); the median of fewer.
 */
export function robustMean(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length < 4) {
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  }
  const kept = sorted.slice(1, -1);
  return kept.reduce((s, v) => s + v, 0) / kept.length;
}

export interface ForecastRule {
  /** Weeks of history the baseline uses (N). */
  weeks: number;
  /** Most recent weeks the trend compares with their baseline. */
  trendWeeks: number;
  /** The trend factor stays within 1 ± cap. */
  trendCap: number;
}

export const DEFAULT_FORECAST_RULE: ForecastRule = { weeks: 4, trendWeeks: 1, trendCap: 0.3 };

/**
 * A week of demand is 168 hourly counts, hour of the week 0..167. `history` is oldest first; the
 * answer is the forecast of the week after the last one (168 numbers, not rounded).
 */
export function forecastWeek(
  history: readonly (readonly number[])[],
  rule: ForecastRule = DEFAULT_FORECAST_RULE,
  known?: readonly number[],
): number[] {
  const recent = history.slice(-rule.weeks);
  const baseline = seasonalBaseline(recent);
  const factor = trendFactor(history, rule);
  return baseline.map((b, h) => Math.max(b * factor, known?.[h] ?? 0));
}

/** The robust mean of each hour of the week over the given weeks. */
export function seasonalBaseline(weeks: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  for (let h = 0; h < HOURS_PER_WEEK; h++) out.push(robustMean(weeks.map((w) => w[h] ?? 0)));
  return out;
}

/**
 * How the last `trendWeeks` weeks compare with the baseline of the weeks before them: their total
 * over the baseline's, within 1 ± cap; 1 without enough history or with an empty baseline.
 */
export function trendFactor(history: readonly (readonly number[])[], rule: ForecastRule): number {
  if (rule.trendWeeks <= 0 || history.length <= rule.trendWeeks) return 1;
  let actual = 0;
  let expected = 0;
  for (let i = history.length - rule.trendWeeks; i < history.length; i++) {
    const before = history.slice(Math.max(0, i - rule.weeks), i);
    const base = seasonalBaseline(before);
    expected += base.reduce((s, v) => s + v, 0);
    actual += (history[i] ?? []).reduce((s, v) => s + v, 0);
  }
  if (expected <= 0) return 1;
  return Math.min(1 + rule.trendCap, Math.max(1 - rule.trendCap, actual / expected));
}

/**
 * Mean absolute percentage error, in percent: the mean of |forecast − actual| / actual over the
 * points where something actually happened (a point with no demand has no percentage error);
 * null when there is none.
 */
export function mape(points: readonly { forecast: number; actual: number }[]): number | null {
  let sum = 0;
  let n = 0;
  for (const p of points) {
    if (p.actual <= 0) continue;
    sum += Math.abs(p.forecast - p.actual) / p.actual;
    n += 1;
  }
  return n === 0 ? null : (sum / n) * 100;
}

/**
 * Where a zone's hours start within the UTC hour (ms): the part of its UTC offset below a whole hour
 * (0 for most zones, 30 minutes for Asia/Kolkata or America/St_Johns, 45 for Asia/Kathmandu).
 */
export function hourPhase(offsetMs: number): number {
  return ((offsetMs % HOUR_MS) + HOUR_MS) % HOUR_MS;
}

/** The start (UTC ms) of the local hour an instant falls in, for a zone whose hours start at `phase`. */
export function hourStart(ms: number, phase = 0): number {
  return Math.floor((ms - phase) / HOUR_MS) * HOUR_MS + phase;
}
