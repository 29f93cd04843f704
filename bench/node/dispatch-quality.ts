/**
 * W6 (the scoring half of a dispatch decision) and W7 (batched assignment), timed in Node where the
 * clock runs during computation (inside workerd it only moves on I/O). W7 compares the batch
 * strategy (`hungarian`, src/domain/assignment.ts) and one-by-one dispatch (`greedyAssignment`)
 * with the exact optimum from an independent solver: HiGHS (npm `highs`) on the assignment LP,
 * whose optimum is integral because the constraint matrix is totally unimodular.
 */
import highsModule from "highs";
import { greedyAssignment, hungarian } from "../../src/domain/assignment.ts";
import { DEFAULT_WEIGHTS, rank, type CandidateFacts } from "../../src/domain/dispatch.ts";
import { percentiles } from "./load.ts";

// The package's types describe its ES module, which TypeScript reads as CommonJS under nodenext.
const highsLoader = highsModule as unknown as typeof highsModule.default;

/** Small deterministic PRNG (mulberry32): the same instances every run. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const time = <T>(fn: () => T): [T, number] => {
  const t = performance.now();
  const out = fn();
  return [out, performance.now() - t];
};

/** The result of `fn` and its median time over `reps` runs after one warm-up run (JIT). */
function median<T>(fn: () => T, reps: number): [T, number] {
  const [out] = time(fn);
  const ms = Array.from({ length: reps }, () => time(fn)[1]).sort((a, b) => a - b);
  return [out, ms[Math.floor(reps / 2)]!];
}

/** Scoring and ranking `n` candidates (what the Worker does after the cells answer). */
export function rankTimes(sizes: number[], runs: number) {
  return sizes.map((n) => {
    const rnd = prng(n);
    const facts: CandidateFacts[] = Array.from({ length: n }, (_, i) => ({
      technicianId: `t${i}`,
      travelKm: rnd() * 25,
      ratingX100: 300 + Math.floor(rnd() * 200),
      jobsThatDay: Math.floor(rnd() * 6),
      weekEarnings: Math.floor(rnd() * 500_000),
      acceptanceRate: rnd() < 0.2 ? null : rnd(),
      favourite: rnd() < 0.05,
    }));
    const ms: number[] = [];
    for (let r = 0; r < runs; r++) ms.push(time(() => rank(facts, DEFAULT_WEIGHTS))[1]);
    return { candidates: n, runs, rankMs: percentiles(ms.map((x) => Math.round(x * 1000) / 1000)) };
  });
}

/**
 * A batch: `jobs` pending jobs and twice as many free technicians spread over a 20 km square;
 * cost = travel minutes (straight line × 1.4 road factor at 25 km/h, as the cells estimate it);
 * a technician more than 8 km away, or without the job's skill (one in ten), cannot take it.
 */
function instance(jobs: number, seed: number): number[][] {
  const rnd = prng(seed);
  const point = () => ({ x: rnd() * 20, y: rnd() * 20 });
  const J = Array.from({ length: jobs }, point);
  const T = Array.from({ length: jobs * 2 }, point);
  return J.map((j) =>
    T.map((t) => {
      const km = Math.hypot(j.x - t.x, j.y - t.y);
      return km > 8 || rnd() < 0.1 ? Infinity : ((km * 1.4) / 25) * 60;
    }),
  );
}

/** The exact optimum with HiGHS: as many jobs matched as possible, then the least total cost. */
function optimum(highs: Awaited<ReturnType<typeof highsLoader>>, cost: number[][], mustMatch: number) {
  const vars: string[] = [];
  const objective: string[] = [];
  const rows = cost.map(() => [] as string[]);
  const cols = cost[0]!.map(() => [] as string[]);
  cost.forEach((row, i) =>
    row.forEach((c, j) => {
      if (!Number.isFinite(c)) return;
      const v = `x${i}_${j}`;
      vars.push(v);
      objective.push(`${c.toFixed(6)} ${v}`);
      rows[i]!.push(v);
      cols[j]!.push(v);
    }),
  );
  const lp = [
    "Minimize",
    ` obj: ${objective.join(" + ")}`,
    "Subject To",
    ...rows.filter((r) => r.length).map((r, i) => ` j${i}: ${r.join(" + ")} <= 1`),
    ...cols.filter((c) => c.length).map((c, j) => ` t${j}: ${c.join(" + ")} <= 1`),
    ` matched: ${vars.join(" + ")} >= ${mustMatch}`,
    "End",
  ].join("\n");
  const [solution, ms] = time(() => highs.solve(lp));
  if (solution.Status !== "Optimal") throw new Error(`HiGHS: ${solution.Status}`);
  const values = Object.values(solution.Columns).map((c) => ("Primal" in c ? c.Primal : 0));
  const fractional = values.filter((x) => Math.abs(x - Math.round(x)) > 1e-6).length;
  return { total: solution.ObjectiveValue, matched: Math.round(values.reduce((s, x) => s + x, 0)), fractional, ms };
}

/** W7 over `seeds` instances per batch size (solve times: median of five runs after a warm-up). */
export async function batchAssignment(sizes: number[], seeds: number) {
  const highs = await highsLoader();
  return sizes.map((jobs) => {
    const rows = [];
    for (let s = 0; s < seeds; s++) {
      const cost = instance(jobs, jobs * 1000 + s);
      const [batch, batchMs] = median(() => hungarian(cost), 5);
      const [greedy, greedyMs] = median(() => greedyAssignment(cost), 5);
      // The optimum must match as many jobs as the batch does (the most possible), so totals compare like with like.
      const exact = optimum(highs, cost, batch.pairs.length);
      rows.push({ seed: s, batch, batchMs, greedy, greedyMs, exact });
    }
    const gap = (a: number, b: number) => (b > 0 ? ((a - b) / b) * 100 : 0);
    const comparable = rows.filter((r) => r.greedy.pairs.length === r.exact.matched);
    const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);
    return {
      jobs,
      technicians: jobs * 2,
      instances: seeds,
      matched: {
        batch: mean(rows.map((r) => r.batch.pairs.length)),
        greedy: mean(rows.map((r) => r.greedy.pairs.length)),
        optimum: mean(rows.map((r) => r.exact.matched)),
      },
      travelMinutes: {
        batch: Math.round(mean(rows.map((r) => r.batch.total))),
        greedy: Math.round(mean(rows.map((r) => r.greedy.total))),
        optimum: Math.round(mean(rows.map((r) => r.exact.total))),
      },
      solveMs: {
        batch: Math.round(mean(rows.map((r) => r.batchMs)) * 100) / 100,
        greedy: Math.round(mean(rows.map((r) => r.greedyMs)) * 1000) / 1000,
        optimum: Math.round(mean(rows.map((r) => r.exact.ms))),
      },
      gapPercent: {
        /** Mean over instances where greedy matched as many jobs as the optimum. */
        greedyVsOptimum: Math.round(mean(comparable.map((r) => gap(r.greedy.total, r.exact.total))) * 100) / 100,
        greedyVsOptimumMax: Math.round(Math.max(0, ...comparable.map((r) => gap(r.greedy.total, r.exact.total))) * 100) / 100,
        batchVsOptimum: Math.round(mean(rows.map((r) => gap(r.batch.total, r.exact.total))) * 10_000) / 10_000,
      },
      greedyMatchedFewer: rows.length - comparable.length,
      lpFractionalValues: rows.reduce((s, r) => s + r.exact.fractional, 0),
    };
  });
}
