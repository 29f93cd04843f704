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

export interface TeamPlan {
  moves: PlanMove[];
  technicians: { id: string; before: PlanFigures; after: PlanFigures; jobs: string[] }[];
  before: PlanFigures;
  after: PlanFigures;
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
  opts: { maxIterations: number; seed?: number },
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
      const cost = (a: Map<string, Placement>) => {
        const figures = technicians.map((t) =>
          figuresOf(
            t.home,
            jobs.filter((j) => a.get(j.orderId)!.technicianId === t.id).map((j) => placed(j, a.get(j.orderId)!)),
            model,
          ),
        );
        return sum(figures);
      };
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
  return {
    moves,
    technicians: perTech,
    before: sum(perTech.map((t) => t.before)),
    after: sum(perTech.map((t) => t.after)),
  };
}

/**
 * A fingerprint of the day's calendar as the plan sees it (each order's technician, times and status):
 * any change to it makes a plan built before stale. A 53-bit hash in hex of the sorted entries.
 */
export function calendarFingerprint(
  entries: readonly { orderId: string; technicianId: string | null; start: number; end: number; status: string }[],
): string {
  const text = [...entries]
    .map((e) => `${e.orderId}|${e.technicianId ?? ""}|${e.start}|${e.end}|${e.status}`)
    .sort()
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
