/**
 * Day routes: a vehicle routing solver with time windows (VRPTW).
 *
 * One vehicle per technician (own start, end, shift and optional capacity), jobs with a service-start
 * window, a duration, an optional demand, optional allowed vehicles (skills) and optional fixed
 * placement (vehicle and start, never moved). Objective, in order: fewest unassigned jobs, then
 * `vehicleCost × vehicles used + Σ route cost`.
 *
 * Method: greedy insertion, then ruin and recreate with slack induction by string removals (SISR:
 * Christiaens & Vanden Berghe, Transportation Science 2020) under simulated annealing. When using a
 * vehicle costs something, a fleet-minimisation phase first removes whole routes and repairs with the
 * same ruin and recreate, steered by how often each job stayed out ("absences"). Insertion feasibility
 * is O(1) per position from each route's forward start times and backward latest starts. In fleet
 * minimisation a job that fits nowhere may take the place of a job that has stayed out less often (ejection).
 * Every new best plan is polished by local search (relocate and 2-opt* over the 30 nearest jobs).
 *
 * Deterministic for a given seed as long as the run is bounded by `maxIterations` (or by an injected
 * clock): progress, and so the annealing temperature, is the larger of the time and iteration fractions.
 * Pure: no bindings, usable from the Worker and from Durable Objects.
 */

export interface VrpVehicle {
  /** Location index where the route starts (technician's home, depot). */
  start: number;
  /** Location index where the route ends. */
  end: number;
  /** Shift start, in the time unit of the problem. */
  earliest: number;
  /** Shift end: the vehicle must be back at `end` by then. */
  latest: number;
  /** Capacity; omitted = unlimited. */
  capacity?: number;
}

export interface VrpJob {
  location: number;
  /** Service may start in [earliest, latest]. */
  earliest: number;
  latest: number;
  /** Service duration. */
  service: number;
  demand?: number;
  /** Vehicle indexes that may do the job (skills); omitted = all. */
  allowed?: number[];
  /** A fixed-time job: never moved, never reassigned. */
  fixed?: { vehicle: number; start: number };
}

export interface VrpProblem {
  /** Travel time between location i and j (row-major n×n), same unit as the windows. */
  time: ArrayLike<number>;
  /** Travel cost (distance) between i and j; omitted = `time`. */
  cost?: ArrayLike<number>;
  /** n, the number of locations. */
  size: number;
  vehicles: VrpVehicle[];
  jobs: VrpJob[];
  /** Cost of using one more vehicle (lexicographic vehicles-then-distance = a big number); default 0. */
  vehicleCost?: number;
}

export interface VrpRoute {
  vehicle: number;
  /** Job indexes in visiting order. */
  jobs: number[];
  /** Service start of each job (earliest schedule: leave at shift start, wait where early). */
  starts: number[];
  /** Arrival at the vehicle's end. */
  arrive: number;
  /** Σ cost of the route's legs. */
  cost: number;
}

export interface VrpSolution {
  /** The routes of the vehicles used (a vehicle without jobs has none). */
  routes: VrpRoute[];
  unassigned: number[];
  /** vehicleCost × vehicles + Σ route cost. */
  cost: number;
  vehicles: number;
  /** Every job served and every route within its windows, shift and capacity. */
  feasible: boolean;
  /** Ruin-and-recreate iterations the search ran (for benchmarks). */
  iterations?: number;
}

export interface SolveOptions {
  budgetMs: number;
  seed?: number;
  /** Milliseconds; default Date.now. */
  clock?: () => number;
  maxIterations?: number;
}

/** Tolerance of time comparisons (travel times are doubles, as in the Solomon literature). */
const EPS = 1e-9;
/** Ruin: average number of removed jobs and longest string (SISR's c̄ and Lmax). */
const AVG_REMOVED = 10;
const MAX_STRING = 10;
/** Recreate: probability of skipping an insertion position (SISR's blink rate). */
const BLINK = 0.01;

/** A small fast seeded generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The problem flattened into typed arrays. */
interface Model {
  n: number;
  m: number;
  k: number;
  T: Float64Array;
  C: Float64Array;
  loc: Int32Array;
  e: Float64Array;
  l: Float64Array;
  svc: Float64Array;
  dem: Float64Array;
  fixedVehicle: Int32Array;
  /** allowed[j * k + v] = 1 when vehicle v may do job j. */
  allowed: Uint8Array;
  vStart: Int32Array;
  vEnd: Int32Array;
  vEarly: Float64Array;
  vLate: Float64Array;
  vCap: Float64Array;
  /** Vehicles with the same start, end, shift and capacity share a class: trying one empty one is enough. */
  vClass: Int32Array;
  vehicleCost: number;
  /** Flexible jobs sorted by distance to each job (neighbours first). */
  near: Int32Array[];
  /** Mean distance of the job from the vehicles' starts. */
  depotDist: Float64Array;
  flexible: Int32Array;
}

function model(p: VrpProblem): Model {
  const n = p.size;
  const m = p.jobs.length;
  const k = p.vehicles.length;
  const T = Float64Array.from(p.time);
  const C = p.cost ? Float64Array.from(p.cost) : T;
  const loc = new Int32Array(m);
  const e = new Float64Array(m);
  const l = new Float64Array(m);
  const svc = new Float64Array(m);
  const dem = new Float64Array(m);
  const fixedVehicle = new Int32Array(m).fill(-1);
  const allowed = new Uint8Array(m * k);
  p.jobs.forEach((job, j) => {
    loc[j] = job.location;
    svc[j] = job.service;
    dem[j] = job.demand ?? 0;
    if (job.fixed) {
      // A fixed job on a vehicle that does not exist can only stay unassigned.
      e[j] = l[j] = job.fixed.start;
      if (Number.isInteger(job.fixed.vehicle) && job.fixed.vehicle >= 0 && job.fixed.vehicle < k) {
        fixedVehicle[j] = job.fixed.vehicle;
        allowed[j * k + job.fixed.vehicle] = 1;
      }
    } else {
      e[j] = job.earliest;
      l[j] = job.latest;
      if (job.allowed) for (const v of job.allowed) if (v >= 0 && v < k) allowed[j * k + v] = 1;
      if (!job.allowed) allowed.fill(1, j * k, j * k + k);
    }
  });
  const vStart = Int32Array.from(p.vehicles, (v) => v.start);
  const vEnd = Int32Array.from(p.vehicles, (v) => v.end);
  const vEarly = Float64Array.from(p.vehicles, (v) => v.earliest);
  const vLate = Float64Array.from(p.vehicles, (v) => v.latest);
  const vCap = Float64Array.from(p.vehicles, (v) => v.capacity ?? Infinity);
  const classes = new Map<string, number>();
  const vClass = Int32Array.from(p.vehicles, (v) => {
    const key = `${v.start},${v.end},${v.earliest},${v.latest},${v.capacity ?? ""}`;
    if (!classes.has(key)) classes.set(key, classes.size);
    return classes.get(key)!;
  });
  const flexibleList: number[] = [];
  for (let j = 0; j < m; j++) if (fixedVehicle[j]! < 0) flexibleList.push(j);
  const flexible = Int32Array.from(flexibleList);
  const near = p.jobs.map((_, j) => {
    const others = flexibleList.slice();
    const from = loc[j]! * n;
    others.sort((a, b) => C[from + loc[a]!]! - C[from + loc[b]!]! || a - b);
    return Int32Array.from(others);
  });
  const depotDist = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let v = 0; v < k; v++) s += C[vStart[v]! * n + loc[j]!]!;
    depotDist[j] = k ? s / k : 0;
  }
  return {
    n,
    m,
    k,
    T,
    C,
    loc,
    e,
    l,
    svc,
    dem,
    fixedVehicle,
    allowed,
    vStart,
    vEnd,
    vEarly,
    vLate,
    vCap,
    vClass,
    vehicleCost: p.vehicleCost ?? 0,
    near,
    depotDist,
    flexible,
  };
}

/** One vehicle's route with its schedule data. */
class Route {
  seq: number[] = [];
  /** Service start of each job (forward, earliest). */
  st: number[] = [];
  /** Latest service start of each job that keeps the rest of the route feasible (backward). */
  lat: number[] = [];
  load = 0;
  cost = 0;
  arrive = 0;
  /** Some window or the shift is broken (fixed jobs that cannot all be kept, or a non-metric matrix). */
  bad = false;

  readonly v: number;

  constructor(v: number) {
    this.v = v;
  }

  clone(): Route {
    const r = new Route(this.v);
    r.seq = this.seq.slice();
    r.st = this.st.slice();
    r.lat = this.lat.slice();
    r.load = this.load;
    r.cost = this.cost;
    r.arrive = this.arrive;
    r.bad = this.bad;
    return r;
  }

  update(M: Model): void {
    const { n, T, C, loc, e, l, svc, dem } = M;
    const v = this.v;
    const seq = this.seq;
    const len = seq.length;
    this.st.length = len;
    this.lat.length = len;
    let prev = M.vStart[v]!;
    let depart = M.vEarly[v]!;
    let cost = 0;
    let load = 0;
    let bad = false;
    for (let i = 0; i < len; i++) {
      const j = seq[i]!;
      const at = loc[j]!;
      const s = Math.max(depart + T[prev * n + at]!, e[j]!);
      if (s > l[j]! + EPS) bad = true;
      this.st[i] = s;
      cost += C[prev * n + at]!;
      load += dem[j]!;
      depart = s + svc[j]!;
      prev = at;
    }
    const end = M.vEnd[v]!;
    this.arrive = depart + T[prev * n + end]!;
    cost += C[prev * n + end]!;
    if (this.arrive > M.vLate[v]! + EPS || load > M.vCap[v]! + EPS) bad = true;
    let latest = M.vLate[v]!;
    let next = end;
    for (let i = len - 1; i >= 0; i--) {
      const j = seq[i]!;
      latest = Math.min(l[j]!, latest - svc[j]! - T[loc[j]! * n + next]!);
      this.lat[i] = latest;
      next = loc[j]!;
    }
    this.cost = len ? cost : 0;
    this.load = load;
    this.bad = bad;
  }
}

class Solution {
  routes: Route[];
  unassigned: number[];
  /** Route (= vehicle) index of each job, -1 when unassigned. */
  where: Int32Array;

  constructor(routes: Route[], unassigned: number[], where: Int32Array) {
    this.routes = routes;
    this.unassigned = unassigned;
    this.where = where;
  }

  clone(): Solution {
    return new Solution(this.routes.slice(), this.unassigned.slice(), this.where.slice());
  }

  used(): number {
    let u = 0;
    for (const r of this.routes) if (r.seq.length) u++;
    return u;
  }

  /** Σ cost + vehicleCost × used; broken routes and unassigned jobs are counted apart. */
  cost(M: Model): number {
    let c = 0;
    for (const r of this.routes) if (r.seq.length) c += r.cost + M.vehicleCost;
    return c;
  }

  broken(): number {
    let b = 0;
    for (const r of this.routes) if (r.bad) b++;
    return b;
  }
}

/** Lexicographic objective folded into one number for annealing: broken routes, unassigned jobs, cost. */
function score(M: Model, s: Solution, big: number): number {
  return s.broken() * big * 1e3 + s.unassigned.length * big + s.cost(M);
}

interface Search {
  M: Model;
  rand: () => number;
  /** Copy-on-write: routes of the working solution already cloned in this iteration. */
  owned: Uint8Array;
  /** Positions left until the next blink: blinks are Bernoulli(BLINK) per position, drawn as geometric gaps. */
  blinkIn: number;
  /** Scratch sort keys, one per job. */
  key: Float64Array;
}

/** Positions up to and including the next blink (geometric with parameter BLINK). */
const blinkGap = (rand: () => number) => 1 + Math.floor(Math.log(1 - rand()) / Math.log(1 - BLINK));

function own(S: Search, s: Solution, r: number): Route {
  if (!S.owned[r]) {
    s.routes[r] = s.routes[r]!.clone();
    S.owned[r] = 1;
  }
  return s.routes[r]!;
}

/** SISR ruin: removes strings of jobs from routes near a random seed job; returns the removed jobs. */
function ruin(S: Search, s: Solution, seedJob: number): number[] {
  const { M, rand } = S;
  const removed: number[] = [];
  let assigned = 0;
  let usedRoutes = 0;
  for (const r of s.routes)
    if (r.seq.length) {
      assigned += r.seq.length;
      usedRoutes++;
    }
  if (!usedRoutes) return removed;
  const lsMax = Math.min(MAX_STRING, assigned / usedRoutes);
  const ksMax = (4 * AVG_REMOVED) / (1 + lsMax) - 1;
  const ks = Math.floor(rand() * ksMax) + 1;
  const touched = new Set<number>();
  for (const c of M.near[seedJob]!) {
    if (touched.size >= ks) break;
    const ri = s.where[c]!;
    if (ri < 0 || touched.has(ri)) continue;
    touched.add(ri);
    const route = own(S, s, ri);
    const len = route.seq.length;
    const pos = route.seq.indexOf(c);
    const lMax = Math.min(len, lsMax);
    const l = Math.floor(rand() * lMax) + 1;
    let from: number;
    let to: number;
    let keepFrom = -1;
    let keepTo = -1;
    if (l === len || rand() < 0.5) {
      const lo = Math.max(0, pos - l + 1);
      const hi = Math.min(pos, len - l);
      from = lo + Math.floor(rand() * (hi - lo + 1));
      to = from + l;
    } else {
      let keep = 1;
      while (l + keep < len && rand() < 0.5) keep++;
      const span = l + keep;
      const lo = Math.max(0, pos - span + 1);
      const hi = Math.min(pos, len - span);
      from = lo + Math.floor(rand() * (hi - lo + 1));
      to = from + span;
      keepFrom = from + Math.floor(rand() * (span - keep + 1));
      keepTo = keepFrom + keep;
    }
    const kept: number[] = [];
    for (let i = 0; i < len; i++) {
      const j = route.seq[i]!;
      const inString = i >= from && i < to && !(i >= keepFrom && i < keepTo);
      if (inString && M.fixedVehicle[j]! < 0) {
        removed.push(j);
        s.where[j] = -1;
      } else kept.push(j);
    }
    route.seq = kept;
    route.update(M);
  }
  return removed;
}

/**
 * Best insertion of each job in turn (positions skipped at the blink rate). `open`: whether an empty
 * vehicle may be started. Jobs that fit nowhere go to `s.unassigned`, unless `absences` is given and
 * `eject` can swap them in for a job that has stayed out less often.
 */
function recreate(S: Search, s: Solution, jobs: number[], open: boolean, absences?: Int32Array): void {
  const { M, rand } = S;
  const { n, T, C, loc, e, l, svc, dem, vStart, vEnd, vEarly, vLate, vCap, k } = M;
  const classTried = new Int32Array(Math.max(1, k)).fill(-1);
  let stamp = 0;
  for (const j of jobs) {
    stamp++;
    let best = Infinity;
    let bestRoute = -1;
    let bestPos = -1;
    const at = loc[j]!;
    const ej = e[j]!;
    const lj = l[j]!;
    const sj = svc[j]!;
    const dj = dem[j]!;
    for (let ri = 0; ri < s.routes.length; ri++) {
      const route = s.routes[ri]!;
      const v = route.v;
      if (!M.allowed[j * k + v]) continue;
      if (route.load + dj > vCap[v]! + EPS) continue;
      const len = route.seq.length;
      if (!len) {
        if (!open) continue;
        const cls = M.vClass[v]!;
        if (classTried[cls] === stamp) continue;
        classTried[cls] = stamp;
      }
      const seq = route.seq;
      const st = route.st;
      const lat = route.lat;
      let prevLoc = vStart[v]!;
      let prevDepart = vEarly[v]!;
      const extra = len ? 0 : M.vehicleCost;
      for (let p = 0; p <= len; p++) {
        if (p > 0) {
          const q = seq[p - 1]!;
          prevLoc = loc[q]!;
          prevDepart = st[p - 1]! + svc[q]!;
        }
        const start = Math.max(prevDepart + T[prevLoc * n + at]!, ej);
        if (start > lj + EPS) break; // later positions only start later
        if (--S.blinkIn === 0) {
          S.blinkIn = blinkGap(rand);
          continue;
        }
        const nextLoc = p === len ? vEnd[v]! : loc[seq[p]!]!;
        const arriveNext = start + sj + T[at * n + nextLoc]!;
        if (p === len) {
          if (arriveNext > vLate[v]! + EPS) continue;
        } else if (Math.max(arriveNext, e[seq[p]!]!) > lat[p]! + EPS) continue;
        const delta = C[prevLoc * n + at]! + C[at * n + nextLoc]! - C[prevLoc * n + nextLoc]! + extra;
        if (delta < best) {
          best = delta;
          bestRoute = ri;
          bestPos = p;
        }
      }
    }
    if (bestRoute < 0) {
      if (!absences || !eject(S, s, j, absences)) s.unassigned.push(j);
      continue;
    }
    const route = own(S, s, bestRoute);
    route.seq.splice(bestPos, 0, j);
    route.update(M);
    s.where[j] = bestRoute;
  }
}

/**
 * Ejection (fleet minimisation): puts job `j`, which fits nowhere, in the place of one flexible job that has
 * stayed out less often than `j` (fewest absences first, then the cheapest swap); the ejected job goes to
 * `s.unassigned`. The swap keeps every window, the shift and the capacity (checked in O(1) per position from
 * the route's forward starts and backward latest starts). Returns whether `j` was placed.
 */
function eject(S: Search, s: Solution, j: number, absences: Int32Array): boolean {
  const { M } = S;
  const { n, T, C, loc, e, l, svc, dem, vStart, vEnd, vEarly, vLate, vCap, k } = M;
  const at = loc[j]!;
  const limit = absences[j]!;
  let bestAbs = limit;
  let bestDelta = Infinity;
  let bestRoute = -1;
  let bestPos = -1;
  for (let ri = 0; ri < s.routes.length; ri++) {
    const route = s.routes[ri]!;
    const v = route.v;
    const len = route.seq.length;
    if (!len || !M.allowed[j * k + v]) continue;
    const seq = route.seq;
    for (let i = 0; i < len; i++) {
      const q = seq[i]!;
      if (M.fixedVehicle[q]! >= 0 || absences[q]! > bestAbs) continue;
      if (route.load - dem[q]! + dem[j]! > vCap[v]! + EPS) continue;
      const prevLoc = i ? loc[seq[i - 1]!]! : vStart[v]!;
      const prevDepart = i ? route.st[i - 1]! + svc[seq[i - 1]!]! : vEarly[v]!;
      const start = Math.max(prevDepart + T[prevLoc * n + at]!, e[j]!);
      if (start > l[j]! + EPS) continue;
      const nextLoc = i === len - 1 ? vEnd[v]! : loc[seq[i + 1]!]!;
      const arriveNext = start + svc[j]! + T[at * n + nextLoc]!;
      if (i === len - 1) {
        if (arriveNext > vLate[v]! + EPS) continue;
      } else if (Math.max(arriveNext, e[seq[i + 1]!]!) > route.lat[i + 1]! + EPS) continue;
      const delta = C[prevLoc * n + at]! + C[at * n + nextLoc]! - C[prevLoc * n + loc[q]!]! - C[loc[q]! * n + nextLoc]!;
      if (absences[q]! < bestAbs || delta < bestDelta) {
        bestAbs = absences[q]!;
        bestDelta = delta;
        bestRoute = ri;
        bestPos = i;
      }
    }
  }
  if (bestRoute < 0 || bestAbs >= limit) return false;
  const route = own(S, s, bestRoute);
  const out = route.seq[bestPos]!;
  route.seq[bestPos] = j;
  route.update(M);
  s.where[j] = bestRoute;
  s.where[out] = -1;
  s.unassigned.push(out);
  return true;
}

/** Neighbours each job looks at in local search (granular neighbourhood). */
const GRANULAR = 30;

/** Whether every job of `route` may be on its vehicle (skills; fixed jobs stay on theirs). */
function allowedOn(M: Model, route: Route): boolean {
  for (const j of route.seq) if (!M.allowed[j * M.k + route.v]) return false;
  return true;
}

/**
 * Relocate: moves job `u` next to (before or after) one of its nearest jobs on another route, when that
 * lowers the cost. Insertion feasibility in O(1) from the target's forward starts and backward latest
 * starts; the shortened route is rechecked (a removal keeps windows only under the triangle inequality).
 */
function relocate(S: Search, s: Solution, u: number): boolean {
  const { M } = S;
  const { n, T, C, loc, e, l, svc, dem, vStart, vEnd, vEarly, vLate, vCap, k } = M;
  const r1 = s.where[u]!;
  if (r1 < 0 || M.fixedVehicle[u]! >= 0) return false;
  const from = s.routes[r1]!;
  const i = from.seq.indexOf(u);
  const len1 = from.seq.length;
  const at = loc[u]!;
  const p1 = i ? loc[from.seq[i - 1]!]! : vStart[from.v]!;
  const n1 = i < len1 - 1 ? loc[from.seq[i + 1]!]! : vEnd[from.v]!;
  const gain = C[p1 * n + at]! + C[at * n + n1]! - C[p1 * n + n1]! + (len1 === 1 ? M.vehicleCost : 0);
  const near = M.near[u]!;
  const count = Math.min(GRANULAR, near.length);
  for (let x = 0; x < count; x++) {
    const w = near[x]!;
    const r2 = s.where[w]!;
    if (r2 < 0 || r2 === r1) continue;
    const to = s.routes[r2]!;
    const v = to.v;
    if (!M.allowed[u * k + v] || to.load + dem[u]! > vCap[v]! + EPS) continue;
    const wi = to.seq.indexOf(w);
    const len = to.seq.length;
    for (let p = wi; p <= wi + 1; p++) {
      const prevLoc = p ? loc[to.seq[p - 1]!]! : vStart[v]!;
      const prevDepart = p ? to.st[p - 1]! + svc[to.seq[p - 1]!]! : vEarly[v]!;
      const nextLoc = p === len ? vEnd[v]! : loc[to.seq[p]!]!;
      const delta = C[prevLoc * n + at]! + C[at * n + nextLoc]! - C[prevLoc * n + nextLoc]!;
      if (delta >= gain - 1e-7) continue;
      const start = Math.max(prevDepart + T[prevLoc * n + at]!, e[u]!);
      if (start > l[u]! + EPS) continue;
      const arriveNext = start + svc[u]! + T[at * n + nextLoc]!;
      if (p === len ? arriveNext > vLate[v]! + EPS : Math.max(arriveNext, e[to.seq[p]!]!) > to.lat[p]! + EPS) continue;
      const a = own(S, s, r1);
      const oldSeq = a.seq.slice();
      a.seq.splice(i, 1);
      a.update(M);
      if (a.bad) {
        a.seq = oldSeq;
        a.update(M);
        continue;
      }
      const b = own(S, s, r2);
      b.seq.splice(p, 0, u);
      b.update(M);
      s.where[u] = r2;
      return true;
    }
  }
  return false;
}

/**
 * 2-opt*: for job `u` and one of its nearest jobs `w` on another route, the routes swap tails so that `u`
 * is followed by `w` (and `w`'s predecessor by `u`'s successor), when that lowers the cost and both new
 * routes stay within windows, shifts, capacities, skills and fixed placements (checked on the new routes).
 */
function twoOptStar(S: Search, s: Solution, u: number): boolean {
  const { M } = S;
  const { n, C, loc, vStart, vEnd } = M;
  const r1 = s.where[u]!;
  if (r1 < 0) return false;
  const A = s.routes[r1]!;
  const i = A.seq.indexOf(u);
  const near = M.near[u]!;
  const count = Math.min(GRANULAR, near.length);
  const at = loc[u]!;
  const aNext = i < A.seq.length - 1 ? loc[A.seq[i + 1]!]! : vEnd[A.v]!;
  for (let x = 0; x < count; x++) {
    const w = near[x]!;
    const r2 = s.where[w]!;
    if (r2 < 0 || r2 === r1) continue;
    const B = s.routes[r2]!;
    const wi = B.seq.indexOf(w);
    const bPrev = wi ? loc[B.seq[wi - 1]!]! : vStart[B.v]!;
    // A becomes …u w…, B becomes …bPrev (A's tail after u)…; with a shared end the change is 4 arcs.
    const aTail = i < A.seq.length - 1;
    if (!aTail && wi === 0) continue;
    if (vEnd[A.v] === vEnd[B.v]) {
      const emptied = wi === 0 && !aTail ? M.vehicleCost : 0;
      const delta = C[at * n + loc[w]!]! + C[bPrev * n + aNext]! - C[at * n + aNext]! - C[bPrev * n + loc[w]!]! - emptied;
      if (delta >= -1e-7) continue;
    }
    const a = A.clone();
    const b = B.clone();
    a.seq = A.seq.slice(0, i + 1).concat(B.seq.slice(wi));
    b.seq = B.seq.slice(0, wi).concat(A.seq.slice(i + 1));
    a.update(M);
    b.update(M);
    if (a.bad || b.bad || !allowedOn(M, a) || !allowedOn(M, b)) continue;
    if (a.cost + b.cost + (b.seq.length ? 0 : -M.vehicleCost) >= A.cost + B.cost - 1e-7) continue;
    s.routes[r1] = a;
    s.routes[r2] = b;
    S.owned[r1] = 1;
    S.owned[r2] = 1;
    for (const j of a.seq) s.where[j] = r1;
    for (const j of b.seq) s.where[j] = r2;
    return true;
  }
  return false;
}

/** Local search: relocate and 2-opt* over the granular neighbourhood until no move lowers the cost. */
function localSearch(S: Search, s: Solution): void {
  const flex = S.M.flexible;
  for (let round = 0; round < 50; round++) {
    let moved = false;
    const offset = Math.floor(S.rand() * flex.length);
    for (let x = 0; x < flex.length; x++) {
      const u = flex[(x + offset) % flex.length]!;
      if (relocate(S, s, u)) moved = true;
      else if (twoOptStar(S, s, u)) moved = true;
    }
    if (!moved) return;
  }
}

/** The order in which removed jobs are reinserted (SISR: random, demand, far, close; plus narrow windows). */
function sortForRecreate(S: Search, jobs: number[], absences?: Int32Array): void {
  const { M, rand } = S;
  if (absences) {
    const key = S.key;
    for (const j of jobs) key[j] = absences[j]! + rand();
    jobs.sort((a, b) => key[b]! - key[a]!);
    return;
  }
  const x = rand() * 13;
  if (x < 4) {
    for (let i = jobs.length - 1; i > 0; i--) {
      const r = Math.floor(rand() * (i + 1));
      [jobs[i], jobs[r]] = [jobs[r]!, jobs[i]!];
    }
  } else if (x < 8) jobs.sort((a, b) => M.dem[b]! - M.dem[a]! || a - b);
  else if (x < 10) jobs.sort((a, b) => M.depotDist[b]! - M.depotDist[a]! || a - b);
  else if (x < 11) jobs.sort((a, b) => M.depotDist[a]! - M.depotDist[b]! || a - b);
  else jobs.sort((a, b) => M.l[a]! - M.e[a]! - (M.l[b]! - M.e[b]!) || a - b);
}

function initial(S: Search): Solution {
  const { M } = S;
  const routes = Array.from({ length: M.k }, (_, v) => new Route(v));
  const where = new Int32Array(M.m).fill(-1);
  const unassigned: number[] = [];
  // Fixed jobs first, in time order on their vehicles; they never move afterwards.
  const fixed: number[] = [];
  for (let j = 0; j < M.m; j++) if (M.fixedVehicle[j]! >= 0) fixed.push(j);
  fixed.sort((a, b) => M.e[a]! - M.e[b]! || a - b);
  for (const j of fixed) {
    const v = M.fixedVehicle[j]!;
    routes[v]!.seq.push(j);
    where[j] = v;
  }
  for (const r of routes) r.update(M);
  const s = new Solution(routes, unassigned, where);
  const jobs = Array.from(M.flexible);
  jobs.sort((a, b) => M.l[a]! - M.l[b]! || M.depotDist[b]! - M.depotDist[a]! || a - b);
  S.owned.fill(1);
  recreate(S, s, jobs, true);
  return s;
}

/** Lower bound on vehicles from capacity alone (1 when capacities are unlimited). */
function fleetLowerBound(M: Model): number {
  let demand = 0;
  for (let j = 0; j < M.m; j++) demand += M.dem[j]!;
  let cap = 0;
  for (let v = 0; v < M.k; v++) cap = Math.max(cap, M.vCap[v]!);
  if (!Number.isFinite(cap) || cap <= 0 || demand <= 0) return M.m ? 1 : 0;
  return Math.ceil(demand / cap - 1e-9);
}

export function solveVrptw(problem: VrpProblem, opts: SolveOptions): VrpSolution {
  const M = model(problem);
  const rand = rng(opts.seed ?? 1);
  const clock = opts.clock ?? Date.now;
  const t0 = clock();
  const budget = Math.max(0, opts.budgetMs);
  const maxIter = opts.maxIterations ?? Infinity;
  const S: Search = { M, rand, owned: new Uint8Array(M.k), blinkIn: 0, key: new Float64Array(M.m) };
  S.blinkIn = blinkGap(rand);
  let iter = 0;
  const progress = () => Math.max(budget > 0 ? (clock() - t0) / budget : 1, Number.isFinite(maxIter) ? iter / maxIter : 0);

  let best = initial(S);
  const flex = M.flexible;
  if (!flex.length || M.k === 0) return output(M, best);

  // A penalty above any possible cost: one unassigned job always weighs more than all travel.
  let maxArc = 0;
  for (let i = 0; i < M.C.length; i++) if (M.C[i]! > maxArc && Number.isFinite(M.C[i]!)) maxArc = M.C[i]!;
  const big = (maxArc * (M.m + M.k) + M.vehicleCost * (M.k + 1) + 1) * 2;

  // Phase 1: fewer vehicles, when a vehicle costs something.
  const fleetShare = 0.5;
  if (M.vehicleCost > 0 && best.unassigned.length === 0) {
    const lb = fleetLowerBound(M);
    const absences = new Int32Array(M.m);
    let cur: Solution | null = null;
    while (progress() < fleetShare && best.used() > lb) {
      if (!cur) {
        // Take one more route away: the one with the fewest flexible jobs (ties: random).
        cur = best.clone();
        let pick = -1;
        let fewest = Infinity;
        for (let ri = 0; ri < cur.routes.length; ri++) {
          const r = cur.routes[ri]!;
          if (!r.seq.length || r.seq.some((j) => M.fixedVehicle[j]! >= 0)) continue;
          const size = r.seq.length + rand();
          if (size < fewest) {
            fewest = size;
            pick = ri;
          }
        }
        if (pick < 0) break;
        const r = cur.routes[pick]!.clone();
        for (const j of r.seq) {
          cur.unassigned.push(j);
          cur.where[j] = -1;
        }
        r.seq = [];
        r.update(M);
        cur.routes[pick] = r;
      }
      iter++;
      S.owned.fill(0);
      const next = cur.clone();
      const seedJob =
        next.unassigned.length && rand() < 0.5
          ? next.unassigned[Math.floor(rand() * next.unassigned.length)]!
          : flex[Math.floor(rand() * flex.length)]!;
      const removed = ruin(S, next, seedJob);
      const pending = removed.concat(next.unassigned);
      next.unassigned = [];
      sortForRecreate(S, pending, absences);
      recreate(S, next, pending, false, absences);
      let sumNext = 0;
      for (const j of next.unassigned) sumNext += absences[j]!;
      let sumCur = 0;
      for (const j of cur.unassigned) sumCur += absences[j]!;
      if (!next.broken() && (next.unassigned.length < cur.unassigned.length || sumNext < sumCur)) cur = next;
      for (const j of next.unassigned) absences[j]!++;
      if (cur.unassigned.length === 0) {
        best = cur;
        cur = null;
      }
    }
  }

  // Phase 2: cost, by simulated annealing over ruin and recreate.
  let cur = best;
  let curScore = score(M, cur, big);
  let bestScore = curScore;
  const avg = cur.cost(M) / Math.max(1, M.m) - M.vehicleCost * (cur.used() / Math.max(1, M.m));
  const temp0 = Math.max(1e-6, 0.5 * Math.max(avg, 1e-6));
  const tempF = temp0 / 100;
  const start = progress();
  for (;;) {
    const p = progress();
    if (p >= 1) break;
    iter++;
    const frac = start < 1 ? (p - start) / (1 - start) : 1;
    const temp = temp0 * Math.pow(tempF / temp0, frac);
    S.owned.fill(0);
    const next = cur.clone();
    const removed = ruin(S, next, flex[Math.floor(rand() * flex.length)]!);
    const pending = removed.concat(next.unassigned);
    next.unassigned = [];
    sortForRecreate(S, pending);
    recreate(S, next, pending, true);
    let sc = score(M, next, big);
    if (sc < bestScore - 1e-9) {
      // A new best: polish it by local search before the acceptance test.
      localSearch(S, next);
      sc = score(M, next, big);
    }
    if (sc < curScore - temp * Math.log(rand())) {
      cur = next;
      curScore = sc;
      if (sc < bestScore - 1e-9) {
        best = next;
        bestScore = sc;
      }
    }
  }
  return output(M, best, iter);
}

function output(M: Model, s: Solution, iterations = 0): VrpSolution {
  const routes: VrpRoute[] = [];
  let cost = 0;
  let broken = false;
  for (const r of s.routes) {
    if (!r.seq.length) continue;
    routes.push({ vehicle: r.v, jobs: r.seq.slice(), starts: r.st.slice(), arrive: r.arrive, cost: r.cost });
    cost += r.cost + M.vehicleCost;
    if (r.bad) broken = true;
  }
  const unassigned = s.unassigned.slice().sort((a, b) => a - b);
  return { routes, unassigned, cost, vehicles: routes.length, feasible: !broken && unassigned.length === 0, iterations };
}

/**
 * Checks a solution against the problem (windows, shifts, capacity, fixed jobs, allowed vehicles, every
 * job exactly once, costs as stated); returns the violations, each starting with its kind
 * (`window:`, `shift:`, `capacity:`, `fixed:`, `allowed:`, `duplicate:`, `missing:`, `vehicle:`,
 * `schedule:`, `cost:`, `feasible:`).
 */
export function checkSolution(problem: VrpProblem, solution: VrpSolution): string[] {
  const out: string[] = [];
  const tol = 1e-6;
  const { size: n, vehicles, jobs } = problem;
  const T = problem.time;
  const C = problem.cost ?? problem.time;
  const seen = new Int32Array(jobs.length);
  const vehicleSeen = new Set<number>();
  let total = 0;
  let used = 0;
  const job = (j: number) => (Number.isInteger(j) && j >= 0 && j < jobs.length ? jobs[j]! : null);
  for (const r of solution.routes) {
    const vehicle = Number.isInteger(r.vehicle) ? vehicles[r.vehicle] : undefined;
    if (!vehicle) {
      out.push(`vehicle: route of unknown vehicle ${r.vehicle}`);
      continue;
    }
    if (vehicleSeen.has(r.vehicle)) out.push(`vehicle: vehicle ${r.vehicle} has more than one route`);
    vehicleSeen.add(r.vehicle);
    if (r.starts.length !== r.jobs.length)
      out.push(`schedule: vehicle ${r.vehicle} has ${r.jobs.length} jobs but ${r.starts.length} starts`);
    let prev = vehicle.start;
    let ready = vehicle.earliest;
    let cost = 0;
    let load = 0;
    for (let i = 0; i < r.jobs.length; i++) {
      const j = r.jobs[i]!;
      const jb = job(j);
      if (!jb) {
        out.push(`missing: vehicle ${r.vehicle} serves unknown job ${j}`);
        continue;
      }
      seen[j]!++;
      const s = r.starts[i] ?? NaN;
      const arrive = ready + T[prev * n + jb.location]!;
      if (!(s >= arrive - tol)) out.push(`schedule: job ${j} starts at ${s} before the vehicle can arrive at ${arrive}`);
      if (!(s >= jb.earliest - tol && s <= jb.latest + tol) && !jb.fixed)
        out.push(`window: job ${j} starts at ${s} outside its window [${jb.earliest}, ${jb.latest}]`);
      if (jb.fixed) {
        if (jb.fixed.vehicle !== r.vehicle) out.push(`fixed: job ${j} is fixed to vehicle ${jb.fixed.vehicle} but served by ${r.vehicle}`);
        if (!(Math.abs(s - jb.fixed.start) <= tol)) out.push(`fixed: job ${j} is fixed at ${jb.fixed.start} but starts at ${s}`);
      } else if (jb.allowed && !jb.allowed.includes(r.vehicle)) out.push(`allowed: job ${j} may not be served by vehicle ${r.vehicle}`);
      cost += C[prev * n + jb.location]!;
      load += jb.demand ?? 0;
      ready = s + jb.service;
      prev = jb.location;
    }
    const back = ready + T[prev * n + vehicle.end]!;
    cost += C[prev * n + vehicle.end]!;
    if (!(r.arrive >= back - tol)) out.push(`schedule: vehicle ${r.vehicle} arrives at ${r.arrive} before it can, at ${back}`);
    if (!(r.arrive <= vehicle.latest + tol))
      out.push(`shift: vehicle ${r.vehicle} is back at ${r.arrive} after its shift ends at ${vehicle.latest}`);
    if (vehicle.capacity !== undefined && load > vehicle.capacity + tol)
      out.push(`capacity: vehicle ${r.vehicle} carries ${load} over its capacity ${vehicle.capacity}`);
    if (!(Math.abs(cost - r.cost) <= tol * Math.max(1, cost))) out.push(`cost: vehicle ${r.vehicle} costs ${cost}, stated ${r.cost}`);
    if (r.jobs.length) used++;
    total += cost;
  }
  for (const j of solution.unassigned) {
    const jb = job(j);
    if (!jb) out.push(`missing: unknown job ${j} listed unassigned`);
    else {
      seen[j]!++;
      if (jb.fixed) out.push(`fixed: fixed job ${j} is unassigned`);
    }
  }
  for (let j = 0; j < jobs.length; j++) {
    if (seen[j] === 0) out.push(`missing: job ${j} is neither served nor unassigned`);
    if (seen[j]! > 1) out.push(`duplicate: job ${j} appears ${seen[j]} times`);
  }
  total += (problem.vehicleCost ?? 0) * used;
  if (solution.vehicles !== used) out.push(`vehicle: ${used} vehicles used, stated ${solution.vehicles}`);
  if (!(Math.abs(total - solution.cost) <= tol * Math.max(1, total))) out.push(`cost: total is ${total}, stated ${solution.cost}`);
  if (solution.feasible && (out.length || solution.unassigned.length)) out.push("feasible: stated feasible but is not");
  return out;
}
