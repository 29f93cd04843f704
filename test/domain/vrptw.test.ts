import fc from "fast-check";
import { describe, expect, it } from "vitest";
import c101 from "../../bench/data/solomon/C101.txt?raw";
import r107 from "../../bench/data/solomon/R107.txt?raw";
import r112 from "../../bench/data/solomon/R112.txt?raw";
import rc105 from "../../bench/data/solomon/RC105.txt?raw";
import { parseSolomon } from "../../bench/node/solomon";
import {
  checkSolution,
  dropRouteOf,
  educateRoutes,
  ejectInto,
  ejectLimit,
  eliminateInSteps,
  perturbRoutes,
  solveVrptw,
  squeezeAndEducateInTurn,
  squeezeInto,
  type VrpJob,
  type VrpProblem,
  type VrpSolution,
  type VrpVehicle,
} from "../../src/domain/vrptw";

/** Manhattan distances between integer points: a metric, as road times roughly are. */
function matrix(points: [number, number][]): number[] {
  const n = points.length;
  const t: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) t.push(Math.abs(points[i]![0] - points[j]![0]) + Math.abs(points[i]![1] - points[j]![1]));
  return t;
}

/** Random small problems: up to 4 vehicles with their own homes and shifts, up to 10 jobs with windows, skills, demand, some fixed. */
const problems = fc
  .record({
    points: fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 })), { minLength: 2, maxLength: 8 }),
    vehicles: fc.array(
      fc.record({
        start: fc.nat(),
        end: fc.nat(),
        earliest: fc.integer({ min: 0, max: 60 }),
        length: fc.integer({ min: 60, max: 300 }),
        capacity: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    jobs: fc.array(
      fc.record({
        location: fc.nat(),
        earliest: fc.integer({ min: 0, max: 250 }),
        width: fc.integer({ min: 0, max: 200 }),
        service: fc.integer({ min: 0, max: 40 }),
        demand: fc.integer({ min: 0, max: 8 }),
        allowed: fc.option(fc.uniqueArray(fc.nat({ max: 3 }), { maxLength: 3 }), { nil: undefined }),
        fixed: fc.option(fc.record({ vehicle: fc.nat({ max: 3 }), at: fc.double({ min: 0, max: 1, noNaN: true }) }), {
          nil: undefined,
          freq: 4,
        }),
      }),
      { maxLength: 10 },
    ),
    vehicleCost: fc.constantFrom(0, 50, 10_000),
  })
  .map(({ points, vehicles, jobs, vehicleCost }): VrpProblem => {
    const n = points.length;
    const time = matrix(points);
    const vs: VrpVehicle[] = vehicles.map((v) => ({
      start: v.start % n,
      end: v.end % n,
      earliest: v.earliest,
      latest: v.earliest + v.length,
      ...(v.capacity === undefined ? {} : { capacity: v.capacity }),
    }));
    const fixedOn = new Set<number>();
    const js: VrpJob[] = jobs.map((j) => {
      const job: VrpJob = {
        location: j.location % n,
        earliest: j.earliest,
        latest: j.earliest + j.width,
        service: j.service,
        demand: j.demand,
        ...(j.allowed ? { allowed: j.allowed.filter((v) => v < vs.length) } : {}),
      };
      // At most one fixed job per vehicle, at a start its shift can reach: the fixed jobs alone are feasible.
      if (j.fixed && j.fixed.vehicle < vs.length && !fixedOn.has(j.fixed.vehicle)) {
        const v = vs[j.fixed.vehicle]!;
        const from = v.earliest + time[v.start * n + job.location]!;
        const to = v.latest - job.service - time[job.location * n + v.end]!;
        const demandFits = v.capacity === undefined || job.demand! <= v.capacity;
        if (from <= to && demandFits) {
          fixedOn.add(j.fixed.vehicle);
          job.fixed = { vehicle: j.fixed.vehicle, start: Math.round(from + (to - from) * j.fixed.at) };
        }
      }
      return job;
    });
    return { time, size: n, vehicles: vs, jobs: js, vehicleCost };
  });

const solve = (p: VrpProblem, seed = 7, maxIterations = 300) => solveVrptw(p, { budgetMs: 60_000, seed, maxIterations });

/** Every job index exactly once across the routes and the unassigned list. */
function jobCounts(p: VrpProblem, s: VrpSolution): number[] {
  const counts = p.jobs.map(() => 0);
  for (const r of s.routes) for (const j of r.jobs) counts[j]!++;
  for (const j of s.unassigned) counts[j]!++;
  return counts;
}

describe("solveVrptw on random small problems (property)", () => {
  it("returns solutions that pass checkSolution, keep fixed jobs, respect skills and lose or duplicate no job", () => {
    fc.assert(
      fc.property(problems, fc.integer({ min: 1, max: 1_000 }), (p, seed) => {
        const s = solve(p, seed);
        expect(checkSolution(p, s)).toEqual([]);
        expect(jobCounts(p, s).every((c) => c === 1)).toBe(true);
        expect(s.feasible).toBe(s.unassigned.length === 0);
        for (const r of s.routes)
          r.jobs.forEach((j, i) => {
            const job = p.jobs[j]!;
            if (job.fixed) {
              expect(r.vehicle).toBe(job.fixed.vehicle);
              expect(r.starts[i]).toBe(job.fixed.start);
            } else if (job.allowed) expect(job.allowed).toContain(r.vehicle);
            if (job.demand && p.vehicles[r.vehicle]!.capacity !== undefined)
              expect(job.demand).toBeLessThanOrEqual(p.vehicles[r.vehicle]!.capacity!);
          });
        // A fixed job is never left out: its vehicle can always serve it alone.
        for (const j of s.unassigned) expect(p.jobs[j]!.fixed).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });

  it("is deterministic for a seed and an iteration bound", () => {
    fc.assert(
      fc.property(problems, (p) => {
        expect(solve(p, 3)).toEqual(solve(p, 3));
      }),
      { numRuns: 40 },
    );
  });

  it("never leaves a job out that fits into a route of its own on an unused vehicle", () => {
    fc.assert(
      fc.property(problems, (p) => {
        const s = solve(p);
        const used = new Set(s.routes.map((r) => r.vehicle));
        for (const j of s.unassigned) {
          const job = p.jobs[j]!;
          p.vehicles.forEach((v, vi) => {
            if (used.has(vi) || (job.allowed && !job.allowed.includes(vi))) return;
            if (v.capacity !== undefined && (job.demand ?? 0) > v.capacity) return;
            const start = Math.max(v.earliest + p.time[v.start * p.size + job.location]!, job.earliest);
            const fits = start <= job.latest && start + job.service + p.time[job.location * p.size + v.end]! <= v.latest;
            expect(fits, `job ${j} fits alone on vehicle ${vi}`).toBe(false);
          });
        }
      }),
      { numRuns: 100 },
    );
  });
});

/** The exact optimum by enumeration: every order of the jobs cut into one sequence per vehicle. */
function bruteForce(p: VrpProblem): number {
  const m = p.jobs.length;
  const k = p.vehicles.length;
  const n = p.size;
  const routeCost = (v: number, seq: number[]): number => {
    const veh = p.vehicles[v]!;
    if (!seq.length) return 0;
    let t = veh.earliest;
    let at = veh.start;
    let cost = 0;
    let load = 0;
    for (const j of seq) {
      const job = p.jobs[j]!;
      if (job.allowed && !job.allowed.includes(v)) return Infinity;
      t = Math.max(t + p.time[at * n + job.location]!, job.earliest);
      if (t > job.latest) return Infinity;
      cost += p.time[at * n + job.location]!;
      load += job.demand ?? 0;
      t += job.service;
      at = job.location;
    }
    cost += p.time[at * n + veh.end]!;
    if (t + p.time[at * n + veh.end]! > veh.latest || (veh.capacity !== undefined && load > veh.capacity)) return Infinity;
    return cost + (p.vehicleCost ?? 0);
  };
  let best = Infinity;
  const perm = Array.from({ length: m }, (_, i) => i);
  const permute = (i: number) => {
    if (i === m) {
      // Cut the order into k consecutive sequences, the r-th for vehicle r.
      const cut = (from: number, v: number, acc: number) => {
        if (acc >= best) return;
        if (v === k - 1) {
          best = Math.min(best, acc + routeCost(v, perm.slice(from)));
          return;
        }
        for (let to = from; to <= m; to++) cut(to, v + 1, acc + routeCost(v, perm.slice(from, to)));
      };
      cut(0, 0, 0);
      return;
    }
    for (let x = i; x < m; x++) {
      [perm[i], perm[x]] = [perm[x]!, perm[i]!];
      permute(i + 1);
      [perm[i], perm[x]] = [perm[x]!, perm[i]!];
    }
  };
  permute(0);
  return best;
}

describe("solveVrptw finds the optimum of tiny instances", () => {
  /** Seven jobs, two technicians with their own homes and shifts, windows that rule out the obvious orders. */
  const tiny = (seed: number): VrpProblem => {
    let a = seed;
    const rnd = () => (a = (a * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const points: [number, number][] = Array.from({ length: 9 }, () => [Math.floor(rnd() * 40), Math.floor(rnd() * 40)]);
    return {
      time: matrix(points),
      size: 9,
      vehicles: [
        { start: 0, end: 0, earliest: 0, latest: 400, capacity: 12 },
        { start: 1, end: 1, earliest: 30, latest: 360 },
      ],
      jobs: Array.from({ length: 7 }, (_, j) => {
        const earliest = Math.floor(rnd() * 200);
        return {
          location: j + 2,
          earliest,
          latest: earliest + 40 + Math.floor(rnd() * 150),
          service: 10 + Math.floor(rnd() * 20),
          demand: 1 + Math.floor(rnd() * 4),
          ...(j === 3 ? { allowed: [1] } : {}),
        };
      }),
      vehicleCost: 25,
    };
  };

  for (const seed of [11, 29, 47, 83, 101]) {
    it(`instance ${seed}: the solver's cost equals the enumerated optimum`, () => {
      const p = tiny(seed);
      const optimum = bruteForce(p);
      const s = solveVrptw(p, { budgetMs: 60_000, seed: 1, maxIterations: 2_000 });
      expect(checkSolution(p, s)).toEqual([]);
      if (!Number.isFinite(optimum)) expect(s.unassigned.length).toBeGreaterThan(0);
      else {
        expect(s.unassigned).toEqual([]);
        expect(s.cost).toBeCloseTo(optimum, 9);
      }
    });
  }

  it("the enumerated optima are real (a finite optimum in most instances)", () => {
    const finite = [11, 29, 47, 83, 101].filter((seed) => Number.isFinite(bruteForce(tiny(seed))));
    expect(finite.length).toBeGreaterThanOrEqual(3);
  });
});

describe("checkSolution catches every kind of violation", () => {
  // Depot 0, jobs at 1, 2, 3 on a line: 0 —10— 1 —10— 2 —10— 3.
  const pts: [number, number][] = [
    [0, 0],
    [10, 0],
    [20, 0],
    [30, 0],
  ];
  const p: VrpProblem = {
    time: matrix(pts),
    size: 4,
    vehicles: [
      { start: 0, end: 0, earliest: 0, latest: 200, capacity: 10 },
      { start: 0, end: 0, earliest: 0, latest: 200 },
    ],
    jobs: [
      { location: 1, earliest: 0, latest: 100, service: 5, demand: 4 },
      { location: 2, earliest: 0, latest: 100, service: 5, demand: 4, allowed: [0] },
      { location: 3, earliest: 50, latest: 60, service: 5, demand: 1, fixed: { vehicle: 1, start: 50 } },
    ],
    vehicleCost: 100,
  };
  const valid = (): VrpSolution => ({
    routes: [
      { vehicle: 0, jobs: [0, 1], starts: [10, 25], arrive: 50, cost: 40 },
      { vehicle: 1, jobs: [2], starts: [50], arrive: 85, cost: 60 },
    ],
    unassigned: [],
    cost: 300,
    vehicles: 2,
    feasible: true,
  });
  const kinds = (s: VrpSolution) => checkSolution(p, s).map((v) => v.slice(0, v.indexOf(":")));

  it("accepts the valid solution", () => {
    expect(checkSolution(p, valid())).toEqual([]);
  });

  const cases: [string, (s: VrpSolution) => void][] = [
    ["window", (s) => ((s.routes[0]!.starts[1] = 120), (s.routes[0]!.arrive = 145))],
    ["schedule", (s) => (s.routes[0]!.starts[0] = 5)],
    ["shift", (s) => (s.routes[0]!.arrive = 250)],
    ["capacity", () => (p.vehicles[0]!.capacity = 7)],
    ["fixed", (s) => ((s.routes[1]!.starts[0] = 55), (s.routes[1]!.arrive = 90))],
    [
      "allowed",
      (s) => (
        (s.routes[0]!.jobs = [0]),
        (s.routes[0]!.starts = [10]),
        (s.routes[0]!.arrive = 25),
        (s.routes[0]!.cost = 20),
        (s.routes[1]!.jobs = [1, 2]),
        (s.routes[1]!.starts = [20, 50]),
        (s.routes[1]!.cost = 60),
        (s.cost = 280)
      ),
    ],
    ["duplicate", (s) => s.unassigned.push(0)],
    ["missing", (s) => ((s.routes[0]!.jobs = [1]), (s.routes[0]!.starts = [20]), (s.routes[0]!.arrive = 45), (s.routes[0]!.cost = 40))],
    ["vehicle", (s) => (s.routes[1]!.vehicle = 5)],
    ["cost", (s) => (s.cost = 299)],
    ["feasible", (s) => s.unassigned.push(0)],
  ];
  for (const [kind, spoil] of cases)
    it(`reports ${kind}`, () => {
      const capacity = p.vehicles[0]!.capacity;
      try {
        const s = valid();
        spoil(s);
        expect(kinds(s)).toContain(kind);
      } finally {
        p.vehicles[0]!.capacity = capacity;
      }
    });

  it("reports a fixed job moved to another vehicle, and one left unassigned", () => {
    const moved = valid();
    moved.routes[1]!.vehicle = 0;
    moved.routes[0]!.vehicle = 1;
    expect(checkSolution(p, moved).some((v) => v.startsWith("fixed: job 2 is fixed to vehicle 1"))).toBe(true);
    const dropped: VrpSolution = { ...valid(), routes: [valid().routes[0]!], unassigned: [2], cost: 140, vehicles: 1, feasible: false };
    expect(checkSolution(p, dropped)).toEqual(["fixed: fixed job 2 is unassigned"]);
  });
});

describe("solveVrptw edge cases", () => {
  const line = matrix([
    [0, 0],
    [10, 0],
    [20, 0],
  ]);

  it("solves a problem without jobs, and one without vehicles", () => {
    const none = solve({ time: line, size: 3, vehicles: [{ start: 0, end: 0, earliest: 0, latest: 100 }], jobs: [] });
    expect(none).toMatchObject({ routes: [], unassigned: [], cost: 0, vehicles: 0, feasible: true });
    const p: VrpProblem = { time: line, size: 3, vehicles: [], jobs: [{ location: 1, earliest: 0, latest: 50, service: 5 }] };
    const s = solve(p);
    expect(s).toMatchObject({ routes: [], unassigned: [0], feasible: false });
    expect(checkSolution(p, s)).toEqual([]);
  });

  it("leaves out what no vehicle can do: no skill, an unreachable window, too heavy, a fixed job on a missing vehicle", () => {
    const p: VrpProblem = {
      time: line,
      size: 3,
      vehicles: [{ start: 0, end: 0, earliest: 0, latest: 100, capacity: 5 }],
      jobs: [
        { location: 1, earliest: 0, latest: 50, service: 5, allowed: [] },
        { location: 2, earliest: 0, latest: 10, service: 5 },
        { location: 1, earliest: 0, latest: 50, service: 5, demand: 6 },
        { location: 2, earliest: 30, latest: 30, service: 5, fixed: { vehicle: 3, start: 30 } },
        { location: 2, earliest: 0, latest: 80, service: 5 },
      ],
    };
    const s = solve(p);
    expect(s.unassigned).toEqual([0, 1, 2, 3]);
    expect(s.routes).toMatchObject([{ vehicle: 0, jobs: [4] }]);
    expect(s.feasible).toBe(false);
    expect(checkSolution(p, s)).toEqual(["fixed: fixed job 3 is unassigned"]);
  });

  it("serves the job that fits and leaves out the one that fits nowhere, for every seed (the penalised search places every job somewhere)", () => {
    // Job 1 alone ends at 61, after the shift; job 0 fits. Vehicles cost something, so the cost phase runs penalised.
    const p: VrpProblem = {
      time: [0, 0, 0, 0],
      size: 2,
      vehicles: [{ start: 0, end: 0, earliest: 0, latest: 60 }],
      jobs: [
        { location: 0, earliest: 0, latest: 32, service: 0 },
        { location: 0, earliest: 31, latest: 31, service: 30 },
      ],
      vehicleCost: 10_000,
    };
    for (let seed = 1; seed <= 200; seed++) {
      const s = solve(p, seed, 100);
      expect(checkSolution(p, s)).toEqual([]);
      expect(s.unassigned).toEqual([1]);
    }
  });

  it("keeps conflicting fixed jobs where they are and says the plan is not feasible", () => {
    const p: VrpProblem = {
      time: line,
      size: 3,
      vehicles: [{ start: 0, end: 0, earliest: 0, latest: 200 }],
      jobs: [
        { location: 1, earliest: 0, latest: 0, service: 30, fixed: { vehicle: 0, start: 20 } },
        { location: 2, earliest: 0, latest: 0, service: 30, fixed: { vehicle: 0, start: 25 } },
        { location: 2, earliest: 0, latest: 150, service: 5 },
      ],
    };
    const s = solve(p);
    const route = s.routes.find((r) => r.vehicle === 0)!;
    expect(route.jobs.slice(0, 2)).toEqual([0, 1]);
    expect(s.feasible).toBe(false);
    expect(checkSolution(p, s).some((v) => v.startsWith("fixed: job 1"))).toBe(true);
  });

  it("stops when the injected clock passes the budget", () => {
    let now = 0;
    const p = parseSolomon(c101);
    const s = solveVrptw(p, { budgetMs: 50, seed: 1, clock: () => (now += 1) });
    expect(s.iterations).toBeLessThan(50);
    expect(checkSolution(p, s)).toEqual([]);
  });
});

describe("Solomon C101", () => {
  it("is solved feasibly with the best-known 10 vehicles within 3,000 iterations", () => {
    const p = parseSolomon(c101);
    expect(p.jobs).toHaveLength(100);
    const s = solveVrptw(p, { budgetMs: 600_000, seed: 1, maxIterations: 3_000 });
    expect(checkSolution(p, s)).toEqual([]);
    expect(s.feasible).toBe(true);
    expect(s.vehicles).toBe(10);
    // Best-known distance 828.94 (SINTEF); the bound keeps the test from passing on a poor plan.
    expect(s.cost - 10 * p.vehicleCost).toBeLessThan(828.94 * 1.03);
  });
});

describe("Solomon RC105 (route elimination with an ejection pool and squeezes, local search on new bests)", () => {
  it("reaches the best-known 13 vehicles, feasibly, within 4,000 iterations", () => {
    const p = parseSolomon(rc105);
    // Within 4,000 iterations every seed of 1–10 reaches 13 (within 2,000, half of them).
    const s = solveVrptw(p, { budgetMs: 600_000, seed: 7, maxIterations: 4_000 });
    expect(checkSolution(p, s)).toEqual([]);
    expect(s.feasible).toBe(true);
    // Best-known: 13 vehicles, 1629.44 (SINTEF); the greedy construction alone needs more than 16.
    expect(s.vehicles).toBe(13);
    expect(s.cost - 13 * p.vehicleCost).toBeLessThan(1629.44 * 1.06);
  });
});

describe("Solomon R107 (cost phase in the penalised space: plans may break windows at an adaptive price)", () => {
  it("is solved feasibly within 2,000 iterations at the best-known 10 vehicles and within 5 % of the best-known distance", () => {
    const p = parseSolomon(r107);
    const s = solveVrptw(p, { budgetMs: 600_000, seed: 1, maxIterations: 2_000 });
    expect(checkSolution(p, s)).toEqual([]);
    expect(s.feasible).toBe(true);
    // Best-known: 10 vehicles, 1104.66 (SINTEF). Strictly feasible ruin and recreate stayed near 1,200 (+9 %) here;
    // the route elimination alone ends at 11 vehicles here, the cost phase's try at one route fewer reaches 10.
    expect(s.vehicles).toBe(10);
    expect(s.cost - s.vehicles * p.vehicleCost).toBeLessThan(1104.66 * 1.05);
  });
});

describe("Solomon R112 (a run that reaches fewer vehicles in the cost phase keeps the rest of the budget)", () => {
  it("reaches the best-known 9 vehicles within 3 % of the best-known distance within 12,000 iterations", () => {
    const p = parseSolomon(r112);
    // With this seed both runs end the fleet minimisation at 10 vehicles and the first one reaches 9 in its cost
    // phase. When the second run (at 10 vehicles, so it cannot win) still had its half, this plan ended 4.51 % over
    // the distance. Seeds 1–16 at this bound: 9 of 16 within 3 % at 9 vehicles, against 7 before.
    const s = solveVrptw(p, { budgetMs: 600_000, seed: 3, maxIterations: 12_000 });
    expect(checkSolution(p, s)).toEqual([]);
    // Best-known: 9 vehicles, 982.14 (SINTEF).
    expect(s.vehicles).toBe(9);
    expect(s.cost - 9 * p.vehicleCost).toBeLessThan(982.14 * 1.03);
  });
});

/** Larger random problems with a shared depot and tight windows: many routes, so ejection, relocate and 2-opt* all run. */
const depotProblems = fc
  .record({
    points: fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 })), { minLength: 25, maxLength: 35 }),
    vehicles: fc.integer({ min: 4, max: 8 }),
    capacity: fc.integer({ min: 10, max: 40 }),
    windows: fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 5, max: 80 }), fc.integer({ min: 1, max: 9 })), {
      minLength: 24,
      maxLength: 24,
    }),
  })
  .map(({ points, vehicles, capacity, windows }): VrpProblem => {
    const n = points.length;
    return {
      time: matrix(points),
      size: n,
      vehicles: Array.from({ length: vehicles }, () => ({ start: 0, end: 0, earliest: 0, latest: 400, capacity })),
      jobs: windows.map(([earliest, width, demand], i) => ({
        location: 1 + (i % (n - 1)),
        earliest,
        latest: earliest + width,
        service: 5,
        demand,
      })),
      vehicleCost: 10_000,
    };
  });

describe("fleet minimisation and local search on a shared depot (property)", () => {
  it("keep every plan valid: windows, shift, capacity, each job once, cost as stated", () => {
    fc.assert(
      fc.property(depotProblems, fc.integer({ min: 1, max: 1_000 }), (p, seed) => {
        const s = solve(p, seed, 400);
        expect(checkSolution(p, s)).toEqual([]);
        expect(jobCounts(p, s).every((c) => c === 1)).toBe(true);
        expect(s.feasible).toBe(s.unassigned.length === 0);
      }),
      { numRuns: 40 },
    );
  });
});

/** A shared depot, narrow windows and small capacities: the fleet is tight, so the cost phase walks through plans that break windows and capacity. */
const tightProblems = fc
  .record({
    points: fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 })), { minLength: 15, maxLength: 25 }),
    vehicles: fc.integer({ min: 2, max: 5 }),
    capacity: fc.integer({ min: 8, max: 25 }),
    windows: fc.array(fc.tuple(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 6 })), {
      minLength: 10,
      maxLength: 20,
    }),
    vehicleCost: fc.constantFrom(0, 10_000),
  })
  .map(({ points, vehicles, capacity, windows, vehicleCost }): VrpProblem => {
    const n = points.length;
    return {
      time: matrix(points),
      size: n,
      vehicles: Array.from({ length: vehicles }, () => ({ start: 0, end: 0, earliest: 0, latest: 220, capacity })),
      jobs: windows.map(([earliest, width, demand], i) => ({
        location: 1 + (i % (n - 1)),
        earliest,
        latest: earliest + width,
        service: 3,
        demand,
      })),
      vehicleCost,
    };
  });

describe("the penalised cost phase (property)", () => {
  it("returns only plans that keep every window and capacity, whatever it walked through", () => {
    fc.assert(
      fc.property(tightProblems, fc.integer({ min: 1, max: 1_000 }), (p, seed) => {
        const s = solve(p, seed, 600);
        expect(checkSolution(p, s)).toEqual([]);
        expect(jobCounts(p, s).every((c) => c === 1)).toBe(true);
        expect(s.feasible).toBe(s.unassigned.length === 0);
      }),
      { numRuns: 60 },
    );
  });

  it("never returns a plan worse than its construction (one iteration, same seed): fewer or as many jobs left out, then no dearer", () => {
    fc.assert(
      fc.property(tightProblems, fc.integer({ min: 1, max: 1_000 }), (p, seed) => {
        const built = solve(p, seed, 1);
        const s = solve(p, seed, 600);
        expect(s.unassigned.length).toBeLessThanOrEqual(built.unassigned.length);
        if (s.unassigned.length === built.unassigned.length) expect(s.cost).toBeLessThanOrEqual(built.cost + 1e-6);
      }),
      { numRuns: 40 },
    );
  });
});

/** Travel cost plus priced time warp and load over capacity of vehicle v's route `seq` (the penalised cost, recomputed). */
function pricedRoute(p: VrpProblem, v: number, seq: readonly number[], price: { warp: number; load: number }): number {
  if (!seq.length) return 0;
  const veh = p.vehicles[v]!;
  const t = (a: number, b: number) => p.time[a * p.size + b]!;
  let at = veh.start;
  let clock = veh.earliest;
  let cost = 0;
  let warp = 0;
  let load = 0;
  for (const j of seq) {
    const job = p.jobs[j]!;
    const [early, late] = job.fixed ? [job.fixed.start, job.fixed.start] : [job.earliest, job.latest];
    cost += t(at, job.location);
    const arrive = Math.max(clock + t(at, job.location), early);
    if (arrive > late) warp += arrive - late;
    clock = Math.min(arrive, late) + job.service;
    load += job.demand ?? 0;
    at = job.location;
  }
  cost += t(at, veh.end);
  if (clock + t(at, veh.end) > veh.latest) warp += clock + t(at, veh.end) - veh.latest;
  return cost + price.warp * warp + price.load * Math.max(0, load - (veh.capacity ?? Infinity));
}

/**
 * Every job on a vehicle it may use (fixed jobs on theirs): the `choose(count, j)`-th of the `count` vehicles job j
 * may use. Windows and capacity are broken as it falls.
 */
function spread(p: VrpProblem, choose: (count: number, j: number) => number): number[][] {
  const routes: number[][] = p.vehicles.map(() => []);
  p.jobs.forEach((job, j) => {
    if (job.fixed) return void routes[job.fixed.vehicle]!.push(j);
    const may = (job.allowed ?? p.vehicles.map((_, v) => v)).filter((v) => v < p.vehicles.length);
    if (may.length) routes[may[choose(may.length, j) % may.length]!]!.push(j);
  });
  return routes;
}

/**
 * A random problem with a random plan, broken windows and capacity allowed (each flexible job on a random vehicle it
 * may use), a price per unit of time warp and of load over capacity, and a seed.
 */
const randomPlans = fc
  .record({
    p: problems,
    draws: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 10, maxLength: 10 }),
    warpPrice: fc.constantFrom(0.5, 10, 1_000),
    seed: fc.integer({ min: 1, max: 1_000 }),
  })
  .map(({ p, draws, warpPrice, seed }) => {
    const routes = spread(p, (count, j) => Math.floor(draws[j]! * count));
    return { p, routes, price: { warp: warpPrice, load: warpPrice }, seed };
  });

describe("education: the penalised local search after each recreate (property)", () => {
  it("never raises the penalised cost, keeps every job once, fixed jobs on their vehicle and skills kept", () => {
    fc.assert(
      fc.property(randomPlans, ({ p, routes, price, seed }) => {
        const total = (rs: number[][]) => rs.reduce((c, seq, v) => c + pricedRoute(p, v, seq, price), 0);
        const after = educateRoutes(p, routes, price, seed);
        expect(total(after)).toBeLessThanOrEqual(total(routes) + 1e-6);
        expect(after.flat().sort((a, b) => a - b)).toEqual(routes.flat().sort((a, b) => a - b));
        after.forEach((seq, v) =>
          seq.forEach((j) => {
            const job = p.jobs[j]!;
            if (job.fixed) expect(job.fixed.vehicle).toBe(v);
            else if (job.allowed) expect(job.allowed).toContain(v);
          }),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("on tight problems, lowers the penalised cost of a random plan and loses no job", () => {
    fc.assert(
      fc.property(tightProblems, fc.integer({ min: 1, max: 1_000 }), (p, seed) => {
        const routes: number[][] = p.vehicles.map(() => []);
        p.jobs.forEach((_, j) => routes[(j * 7 + seed) % p.vehicles.length]!.push(j));
        const price = { warp: 10, load: 10 };
        const total = (rs: number[][]) => rs.reduce((c, seq, v) => c + pricedRoute(p, v, seq, price), 0);
        const after = educateRoutes(p, routes, price, seed);
        expect(total(after)).toBeLessThanOrEqual(total(routes) + 1e-6);
        expect(after.flat().sort((a, b) => a - b)).toEqual(p.jobs.map((_, j) => j));
      }),
      { numRuns: 60 },
    );
  });
});

/**
 * A move between routes that the education looks at and that lowers the penalised cost (recomputed from scratch),
 * or null: for each flexible job u and each of its 20 nearest flexible jobs w (by travel cost, then index; the
 * nearest place skipped) on another route, relocating u, or u and its successor, before or after w; swapping u
 * and w; exchanging their tails (2-opt\*, vehicles alike). Fixed jobs stay and skills are kept.
 */
function improvingMove(p: VrpProblem, routes: readonly (readonly number[])[], price: { warp: number; load: number }): string | null {
  const C = p.cost ?? p.time;
  const may = (j: number, v: number) => {
    const job = p.jobs[j]!;
    return job.fixed ? job.fixed.vehicle === v : !job.allowed || job.allowed.includes(v);
  };
  const flexible = (j: number) => !p.jobs[j]!.fixed;
  const cls = (v: number) => {
    const x = p.vehicles[v]!;
    return `${x.start},${x.end},${x.earliest},${x.latest},${x.capacity ?? ""}`;
  };
  const where = new Map<number, number>();
  routes.forEach((seq, v) => seq.forEach((j) => where.set(j, v)));
  const flex = p.jobs.map((_, j) => j).filter(flexible);
  const tol = (x: number) => 1e-6 * Math.max(1, Math.abs(x));
  for (const u of flex) {
    const ra = where.get(u);
    if (ra === undefined) continue;
    const from = p.jobs[u]!.location * p.size;
    const near = flex.slice().sort((a, b) => C[from + p.jobs[a]!.location]! - C[from + p.jobs[b]!.location]! || a - b);
    for (const w of near.slice(1, 21)) {
      const rb = where.get(w);
      if (rb === undefined || rb === ra) continue;
      const A = routes[ra]!;
      const B = routes[rb]!;
      const iu = A.indexOf(u);
      const iw = B.indexOf(w);
      const old = pricedRoute(p, ra, A, price) + pricedRoute(p, rb, B, price);
      const better = (a: number[], b: number[]) => pricedRoute(p, ra, a, price) + pricedRoute(p, rb, b, price) < old - tol(old);
      if (may(u, rb)) {
        for (let two = 0; two < 2; two++) {
          if (two && (iu + 1 >= A.length || A[iu + 1] === w || !flexible(A[iu + 1]!) || !may(A[iu + 1]!, rb))) break;
          const moved = A.slice(iu, iu + 1 + two);
          const a = A.filter((x) => !moved.includes(x));
          for (const at of [iw, iw + 1])
            if (better(a, [...B.slice(0, at), ...moved, ...B.slice(at)])) return `relocate ${moved} next to ${w}`;
        }
        if (
          flexible(w) &&
          may(w, ra) &&
          better(
            A.map((x) => (x === u ? w : x)),
            B.map((x) => (x === w ? u : x)),
          )
        )
          return `swap ${u} and ${w}`;
      }
      const tailA = A.slice(iu + 1);
      const tailB = B.slice(iw);
      const tailsMove = tailA.every((x) => flexible(x) && may(x, rb)) && tailB.every((x) => flexible(x) && may(x, ra));
      if (cls(ra) === cls(rb) && tailsMove && better([...A.slice(0, iu + 1), ...tailB], [...B.slice(0, iw), ...tailA]))
        return `2-opt* at ${u} and ${w}`;
    }
  }
  return null;
}

describe("education: where it stops (property)", () => {
  // Its moves between routes are priced first without time warp, the warp summed only when that could gain; a
  // bound that cut an improving move would leave one here.
  it("leaves no move between routes among those it looks at that would lower the penalised cost", () => {
    fc.assert(
      fc.property(randomPlans, ({ p, routes, price, seed }) => {
        expect(improvingMove(p, educateRoutes(p, routes, price, seed), price)).toBeNull();
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(tightProblems, fc.integer({ min: 1, max: 1_000 }), fc.constantFrom(0.5, 10, 1_000), (p, seed, warpPrice) => {
        const routes: number[][] = p.vehicles.map(() => []);
        p.jobs.forEach((_, j) => routes[(j * 7 + seed) % p.vehicles.length]!.push(j));
        const price = { warp: warpPrice, load: warpPrice };
        expect(improvingMove(p, educateRoutes(p, routes, price, seed), price)).toBeNull();
      }),
      { numRuns: 100 },
    );
  });
});

describe("route drop: the cost phase's try at one vehicle fewer in the penalised space (property)", () => {
  it("empties one used route into the other used ones: every job once, fixed jobs and skills kept, no vehicle added", () => {
    fc.assert(
      fc.property(randomPlans, fc.boolean(), ({ p, routes, price, seed }, smallest) => {
        const droppable = routes.some((seq) => seq.length > 0 && seq.every((j) => !p.jobs[j]!.fixed));
        const out = dropRouteOf(p, routes, price, seed, smallest);
        if (!droppable) return void expect(out).toBeNull();
        expect(out).not.toBeNull();
        const { routes: after, unassigned } = out!;
        const used = (rs: number[][]) => rs.filter((seq) => seq.length > 0).length;
        expect(used(after)).toBeLessThanOrEqual(used(routes) - 1);
        after.forEach((seq, v) => {
          if (seq.length) expect(routes[v]!.length).toBeGreaterThan(0);
          seq.forEach((j) => {
            const job = p.jobs[j]!;
            if (job.fixed) expect(job.fixed.vehicle).toBe(v);
            else if (job.allowed) expect(job.allowed).toContain(v);
          });
        });
        // A job is left out only when no other used vehicle may do it.
        for (const j of unassigned) {
          const job = p.jobs[j]!;
          expect(job.fixed).toBeUndefined();
          const others = after.map((seq, v) => v).filter((v) => after[v]!.length > 0);
          expect(others.some((v) => !job.allowed || job.allowed.includes(v))).toBe(false);
        }
        expect(
          after
            .flat()
            .concat(unassigned)
            .sort((a, b) => a - b),
        ).toEqual(routes.flat().sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });
});

/** Whether vehicle v's route `seq` keeps every window (a fixed job: its start), the shift and the capacity, recomputed. */
const keeps = (p: VrpProblem, v: number, seq: readonly number[]) =>
  pricedRoute(p, v, seq, { warp: 1, load: 1 }) === pricedRoute(p, v, seq, { warp: 0, load: 0 });

/** Every subset of `items` with at most `k` members. */
function subsets<T>(items: readonly T[], k: number): T[][] {
  const out: T[][] = [[]];
  for (const x of items) for (const s of out.slice()) if (s.length < k) out.push([...s, x]);
  return out;
}

/**
 * By enumeration: the least penalty sum of at most `ejectLimit(length)` (5 on routes of up to 16 jobs) flexible jobs of
 * one used route whose removal lets `j` into that route somewhere (windows, shift and capacity kept); null when there
 * is none.
 */
function leastEjection(p: VrpProblem, routes: number[][], j: number, penalty: readonly number[]): number | null {
  let least = Infinity;
  routes.forEach((seq, v) => {
    const allowed = p.jobs[j]!.allowed;
    if (!seq.length || (allowed && !allowed.includes(v))) return;
    for (const out of subsets(
      seq.filter((x) => !p.jobs[x]!.fixed),
      ejectLimit(seq.length),
    )) {
      const sum = out.reduce((a, x) => a + penalty[x]!, 0);
      if (sum >= least) continue;
      const rest = seq.filter((x) => !out.includes(x));
      for (let at = 0; at <= rest.length; at++)
        if (keeps(p, v, [...rest.slice(0, at), j, ...rest.slice(at)])) {
          least = sum;
          break;
        }
    }
  });
  return least === Infinity ? null : least;
}

/** Vehicle `v`'s route `seq` keeps its windows, shift and capacity, every fixed job on its vehicle and every skill. */
function expectKept(p: VrpProblem, v: number, seq: readonly number[]): void {
  expect(keeps(p, v, seq)).toBe(true);
  for (const x of seq) {
    const job = p.jobs[x]!;
    if (job.fixed) expect(v).toBe(job.fixed.vehicle);
    else if (job.allowed) expect(job.allowed).toContain(v);
  }
}

/**
 * A short solve of `p` (routes by vehicle), with one served flexible job (the `pick`-th) taken out of its route
 * as if pooled: the rest stays on time, since travel times keep the triangle inequality. Null when no flexible
 * job is served.
 */
function planWithoutOne(p: VrpProblem, seed: number, pick: number): { routes: number[][]; j: number } | null {
  const planned = solveVrptw(p, { budgetMs: 60_000, seed, maxIterations: 30 });
  const routes: number[][] = p.vehicles.map(() => []);
  for (const r of planned.routes) routes[r.vehicle] = r.jobs.slice();
  const served = routes.flat().filter((x) => !p.jobs[x]!.fixed);
  if (!served.length) return null;
  const j = served[pick % served.length]!;
  const from = routes.findIndex((seq) => seq.includes(j));
  routes[from] = routes[from]!.filter((x) => x !== j);
  return { routes, j };
}

describe("route elimination: the ejection that makes room for a pooled job (property, against enumeration)", () => {
  it("ejects at most 5 flexible jobs of one route (fewer from long ones) with the least penalty sum, keeps that route's windows and touches no other", () => {
    fc.assert(
      fc.property(
        fc.oneof(problems, tightProblems),
        fc.integer({ min: 1, max: 1_000 }),
        fc.nat(),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 25, maxLength: 25 }),
        (p, seed, pick, draws) => {
          const pooled = planWithoutOne(p, seed, pick);
          if (!pooled) return;
          const { routes, j } = pooled;
          const penalty = p.jobs.map((_, x) => draws[x % draws.length]!);

          const least = leastEjection(p, routes, j, penalty);
          const out = ejectInto(p, routes, j, penalty, seed);
          if (least === null) return void expect(out).toBeNull();
          expect(out).not.toBeNull();
          const { routes: after, ejected } = out!;
          expect(ejected.length).toBeLessThanOrEqual(5);
          expect(ejected.reduce((a, x) => a + penalty[x]!, 0)).toBe(least);
          const v = after.findIndex((seq) => seq.includes(j));
          expect(v).toBeGreaterThanOrEqual(0);
          expect(ejected.length).toBeLessThanOrEqual(ejectLimit(routes[v]!.length));
          if (p.jobs[j]!.allowed) expect(p.jobs[j]!.allowed).toContain(v);
          expect(keeps(p, v, after[v]!)).toBe(true);
          for (const x of ejected) expect(p.jobs[x]!.fixed).toBeUndefined();
          // The route lost exactly the ejected jobs, in the same order otherwise; every other route is as it was.
          expect(after[v]!.filter((x) => x !== j)).toEqual(routes[v]!.filter((x) => !ejected.includes(x)));
          after.forEach((seq, u) => {
            if (u !== v) expect(seq).toEqual(routes[u]);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("ejects up to 5 jobs when that is what it takes, never 6, and prefers two rarely stuck jobs to one often stuck", () => {
    // One vehicle at one place: only capacity binds. Jobs 0–5 weigh 1 each, job 6 weighs 4, job 7 is the pooled one.
    const problem = (capacity: number, weight: number): VrpProblem => ({
      time: [0],
      size: 1,
      vehicles: [{ start: 0, end: 0, earliest: 0, latest: 100, capacity }],
      jobs: [1, 1, 1, 1, 1, 1, 4, weight].map((demand) => ({ location: 0, earliest: 0, latest: 100, service: 1, demand })),
    });
    const ones = [1, 1, 1, 1, 1, 1, 1, 1];
    // Room for 5 only by ejecting all five light jobs.
    expect(ejectInto(problem(5, 5), [[0, 1, 2, 3, 4]], 7, ones)!.ejected.sort()).toEqual([0, 1, 2, 3, 4]);
    // Six would have to go: no ejection lets it in.
    expect(ejectInto(problem(6, 6), [[0, 1, 2, 3, 4, 5]], 7, ones)).toBeNull();
    // Room for 4 in a full route of 8: the heavy job (stuck 5 times) or four light ones (stuck once each) cost 5 or 4.
    const out = ejectInto(problem(8, 4), [[0, 1, 2, 3, 6]], 7, [1, 1, 1, 1, 1, 1, 5, 1]);
    expect(out!.ejected.sort()).toEqual([0, 1, 2, 3]);
    expect(out!.routes[0]!.sort()).toEqual([6, 7]);
  });

  it("finds a place that only a shortcut reaches when travel times break the triangle inequality", () => {
    // Places: 0 home, 1 job a, 2 the pooled job j (due by 10), 3 job b. From a to j directly takes 100, through b 2:
    // j fits only after b, which a search that took the times for a metric would cut off once j was late after a.
    const t = [
      [0, 1, 100, 5],
      [5, 0, 100, 1],
      [5, 5, 0, 5],
      [5, 5, 1, 0],
    ];
    const p: VrpProblem = {
      time: t.flat(),
      size: 4,
      vehicles: [{ start: 0, end: 0, earliest: 0, latest: 1_000 }],
      jobs: [
        { location: 1, earliest: 0, latest: 100, service: 0 },
        { location: 3, earliest: 0, latest: 100, service: 0 },
        { location: 2, earliest: 0, latest: 10, service: 0 },
      ],
    };
    expect(ejectInto(p, [[0, 1]], 2, [1, 1, 1])).toEqual({ routes: [[0, 1, 2]], ejected: [] });
  });

  it("ejects fewer from long routes: at most as many as keep the sets of ejectable jobs within 5,000", () => {
    expect([1, 5, 16, 17, 20, 21, 32, 33, 100, 150].map((len) => ejectLimit(len))).toEqual([5, 5, 5, 4, 4, 3, 3, 2, 2, 1]);
  });
});

describe("route elimination: the squeeze that puts a pooled job in and repairs the routes", () => {
  it("repairs a route by moving one of its own jobs when no other route can help", () => {
    // One technician on a street (places at 0 home, 14, 12, 12, 7): a at 14 from 15 to 26, b at 12 from 9 to 17,
    // c at 12 at 23 sharp; the pooled job d at 7 from 11 to 18 fits nowhere in a, b, c (checked below). Put first
    // and a moved after b, every window holds: d 11, b 16, a 18, c 23.
    const at = [0, 14, 12, 12, 7];
    const p: VrpProblem = {
      time: at.flatMap((x) => at.map((y) => Math.abs(x - y))),
      size: at.length,
      vehicles: [{ start: 0, end: 0, earliest: 0, latest: 100 }],
      jobs: [
        { location: 1, earliest: 15, latest: 26, service: 0 },
        { location: 2, earliest: 9, latest: 17, service: 0 },
        { location: 3, earliest: 23, latest: 23, service: 0 },
        { location: 4, earliest: 11, latest: 18, service: 0 },
      ],
    };
    expect(keeps(p, 0, [0, 1, 2])).toBe(true);
    for (let i = 0; i <= 3; i++) expect(keeps(p, 0, [...[0, 1, 2].slice(0, i), 3, ...[0, 1, 2].slice(i)])).toBe(false);
    const out = squeezeInto(p, [[0, 1, 2]], 3);
    expect(out).not.toBeNull();
    expect(keeps(p, 0, out![0]!)).toBe(true);
    expect(out![0]!.slice().sort()).toEqual([0, 1, 2, 3]);
  });

  it("either fails or returns routes that keep every window, shift, capacity, skill and fixed job, with every job once (property)", () => {
    let repaired = 0;
    fc.assert(
      fc.property(fc.oneof(problems, tightProblems), fc.integer({ min: 1, max: 1_000 }), fc.nat(), (p, seed, pick) => {
        const pooled = planWithoutOne(p, seed, pick);
        if (!pooled) return;
        const { routes, j } = pooled;
        const out = squeezeInto(p, routes, j, seed);
        if (!out) return;
        out.forEach((seq, v) => expectKept(p, v, seq));
        expect(out.flat().sort((a, b) => a - b)).toEqual([...routes.flat(), j].sort((a, b) => a - b));
        repaired++;
      }),
      { numRuns: 200 },
    );
    expect(repaired).toBeGreaterThan(20);
  });
});

describe("the squeeze's and the education's working arrays, reused from call to call", () => {
  // They are kept in the search between calls; whatever a call leaves in them must not change a later call's choices.
  it("give the same plans as new arrays for each call, over a series of plans of one problem (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(problems, tightProblems),
        fc.integer({ min: 1, max: 1_000 }),
        fc.array(fc.nat(), { minLength: 2, maxLength: 12 }),
        fc.constantFrom(0.5, 10, 1_000),
        (p, seed, picks, warpPrice) => {
          // Half the plans a served plan without one job (squeezed back in), half every job on a vehicle it may use,
          // windows and capacity broken as it falls (educated only); some routes of each touched by the iteration.
          const plans = picks.map((pick, i) => {
            const touched = p.vehicles.map((_, v) => v).filter((v) => (pick >> v) & 1);
            const pooled = i % 2 ? null : planWithoutOne(p, seed, pick);
            if (pooled) return { ...pooled, touched };
            return { routes: spread(p, (_, j) => pick + j), j: -1, touched };
          });
          const price = { warp: warpPrice, load: warpPrice };
          const reused = squeezeAndEducateInTurn(p, plans, price, seed, false);
          expect(reused).toEqual(squeezeAndEducateInTurn(p, plans, price, seed, true));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("route elimination: the perturbation (property)", () => {
  it("keeps every route feasible, every job once, fixed jobs on their vehicles and skills, and moves jobs", () => {
    let moved = 0;
    fc.assert(
      fc.property(fc.oneof(problems, tightProblems), fc.integer({ min: 1, max: 1_000 }), (p, seed) => {
        const planned = solveVrptw(p, { budgetMs: 60_000, seed, maxIterations: 30 });
        const routes: number[][] = p.vehicles.map(() => []);
        for (const r of planned.routes) routes[r.vehicle] = r.jobs.slice();
        const after = perturbRoutes(p, routes, 200, seed);
        after.forEach((seq, v) => {
          expectKept(p, v, seq);
          // No route is emptied.
          if (routes[v]!.length) expect(seq.length).toBeGreaterThan(0);
        });
        expect(after.flat().sort((a, b) => a - b)).toEqual(routes.flat().sort((a, b) => a - b));
        if (JSON.stringify(after) !== JSON.stringify(routes)) moved++;
      }),
      { numRuns: 200 },
    );
    // The checks let moves through: most plans with two routes or more change.
    expect(moved).toBeGreaterThan(50);
  });
});

describe("route elimination: stopping and going on (the fleet minimisation resumes where its time share ended)", () => {
  it("ends where an elimination that never stopped ends, after any number of rounds and however often it stopped", () => {
    // A plan of RC105 with 14 vehicles (its best-known is 13): from it, one elimination takes a few hundred rounds.
    const p = parseSolomon(rc105);
    const planned = solveVrptw(p, { budgetMs: 600_000, seed: 4, maxIterations: 1_000 });
    expect(planned.vehicles).toBe(14);
    const routes: number[][] = p.vehicles.map(() => []);
    for (const r of planned.routes) routes[r.vehicle] = r.jobs.slice();

    const whole = eliminateInSteps(p, routes, 100_000, Infinity)!;
    // It succeeds: one vehicle fewer, every job once, every route feasible.
    expect(whole.done).toBe(true);
    expect(whole.rounds).toBeGreaterThan(100);
    expect(whole.pool).toEqual([]);
    expect(whole.routes.filter((r) => r.length).length).toBe(13);
    whole.routes.forEach((seq, v) => expect(keeps(p, v, seq)).toBe(true));
    expect(whole.routes.flat().sort((a, b) => a - b)).toEqual(p.jobs.map((_, j) => j));
    for (const every of [1, 7, 50]) expect(eliminateInSteps(p, routes, 100_000, every)).toEqual(whole);
    // Cut short, it stands with jobs in the pool; stopping on the way changes nothing there either.
    for (const rounds of [Math.floor(whole.rounds / 3), Math.floor((2 * whole.rounds) / 3)]) {
      const cut = eliminateInSteps(p, routes, rounds, Infinity)!;
      expect(cut.done).toBeNull();
      expect(cut.pool.length).toBeGreaterThan(0);
      expect(cut.routes.flat().length + cut.pool.length).toBe(p.jobs.length);
      for (const every of [1, 5]) expect(eliminateInSteps(p, routes, rounds, every)).toEqual(cut);
    }
  });
});
