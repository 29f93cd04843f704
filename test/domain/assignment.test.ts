import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { greedyAssignment, hungarian, priorityAssignment, strategyOf, type Assignment } from "../../src/domain/assignment";

/** The best assignment by exhaustive search: most pairs first, then the least total. */
function bruteForce(cost: number[][]): { count: number; total: number } {
  const rows = cost.length;
  const cols = rows === 0 ? 0 : cost[0]!.length;
  let best = { count: 0, total: 0 };
  const used = new Array<boolean>(cols).fill(false);
  const walk = (r: number, count: number, total: number) => {
    if (r === rows) {
      if (count > best.count || (count === best.count && total < best.total - 1e-9)) best = { count, total };
      return;
    }
    walk(r + 1, count, total); // row r left unmatched
    for (let c = 0; c < cols; c++) {
      if (used[c] || !Number.isFinite(cost[r]![c]!)) continue;
      used[c] = true;
      walk(r + 1, count + 1, total + cost[r]![c]!);
      used[c] = false;
    }
  };
  walk(0, 0, 0);
  return best;
}

function expectValid(cost: number[][], a: Assignment) {
  const cols = a.pairs.map((p) => p.col);
  const rows = a.pairs.map((p) => p.row);
  expect(new Set(cols).size).toBe(cols.length);
  expect(new Set(rows).size).toBe(rows.length);
  for (const p of a.pairs) {
    expect(Number.isFinite(cost[p.row]![p.col]!)).toBe(true);
    expect(p.cost).toBe(cost[p.row]![p.col]);
  }
  expect(a.total).toBeCloseTo(
    a.pairs.reduce((s, p) => s + p.cost, 0),
    9,
  );
}

/** Random rows × cols matrices (each side 0..6), some entries forbidden when `forbidden` is set. */
const matrix = (forbidden: boolean) =>
  fc
    .integer({ min: 0, max: 6 })
    .chain((rows) =>
      fc
        .integer({ min: rows === 0 ? 0 : 1, max: 6 })
        .chain((cols) =>
          fc.array(
            fc.array(
              forbidden
                ? fc.oneof(
                    { weight: 3, arbitrary: fc.double({ min: -5, max: 20, noNaN: true }) },
                    { weight: 1, arbitrary: fc.constant(Infinity) },
                  )
                : fc.double({ min: -5, max: 20, noNaN: true }),
              { minLength: cols, maxLength: cols },
            ),
            { minLength: rows, maxLength: rows },
          ),
        ),
    );

/** A dense cost matrix of seeded pseudo-random costs in [0, 1), like 1 − score. */
function seeded(rows: number, cols: number, seed: number): number[][] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
  return Array.from({ length: rows }, () => Array.from({ length: cols }, next));
}

describe("hungarian", () => {
  it("finds the minimum total on a known square matrix", () => {
    const cost = [
      [4, 1, 3],
      [2, 0, 5],
      [3, 2, 2],
    ];
    const a = hungarian(cost);
    expect(a.total).toBe(5);
    expect(a.pairs.map((p) => [p.row, p.col])).toEqual([
      [0, 1],
      [1, 0],
      [2, 2],
    ]);
  });

  it("matches the exhaustive optimum on random matrices of every shape", () => {
    fc.assert(
      fc.property(matrix(false), (cost) => {
        const a = hungarian(cost);
        const best = bruteForce(cost);
        expectValid(cost, a);
        expect(a.pairs).toHaveLength(Math.min(cost.length, cost[0]?.length ?? 0));
        expect(a.total).toBeCloseTo(best.total, 6);
      }),
      { numRuns: 400 },
    );
  });

  it("with forbidden pairs, matches as many rows as possible, then at the least cost", () => {
    fc.assert(
      fc.property(matrix(true), (cost) => {
        const a = hungarian(cost);
        const best = bruteForce(cost);
        expectValid(cost, a);
        expect(a.pairs).toHaveLength(best.count);
        expect(a.total).toBeCloseTo(best.total, 6);
      }),
      { numRuns: 400 },
    );
  });

  it("serves every job it can even when that costs more than leaving one out", () => {
    // Job 0 can only go to technician 0; the cheap pair (1, 0) would strand it.
    const a = hungarian([
      [9, Infinity],
      [1, 8],
    ]);
    expect(a.pairs.map((p) => [p.row, p.col])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(a.total).toBe(17);
  });

  it("handles empty matrices, rows without any allowed column and NaN as forbidden", () => {
    expect(hungarian([])).toEqual({ pairs: [], total: 0 });
    expect(hungarian([[], []])).toEqual({ pairs: [], total: 0 });
    expect(hungarian([[Infinity, NaN]])).toEqual({ pairs: [], total: 0 });
    expect(hungarian([[NaN], [3]]).pairs).toEqual([{ row: 1, col: 0, cost: 3 }]);
  });

  it("refuses a ragged matrix", () => {
    expect(() => hungarian([[1, 2], [3]])).toThrow(RangeError);
    expect(() => greedyAssignment([[1], [2, 3]])).toThrow(RangeError);
  });
});

describe("greedy first-come against the optimum", () => {
  it("first come takes the nearest even when that leaves a later job far away", () => {
    // Jobs at 0, 1.5, 3 km on a line; technicians at 0.25, 1.75 and -1 km.
    const jobs = [0, 1.5, 3];
    const techs = [0.25, 1.75, -1];
    const cost = jobs.map((j) => techs.map((t) => Math.abs(j - t)));
    expect(greedyAssignment(cost).total).toBeCloseTo(4.5, 9);
    expect(hungarian(cost).total).toBeCloseTo(3.5, 9);
  });

  it("the optimum never costs more than greedy, and never serves fewer jobs", () => {
    fc.assert(
      fc.property(matrix(true), (cost) => {
        const g = greedyAssignment(cost);
        const h = hungarian(cost);
        expectValid(cost, g);
        expect(h.pairs.length).toBeGreaterThanOrEqual(g.pairs.length);
        if (h.pairs.length === g.pairs.length) expect(h.total).toBeLessThanOrEqual(g.total + 1e-9);
      }),
      { numRuns: 400 },
    );
  });

  it("on dense matrices both serve min(jobs, technicians) and the optimum total is lower or equal", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.nat(), (rows, cols, seed) => {
        const cost = seeded(rows, cols, seed);
        const g = greedyAssignment(cost);
        const h = hungarian(cost);
        expect(g.pairs).toHaveLength(Math.min(rows, cols));
        expect(h.pairs).toHaveLength(Math.min(rows, cols));
        expect(h.total).toBeLessThanOrEqual(g.total + 1e-9);
      }),
      { numRuns: 60 },
    );
  });
});

describe("strategyOf", () => {
  it("turns batching on only for 'batch'", () => {
    expect(strategyOf("batch")).toBe("batch");
    expect(strategyOf(" Batch ")).toBe("batch");
    expect(strategyOf("greedy")).toBe("greedy");
    expect(strategyOf("")).toBe("greedy");
    expect(strategyOf(undefined)).toBe("greedy");
    expect(strategyOf("optimal")).toBe("greedy");
  });
});

describe("priority rows (priority dispatch)", () => {
  it("gives the contested column to the priority row even when the other way round is cheaper in total", () => {
    // Both jobs want technician 0; row 1 loses less by moving, so the plain optimum sends row 0 away.
    const cost = [
      [0.1, 0.9],
      [0.2, 0.3],
    ];
    expect(hungarian(cost).pairs.map((p) => p.col)).toEqual([0, 1]);
    expect(priorityAssignment(cost, [false, true]).pairs.map((p) => [p.row, p.col])).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it("without priority rows is exactly the plain optimum (property)", () => {
    fc.assert(
      fc.property(matrix(true), (cost) => {
        expect(
          priorityAssignment(
            cost,
            cost.map(() => false),
          ),
        ).toEqual(hungarian(cost));
      }),
    );
  });

  it("is a valid assignment whose priority rows fare as well as if they were alone (property)", () => {
    fc.assert(
      fc.property(
        matrix(true).chain((cost) =>
          fc.tuple(fc.constant(cost), fc.array(fc.boolean(), { minLength: cost.length, maxLength: cost.length })),
        ),
        ([cost, priority]) => {
          const a = priorityAssignment(cost, priority);
          expectValid(cost, a);
          const alone = bruteForce(cost.map((row, i) => (priority[i] ? row : row.map(() => Infinity))));
          const mine = a.pairs.filter((p) => priority[p.row]);
          expect(mine).toHaveLength(alone.count);
          expect(mine.reduce((s, p) => s + p.cost, 0)).toBeCloseTo(alone.total, 6);
          // the other rows get the optimum of the columns left
          const taken = new Set(mine.map((p) => p.col));
          const rest = bruteForce(
            cost.map((row, i) => (priority[i] ? row.map(() => Infinity) : row.map((v, j) => (taken.has(j) ? Infinity : v)))),
          );
          const theirs = a.pairs.filter((p) => !priority[p.row]);
          expect(theirs).toHaveLength(rest.count);
          expect(theirs.reduce((s, p) => s + p.cost, 0)).toBeCloseTo(rest.total, 6);
        },
      ),
    );
  });
});
