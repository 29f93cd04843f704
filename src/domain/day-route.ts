/**
 * A technician's day as a route, pure: from home through the day's jobs back home, with the travel
 * leg before every stop. Jobs keep the start their calendar holds (fixed-time jobs are never moved);
 * the route only orders them, times the legs with the calendar's travel model and flags the legs
 * that cannot be made in time.
 */
import { type TravelModel } from "./calendar";
import { haversineKm, type LatLng } from "./geo";

export interface DayJob {
  id: string;
  point: LatLng;
  /** Planned start and end of the service (UTC ms), as the calendar holds them. */
  start: number;
  end: number;
}

export interface Leg {
  /** Road distance (straight line × the road factor), km, one decimal. */
  distanceKm: number;
  /** Driving minutes at the model's speed, rounded up (no buffer). */
  travelMinutes: number;
}

export interface RouteStop extends Leg {
  job: DayJob;
  /** When the technician gets there leaving the previous stop (or home) as late as allowed: UTC ms. */
  eta: number;
  /** The stop cannot be reached by its start after the previous one ends. */
  lateRisk: boolean;
}

export interface DayRoute {
  stops: RouteStop[];
  /** Leaving home: the first start minus its leg (null: no jobs). */
  leaveHomeAt: number | null;
  /** The leg back home after the last job and when it ends (null: no jobs). */
  home: (Leg & { eta: number }) | null;
  totals: { distanceKm: number; travelMinutes: number; lateRisks: number };
}

const MINUTE = 60_000;

/** The leg between two points under the travel model. */
export function legBetween(a: LatLng, b: LatLng, model: TravelModel): Leg {
  const km = haversineKm(a, b) * model.roadFactor;
  return { distanceKm: Math.round(km * 10) / 10, travelMinutes: Math.ceil((km / model.speedKmh) * 60) };
}

/**
 * Orders the day's jobs by their planned start and times every leg: the first stop's ETA is its start
 * (leave home in time), each next one is reached at the previous end plus its driving time.
 */
export function dayRoute(home: LatLng, jobs: readonly DayJob[], model: TravelModel): DayRoute {
  const ordered = [...jobs].sort((x, y) => x.start - y.start || x.id.localeCompare(y.id));
  const stops: RouteStop[] = [];
  let at = home;
  let free: number | null = null;
  for (const job of ordered) {
    const leg = legBetween(at, job.point, model);
    const eta: number = free === null ? job.start : free + leg.travelMinutes * MINUTE;
    stops.push({ job, ...leg, eta, lateRisk: eta > job.start });
    at = job.point;
    free = Math.max(eta, job.start) + (job.end - job.start);
  }
  const first = stops[0];
  const back = free === null ? null : legBetween(at, home, model);
  const legs: Leg[] = back ? [...stops, back] : stops;
  return {
    stops,
    leaveHomeAt: first ? first.job.start - first.travelMinutes * MINUTE : null,
    home: back && free !== null ? { ...back, eta: free + back.travelMinutes * MINUTE } : null,
    totals: {
      distanceKm: Math.round(legs.reduce((s, l) => s + l.distanceKm, 0) * 10) / 10,
      travelMinutes: legs.reduce((s, l) => s + l.travelMinutes, 0),
      lateRisks: stops.filter((s) => s.lateRisk).length,
    },
  };
}
