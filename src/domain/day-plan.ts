/**
 * One technician's day planned: fixed-time jobs stay where the calendar holds them, flexible jobs
 * get a start inside their window, in the order the route solver finds shortest. Pure (the solver
 * is pure too), so the Worker and the cells may both run it; the time unit handed to the solver is
 * the minute.
 *
 * Between two jobs the solver must leave the calendar's whole gap (driving + TRAVEL_BUFFER_MINUTES),
 * so a plan never holds two jobs the cell would call a clash; from and to home only the drive counts.
 */
import type { TravelModel } from "./calendar";
import { legBetween, type DayJob } from "./day-route";
import type { LatLng } from "./geo";
import { solveVrptw, type VrpJob, type VrpProblem } from "./vrptw";

/** A job whose start may move inside [earliest, latest] (UTC ms); its duration stays. */
export interface FlexibleJob {
  id: string;
  point: LatLng;
  earliest: number;
  latest: number;
  durationMs: number;
}

export interface DayPlan {
  /** Every fixed job, unchanged, and every placed flexible job at its planned start. */
  jobs: DayJob[];
  /** Flexible jobs that fit nowhere in the day (they keep their current hold). */
  unplaced: string[];
}

const MINUTE = 60_000;

/**
 * Plans the day of one technician within `shift` (UTC ms; widened to cover the fixed jobs and the
 * drives to and from them). The solver runs for at most `budgetMs` (or `maxIterations`, for a
 * repeatable run).
 */
export function planDay(
  home: LatLng,
  fixed: readonly DayJob[],
  flexible: readonly FlexibleJob[],
  model: TravelModel,
  shift: { from: number; to: number },
  opts: { budgetMs: number; seed?: number; maxIterations?: number },
): DayPlan {
  if (flexible.length === 0) return { jobs: [...fixed], unplaced: [] };
  const points = [home, ...fixed.map((j) => j.point), ...flexible.map((j) => j.point)];
  const size = points.length;
  const time = new Float64Array(size * size);
  const cost = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      if (i === j) continue;
      const leg = legBetween(points[i]!, points[j]!, model);
      time[i * size + j] = leg.travelMinutes + (i > 0 && j > 0 ? model.bufferMinutes : 0);
      cost[i * size + j] = leg.distanceKm;
    }
  }
  // Minutes counted from a few hours before anything of the day, so every time is positive.
  const origin = Math.min(shift.from, ...fixed.map((j) => j.start), ...flexible.map((j) => j.earliest)) - 6 * 60 * MINUTE;
  const toMin = (ms: number) => (ms - origin) / MINUTE;
  let latest = toMin(shift.to);
  let earliest = toMin(shift.from);
  fixed.forEach((j, k) => {
    earliest = Math.min(earliest, toMin(j.start) - time[k + 1]!);
    latest = Math.max(latest, toMin(j.end) + time[(k + 1) * size]!);
  });
  const jobs: VrpJob[] = [
    ...fixed.map((j, k) => ({
      location: k + 1,
      earliest: toMin(j.start),
      latest: toMin(j.start),
      service: (j.end - j.start) / MINUTE,
      fixed: { vehicle: 0, start: toMin(j.start) },
    })),
    ...flexible.map((j, k) => ({
      location: fixed.length + k + 1,
      earliest: toMin(j.earliest),
      latest: toMin(j.latest),
      service: j.durationMs / MINUTE,
    })),
  ];
  const problem: VrpProblem = { time, cost, size, vehicles: [{ start: 0, end: 0, earliest, latest }], jobs };
  const solution = solveVrptw(problem, { budgetMs: opts.budgetMs, seed: opts.seed ?? 1, maxIterations: opts.maxIterations });
  const out: DayJob[] = [...fixed];
  const placed = new Set<number>();
  for (const route of solution.routes) {
    route.jobs.forEach((index, k) => {
      if (index < fixed.length) return;
      const f = flexible[index - fixed.length]!;
      const start = origin + Math.round(route.starts[k]! * MINUTE);
      out.push({ id: f.id, point: f.point, start, end: start + f.durationMs });
      placed.add(index);
    });
  }
  const unplaced = flexible.filter((_, k) => !placed.has(fixed.length + k)).map((f) => f.id);
  return { jobs: out.sort((a, b) => a.start - b.start), unplaced };
}
