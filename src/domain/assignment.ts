/**
 * Matching jobs to technicians. A cost matrix has one row per job and one column per technician;
 * a non-finite entry (Infinity, NaN) means that technician cannot take that job. Each technician
 * takes at most one job and each job at most one technician.
 */

export interface Pair {
  row: number;
  col: number;
  cost: number;
}

export interface Assignment {
  /** The matched pairs, by row. Forbidden pairs never appear. */
  pairs: Pair[];
  /** Sum of the pairs' costs. */
  total: number;
}

/** How pending auto jobs are dispatched: one by one as they come, or in periodic batches. */
export type DispatchStrategy = "greedy" | "batch";

/** DISPATCH_STRATEGY: "batch" turns batching on; anything else keeps first-come dispatch. */
export function strategyOf(value: string | undefined): DispatchStrategy {
  return value?.trim().toLowerCase() === "batch" ? "batch" : "greedy";
}

function dimensions(cost: readonly (readonly number[])[]): { rows: number; cols: number } {
  const rows = cost.length;
  const cols = rows === 0 ? 0 : cost[0]!.length;
  if (cost.some((r) => r.length !== cols)) throw new RangeError("every row of a cost matrix must have the same length");
  return { rows, cols };
}

function result(cost: readonly (readonly number[])[], matched: [number, number][]): Assignment {
  const pairs = matched
    .filter(([r, c]) => Number.isFinite(cost[r]![c]!))
    .map(([row, col]) => ({ row, col, cost: cost[row]![col]! }))
    .sort((a, b) => a.row - b.row);
  return { pairs, total: pairs.reduce((s, p) => s + p.cost, 0) };
}

/**
 * First come, first served: each row in order takes its cheapest column still free (lowest index
 * on ties). This is what dispatching jobs one by one amounts to.
 */
export function greedyAssignment(cost: readonly (readonly number[])[]): Assignment {
  const { cols } = dimensions(cost);
  const taken = new Uint8Array(cols);
  const matched: [number, number][] = [];
  cost.forEach((row, r) => {
    let best = -1;
    for (let c = 0; c < cols; c++) {
      if (taken[c] || !Number.isFinite(row[c]!)) continue;
      if (best < 0 || row[c]! < row[best]!) best = c;
    }
    if (best >= 0) {
      taken[best] = 1;
      matched.push([r, best]);
    }
  });
  return result(cost, matched);
}

/**
 * Minimum-cost assignment (Hungarian method, Kuhn–Munkres with potentials, O(n²·m) for n ≤ m).
 * Rectangular matrices are fine. With forbidden pairs it first matches as many rows as possible,
 * then minimises the total cost among those matchings.
 */
export function hungarian(cost: readonly (readonly number[])[]): Assignment {
  const { rows, cols } = dimensions(cost);
  if (rows === 0 || cols === 0) return { pairs: [], total: 0 };
  // The method wants no more rows than columns: solve the transpose when there are more jobs.
  const flip = rows > cols;
  const n = flip ? cols : rows;
  const m = flip ? rows : cols;
  const at = flip ? (i: number, j: number) => cost[j]![i]! : (i: number, j: number) => cost[i]![j]!;

  // Forbidden pairs become one large finite cost, larger than any difference in allowed costs over
  // a whole assignment, so using one forbidden pair fewer always wins over any saving in cost.
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      const v = at(i, j);
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  if (lo === Infinity) return { pairs: [], total: 0 };
  const forbidden = (n + 1) * (hi - lo) + 1;
  const a = new Float64Array((n + 1) * (m + 1));
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      const v = at(i, j);
      a[(i + 1) * (m + 1) + j + 1] = Number.isFinite(v) ? v - lo : forbidden;
    }

  // Rows and columns are 1-based below; column 0 is the method's virtual start.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j]: row matched to column j (0 = none)
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      const base = i0 * (m + 1);
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = a[base + j]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!] = u[p[j]!]! + delta;
          v[j] = v[j]! - delta;
        } else {
          minv[j] = minv[j]! - delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }

  const matched: [number, number][] = [];
  for (let j = 1; j <= m; j++) {
    if (p[j] === 0) continue;
    const i = p[j]! - 1;
    matched.push(flip ? [j - 1, i] : [i, j - 1]);
  }
  return result(cost, matched);
}

/**
 * Minimum-cost assignment with priority rows (jobs of customers whose membership level carries
 * priority dispatch): the priority rows are matched first, as a minimum-cost assignment among
 * themselves over every column, then the other rows over the columns left. A priority row thus
 * gets the column it would get if the other rows were not there, even where giving it to another
 * row would make the total cheaper. With no priority row this is exactly `hungarian(cost)`.
 */
export function priorityAssignment(cost: readonly (readonly number[])[], priority: readonly boolean[]): Assignment {
  if (!priority.some(Boolean)) return hungarian(cost);
  const rowsOf = (want: boolean) => cost.flatMap((_, i) => (Boolean(priority[i]) === want ? [i] : []));
  const solve = (rows: number[], taken: ReadonlySet<number>): Pair[] =>
    hungarian(rows.map((i) => cost[i]!.map((v, j) => (taken.has(j) ? Infinity : v)))).pairs.map((p) => ({ ...p, row: rows[p.row]! }));
  const first = solve(rowsOf(true), new Set());
  const pairs = [...first, ...solve(rowsOf(false), new Set(first.map((p) => p.col)))].sort((a, b) => a.row - b.row);
  return { pairs, total: pairs.reduce((s, p) => s + p.cost, 0) };
}
