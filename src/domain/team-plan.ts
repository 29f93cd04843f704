/**
 * A team plan of one cell's day, pure: the day's fixed-time jobs reassigned across the cell's
 * technicians to cut travel and remove late risks, every start and duration kept. Built as a VRPTW
 * (src/domain/vrptw.ts): each job's window is [start, start], its service its duration; one vehicle per
 * technician from and back to their home; a job may go to a technician who has its skills and a shift
 * window holding it (the cell's own checks), and always stays allowed on its current technician. Jobs
 * already under way are fixed to their technician. Consecutive jobs need the cell's travel gap
 * (travel + buffer), so an accepted plan never clashes in the cell.
 */
import { travelGapMs, type TravelModel } from "./calendar";
import { dayRoute } from "./day-route";
import type { LatLng } from "./geo";
import { solveVrptw, type VrpJob, type VrpProblem } from "./vrptw";

export interface PlanTechnician {
  id: string;
  home: LatLng;
  skills: readonly string[];
  /** The day's shift windows, [start, end) UTC ms. */
  shifts: readonly (readonly [number, number])[];
}

export interface PlanJob {
  orderId: string;
  technicianId: string;
  point: LatLng;
  start: number;
  end: number;
  skills: readonly string[];
  /** Not yet on the way: may go to another technician. */
  movable: boolean;
  /**
   * A flexible-window job (docs/flexible-windows.md): while movable it may start anywhere in
   * [earliest, latest] (UTC ms, latest = the window's end less the duration). Fixed-time jobs keep their start.
   */
  window?: { earliest: number; latest: number };
  /**
   * A fixed-time job whose customer may be asked for another start (a time change they approve):
   * the plan may propose one within `timeToleranceMs` of its start, inside the same shift window.
   */
  reschedulable?: boolean;
}

export interface PlanFigures {
  travelMinutes: number;
  distanceKm: number;
  lateRisks: number;
  jobs: number;
}

export interface PlanMove {
  orderId: string;
  technicianId: string;
  fromTechnicianId: string;
  start: number;
  end: number;
}

/** A new start proposed for a fixed-time job on its technician after the plan, if its customer agrees. */
export interface TimeProposal {
  orderId: string;
  technicianId: string;
  currentStart: number;
  start: number;
  end: number;
}

export interface TeamPlan {
  moves: PlanMove[];
  technicians: { id: string; before: PlanFigures; after: PlanFigures; jobs: string[] }[];
  before: PlanFigures;
  after: PlanFigures;
  /** Start changes to ask customers for, on top of the moves (empty when nothing would be gained). */
  proposals: TimeProposal[];
  /** The day's figures after the moves and every proposal (null without proposals). */
  withProposals: PlanFigures | null;
}

export interface PlanOptions {
  maxIterations: number;
  seed?: number;
  /** How far a reschedulable job's start may be proposed to move, either way (0 or unset: no proposals). */
  timeToleranceMs?: number;
  /** No start is proposed before this instant (UTC ms), e.g. now plus the notice customers need. */
  notBefore?: number;
}

const MINUTE = 60_000;

/** The figures of one technician's jobs as a day route (legs from home and back, late risks). */
function figuresOf(home: LatLng, jobs: readonly PlanJob[], model: TravelModel): PlanFigures {
  const route = dayRoute(
    home,
    jobs.map((j) => ({ id: j.orderId, point: j.point, start: j.start, end: j.end })),
    model,
  );
  return { ...route.totals, jobs: jobs.length };
}

function sum(list: readonly PlanFigures[]): PlanFigures {
  return {
    travelMinutes: list.reduce((s, f) => s + f.travelMinutes, 0),
    distanceKm: Math.round(list.reduce((s, f) => s + f.distanceKm, 0) * 10) / 10,
    lateRisks: list.reduce((s, f) => s + f.lateRisks, 0),
    jobs: list.reduce((s, f) => s + f.jobs, 0),
  };
}

/** Whether technician `t` may take `job` in the cell: skills held and the job inside one shift window. */
export function mayTake(t: PlanTechnician, job: PlanJob): boolean {
  if (job.technicianId === t.id) return true;
  const window = job.movable ? job.window : undefined;
  if (!window) return job.skills.every((s) => t.skills.includes(s)) && t.shifts.some(([a, b]) => a <= job.start && job.end <= b);
  // Some start of the window falls in one shift window with the whole job.
  const duration = job.end - job.start;
  return (
    job.skills.every((s) => t.skills.includes(s)) &&
    t.shifts.some(([a, b]) => Math.max(a, window.earliest) <= window.latest && Math.max(a, window.earliest) + duration <= b)
  );
}

/** A job as the plan places it: its technician and start (the duration kept). */
interface Placement {
  technicianId: string;
  start: number;
}

const placed = (j: PlanJob, p: Placement): PlanJob => ({
  ...j,
  technicianId: p.technicianId,
  start: p.start,
  end: p.start + (j.end - j.start),
});

/**
 * The plan: the solver's assignment when it places every job and costs less travel (or fewer late
 * risks) than the current one; otherwise the current assignment (no moves). Deterministic for a seed.
 */
export function planTeamDay(
  technicians: readonly PlanTechnician[],
  allJobs: readonly PlanJob[],
  model: TravelModel,
  opts: PlanOptions,
): TeamPlan {
  const index = new Map(technicians.map((t, i) => [t.id, i]));
  const jobs = allJobs.filter((j) => index.has(j.technicianId));
  const k = technicians.length;
  const points: LatLng[] = [...technicians.map((t) => t.home), ...jobs.map((j) => j.point)];
  const n = points.length;
  const origin = (jobs.length > 0 ? Math.min(...jobs.map((j) => Math.min(j.start, j.window?.earliest ?? j.start))) : 0) - 24 * 60 * MINUTE;
  const time = new Float64Array(n * n);
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++) time[a * n + b] = a === b ? 0 : travelGapMs(points[a]!, points[b]!, model) / MINUTE;
  const minutes = (ms: number) => (ms - origin) / MINUTE;
  const vrpJobs: VrpJob[] = jobs.map((j, i) => {
    const at = minutes(j.start);
    const base = { location: k + i, earliest: at, latest: at, service: (j.end - j.start) / MINUTE };
    if (!j.movable) return { ...base, fixed: { vehicle: index.get(j.technicianId)!, start: at } };
    const window = j.window ? { earliest: minutes(j.window.earliest), latest: minutes(j.window.latest) } : {};
    return { ...base, ...window, allowed: technicians.flatMap((t, v) => (mayTake(t, j) ? [v] : [])) };
  });
  const horizon = 4 * 24 * 60;
  const problem: VrpProblem = {
    time,
    size: n,
    vehicles: technicians.map((_, v) => ({ start: v, end: v, earliest: 0, latest: horizon })),
    jobs: vrpJobs,
  };

  const currentOf = (j: PlanJob): Placement => ({ technicianId: j.technicianId, start: j.start });
  let assigned = new Map(jobs.map((j) => [j.orderId, currentOf(j)]));
  // One technician may still gain from moving flexible jobs inside their windows.
  if (jobs.some((j) => j.movable) && (k > 1 || jobs.some((j) => j.movable && j.window))) {
    const solution = solveVrptw(problem, { budgetMs: Number.MAX_SAFE_INTEGER, maxIterations: opts.maxIterations, seed: opts.seed ?? 1 });
    if (solution.feasible && solution.unassigned.length === 0) {
      const proposed = new Map<string, Placement>();
      for (const r of solution.routes)
        r.jobs.forEach((j, n) => {
          const job = jobs[j]!;
          // A fixed-time job keeps its start; a flexible one takes the solver's (whole minutes, inside its window).
          const start = job.movable && job.window ? origin + Math.round(r.starts[n]!) * MINUTE : job.start;
          proposed.set(job.orderId, { technicianId: technicians[r.vehicle]!.id, start });
        });
      const cost = (a: Map<string, Placement>) => dayFigures(technicians, jobs, a, model);
      const now = cost(assigned);
      const then = cost(proposed);
      // Reassign only for a gain: fewer late risks, or as many and less travel.
      if (then.lateRisks < now.lateRisks || (then.lateRisks === now.lateRisks && then.travelMinutes < now.travelMinutes))
        assigned = proposed;
    }
  }

  const perTech = technicians.map((t) => {
    const before = jobs.filter((j) => j.technicianId === t.id);
    const after = jobs
      .filter((j) => assigned.get(j.orderId)!.technicianId === t.id)
      .map((j) => placed(j, assigned.get(j.orderId)!))
      .sort((a, b) => a.start - b.start);
    return {
      id: t.id,
      before: figuresOf(t.home, before, model),
      after: figuresOf(t.home, after, model),
      jobs: after.map((j) => j.orderId),
    };
  });
  const moves = jobs
    .filter((j) => assigned.get(j.orderId)!.technicianId !== j.technicianId || assigned.get(j.orderId)!.start !== j.start)
    .map((j) => {
      const to = placed(j, assigned.get(j.orderId)!);
      return { orderId: j.orderId, technicianId: to.technicianId, fromTechnicianId: j.technicianId, start: to.start, end: to.end };
    });
  const after = sum(perTech.map((t) => t.after));
  const proposed = proposeTimes(technicians, jobs, assigned, after, { time, size: n, index, minutes, model }, opts);
  return {
    moves,
    technicians: perTech,
    before: sum(perTech.map((t) => t.before)),
    after,
    proposals: proposed?.proposals ?? [],
    withProposals: proposed?.figures ?? null,
  };
}

/** The day's figures when every job is where `at` places it. */
function dayFigures(technicians: readonly PlanTechnician[], jobs: readonly PlanJob[], at: Map<string, Placement>, model: TravelModel) {
  return sum(
    technicians.map((t) =>
      figuresOf(
        t.home,
        jobs.filter((j) => at.get(j.orderId)!.technicianId === t.id).map((j) => placed(j, at.get(j.orderId)!)),
        model,
      ),
    ),
  );
}

/** Proposed starts are multiples of five minutes (UTC, which is local time in every whole-hour or quarter-hour zone). */
const GRID = 5 * MINUTE;

/**
 * Start changes for reschedulable fixed-time jobs, each on the technician the plan gives it: every
 * technician's day is ordered again (a VRPTW per technician, the other jobs kept at their starts) with
 * such a job free to start within the tolerance and inside the shift window that holds it now; each
 * job then starts as near its current start as the new order allows (on the five-minute grid).
 * Null unless that gains something: fewer late risks, or as many and less travel.
 */
function proposeTimes(
  technicians: readonly PlanTechnician[],
  jobs: readonly PlanJob[],
  assigned: Map<string, Placement>,
  after: PlanFigures,
  day: { time: Float64Array; size: number; index: Map<string, number>; minutes: (ms: number) => number; model: TravelModel },
  opts: PlanOptions,
): { proposals: TimeProposal[]; figures: PlanFigures } | null {
  const tolerance = opts.timeToleranceMs ?? 0;
  const { time, size, index, minutes, model } = day;
  const k = technicians.length;
  // Each job's range of starts (ms): its placed start, or for a reschedulable one the tolerance
  // around it, inside its shift window, not before `notBefore`.
  const ranges = jobs.map((j) => {
    const at = assigned.get(j.orderId)!;
    const start = at.start;
    const duration = j.end - j.start;
    const fixedRange = { earliest: start, latest: start };
    if (tolerance <= 0 || !j.movable || !j.reschedulable || j.window) return fixedRange;
    const shift = technicians[index.get(at.technicianId)!]!.shifts.find(([a, b]) => a <= start && start + duration <= b);
    if (!shift) return fixedRange;
    const earliest = Math.ceil(Math.max(start - tolerance, shift[0], opts.notBefore ?? -Infinity) / GRID) * GRID;
    const latest = Math.floor(Math.min(start + tolerance, shift[1] - duration) / GRID) * GRID;
    return earliest > start || latest < start ? fixedRange : { earliest, latest };
  });
  if (!ranges.some((r) => r.earliest < r.latest)) return null;
  const problem: VrpProblem = {
    time,
    size,
    vehicles: technicians.map((_, v) => ({ start: v, end: v, earliest: 0, latest: 4 * 24 * 60 })),
    jobs: jobs.map((j, i) => {
      const v = index.get(assigned.get(j.orderId)!.technicianId)!;
      const r = ranges[i]!;
      const base = { location: k + i, service: (j.end - j.start) / MINUTE };
      return r.earliest === r.latest
        ? { ...base, earliest: minutes(r.earliest), latest: minutes(r.earliest), fixed: { vehicle: v, start: minutes(r.earliest) } }
        : { ...base, earliest: minutes(r.earliest), latest: minutes(r.latest), allowed: [v] };
    }),
  };
  const solution = solveVrptw(problem, { budgetMs: Number.MAX_SAFE_INTEGER, maxIterations: opts.maxIterations, seed: opts.seed ?? 1 });
  if (!solution.feasible || solution.unassigned.length > 0) return null;

  const next = new Map(assigned);
  for (const route of solution.routes) {
    // Latest starts backwards, then each job as near its current start as arrival and latest allow.
    const order = route.jobs;
    const latest = order.map((j) => ranges[j]!.latest);
    for (let n = order.length - 2; n >= 0; n--) {
      const j = order[n]!;
      const gap = time[(k + j) * size + (k + order[n + 1]!)]! * MINUTE;
      const room = Math.min(latest[n]!, latest[n + 1]! - gap - (jobs[j]!.end - jobs[j]!.start));
      latest[n] = ranges[j]!.earliest === ranges[j]!.latest ? room : Math.floor(room / GRID) * GRID;
    }
    let free = -Infinity;
    for (let n = 0; n < order.length; n++) {
      const j = order[n]!;
      const job = jobs[j]!;
      const current = assigned.get(job.orderId)!.start;
      const arrival = n === 0 ? -Infinity : free + time[(k + order[n - 1]!) * size + (k + j)]! * MINUTE;
      let start = Math.min(current, latest[n]!);
      if (start < arrival) start = Math.ceil(arrival / GRID) * GRID;
      start = Math.max(start, ranges[j]!.earliest);
      if (start > latest[n]!) return null;
      next.set(job.orderId, { technicianId: technicians[route.vehicle]!.id, start });
      free = start + (job.end - job.start);
    }
  }
  const proposals = jobs
    .filter((j) => next.get(j.orderId)!.start !== assigned.get(j.orderId)!.start)
    .map((j) => {
      const to = placed(j, next.get(j.orderId)!);
      return {
        orderId: j.orderId,
        technicianId: to.technicianId,
        currentStart: assigned.get(j.orderId)!.start,
        start: to.start,
        end: to.end,
      };
    });
  if (proposals.length === 0) return null;
  const figures = dayFigures(technicians, jobs, next, model);
  const gains =
    figures.lateRisks < after.lateRisks || (figures.lateRisks === after.lateRisks && figures.travelMinutes < after.travelMinutes);
  return gains ? { proposals, figures } : null;
}

/**
 * A fingerprint of the day's calendar as the plan sees it (each order's technician, times and status),
 * and of anything else the plan was made from (`also`, in order): any change to it makes a plan built
 * before stale. A 53-bit hash in hex of the sorted entries.
 */
export function calendarFingerprint(
  entries: readonly { orderId: string; technicianId: string | null; start: number; end: number; status: string }[],
  also: readonly string[] = [],
): string {
  const text = [...entries]
    .map((e) => `${e.orderId}|${e.technicianId ?? ""}|${e.start}|${e.end}|${e.status}`)
    .sort()
    .concat(also)
    .join("\n");
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, "0");
}
