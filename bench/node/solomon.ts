/**
 * Reads a Solomon VRPTW instance (the standard layout: name, vehicle number and capacity, then one row
 * per node: number, x, y, demand, ready time, due date, service time; node 0 is the depot) into the
 * route solver's problem (src/domain/vrptw.ts). Solomon's convention: Euclidean distances in double
 * precision, travel time = distance, vehicles first, then distance. No imports but types, so the tests
 * in workerd and the Node bench share it.
 */
import type { VrpProblem, VrpRoute, VrpSolution } from "../../src/domain/vrptw.ts";

/** Using one more vehicle costs more than any distance can: vehicles first, then distance. */
export const SOLOMON_VEHICLE_COST = 1e6;

/** Parses a Solomon instance file (the standard layout: header, vehicle number and capacity, then one row per node). */
export function parseSolomon(text: string) {
  const lines = text.split(/\r?\n/);
  const at = lines.findIndex((l) => /^\s*NUMBER\s+CAPACITY/i.test(l));
  const [count, capacity] = lines[at + 1]!.trim().split(/\s+/).map(Number) as [number, number];
  const rows = lines
    .slice(lines.findIndex((l) => /^\s*CUST NO\./i.test(l)) + 1)
    .map((l) => l.trim())
    .filter((l) => /^\d/.test(l))
    .map((l) => l.split(/\s+/).map(Number));
  const n = rows.length;
  const time = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) time[i * n + j] = Math.hypot(rows[i]![1]! - rows[j]![1]!, rows[i]![2]! - rows[j]![2]!);
  const depot = rows[0]!;
  return {
    time,
    size: n,
    vehicles: Array.from({ length: count }, () => ({ start: 0, end: 0, earliest: depot[4]!, latest: depot[5]!, capacity })),
    jobs: rows.slice(1).map((r, i) => ({ location: i + 1, demand: r[3]!, earliest: r[4]!, latest: r[5]!, service: r[6]! })),
    vehicleCost: SOLOMON_VEHICLE_COST,
  };
}

/**
 * PyVRP's routes (job indexes in visiting order) as our solution: the earliest schedule of each
 * route in double precision, its cost and arrival, every job not routed unassigned. It is stated
 * feasible; `checkSolution` then says whether it is (a late job, a full vehicle, a missing one).
 */
export function peerSolution(problem: VrpProblem, routes: number[][]): VrpSolution {
  const n = problem.size;
  const served = new Set(routes.flat());
  const out: VrpRoute[] = routes
    .filter((jobs) => jobs.length > 0)
    .map((jobs, vehicle) => {
      const v = problem.vehicles[vehicle]!;
      let at = v.start;
      let ready = v.earliest;
      let cost = 0;
      const starts = jobs.map((j) => {
        const job = problem.jobs[j]!;
        const start = Math.max(ready + problem.time[at * n + job.location]!, job.earliest);
        cost += problem.time[at * n + job.location]!;
        ready = start + job.service;
        at = job.location;
        return start;
      });
      cost += problem.time[at * n + v.end]!;
      return { vehicle, jobs, starts, arrive: ready + problem.time[at * n + v.end]!, cost };
    });
  const distance = out.reduce((s, r) => s + r.cost, 0);
  return {
    routes: out,
    unassigned: problem.jobs.flatMap((_, j) => (served.has(j) ? [] : [j])),
    cost: (problem.vehicleCost ?? 0) * out.length + distance,
    vehicles: out.length,
    feasible: true,
  };
}
