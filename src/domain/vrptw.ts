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
 * vehicle costs something, a fleet-minimisation phase first eliminates one route at a time (after
 * Nagata & Bräysy's route minimisation, Operations Research Letters 2009): the route's jobs go to an
 * ejection pool; each is inserted where it fits, else squeezed in (put where it breaks the fewest
 * windows, then repaired by moves within and between routes priced by time-warp concatenation, Vidal
 * et al. 2013), else
 * takes the place of up to five jobs of one route that were hardest to place least often. Insertion feasibility
 * is O(1) per position from each route's forward start times and backward latest starts. The cost
 * phase walks the penalised space (after Vidal et al.'s hybrid genetic search, 2012/2013): recreate may
 * break windows and capacity at prices per unit of time warp and of excess load, priced in O(1) per
 * position by concatenating the route's prefix, the job and the route's suffix; the prices adapt so that
 * about a quarter of the plans keep every window; promising broken plans are repaired by the squeeze's
 * moves, and only plans that keep every window can become the best. Every new best plan is polished by
 * local search (relocate and 2-opt* over the 30 nearest jobs). When vehicles cost something, two
 * independent runs (construction, fleet minimisation) take two fifths of the budget; the runs left with the
 * fewest vehicles share the rest for the cost phase, which first tries once more to take a route away (route
 * elimination, then the penalised walk with one vehicle fewer); the best plan is returned.
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
/** Up to how many places `isMetric` checks the triangle inequality (n³ steps: 15.6 M, about 23 ms, at 250). */
const METRIC_CHECK = 250;

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
  /** The least travel time into each place from any other place. */
  minIn: Float64Array;
  /** Travel times keep the triangle inequality (checked up to METRIC_CHECK places, false above; see `isMetric`). */
  metric?: boolean;
  flexible: Int32Array;
  /** Every job may go on every vehicle (no fixed jobs, no skills). */
  free: boolean;
  /** Each job alone, summarised for time-warp concatenation. */
  node: Seg[];
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
  const minIn = new Float64Array(n).fill(Infinity);
  for (let x = 0; x < n; x++) for (let y = 0; y < n; y++) if (x !== y && T[x * n + y]! < minIn[y]!) minIn[y] = T[x * n + y]!;
  const M: Model = {
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
    minIn,
    flexible,
    free: allowed.every((a) => a === 1),
    node: [],
  };
  for (let j = 0; j < m; j++) M.node.push(nodeSeg(M, j));
  return M;
}

/** Whether the travel times keep the triangle inequality; checked once, when the route elimination first needs it. */
function isMetric(M: Model): boolean {
  if (M.metric !== undefined) return M.metric;
  const { n, T } = M;
  let metric = n <= METRIC_CHECK;
  for (let x = 0; metric && x < n; x++)
    for (let y = 0; metric && y < n; y++) {
      const xy = T[x * n + y]!;
      for (let z = 0; z < n; z++)
        if (T[x * n + z]! > xy + T[y * n + z]! + EPS) {
          metric = false;
          break;
        }
    }
  return (M.metric = metric);
}

/** One vehicle's route with its schedule data. */
class Route {
  seq: number[] = [];
  /** Service start of each job (forward, earliest). */
  st: number[] = [];
  /** Latest service start of each job that keeps the rest of the route feasible (backward). */
  lat: number[] = [];
  /** Load up to and including each job. */
  cum: number[] = [];
  load = 0;
  cost = 0;
  arrive = 0;
  /** Some window or the shift is broken (fixed jobs that cannot all be kept, or a non-metric matrix). */
  bad = false;
  /** Time warp of the route (Vidal et al. 2013): how much it would have to travel back in time to keep its windows. */
  warp = 0;
  /** Load over capacity. */
  excess = 0;
  /** Prefix and suffix summaries for squeezes, made when first needed (cleared by `update`). */
  segs: Segs | undefined;
  /** The same summaries packed for penalised insertion (see `packedSegs`), made when first needed. */
  packed: Float64Array | undefined;

  readonly v: number;

  constructor(v: number) {
    this.v = v;
  }

  clone(): Route {
    const r = new Route(this.v);
    r.seq = this.seq.slice();
    r.st = this.st.slice();
    r.lat = this.lat.slice();
    r.cum = this.cum.slice();
    r.load = this.load;
    r.cost = this.cost;
    r.arrive = this.arrive;
    r.bad = this.bad;
    r.warp = this.warp;
    r.excess = this.excess;
    r.segs = this.segs;
    r.packed = this.packed;
    return r;
  }

  update(M: Model): void {
    const { n, T, C, loc, e, l, svc, dem } = M;
    const v = this.v;
    const seq = this.seq;
    const len = seq.length;
    this.segs = undefined;
    this.packed = undefined;
    this.st.length = len;
    this.lat.length = len;
    this.cum.length = len;
    let prev = M.vStart[v]!;
    let depart = M.vEarly[v]!;
    let cost = 0;
    let load = 0;
    let bad = false;
    // The schedule with time warp: a late arrival travels back to the window's end (and pays for it).
    let warp = 0;
    let wDepart = depart;
    for (let i = 0; i < len; i++) {
      const j = seq[i]!;
      const at = loc[j]!;
      const s = Math.max(depart + T[prev * n + at]!, e[j]!);
      if (s > l[j]! + EPS) bad = true;
      const w = Math.max(wDepart + T[prev * n + at]!, e[j]!);
      if (w > l[j]!) warp += w - l[j]!;
      wDepart = Math.min(w, l[j]!) + svc[j]!;
      this.st[i] = s;
      cost += C[prev * n + at]!;
      load += dem[j]!;
      this.cum[i] = load;
      depart = s + svc[j]!;
      prev = at;
    }
    const end = M.vEnd[v]!;
    this.arrive = depart + T[prev * n + end]!;
    const wArrive = wDepart + T[prev * n + end]!;
    if (wArrive > M.vLate[v]!) warp += wArrive - M.vLate[v]!;
    this.warp = len ? warp : 0;
    this.excess = Math.max(0, load - M.vCap[v]!);
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
  /** The ejection search's state, made when the route elimination first needs it. */
  eject: Ejection | null;
  /** The squeeze's and the education's working arrays, each made when it first runs. */
  squeezing: Working | null;
  educating: Working | null;
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
 * vehicle may be started. Jobs that fit nowhere go to `s.unassigned`.
 */
function recreate(S: Search, s: Solution, jobs: number[], open: boolean): void {
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
    put(S, s, j, bestRoute, bestPos);
  }
}

/** Puts job `j` before index `p` of route `ri` (copy on write), or into `s.unassigned` when `ri` < 0. */
function put(S: Search, s: Solution, j: number, ri: number, p: number): void {
  if (ri < 0) {
    s.unassigned.push(j);
    return;
  }
  const route = own(S, s, ri);
  route.seq.splice(p, 0, j);
  route.update(S.M);
  s.where[j] = ri;
}

/**
 * Every prefix (start + seq[0..i−1]) and suffix (seq[i..] + end) of `route` summarised for time-warp
 * concatenation, packed five numbers each (duration, warp, earliest start, latest start, load):
 * prefix i at 5i, suffix i at 5(len + 1 + i), i = 0…len.
 */
function packedSegs(M: Model, route: Route): Float64Array {
  if (route.packed) return route.packed;
  const { n, T, loc, e, l, svc, dem } = M;
  const v = route.v;
  const seq = route.seq;
  const len = seq.length;
  const out = new Float64Array(10 * (len + 1));
  // prefixes
  let dur = 0;
  let warp = 0;
  let early = M.vEarly[v]!;
  let late = M.vLate[v]!;
  let load = 0;
  let last = M.vStart[v]!;
  out[0] = dur;
  out[1] = warp;
  out[2] = early;
  out[3] = late;
  out[4] = load;
  for (let i = 0; i < len; i++) {
    const j = seq[i]!;
    const t = T[last * n + loc[j]!]!;
    const delta = dur - warp + t;
    const wait = Math.max(e[j]! - delta - late, 0);
    const w = Math.max(early + delta - l[j]!, 0);
    dur += svc[j]! + t + wait;
    warp += w;
    const ne = Math.max(e[j]! - delta, early) - wait;
    late = Math.min(l[j]! - delta, late) + w;
    early = ne;
    load += dem[j]!;
    last = loc[j]!;
    const o = 5 * (i + 1);
    out[o] = dur;
    out[o + 1] = warp;
    out[o + 2] = early;
    out[o + 3] = late;
    out[o + 4] = load;
  }
  // suffixes: node j joined before the suffix that follows it
  dur = 0;
  warp = 0;
  early = M.vEarly[v]!;
  late = M.vLate[v]!;
  load = 0;
  let first = M.vEnd[v]!;
  const base = 5 * (len + 1);
  out[base + 5 * len] = dur;
  out[base + 5 * len + 1] = warp;
  out[base + 5 * len + 2] = early;
  out[base + 5 * len + 3] = late;
  out[base + 5 * len + 4] = load;
  for (let i = len - 1; i >= 0; i--) {
    const j = seq[i]!;
    const t = T[loc[j]! * n + first]!;
    const delta = svc[j]! + t;
    const wait = Math.max(early - delta - l[j]!, 0);
    const w = Math.max(e[j]! + delta - late, 0);
    const ne = Math.max(early - delta, e[j]!) - wait;
    late = Math.min(late - delta, l[j]!) + w;
    early = ne;
    dur += svc[j]! + t + wait;
    warp += w;
    load += dem[j]!;
    first = loc[j]!;
    const o = base + 5 * i;
    out[o] = dur;
    out[o + 1] = warp;
    out[o + 2] = early;
    out[o + 3] = late;
    out[o + 4] = load;
  }
  route.packed = out;
  return out;
}

/** Prices of broken windows (per unit of time warp) and of load over capacity, in the penalised search. */
export interface Penalty {
  warp: number;
  load: number;
}

/** The cost of `route` with its broken windows and capacity priced. */
const penalised = (P: Penalty, r: Route) => r.cost + P.warp * r.warp + P.load * r.excess;

/**
 * Recreate of the penalised search: each job in turn goes where its cost plus the priced change in time
 * warp and load over capacity is least (every position of every allowed route; positions skipped at the
 * blink rate). The change is priced in O(1) per position by time-warp concatenation of the route's
 * prefix, the job and the route's suffix (Vidal et al. 2013). Up to `fleet` vehicles are free; no more
 * than `cap` vehicles are used. Jobs without any allowed route stay unassigned.
 */
function recreatePenalised(S: Search, s: Solution, jobs: number[], P: Penalty, fleet: number, cap = Infinity): void {
  const { M, rand } = S;
  const { n, T, C, loc, e, l, svc, dem, vStart, vEnd, vCap, k } = M;
  const classTried = new Int32Array(Math.max(1, k)).fill(-1);
  let stamp = 0;
  let used = s.used();
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
      const len = route.seq.length;
      if (!len) {
        if (used >= cap) continue;
        const cls = M.vClass[v]!;
        if (classTried[cls] === stamp) continue;
        classTried[cls] = stamp;
      }
      const seq = route.seq;
      const loadPrice = P.load * (Math.max(0, route.load + dj - vCap[v]!) - route.excess);
      const fixedPart = (len || used < fleet ? 0 : M.vehicleCost) + loadPrice - P.warp * route.warp;
      if (fixedPart >= best) continue;
      const g = packedSegs(M, route);
      const base = 5 * (len + 1);
      for (let p = 0; p <= len; p++) {
        if (--S.blinkIn === 0) {
          S.blinkIn = blinkGap(rand);
          continue;
        }
        const prevLoc = p ? loc[seq[p - 1]!]! : vStart[v]!;
        const nextLoc = p < len ? loc[seq[p]!]! : vEnd[v]!;
        const dc = C[prevLoc * n + at]! + C[at * n + nextLoc]! - C[prevLoc * n + nextLoc]! + fixedPart;
        if (dc >= best) continue;
        // prefix p, then j
        const o = 5 * p;
        const aDur = g[o]!;
        const aWarp = g[o + 1]!;
        const q = base + 5 * p;
        // The warps of the prefix and of the suffix stay: a lower bound of the warp with j.
        if (dc + P.warp * (aWarp + g[q + 1]!) >= best) continue;
        const aEarly = g[o + 2]!;
        const aLate = g[o + 3]!;
        const t1 = T[prevLoc * n + at]!;
        const d1 = aDur - aWarp + t1;
        const wait1 = Math.max(ej - d1 - aLate, 0);
        const w1 = Math.max(aEarly + d1 - lj, 0);
        const xDur = aDur + sj + t1 + wait1;
        const xWarp = aWarp + w1;
        const xEarly = Math.max(ej - d1, aEarly) - wait1;
        // then suffix p
        const t2 = T[at * n + nextLoc]!;
        const d2 = xDur - xWarp + t2;
        const w2 = Math.max(xEarly + d2 - g[q + 3]!, 0);
        const warp = xWarp + g[q + 1]! + w2;
        const delta = dc + P.warp * warp;
        if (delta < best) {
          best = delta;
          bestRoute = ri;
          bestPos = p;
        }
      }
    }
    if (bestRoute >= 0 && !s.routes[bestRoute]!.seq.length) used++;
    put(S, s, j, bestRoute, bestPos);
  }
}

/**
 * Prices of the penalised search: they start at PRICE_START times the cost of a unit of travel time
 * (and of load), and every PRICE_EVERY plans rise by 20 % or fall by 15 % so that about PRICE_TARGET
 * of the plans made keep every window and capacity, within PRICE_MAX times of the start either way.
 */
const PRICE_START = 100;
const PRICE_EVERY = 100;
const PRICE_TARGET = 0.25;
const PRICE_MAX = 1e3;
/** Independent runs (construction, fleet minimisation, cost) sharing the budget when vehicles cost something. */
const RUNS = 2;
/** Share of the budget the runs' fleet minimisations take in all (each its part), before any cost phase. */
const FLEET_SHARE = 0.4;
/**
 * Share of the budget the first cost phase may spend on fewer vehicles when the plan has more than the
 * capacity lower bound: half on route elimination, then the penalised walk with one vehicle fewer.
 */
const DROP_SHARE = 0.15;
/** Share of broken educated plans educated once more, at REPAIR_BOOST times the prices. */
const REPAIR_SHARE = 0.5;
const REPAIR_BOOST = 10;
/** Iterations the annealing walk may stay on broken plans before it goes back to the best plan. */
const STRAY = 2000;
/**
 * Iterations without a new best plan after which the walk goes back to the best plan and the temperature
 * starts its fall anew (re-annealing): a walk that settled in a poor basin early leaves it.
 */
const STALL = 4000;

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
function sortForRecreate(S: Search, jobs: number[]): void {
  const { M, rand } = S;
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
  if (s.unassigned.length) {
    // A blink may have skipped the only place a job fits: those jobs try once more, without blinks.
    const left = s.unassigned;
    s.unassigned = [];
    const blinkIn = S.blinkIn;
    S.blinkIn = Infinity;
    recreate(S, s, left, true);
    S.blinkIn = blinkIn;
  }
  return s;
}

// ---- fleet minimisation: route elimination with an ejection pool (after Nagata & Bräysy, 2009) ----

/** Random feasible moves tried after each ejection, to vary the routes the next insertion sees. */
const PERTURB_MOVES = 100;
/** The share of them that are 2-opt* tail exchanges (the rest: half relocations, half swaps). */
const PERTURB_TWO_OPT = 1 / 3;
/** At most this many jobs are ejected to make room for one (Nagata & Bräysy's k_max)… */
const MAX_EJECT = 5;
/** …and fewer from a long route: at most as many as keep the sets of ejectable jobs within this number. */
const EJECT_SETS = 5_000;

/** How many jobs may be ejected from a route of `len` jobs: the most, up to MAX_EJECT, with C(len, k) ≤ EJECT_SETS. */
export function ejectLimit(len: number): number {
  let k = MAX_EJECT;
  const sets = (k: number) => {
    let c = 1;
    for (let i = 0; i < k; i++) c = (c * (len - i)) / (i + 1);
    return c;
  };
  while (k > 1 && sets(k) > EJECT_SETS) k--;
  return k;
}

/** Whether `seq` on vehicle `v` keeps every window, the shift and the capacity. */
function feasibleSeq(M: Model, v: number, seq: readonly number[]): boolean {
  const { n, T, loc, e, l, svc, dem } = M;
  let prev = M.vStart[v]!;
  let t = M.vEarly[v]!;
  let load = 0;
  for (const j of seq) {
    const at = loc[j]!;
    const s = Math.max(t + T[prev * n + at]!, e[j]!);
    if (s > l[j]! + EPS) return false;
    load += dem[j]!;
    t = s + svc[j]!;
    prev = at;
  }
  return load <= M.vCap[v]! + EPS && t + T[prev * n + M.vEnd[v]!]! <= M.vLate[v]! + EPS;
}

/** Puts `j` at a random feasible position of a used route (O(1) per position); false when there is none. */
function insertAnywhere(S: Search, s: Solution, j: number): boolean {
  const { M, rand } = S;
  const { n, T, loc, e, l, svc, dem, vStart, vEnd, vEarly, vLate, vCap, k } = M;
  const at = loc[j]!;
  let seen = 0;
  let pickRoute = -1;
  let pickPos = -1;
  for (let ri = 0; ri < s.routes.length; ri++) {
    const route = s.routes[ri]!;
    const v = route.v;
    const len = route.seq.length;
    if (!len || !M.allowed[j * k + v] || route.load + dem[j]! > vCap[v]! + EPS) continue;
    let prevLoc = vStart[v]!;
    let prevDepart = vEarly[v]!;
    for (let p = 0; p <= len; p++) {
      if (p > 0) {
        const q = route.seq[p - 1]!;
        prevLoc = loc[q]!;
        prevDepart = route.st[p - 1]! + svc[q]!;
      }
      const start = Math.max(prevDepart + T[prevLoc * n + at]!, e[j]!);
      if (start > l[j]! + EPS) break;
      const nextLoc = p === len ? vEnd[v]! : loc[route.seq[p]!]!;
      const arriveNext = start + svc[j]! + T[at * n + nextLoc]!;
      if (p === len ? arriveNext > vLate[v]! + EPS : Math.max(arriveNext, e[route.seq[p]!]!) > route.lat[p]! + EPS) continue;
      if (rand() * ++seen < 1) {
        pickRoute = ri;
        pickPos = p;
      }
    }
  }
  if (pickRoute < 0) return false;
  const route = s.routes[pickRoute]!;
  route.seq.splice(pickPos, 0, j);
  route.update(M);
  s.where[j] = pickRoute;
  return true;
}

/**
 * A stretch of a route summarised for time-warp concatenation (Vidal et al., 2013): how long it
 * takes, how much time it must travel back to keep its windows (`warp`), the earliest and latest
 * start without waiting or more warp, its load and its end points.
 */
interface Seg {
  dur: number;
  warp: number;
  early: number;
  late: number;
  load: number;
  first: number;
  last: number;
}

const nodeSeg = (M: Model, j: number): Seg => ({
  dur: M.svc[j]!,
  warp: 0,
  early: M.e[j]!,
  late: M.l[j]!,
  load: M.dem[j]!,
  first: M.loc[j]!,
  last: M.loc[j]!,
});

/** The time warp of `a` then `b`, in O(1), without allocating. */
function warp2(M: Model, a: Seg, b: Seg): number {
  const delta = a.dur - a.warp + M.T[a.last * M.n + b.first]!;
  return a.warp + b.warp + Math.max(a.early + delta - b.late, 0);
}

/** The time warp of `a`, then `b`, then `c`, in O(1), without allocating. */
function warp3(M: Model, a: Seg, b: Seg, c: Seg): number {
  const t = M.T[a.last * M.n + b.first]!;
  const delta = a.dur - a.warp + t;
  const wait = Math.max(b.early - delta - a.late, 0);
  const w = Math.max(a.early + delta - b.late, 0);
  const dur = a.dur + b.dur + t + wait;
  const warp = a.warp + b.warp + w;
  const early = Math.max(b.early - delta, a.early) - wait;
  const d2 = dur - warp + M.T[b.last * M.n + c.first]!;
  return warp + c.warp + Math.max(early + d2 - c.late, 0);
}

/** `a` then `b`, written into `out` (which may be `a` or `b`) and returned, in O(1). */
function joinInto(M: Model, a: Seg, b: Seg, out: Seg): Seg {
  const t = M.T[a.last * M.n + b.first]!;
  const delta = a.dur - a.warp + t;
  const wait = Math.max(b.early - delta - a.late, 0);
  const warp = Math.max(a.early + delta - b.late, 0);
  const dur = a.dur + b.dur + t + wait;
  const w = a.warp + b.warp + warp;
  const early = Math.max(b.early - delta, a.early) - wait;
  const late = Math.min(b.late - delta, a.late) + warp;
  const load = a.load + b.load;
  const first = a.first;
  out.dur = dur;
  out.warp = w;
  out.early = early;
  out.late = late;
  out.load = load;
  out.first = first;
  out.last = b.last;
  return out;
}

/** Prefix and suffix summaries of a route: `pre[i]` is the start depot + seq[0..i-1], `suf[i]` is seq[i..] + the end depot. */
interface Segs {
  pre: Seg[];
  suf: Seg[];
}

/** Every prefix and suffix of a route on vehicle `v`. */
const segsOf = (M: Model, v: number, seq: readonly number[]): Segs => segsInto(M, v, seq, { pre: [], suf: [] });

/**
 * Every prefix and suffix of a route on vehicle `v`, written into `into` (grown as needed; entries past the
 * route's length are left as they were) and returned. `into` must be the caller's own, never a route's
 * summaries, which plans share.
 */
function segsInto(M: Model, v: number, seq: readonly number[], into: Segs): Segs {
  const { pre, suf } = into;
  const len = seq.length;
  while (pre.length <= len) {
    pre.push(blankSeg());
    suf.push(blankSeg());
  }
  depotInto(M, v, M.vStart[v]!, pre[0]!);
  for (let i = 0; i < len; i++) joinInto(M, pre[i]!, M.node[seq[i]!]!, pre[i + 1]!);
  depotInto(M, v, M.vEnd[v]!, suf[len]!);
  for (let i = len - 1; i >= 0; i--) joinInto(M, M.node[seq[i]!]!, suf[i + 1]!, suf[i]!);
  return into;
}

/** A summary to be written into. */
const blankSeg = (): Seg => ({ dur: 0, warp: 0, early: 0, late: 0, load: 0, first: 0, last: 0 });

/** `a` written into `out`. */
function copyInto(a: Seg, out: Seg): void {
  out.dur = a.dur;
  out.warp = a.warp;
  out.early = a.early;
  out.late = a.late;
  out.load = a.load;
  out.first = a.first;
  out.last = a.last;
}

/** The summary of vehicle `v` standing at its depot `at`, written into `out`. */
function depotInto(M: Model, v: number, at: number, out: Seg): void {
  out.dur = 0;
  out.warp = 0;
  out.early = M.vEarly[v]!;
  out.late = M.vLate[v]!;
  out.load = 0;
  out.first = at;
  out.last = at;
}

/**
 * The working arrays of a squeeze or an education, kept in the search and reused from call to call: per
 * route its vehicle, capacity, what it breaks (or its penalised cost), travel cost, when it last changed,
 * whether its sequence was copied, its places, prefix travel costs and summaries (a route's own summaries
 * are shared with other plans, so only these are written); per job its route, place and when it was
 * last looked at; and the jobs in the order they are looked at.
 */
interface Working {
  vs: Int32Array;
  caps: Float64Array;
  viol: Float64Array;
  travel: Float64Array;
  changed: Int32Array;
  copied: Uint8Array;
  places: Int32Array[];
  dist: Float64Array[];
  mine: Segs[];
  where: Int32Array;
  pos: Int32Array;
  tested: Int32Array;
  order: Int32Array;
}

/** `W` when it fits `R` routes of model `M`, else new working arrays for them. */
function workingFor(W: Working | null, M: Model, R: number): Working {
  if (W && W.vs.length === R && W.where.length === M.m) return W;
  return {
    vs: new Int32Array(R),
    caps: new Float64Array(R),
    viol: new Float64Array(R),
    travel: new Float64Array(R),
    changed: new Int32Array(R),
    copied: new Uint8Array(R),
    places: Array.from({ length: R }, () => new Int32Array(0)),
    dist: Array.from({ length: R }, () => new Float64Array(0)),
    mine: Array.from({ length: R }, () => ({ pre: [], suf: [] })),
    where: new Int32Array(M.m),
    pos: new Int32Array(M.m),
    tested: new Int32Array(M.m),
    order: Int32Array.from(M.flexible),
  };
}

/**
 * The routes' own sequences, copied on write: `mutable(ri)` gives route `ri`'s sequence to change (a copy
 * the first time), `seqs` the sequences as they stand.
 */
function copyOnWrite(s: Solution, copied: Uint8Array): { seqs: number[][]; mutable: (ri: number) => number[] } {
  const seqs = s.routes.map((r) => r.seq);
  copied.fill(0);
  const mutable = (ri: number) => {
    if (!copied[ri]) {
      seqs[ri] = seqs[ri]!.slice();
      copied[ri] = 1;
    }
    return seqs[ri]!;
  };
  return { seqs, mutable };
}

/** Improving moves a squeeze may make before it gives up. */
const SQUEEZE_STEPS = 60;
/** Neighbours of each job a squeeze looks at. */
const SQUEEZE_NEAR = 15;

/**
 * Squeeze (after Nagata & Bräysy, 2009): puts `j` where it breaks the fewest windows and capacity
 * (`j` = -1: no job, only the repair of the routes `s` breaks), then, on a broken route, moves a job
 * elsewhere in the same route, or relocates, swaps and exchanges tails (2-opt*) between neighbouring
 * jobs of routes on alike vehicles, while that lowers what is broken, until every route is feasible
 * again. Every move is priced by time-warp concatenation: in O(1) between routes, and in O(1) per place
 * within the route as the stretch between the job and its new place grows. Changes `s` only when it
 * succeeds.
 */
function squeeze(S: Search, s: Solution, j: number): boolean {
  const { M, rand } = S;
  const R = s.routes.length;
  const W = (S.squeezing = workingFor(S.squeezing, M, R));
  const { vs, viol, where, pos, mine } = W;
  // Most squeezes change nothing: no sequence is copied until a move changes it.
  const { seqs, mutable } = copyOnWrite(s, W.copied);
  const vOf = (ri: number) => vs[ri]!;
  const segs = s.routes.map((r) => (r.segs ??= segsOf(M, r.v, r.seq)));
  where.set(s.where);
  const violOf = (ri: number) => {
    const len = seqs[ri]!.length;
    const { pre, suf } = segs[ri]!;
    return len ? warp2(M, pre[len]!, suf[len]!) + Math.max(0, pre[len]!.load - M.vCap[vOf(ri)]!) : 0;
  };
  const refresh = (ri: number) => {
    const seq = seqs[ri]!;
    segs[ri] = segsInto(M, vOf(ri), seq, mine[ri]!);
    viol[ri] = violOf(ri);
    for (let i = 0; i < seq.length; i++) {
      pos[seq[i]!] = i;
      where[seq[i]!] = ri;
    }
  };
  for (let ri = 0; ri < R; ri++) {
    const seq = seqs[ri]!;
    vs[ri] = s.routes[ri]!.v;
    viol[ri] = violOf(ri);
    for (let i = 0; i < seq.length; i++) pos[seq[i]!] = i;
  }

  if (j >= 0) {
    // The least broken place for j on a used route.
    const J = M.node[j]!;
    let best = Infinity;
    let at: [number, number] = [-1, -1];
    for (let ri = 0; ri < R; ri++) {
      const seq = seqs[ri]!;
      if (!seq.length || !M.allowed[j * M.k + vOf(ri)]) continue;
      const { pre, suf } = segs[ri]!;
      const over = pre[seq.length]!.load + J.load - M.vCap[vOf(ri)]!;
      for (let p = 0; p <= seq.length; p++) {
        const x = warp3(M, pre[p]!, J, suf[p]!) + Math.max(0, over);
        if (x < best || (x === best && rand() < 0.5)) {
          best = x;
          at = [ri, p];
        }
      }
    }
    if (at[0] < 0) return false;
    mutable(at[0]).splice(at[1], 0, j);
    refresh(at[0]);
  }

  const between = blankSeg();
  const head: Seg = { ...between };
  const alike = (ra: number, rb: number) => M.vClass[vOf(ra)] === M.vClass[vOf(rb)];
  const allowedAll = (jobs: readonly number[], from: number, to: number, ri: number) => {
    for (let i = from; i < to; i++) if (!M.allowed[jobs[i]! * M.k + vOf(ri)] || M.fixedVehicle[jobs[i]!]! >= 0) return false;
    return true;
  };
  for (let step = 0; step < SQUEEZE_STEPS; step++) {
    const bad: number[] = [];
    for (let ri = 0; ri < R; ri++) if (viol[ri]! > EPS) bad.push(ri);
    if (!bad.length) break;
    const ra = bad[Math.floor(rand() * bad.length)]!;
    const A = seqs[ra]!;
    const SA = segs[ra]!;
    const capA = M.vCap[vOf(ra)]!;
    const loadA = SA.pre[A.length]!.load;
    // The best move so far: its kind (1 relocate, 2 swap, 3 2-opt*, 4 within the route), u's index, the other
    // route (u's own for 4), w's index / the position.
    let gain = EPS;
    let kind = 0;
    let mu = -1;
    let rbest = -1;
    let mp = -1;
    const take = (g: number, k: number, iu: number, rb: number, at: number) => {
      gain = g;
      kind = k;
      mu = iu;
      rbest = rb;
      mp = at;
    };
    // u elsewhere in its own route: before its job at p (p < iu), the jobs between summed as one stretch
    // as p moves away from u; or after them (p > iu + 1). (`between` and `head` are summaries reused in place.)
    const excessA = Math.max(0, loadA - capA);
    for (let iu = 0; iu < A.length; iu++) {
      const u = A[iu]!;
      if (M.fixedVehicle[u]! >= 0) continue;
      const U = M.node[u]!;
      for (let p = iu - 1; p >= 0; p--) {
        const x = M.node[A[p]!]!;
        if (p === iu - 1) copyInto(x, between);
        else joinInto(M, x, between, between);
        const g = viol[ra]! - warp3(M, joinInto(M, SA.pre[p]!, U, head), between, SA.suf[iu + 1]!) - excessA;
        if (g > gain) take(g, 4, iu, ra, p);
      }
      for (let p = iu + 2; p <= A.length; p++) {
        const x = M.node[A[p - 1]!]!;
        if (p === iu + 2) copyInto(x, between);
        else joinInto(M, between, x, between);
        const g = viol[ra]! - warp3(M, joinInto(M, SA.pre[iu]!, between, head), U, SA.suf[p]!) - excessA;
        if (g > gain) take(g, 4, iu, ra, p);
      }
    }
    for (let iu = 0; iu < A.length; iu++) {
      const u = A[iu]!;
      if (M.fixedVehicle[u]! >= 0) continue;
      const U = M.node[u]!;
      const near = M.near[u]!;
      const preU = SA.pre[iu]!;
      const sufU = SA.suf[iu + 1]!;
      const withoutU = warp2(M, preU, sufU) + Math.max(0, loadA - M.dem[u]! - capA);
      for (let t = 1; t < Math.min(near.length, SQUEEZE_NEAR + 1); t++) {
        const w = near[t]!;
        const rb = where[w]!;
        if (rb < 0 || rb === ra || !alike(ra, rb)) continue;
        const B = seqs[rb]!;
        const SB = segs[rb]!;
        const iw = pos[w]!;
        const capB = M.vCap[vOf(rb)]!;
        const loadB = SB.pre[B.length]!.load;
        const base = viol[ra]! + viol[rb]!;
        // Each move's gain is first bounded with no time warp where the jobs meet (warp only takes from the
        // gain, and subtracting it never raises a difference in floating point either), and the warp is summed
        // only when that bound passes the best gain so far.
        if (M.allowed[u * M.k + vOf(rb)]) {
          // u before or after w
          const overB = Math.max(0, loadB + M.dem[u]! - capB);
          if (base - withoutU - overB > gain)
            for (let p = iw; p <= iw + 1; p++) {
              const g = base - withoutU - warp3(M, SB.pre[p]!, U, SB.suf[p]!) - overB;
              if (g > gain) take(g, 1, iu, rb, p);
            }
          // u and w swap
          if (M.fixedVehicle[w]! < 0 && M.allowed[w * M.k + vOf(ra)]) {
            const W = M.node[w]!;
            const overA = Math.max(0, loadA - M.dem[u]! + M.dem[w]! - capA);
            const overBw = Math.max(0, loadB - M.dem[w]! + M.dem[u]! - capB);
            if (base - overA - overBw > gain) {
              const g = base - warp3(M, preU, W, sufU) - overA - warp3(M, SB.pre[iw]!, U, SB.suf[iw + 1]!) - overBw;
              if (g > gain) take(g, 2, iu, rb, iw);
            }
          }
        }
        // 2-opt*: A keeps its head up to u and takes B's tail after w; B the other way round.
        const headA = SA.pre[iu + 1]!;
        const tailA = SA.suf[iu + 1]!;
        const headB = SB.pre[iw + 1]!;
        const tailB = SB.suf[iw + 1]!;
        const overA = Math.max(0, headA.load + tailB.load - capA);
        const overB2 = Math.max(0, headB.load + tailA.load - capB);
        if (base - overA - overB2 <= gain) continue;
        const g = base - warp2(M, headA, tailB) - overA - warp2(M, headB, tailA) - overB2;
        if (g > gain && allowedAll(A, iu + 1, A.length, rb) && allowedAll(B, iw + 1, B.length, ra)) take(g, 3, iu, rb, iw);
      }
    }
    if (!kind) return false;
    const u = A[mu]!;
    const a = mutable(ra);
    if (kind === 4) {
      a.splice(mu, 1);
      a.splice(mp < mu ? mp : mp - 1, 0, u);
      refresh(ra);
      continue;
    }
    const b = mutable(rbest);
    if (kind === 1) {
      a.splice(mu, 1);
      b.splice(mp, 0, u);
    } else if (kind === 2) {
      a[mu] = b[mp]!;
      b[mp] = u;
    } else {
      const tailA = a.splice(mu + 1);
      const tailB = b.splice(mp + 1);
      a.push(...tailB);
      b.push(...tailA);
    }
    refresh(ra);
    refresh(rbest);
  }
  for (let ri = 0; ri < R; ri++) if (viol[ri]! > EPS) return false;
  commitRoutes(M, s, seqs, where);
  return true;
}

/**
 * Puts the job sequences a search worked on into `s`: a changed route becomes a new route object
 * (routes may be shared with other solutions: copy on write), an unchanged one is kept.
 */
function commitRoutes(M: Model, s: Solution, seqs: readonly number[][], where: ArrayLike<number>): void {
  for (let ri = 0; ri < seqs.length; ri++) {
    const old = s.routes[ri]!;
    if (old.seq.length === seqs[ri]!.length && old.seq.every((q, i) => q === seqs[ri]![i])) continue;
    const r = new Route(old.v);
    r.seq = seqs[ri]!;
    r.update(M);
    s.routes[ri] = r;
  }
  s.where.set(where);
}

// ---- education: penalised local search after each recreate (after Vidal et al.'s hybrid genetic search) ----

/** Neighbours each job looks at in the education. */
const EDUCATE_NEAR = 20;
/** How far (in places) the education moves a job within its own route. */
const INTRA_SPAN = 30;
/** Improving moves the education may make before it stops (a guard; it usually stops much earlier). */
const EDUCATE_MOVES = 500;

/**
 * Education: relocations (of one job, or of two consecutive jobs), swaps and 2-opt* tail exchanges
 * between a job and one of its nearest jobs on another route, and the relocation of a job next to one of
 * its nearest jobs on its own route, made while they lower the penalised cost
 * (travel cost + priced time warp and load over capacity), first improvement. Each move between routes is
 * priced in O(1) from the routes' prefix and suffix summaries (time-warp concatenation), one within a route
 * in the number of jobs it passes (at most INTRA_SPAN). A pair is looked at again only
 * when one of its two routes changed since (routes untouched by this iteration's ruin and recreate start as
 * seen). Stops after a pass without a move, 50 passes or EDUCATE_MOVES moves.
 */
function educate(S: Search, s: Solution, P: Penalty): void {
  const { M, rand } = S;
  const { n, C, loc, fixedVehicle, allowed, k } = M;
  const R = s.routes.length;
  const W = (S.educating = workingFor(S.educating, M, R));
  // Per route its penalised cost (`pen`), travel cost and when it last changed; per job when it was last looked at.
  const { vs, caps, where, pos, travel, changed, tested, mine, places, dist } = W;
  const pen = W.viol;
  const { seqs, mutable } = copyOnWrite(s, W.copied);
  const vOf = (ri: number) => vs[ri]!;
  for (let ri = 0; ri < R; ri++) {
    vs[ri] = s.routes[ri]!.v;
    caps[ri] = M.vCap[vs[ri]!]!;
  }
  const segs = s.routes.map((r) => (r.segs ??= segsOf(M, r.v, r.seq)));
  // Every job may go on every route: tails are exchanged without a look.
  const anyTail = M.free && M.flexible.length === M.m;
  where.set(s.where);
  changed.fill(0);
  tested.fill(0);
  let clock = 1;
  // places[ri][i + 1]: where the route is at its job i (its start at i = -1, its end at i = its length).
  const locAt = (ri: number, i: number) => places[ri]![i + 1]!;
  const priced = (ri: number, dist: number, warp: number, load: number) => dist + P.warp * warp + P.load * Math.max(0, load - caps[ri]!);
  // dist[ri][i]: travel cost of the prefix up to (not including) job i, i.e. start → seq[0] → … → seq[i−1].
  const refresh = (ri: number, remake: boolean) => {
    const seq = seqs[ri]!;
    const len = seq.length;
    if (remake) segs[ri] = segsInto(M, vOf(ri), seq, mine[ri]!);
    const d = dist[ri]!.length > len ? dist[ri]! : (dist[ri] = new Float64Array(2 * len + 2));
    let prev = M.vStart[vOf(ri)]!;
    for (let i = 0; i < len; i++) {
      d[i + 1] = d[i]! + C[prev * n + loc[seq[i]!]!]!;
      prev = loc[seq[i]!]!;
    }
    const total = len ? d[len]! + C[prev * n + M.vEnd[vOf(ri)]!]! : 0;
    travel[ri] = total;
    const at = places[ri]!.length > len + 1 ? places[ri]! : (places[ri] = new Int32Array(2 * len + 3));
    at[0] = M.vStart[vOf(ri)]!;
    for (let i = 0; i < len; i++) at[i + 1] = loc[seq[i]!]!;
    at[len + 1] = M.vEnd[vOf(ri)]!;
    pen[ri] = len ? priced(ri, total, warp2(M, segs[ri]!.pre[len]!, segs[ri]!.suf[len]!), segs[ri]!.pre[len]!.load) : 0;
    for (let i = 0; i < len; i++) {
      pos[seq[i]!] = i;
      where[seq[i]!] = ri;
    }
  };
  for (let ri = 0; ri < R; ri++) {
    refresh(ri, false);
    if (S.owned[ri]) changed[ri] = 1;
  }
  const order = W.order;
  order.set(M.flexible);
  // A summary reused in place by the moves' pricing.
  const pair = blankSeg();
  let moves = 0;
  for (let pass = 0; pass < 50 && moves < EDUCATE_MOVES; pass++) {
    let improved = false;
    for (let i = order.length - 1; i > 0; i--) {
      const r = Math.floor(rand() * (i + 1));
      [order[i], order[r]] = [order[r]!, order[i]!];
    }
    for (const u of order) {
      if (moves >= EDUCATE_MOVES) break;
      const ra = where[u]!;
      if (ra < 0 || fixedVehicle[u]! >= 0) continue;
      const near = M.near[u]!;
      const seen = tested[u]!;
      tested[u] = clock;
      for (let t = 1; t < Math.min(near.length, EDUCATE_NEAR + 1); t++) {
        const w = near[t]!;
        const rb = where[w]!;
        if (rb < 0) continue;
        if (changed[ra]! <= seen && changed[rb]! <= seen) continue;
        if (rb === ra ? tryIntra(u, w) : tryPair(u, w)) {
          improved = true;
          moves++;
          break;
        }
      }
    }
    if (!improved) break;
  }

  function tryPair(u: number, w: number): boolean {
    const ra = where[u]!;
    const rb = where[w]!;
    const A = seqs[ra]!;
    const B = seqs[rb]!;
    const SA = segs[ra]!;
    const SB = segs[rb]!;
    const iu = pos[u]!;
    const iw = pos[w]!;
    const va = vOf(ra);
    const vb = vOf(rb);
    const lenA = A.length;
    const lenB = B.length;
    const old = pen[ra]! + pen[rb]!;
    const costA = travel[ra]!;
    const costB = travel[rb]!;
    const U = M.node[u]!;
    const uOk = allowed[u * k + vb] === 1;
    // Relocate u (and u with its successor) before or after w.
    if (uOk) {
      const pa = locAt(ra, iu - 1);
      for (let two = 0; two < 2; two++) {
        let moved: Seg = U;
        let last = iu;
        if (two) {
          if (iu + 1 >= lenA) break;
          const x = A[iu + 1]!;
          if (x === w || fixedVehicle[x]! >= 0 || !allowed[x * k + vb]) break;
          moved = joinInto(M, U, M.node[x]!, pair);
          last = iu + 1;
        }
        const na = locAt(ra, last + 1);
        const firstLoc = loc[u]!;
        const lastLoc = loc[A[last]!]!;
        const inner = two ? C[firstLoc * n + lastLoc]! : 0;
        const aLen = lenA - (last - iu + 1);
        const newA = aLen ? costA - C[pa * n + firstLoc]! - inner - C[lastLoc * n + na]! + C[pa * n + na]! : 0;
        const penA = aLen ? priced(ra, newA, warp2(M, SA.pre[iu]!, SA.suf[last + 1]!), SA.pre[iu]!.load + SA.suf[last + 1]!.load) : 0;
        if (penA >= old) continue;
        for (let p = iw; p <= iw + 1; p++) {
          const pb = locAt(rb, p - 1);
          const nb = locAt(rb, p);
          const newB = costB + C[pb * n + firstLoc]! + inner + C[lastLoc * n + nb]! - (lenB ? C[pb * n + nb]! : 0);
          const loadB = SB.pre[lenB]!.load + moved.load;
          // Priced without time warp first (a bound: warp only adds); the warp is summed only when that could gain.
          if (penA + priced(rb, newB, 0, loadB) >= old - 1e-7) continue;
          const penB = priced(rb, newB, warp3(M, SB.pre[p]!, moved, SB.suf[p]!), loadB);
          if (penA + penB < old - 1e-7) {
            const taken = mutable(ra).splice(iu, last - iu + 1);
            mutable(rb).splice(p, 0, ...taken);
            return done(ra, rb);
          }
        }
      }
    }
    // Swap u and w.
    if (uOk && fixedVehicle[w]! < 0 && allowed[w * k + va]) {
      const W = M.node[w]!;
      const pa = locAt(ra, iu - 1);
      const na = locAt(ra, iu + 1);
      const pb = locAt(rb, iw - 1);
      const nb = locAt(rb, iw + 1);
      const lu = loc[u]!;
      const lw = loc[w]!;
      const newA = costA - C[pa * n + lu]! - C[lu * n + na]! + C[pa * n + lw]! + C[lw * n + na]!;
      const newB = costB - C[pb * n + lw]! - C[lw * n + nb]! + C[pb * n + lu]! + C[lu * n + nb]!;
      const loadA = SA.pre[lenA]!.load - U.load + W.load;
      const loadB = SB.pre[lenB]!.load - W.load + U.load;
      if (
        priced(ra, newA, 0, loadA) + priced(rb, newB, 0, loadB) < old - 1e-7 &&
        priced(ra, newA, warp3(M, SA.pre[iu]!, W, SA.suf[iu + 1]!), loadA) +
          priced(rb, newB, warp3(M, SB.pre[iw]!, U, SB.suf[iw + 1]!), loadB) <
          old - 1e-7
      ) {
        mutable(ra)[iu] = w;
        mutable(rb)[iw] = u;
        return done(ra, rb);
      }
    }
    // 2-opt*: A keeps its head up to u and takes B's tail from w on; B keeps its head before w and takes A's tail after u.
    if (M.vClass[va] === M.vClass[vb] && tailOk(A, iu + 1, vb) && tailOk(B, iw, va)) {
      const lu = loc[u]!;
      const pb = locAt(rb, iw - 1);
      const newA = dist[ra]![iu + 1]! + C[lu * n + loc[w]!]! + costB - dist[rb]![iw + 1]!;
      const bLen = iw + (lenA - iu - 1);
      let newB = 0;
      if (bLen)
        newB = dist[rb]![iw]! + (iu + 1 < lenA ? C[pb * n + loc[A[iu + 1]!]!]! + costA - dist[ra]![iu + 2]! : C[pb * n + M.vEnd[vb]!]!);
      const loadA = SA.pre[iu + 1]!.load + SB.suf[iw]!.load;
      const loadB = SB.pre[iw]!.load + SA.suf[iu + 1]!.load;
      if (
        priced(ra, newA, 0, loadA) + (bLen ? priced(rb, newB, 0, loadB) : 0) < old - 1e-7 &&
        priced(ra, newA, warp2(M, SA.pre[iu + 1]!, SB.suf[iw]!), loadA) +
          (bLen ? priced(rb, newB, warp2(M, SB.pre[iw]!, SA.suf[iu + 1]!), loadB) : 0) <
          old - 1e-7
      ) {
        const a = mutable(ra);
        const b = mutable(rb);
        const tA = a.splice(iu + 1);
        const tB = b.splice(iw);
        a.push(...tB);
        b.push(...tA);
        return done(ra, rb);
      }
    }
    return false;
  }
  /** Relocate u before or after w on their own route (at most INTRA_SPAN places away): prefix, the jobs between, u, suffix. */
  function tryIntra(u: number, w: number): boolean {
    const ra = where[u]!;
    const A = seqs[ra]!;
    const SA = segs[ra]!;
    const iu = pos[u]!;
    const iw = pos[w]!;
    const lenA = A.length;
    const old = pen[ra]!;
    const costA = travel[ra]!;
    const lu = loc[u]!;
    const pa = locAt(ra, iu - 1);
    const na = locAt(ra, iu + 1);
    const removed = costA - C[pa * n + lu]! - C[lu * n + na]! + C[pa * n + na]!;
    const U = M.node[u]!;
    const load = SA.pre[lenA]!.load;
    for (let p = iw; p <= iw + 1; p++) {
      if (p === iu || p === iu + 1 || Math.abs(p - iu) > INTRA_SPAN) continue;
      const pb = locAt(ra, p - 1);
      const nb = locAt(ra, p);
      const newA = removed + C[pb * n + lu]! + C[lu * n + nb]! - C[pb * n + nb]!;
      if (newA >= costA - 1e-7 && SA.pre[lenA]!.warp === 0) continue;
      let warp: number;
      if (iu < p) {
        joinInto(M, SA.pre[iu]!, M.node[A[iu + 1]!]!, pair);
        for (let i = iu + 2; i < p; i++) joinInto(M, pair, M.node[A[i]!]!, pair);
        warp = warp3(M, pair, U, SA.suf[p]!);
      } else {
        joinInto(M, SA.pre[p]!, U, pair);
        for (let i = p; i < iu; i++) joinInto(M, pair, M.node[A[i]!]!, pair);
        warp = warp2(M, pair, SA.suf[iu + 1]!);
      }
      if (priced(ra, newA, warp, load) < old - 1e-7) {
        const a = mutable(ra);
        a.splice(iu, 1);
        a.splice(iu < p ? p - 1 : p, 0, u);
        return done(ra, ra);
      }
    }
    return false;
  }
  function tailOk(seq: readonly number[], from: number, v: number): boolean {
    if (anyTail) return true;
    for (let i = from; i < seq.length; i++) if (!allowed[seq[i]! * k + v] || fixedVehicle[seq[i]!]! >= 0) return false;
    return true;
  }
  /** After a move on routes `ra` and `rb` (the same route for a move within it): their summaries anew, both marked changed. */
  function done(ra: number, rb: number): boolean {
    refresh(ra, true);
    if (rb !== ra) refresh(rb, true);
    clock++;
    changed[ra] = clock;
    changed[rb] = clock;
    return true;
  }

  commitRoutes(M, s, seqs, where);
}

/**
 * The cost phase's education on its own (for tests and diagnostics): `routes[v]` holds vehicle v's jobs in
 * order, which may break windows and capacity; returns them after education at the given prices (per unit
 * of time warp and of load over capacity). Every job stays exactly once; fixed jobs stay on their vehicle.
 */
export function educateRoutes(problem: VrpProblem, routes: readonly (readonly number[])[], price: Penalty, seed = 1): number[][] {
  const { S, s } = planOf(problem, routes, seed);
  educate(S, s, price);
  return s.routes.map((r) => r.seq.slice());
}

/**
 * The cost phase's route drop on its own (for tests and diagnostics): `routes[v]` holds vehicle v's jobs in
 * order; one used route without fixed jobs (the one with the fewest jobs, or a random one) is emptied into
 * the other used routes at the given prices, and the plan is educated. Returns the routes and the jobs that
 * no other used route may take, or null when every used route holds a fixed job.
 */
export function dropRouteOf(
  problem: VrpProblem,
  routes: readonly (readonly number[])[],
  price: Penalty,
  seed = 1,
  smallest = true,
): { routes: number[][]; unassigned: number[] } | null {
  const { S, s } = planOf(problem, routes, seed);
  const next = dropRoute(S, s, price, smallest);
  return next && { routes: next.routes.map((r) => r.seq.slice()), unassigned: next.unassigned.slice() };
}

/**
 * The squeeze on a feasible plan (`routes[v]`: vehicle v's jobs in order), for tests: `job` (in no route)
 * is put where it breaks the least, then the plan is repaired by the squeeze's moves. Returns the routes
 * when every route keeps its windows, shift and capacity again, null when the squeeze fails (the plan
 * is then unchanged).
 */
export function squeezeInto(problem: VrpProblem, routes: readonly (readonly number[])[], job: number, seed = 1): number[][] | null {
  const { S, s } = planOf(problem, routes, seed);
  return squeeze(S, s, job) ? s.routes.map((r) => r.seq.slice()) : null;
}

/**
 * Plan after plan with one search (for tests): `plans[i].j` (when not -1, a job in no route of the plan) is
 * squeezed in, then the plan is educated at `price`, its `touched` routes counted as changed by the iteration (the
 * others as looked at before). With `fresh` the squeeze's and the education's working arrays are dropped before
 * each plan, so that a test can check that reusing them from call to call changes no choice. Per plan: the
 * squeezed routes (null when the squeeze failed or had no job) and the educated ones.
 */
export function squeezeAndEducateInTurn(
  problem: VrpProblem,
  plans: readonly { routes: readonly (readonly number[])[]; j: number; touched: readonly number[] }[],
  price: Penalty,
  seed: number,
  fresh: boolean,
): { squeezed: number[][] | null; educated: number[][] }[] {
  const { S } = planOf(problem, [], seed);
  return plans.map(({ routes, j, touched }) => {
    if (fresh) S.squeezing = S.educating = null;
    const s = solutionOf(S.M, routes);
    S.owned.fill(0);
    for (const v of touched) S.owned[v] = 1;
    const squeezed = j >= 0 && squeeze(S, s, j) ? s.routes.map((r) => r.seq.slice()) : null;
    educate(S, s, price);
    return { squeezed, educated: s.routes.map((r) => r.seq.slice()) };
  });
}

/**
 * The route elimination's ejection on a plan (`routes[v]`: vehicle v's jobs in order), for tests: `job`
 * (in no route) goes into a route in place of at most `ejectLimit` of its flexible jobs whose `penalty`
 * (indexed by job) sums least. Null when no such set lets it in.
 */
export function ejectInto(
  problem: VrpProblem,
  routes: readonly (readonly number[])[],
  job: number,
  penalty: readonly number[],
  seed = 1,
): { routes: number[][]; ejected: number[] } | null {
  const { S, s } = planOf(problem, routes, seed);
  const ejected = ejectFor(S, s, job, Int32Array.from(penalty));
  return ejected && { routes: s.routes.map((r) => r.seq.slice()), ejected };
}

/**
 * The route elimination's perturbation on a feasible plan (`routes[v]`: vehicle v's jobs in order), for
 * tests: `moves` random moves between neighbouring jobs, each made only when both routes stay feasible.
 */
export function perturbRoutes(problem: VrpProblem, routes: readonly (readonly number[])[], moves: number, seed = 1): number[][] {
  const { S, s } = planOf(problem, routes, seed);
  perturb(S, s, moves);
  return s.routes.map((r) => r.seq.slice());
}

/**
 * One route elimination on a feasible plan (`routes[v]`: vehicle v's jobs in order), for tests: it stops
 * after every `every` rounds (a round places one pooled job) and goes on, for at most `rounds` rounds in
 * all. Returns the routes and the pool where it ended, and the rounds made; `done` is true when the pool was
 * emptied (one vehicle fewer), false when it stopped shrinking, null when the rounds ran out. Null when no
 * route can be emptied.
 */
export function eliminateInSteps(
  problem: VrpProblem,
  routes: readonly (readonly number[])[],
  rounds: number,
  every: number,
  seed = 1,
): { routes: number[][]; pool: number[]; done: boolean | null; rounds: number } | null {
  const { S, s } = planOf(problem, routes, seed);
  const el = startElimination(S, s);
  if (!el) return null;
  let left = rounds;
  let done: boolean | null = null;
  while (left > 0 && done === null) {
    let n = 0;
    const next = continueElimination(S, el, () => {
      if (left <= 0 || n >= every) return true;
      left--;
      n++;
      return false;
    });
    if (next !== undefined) done = next !== null;
  }
  return { routes: el.s.routes.map((r) => r.seq.slice()), pool: el.pool.slice(), done, rounds: rounds - left };
}

/** A search and a plan from job sequences per vehicle (which may break windows and capacity). */
function planOf(problem: VrpProblem, routes: readonly (readonly number[])[], seed: number): { S: Search; s: Solution } {
  const M = model(problem);
  const rand = rng(seed);
  const S: Search = { M, rand, owned: new Uint8Array(M.k).fill(1), blinkIn: blinkGap(rand), eject: null, squeezing: null, educating: null };
  return { S, s: solutionOf(M, routes) };
}

/** The plan with `routes[v]` on vehicle v (the jobs in no route unassigned, not listed). */
function solutionOf(M: Model, routes: readonly (readonly number[])[]): Solution {
  const where = new Int32Array(M.m).fill(-1);
  const rs = Array.from({ length: M.k }, (_, v) => {
    const r = new Route(v);
    r.seq = (routes[v] ?? []).slice();
    for (const j of r.seq) where[j] = v;
    r.update(M);
    return r;
  });
  return new Solution(rs, [], where);
}

/**
 * Makes room for `j` in one route by ejecting at most `ejectLimit` flexible jobs of that route: over every route
 * and place for `j`, the set whose `penalty` (how often each job could not be placed) sums least, ties at random
 * (Nagata & Bräysy's ejection; a set counts once more for each of its ejected jobs right before `j`'s place, since
 * `j` could stand before or after each of them: this favours sets next to `j`). Each route is searched depth first
 * along its jobs in order, deciding where `j` goes and, for every other job, keep or eject; a branch ends as soon
 * as a kept job after `j` starts no later than its latest start (the rest of the route is as before, so it stays
 * on time), when a kept job misses its window, when its penalty sum passes the least found, or when it would need
 * one more ejection (`j` is in but the rest is late or over capacity) that no job left could pay for. Returns the
 * ejected jobs (`j` is then in), or null when no such set lets `j` in.
 */
function ejectFor(S: Search, s: Solution, j: number, penalty: Int32Array): number[] | null {
  const { M } = S;
  const E = (S.eject ??= newEjection(M, S.rand));
  E.penalty = penalty;
  E.at = M.loc[j]!;
  E.early = M.e[j]!;
  E.late = M.l[j]! + EPS;
  E.svc = M.svc[j]!;
  E.minIn = Math.min(M.minIn[E.at]!, M.T[E.at * M.n + E.at]!);
  E.metric = isMetric(M);
  E.bestP = Infinity;
  E.ties = 0;
  E.pickRi = -1;
  E.outN = 0;
  for (let ri = 0; ri < s.routes.length; ri++) {
    const route = s.routes[ri]!;
    const len = route.seq.length;
    const v = route.v;
    if (!len || !M.allowed[j * M.k + v]) continue;
    E.ri = ri;
    E.seq = route.seq;
    E.lat = route.lat;
    E.cap = M.vCap[v]! + EPS;
    E.full = route.load + M.dem[j]!;
    E.most = ejectLimit(len);
    E.end = M.vEnd[v]!;
    E.endBy = M.vLate[v]! + EPS;
    if (E.cheapest.length <= len) E.cheapest = new Float64Array(2 * len + 1);
    E.cheapest[len] = Infinity;
    for (let i = len - 1; i >= 0; i--) {
      const x = route.seq[i]!;
      E.cheapest[i] = Math.min(E.cheapest[i + 1]!, M.fixedVehicle[x]! < 0 ? penalty[x]! : Infinity);
    }
    ejectDfs(E, 0, false, M.vEarly[v]!, M.vStart[v]!, 0, 0);
  }
  if (E.pickRi < 0) return null;
  const route = s.routes[E.pickRi]!;
  const pickOut = Array.from(E.pickOut.subarray(0, E.pickN));
  const gone = new Set(pickOut);
  const seq: number[] = [];
  for (let i = 0; i <= route.seq.length; i++) {
    if (i === E.pickP) seq.push(j);
    if (i < route.seq.length && !gone.has(route.seq[i]!)) seq.push(route.seq[i]!);
  }
  route.seq = seq;
  route.update(M);
  s.where[j] = E.pickRi;
  for (const q of pickOut) s.where[q] = -1;
  return pickOut;
}

/**
 * The state of an ejection search (`ejectFor`), kept in the search and reused, so that the depth-first
 * walk allocates nothing: the job to place (its place, window and duration), the route being searched,
 * the jobs ejected on the current branch, and the best sets found.
 */
interface Ejection {
  M: Model;
  rand: () => number;
  penalty: Int32Array;
  /** The job's place, window (`late` with the tolerance) and duration, and the least travel time to its place. */
  at: number;
  early: number;
  late: number;
  svc: number;
  minIn: number;
  metric: boolean;
  /** The route searched: its index, jobs, latest starts, capacity (with the tolerance), load with the job, ejection limit, end and end of shift. */
  ri: number;
  seq: number[];
  lat: number[];
  cap: number;
  full: number;
  most: number;
  end: number;
  endBy: number;
  /** The least penalty of an ejectable job from each index of the route on (Infinity: none). */
  cheapest: Float64Array;
  /** Where the job goes on the current branch, and the jobs it ejects. */
  pAt: number;
  out: Int32Array;
  outN: number;
  /** The least penalty sum found, how many sets tie at it, and the set kept (route, place, jobs). */
  bestP: number;
  ties: number;
  pickRi: number;
  pickP: number;
  pickOut: Int32Array;
  pickN: number;
}

/** An ejection search's state for the search's model and random draws, before any search. */
function newEjection(M: Model, rand: () => number): Ejection {
  return {
    M,
    rand,
    penalty: new Int32Array(0),
    at: 0,
    early: 0,
    late: 0,
    svc: 0,
    minIn: 0,
    metric: true,
    ri: -1,
    seq: [],
    lat: [],
    cap: 0,
    full: 0,
    most: 0,
    end: 0,
    endBy: 0,
    cheapest: new Float64Array(0),
    pAt: -1,
    out: new Int32Array(MAX_EJECT),
    outN: 0,
    bestP: Infinity,
    ties: 0,
    pickRi: -1,
    pickP: -1,
    pickOut: new Int32Array(MAX_EJECT),
    pickN: 0,
  };
}

/** A set that lets the job in, with penalty sum `P`: kept when it is the least so far, or at random among ties. */
function ejectLeaf(E: Ejection, P: number): void {
  if (P < E.bestP) {
    E.bestP = P;
    E.ties = 0;
  }
  if (E.rand() * ++E.ties < 1) {
    E.pickRi = E.ri;
    E.pickP = E.pAt;
    E.pickN = E.outN;
    E.pickOut.set(E.out.subarray(0, E.outN));
  }
}

/**
 * The ejection search's walk over the route from its job at `idx`, leaving the previous place `prev` at
 * `t`, with the job already in (`ins`) or not, ejected penalties `P` and ejected load `ejLoad` so far.
 */
function ejectDfs(E: Ejection, idx: number, ins: boolean, t: number, prev: number, P: number, ejLoad: number): void {
  const { M } = E;
  const { T, n } = M;
  if (!ins) {
    // Too late for the job here, so later too (departures only grow along the route, and with the
    // triangle inequality so does the arrival at the job): nothing to find.
    const toJob = T[prev * n + E.at]!;
    if (t + (E.metric ? toJob : E.minIn) > E.late) return;
    const start = Math.max(t + toJob, E.early);
    if (start <= E.late) {
      E.pAt = idx;
      ejectDfs(E, idx, true, start + E.svc, E.at, P, ejLoad);
    }
  }
  const seq = E.seq;
  if (idx === seq.length) {
    if (ins && E.full - ejLoad <= E.cap && t + T[prev * n + E.end]! <= E.endBy) ejectLeaf(E, P);
    return;
  }
  const x = seq[idx]!;
  const at = M.loc[x]!;
  const st = Math.max(t + T[prev * n + at]!, M.e[x]!);
  if (ins) {
    if (E.full - ejLoad <= E.cap && st <= E.lat[idx]! + EPS) {
      ejectLeaf(E, P);
      return;
    }
    // Keeping every job left stays late or over capacity (from its latest starts): one more ejection
    // is needed, and none is left or affordable.
    if (E.outN === E.most || P + E.cheapest[idx]! > E.bestP) return;
  }
  if (st <= M.l[x]! + EPS) ejectDfs(E, idx + 1, ins, st + M.svc[x]!, at, P, ejLoad);
  const px = E.penalty[x]!;
  if (E.outN < E.most && M.fixedVehicle[x]! < 0 && P + px <= E.bestP) {
    E.out[E.outN++] = x;
    ejectDfs(E, idx + 1, ins, t, prev, P + px, ejLoad + M.dem[x]!);
    E.outN--;
  }
}

/**
 * Whether the route still keeps its windows and shift when it leaves `from` at `depart` for its job at
 * `k` (its end when `k` is its length) and goes on as before. O(1), from the latest starts.
 */
function reachesOnTime(M: Model, R: Route, k: number, from: number, depart: number): boolean {
  if (k === R.seq.length) return depart + M.T[from * M.n + M.vEnd[R.v]!]! <= M.vLate[R.v]! + EPS;
  const y = R.seq[k]!;
  return Math.max(depart + M.T[from * M.n + M.loc[y]!]!, M.e[y]!) <= R.lat[k]! + EPS;
}

/** Where the route is after its job at `i` (its start when `i` is -1): the place and the departure. */
function leaving(M: Model, R: Route, i: number): [number, number] {
  if (i < 0) return [M.vStart[R.v]!, M.vEarly[R.v]!];
  const x = R.seq[i]!;
  return [M.loc[x]!, R.st[i]! + M.svc[x]!];
}

/** Whether job `x` between the route's jobs at `i` and `k` keeps every window and the shift (not the capacity). O(1). */
function fitsBetween(M: Model, R: Route, i: number, x: number, k: number): boolean {
  const [from, depart] = leaving(M, R, i);
  const at = M.loc[x]!;
  const start = Math.max(depart + M.T[from * M.n + at]!, M.e[x]!);
  return start <= M.l[x]! + EPS && reachesOnTime(M, R, k, at, start + M.svc[x]!);
}

/** Whether every job of `seq` from `i` on may go on vehicle `v`. */
const allowedFrom = (M: Model, seq: readonly number[], i: number, v: number) => {
  for (let x = i; x < seq.length; x++) if (!M.allowed[seq[x]! * M.k + v]) return false;
  return true;
};

/**
 * Random feasible moves between neighbouring jobs: 2-opt* tail exchanges (a PERTURB_TWO_OPT share),
 * relocations and swaps. The same jobs served, other routes. Moves between two routes are checked in
 * O(1) from the routes' service starts, latest starts and loads.
 */
function perturb(S: Search, s: Solution, moves: number): void {
  const { M, rand } = S;
  const { flexible: flex, allowed, k, dem, vCap } = M;
  if (!flex.length) return;
  for (let t = 0; t < moves; t++) {
    const u = flex[Math.floor(rand() * flex.length)]!;
    const ru = s.where[u]!;
    if (ru < 0) continue;
    const near = M.near[u]!;
    const w = near[1 + Math.floor(rand() * Math.min(GRANULAR, near.length - 1))];
    if (w === undefined) continue;
    const rw = s.where[w]!;
    if (rw < 0) continue;
    const A = s.routes[ru]!;
    const B = s.routes[rw]!;
    const iu = A.seq.indexOf(u);
    const iw = B.seq.indexOf(w);
    const roll = rand();
    if (roll < PERTURB_TWO_OPT) {
      // 2-opt*: u's route keeps its head up to u and takes w's tail after w; the other way round.
      if (ru === rw || M.vClass[A.v] !== M.vClass[B.v]) continue;
      if (A.cum[iu]! + B.load - B.cum[iw]! > vCap[A.v]! + EPS || B.cum[iw]! + A.load - A.cum[iu]! > vCap[B.v]! + EPS) continue;
      // (Same class: the same end and shift, so each tail's latest starts hold on the other vehicle.)
      if (!reachesOnTime(M, B, iw + 1, ...leaving(M, A, iu)) || !reachesOnTime(M, A, iu + 1, ...leaving(M, B, iw))) continue;
      // (A fixed job is allowed only on its own vehicle.)
      if (!M.free && (!allowedFrom(M, B.seq, iw + 1, A.v) || !allowedFrom(M, A.seq, iu + 1, B.v))) continue;
      const a = A.seq.slice(0, iu + 1).concat(B.seq.slice(iw + 1));
      const b = B.seq.slice(0, iw + 1).concat(A.seq.slice(iu + 1));
      setPair(M, A, a, B, b);
      for (const x of a) s.where[x] = ru;
      for (const x of b) s.where[x] = rw;
    } else if (roll < PERTURB_TWO_OPT + (1 - PERTURB_TWO_OPT) / 2) {
      // relocate u next to w (after it)
      if (!allowed[u * k + B.v]) continue;
      if (ru === rw) {
        const seq = A.seq.filter((x) => x !== u);
        seq.splice(seq.indexOf(w) + 1, 0, u);
        if (!feasibleSeq(M, A.v, seq)) continue;
        A.seq = seq;
        A.update(M);
      } else {
        if (A.seq.length === 1) continue; // never empties a route here
        if (B.load + dem[u]! > vCap[B.v]! + EPS || !fitsBetween(M, B, iw, u, iw + 1)) continue;
        if (!reachesOnTime(M, A, iu + 1, ...leaving(M, A, iu - 1))) continue;
        const to = B.seq.slice();
        to.splice(iw + 1, 0, u);
        setPair(
          M,
          A,
          A.seq.filter((x) => x !== u),
          B,
          to,
        );
        s.where[u] = rw;
      }
    } else {
      // swap u and w
      if (ru === rw || !allowed[u * k + B.v] || !allowed[w * k + A.v]) continue;
      if (A.load - dem[u]! + dem[w]! > vCap[A.v]! + EPS || B.load - dem[w]! + dem[u]! > vCap[B.v]! + EPS) continue;
      if (!fitsBetween(M, A, iu - 1, w, iu + 1) || !fitsBetween(M, B, iw - 1, u, iw + 1)) continue;
      const a = A.seq.slice();
      const b = B.seq.slice();
      a[iu] = w;
      b[iw] = u;
      setPair(M, A, a, B, b);
      s.where[u] = rw;
      s.where[w] = ru;
    }
  }
}

/** Gives routes `A` and `B` the sequences `a` and `b`. */
function setPair(M: Model, A: Route, a: number[], B: Route, b: number[]): void {
  A.seq = a;
  B.seq = b;
  A.update(M);
  B.update(M);
}

/**
 * A route elimination under way (after Nagata & Bräysy): the plan with one route emptied into the
 * ejection pool, being filled again, and the penalties of its jobs. It may stop when time is up and
 * go on later from where it stopped (`continueElimination`).
 */
interface Elimination {
  /** The plan being filled: every job in a route or in the pool. */
  s: Solution;
  pool: number[];
  /** How often each job could not be placed in this elimination (from 1). */
  penalty: Int32Array;
  /** Jobs in a row that fitted nowhere even with ejections. */
  stuck: number;
}

/**
 * Starts to serve every job of `from` with one vehicle fewer: a random route of flexible jobs (of a copy)
 * is emptied into the ejection pool, in random order. Null when every used route holds a fixed job.
 */
function startElimination(S: Search, from: Solution): Elimination | null {
  const { M, rand } = S;
  const s = new Solution(
    from.routes.map((r) => r.clone()),
    [],
    from.where.slice(),
  );
  const candidates: number[] = [];
  for (let ri = 0; ri < s.routes.length; ri++) {
    const r = s.routes[ri]!;
    if (r.seq.length && !r.seq.some((j) => M.fixedVehicle[j]! >= 0)) candidates.push(ri);
  }
  if (candidates.length === 0) return null;
  const gone = s.routes[candidates[Math.floor(rand() * candidates.length)]!]!;
  const pool = gone.seq.slice();
  for (const j of pool) s.where[j] = -1;
  gone.seq = [];
  gone.update(M);
  for (let i = pool.length - 1; i > 0; i--) {
    const x = Math.floor(rand() * (i + 1));
    [pool[i], pool[x]] = [pool[x]!, pool[i]!];
  }
  return { s, pool, penalty: new Int32Array(M.m).fill(1), stuck: 0 };
}

/**
 * Goes on with an elimination: each pooled job is put where it fits, or else in place of up to five jobs
 * of a route that were hardest to place least often (they go to the pool), and the routes are shaken by
 * random feasible moves. Returns the plan with one vehicle fewer once the pool is empty, null when the pool
 * stops shrinking (a job fits nowhere even with ejections, again and again), or undefined when `stop()`
 * says time is up: the elimination then stands as it is, and a later call goes on from there (with no
 * other draws in between, making the same choices as if it had not stopped).
 */
function continueElimination(S: Search, el: Elimination, stop: () => boolean): Solution | null | undefined {
  const { s, pool, penalty } = el;
  while (pool.length) {
    if (stop()) return undefined;
    const j = pool.pop()!;
    if (insertAnywhere(S, s, j) || squeeze(S, s, j)) {
      el.stuck = 0;
      continue;
    }
    penalty[j]!++;
    const out = ejectFor(S, s, j, penalty);
    if (!out) {
      // Nowhere even with ejections: try again later, after the routes have changed.
      pool.unshift(j);
      if (++el.stuck > 4 * (pool.length + 1)) return null;
    } else {
      el.stuck = 0;
      pool.push(...out);
    }
    perturb(S, s, PERTURB_MOVES);
  }
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
  const S: Search = { M, rand, owned: new Uint8Array(M.k), blinkIn: 0, eject: null, squeezing: null, educating: null };
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

  // When vehicles cost something, RUNS independent runs (each from its own construction) first cut the
  // fleet, each in its own share of FLEET_SHARE of the budget; then only the runs that ended with the
  // fewest vehicles go on to the cost phase, sharing what is left: the route elimination leaves each run
  // in its own basin, which the cost phase rarely leaves, and a run with more vehicles cannot win.
  const runs = M.vehicleCost > 0 ? RUNS : 1;
  const lb = fleetLowerBound(M);
  /** The elimination each plan's fleet minimisation left unfinished when its time was up, keyed by that plan. */
  const unfinished = new Map<Solution, Elimination>();
  /**
   * Route elimination from `from` until the capacity lower bound is reached or progress reaches `until`;
   * an elimination `from` was left with goes on where it stopped.
   */
  const eliminateUntil = (from: Solution, until: number): Solution => {
    const stop = () => {
      iter++;
      return progress() >= until;
    };
    let el = unfinished.get(from) ?? null;
    unfinished.delete(from);
    let s = from;
    while (s.used() > lb && !stop()) {
      el ??= startElimination(S, s);
      if (!el) break;
      const next = continueElimination(S, el, stop);
      if (next === undefined) break;
      el = null;
      if (next) s = next;
    }
    if (el) unfinished.set(s, el);
    return s;
  };
  const starts: Solution[] = [];
  for (let run = 0; run < runs; run++) {
    const fleetTo = (FLEET_SHARE * (run + 1)) / runs;
    if (run > 0) {
      if (progress() >= fleetTo - (0.5 * FLEET_SHARE) / runs) break;
      best = initial(S);
    }
    // Phase 1: fewer vehicles, when a vehicle costs something: one route at a time is eliminated.
    if (M.vehicleCost > 0 && best.unassigned.length === 0) best = eliminateUntil(best, fleetTo);
    starts.push(best);
  }
  const fewest = Math.min(...starts.map((x) => x.unassigned.length * (M.k + 1) + x.used()));
  const chosen = starts.filter((x) => x.unassigned.length * (M.k + 1) + x.used() === fewest);
  let overall = chosen[0]!;
  const costFrom = progress();
  // The chosen runs all start the cost phase with this fleet; once a run's best plan has fewer vehicles, the
  // runs after it cannot win, so they are skipped and that run keeps the rest of the budget.
  const chosenFleet = chosen[0]!.used();
  let runsLeft = chosen.length;
  for (let run = 0; run < runsLeft; run++) {
    best = chosen[run]!;
    let runTo = costFrom + ((1 - costFrom) * (run + 1)) / chosen.length;
    // Phase 2: cost, by simulated annealing over ruin and recreate in the penalised space: a plan may
    // break windows and capacity at prices that adapt so that about a quarter of the plans made keep
    // them; the best plan that keeps them is returned.
    let timeSum = 0;
    let costSum = 0;
    for (let i = 0; i < M.T.length; i++)
      if (Number.isFinite(M.T[i]!) && Number.isFinite(M.C[i]!)) {
        timeSum += M.T[i]!;
        costSum += M.C[i]!;
      }
    let maxDemand = 0;
    for (let j = 0; j < M.m; j++) maxDemand = Math.max(maxDemand, M.dem[j]!);
    // Start prices: PRICE_START times the cost of a unit of travel time, and of the longest leg per largest demand.
    const warp0 = PRICE_START * (timeSum > 0 && costSum > 0 ? costSum / timeSum : 1);
    const P: Penalty = { warp: warp0, load: PRICE_START * (maxDemand > 0 && maxArc > 0 ? maxArc / maxDemand : 1) };
    const loadPerWarp = P.load / P.warp;
    // Vehicles up to the fleet of the plan the search starts from are counted as used, so that emptying a
    // route into broken windows gains nothing.
    let fleet = best.used();
    // While `cap` is finite the walk tries to serve every job with `cap` vehicles (one fewer than the best
    // plan), until `dropTo`; a plan that does so feasibly becomes the best plan by the objective.
    let cap = Infinity;
    let dropTo = -1;
    const pscore = (x: Solution) => {
      let c = x.unassigned.length * big + M.vehicleCost * Math.max(x.used(), fleet);
      for (const r of x.routes) if (r.seq.length) c += penalised(P, r);
      return c;
    };
    let cur = best;
    let curScore = pscore(cur);
    let bestScore = score(M, best, big);
    const avg = cur.cost(M) / Math.max(1, M.m) - M.vehicleCost * (cur.used() / Math.max(1, M.m));
    const temp0 = Math.max(1e-6, 0.5 * Math.max(avg, 1e-6));
    const tempF = temp0 / 100;
    // The temperature falls from `coolFrom` to the end of the run (a try at one route fewer starts it anew).
    let coolFrom = progress();
    let made = 0;
    let kept = 0;
    let lastKept = iter;
    let lastBest = iter;
    const drop = (smallest: boolean) => {
      const next = dropRoute(S, best, P, smallest);
      if (!next) return false;
      cap = fleet = best.used() - 1;
      cur = next;
      curScore = pscore(cur);
      lastKept = iter;
      return true;
    };
    if (run === 0 && M.vehicleCost > 0 && !best.unassigned.length && best.used() > lb) {
      dropTo = Math.min(runTo, coolFrom + DROP_SHARE);
      // The first half: the route elimination once more; the second half (or what it leaves): the penalised walk.
      const fewer = eliminateUntil(best, Math.min(dropTo, coolFrom + DROP_SHARE / 2));
      if (fewer !== best) {
        best = cur = fewer;
        fleet = best.used();
        bestScore = score(M, best, big);
        curScore = pscore(cur);
      }
      if (best.used() > lb) drop(true);
    }
    for (;;) {
      if (run + 1 < runsLeft && best.used() < chosenFleet) {
        runsLeft = run + 1;
        runTo = 1;
      }
      const p = progress();
      if (p >= runTo) break;
      if (cap < Infinity && (best.used() <= cap || p >= dropTo)) {
        // The route is gone (the best plan has `cap` vehicles), or time is up: the walk goes on from the best plan,
        // at the start prices (the try at fewer vehicles has mostly raised them).
        cap = Infinity;
        fleet = best.used();
        P.warp = warp0;
        P.load = warp0 * loadPerWarp;
        made = kept = 0;
        coolFrom = p;
        if (!(best.used() > lb && p < dropTo && drop(true))) {
          cur = best;
          curScore = pscore(cur);
          lastKept = iter;
        }
      }
      iter++;
      const frac = runTo > coolFrom ? (p - coolFrom) / (runTo - coolFrom) : 1;
      const temp = temp0 * Math.pow(tempF / temp0, frac);
      S.owned.fill(0);
      const next = cur.clone();
      const removed = ruin(S, next, ruinSeed(S, cur));
      const pending = removed.concat(next.unassigned);
      next.unassigned = [];
      sortForRecreate(S, pending);
      // Breaking windows is allowed only when vehicles cost something (the fleet is cut to its minimum;
      // with free vehicles the strict walk does as well, at a third of the time per iteration) and once
      // the best plan serves every job (a penalised recreate places every job somewhere, so it could never
      // leave out one that fits nowhere).
      if (best.unassigned.length || M.vehicleCost <= 0) recreate(S, next, pending, true);
      else {
        recreatePenalised(S, next, pending, P, fleet, cap);
        educate(S, next, P);
        // Broken: half the time educated once more at ten times the prices, which mostly repairs it (HGS's repair).
        if (next.broken() > 0 && rand() < REPAIR_SHARE) educate(S, next, { warp: P.warp * REPAIR_BOOST, load: P.load * REPAIR_BOOST });
      }
      // A plan that breaks windows but would be the best one if it kept them: repair it (squeeze).
      if (next.broken() > best.broken() && next.cost(M) < best.cost(M) - 1e-9) squeeze(S, next, -1);
      made++;
      if (next.broken() <= best.broken() && next.unassigned.length <= best.unassigned.length) kept++;
      let sc = score(M, next, big);
      if (sc < bestScore - 1e-9) {
        // A new best: polish it by local search before the acceptance test.
        localSearch(S, next);
        sc = score(M, next, big);
        best = next;
        bestScore = sc;
        lastBest = iter;
      }
      if (iter - lastBest > STALL && cap === Infinity) {
        // No better plan for a while: back to the best plan, and the temperature starts anew.
        lastBest = lastKept = iter;
        coolFrom = p;
        cur = best;
        curScore = pscore(cur);
      }
      const psc = pscore(next);
      if (psc < curScore - temp * Math.log(rand())) {
        cur = next;
        curScore = psc;
      }
      if (cur.broken() <= best.broken()) lastKept = iter;
      else if (iter - lastKept > STRAY && !(cap < Infinity && drop(false))) {
        // Broken for too long: the walk has strayed where ruin and recreate cannot repair; back to the best plan
        // (or, while a route is being emptied, to the best plan without a random route).
        cur = best;
        curScore = pscore(cur);
        lastKept = iter;
      }
      if (made === PRICE_EVERY) {
        const share = kept / made;
        if (share < PRICE_TARGET - 0.05) P.warp = Math.min(P.warp * 1.2, warp0 * PRICE_MAX);
        else if (share > PRICE_TARGET + 0.05) P.warp = Math.max(P.warp * 0.85, warp0 / PRICE_MAX);
        P.load = P.warp * loadPerWarp;
        made = kept = 0;
        curScore = pscore(cur);
      }
    }
    if (score(M, best, big) < score(M, overall, big)) overall = best;
  }
  best = overall;
  return output(M, best, iter);
}

/**
 * `s` with one route fewer, in the penalised space: the jobs of a route without fixed jobs (the one with
 * the fewest jobs, or a random one) are reinserted where their cost plus the priced time warp and load
 * over capacity is least, using at most the other routes' vehicles, then educated. Null when every route
 * holds a fixed job.
 */
function dropRoute(S: Search, s: Solution, P: Penalty, smallest: boolean): Solution | null {
  const { M, rand } = S;
  let pick = -1;
  let seen = 0;
  for (let ri = 0; ri < s.routes.length; ri++) {
    const r = s.routes[ri]!;
    if (!r.seq.length || r.seq.some((j) => M.fixedVehicle[j]! >= 0)) continue;
    if (smallest ? pick < 0 || r.seq.length < s.routes[pick]!.seq.length : rand() * ++seen < 1) pick = ri;
  }
  if (pick < 0) return null;
  const cap = s.used() - 1;
  S.owned.fill(0);
  const next = s.clone();
  const route = own(S, next, pick);
  const jobs = route.seq;
  route.seq = [];
  route.update(M);
  for (const j of jobs) next.where[j] = -1;
  sortForRecreate(S, jobs);
  recreatePenalised(S, next, jobs, P, cap, cap);
  educate(S, next, P);
  return next;
}

/** A random flexible job; when `s` breaks windows or capacity, half the time one on a broken route. */
function ruinSeed(S: Search, s: Solution): number {
  const { M, rand } = S;
  const flex = M.flexible;
  if (rand() < 0.5) {
    let seen = 0;
    let pick = -1;
    for (const r of s.routes) if (r.bad && r.seq.length && rand() * ++seen < 1) pick = r.seq[Math.floor(rand() * r.seq.length)]!;
    if (pick >= 0 && M.fixedVehicle[pick]! < 0) return pick;
  }
  return flex[Math.floor(rand() * flex.length)]!;
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
