/**
 * A synthetic demand history for forecasts: hourly order counts of one cell over whole weeks, with
 * a daily shape (morning and evening peaks, quiet nights), busier weekends, steady weekly growth,
 * Poisson noise and the odd disrupted week (a holiday or an outage halves a day). Seeded: the same
 * seed gives the same history.
 */
import { HOURS_PER_WEEK } from "../../src/domain/forecast";

/** mulberry32: a small seeded PRNG in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function poisson(mean: number, rnd: () => number): number {
  // Knuth for small means, normal approximation for large ones.
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(rnd)));
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k += 1;
    p *= rnd();
  } while (p > l);
  return k - 1;
}

function gaussian(rnd: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

/** Expected orders in an hour of the week (0 = Monday 00:00) before growth. */
export function demandShape(hourOfWeek: number, scale = 6): number {
  const day = Math.floor(hourOfWeek / 24);
  const hour = hourOfWeek % 24;
  const daily = hour < 7 ? 0.1 : hour < 9 ? 0.6 : hour < 12 ? 1 : hour < 14 ? 0.7 : hour < 17 ? 0.8 : hour < 21 ? 1.2 : 0.3;
  const weekend = day >= 5 ? 1.4 : 1;
  return scale * daily * weekend;
}

/** `weeks` weeks of hourly counts (oldest first), growing by `growth` a week. */
export function demandHistory(opts: { weeks: number; seed: number; growth?: number; scale?: number; disruptions?: boolean }): number[][] {
  const rnd = prng(opts.seed);
  const out: number[][] = [];
  for (let w = 0; w < opts.weeks; w++) {
    const level = (1 + (opts.growth ?? 0.03)) ** w;
    const disrupted = opts.disruptions !== false && rnd() < 0.3 ? Math.floor(rnd() * 7) : -1;
    const week: number[] = [];
    for (let h = 0; h < HOURS_PER_WEEK; h++) {
      const dip = Math.floor(h / 24) === disrupted ? 0.5 : 1;
      week.push(poisson(demandShape(h, opts.scale) * level * dip, rnd));
    }
    out.push(week);
  }
  return out;
}
