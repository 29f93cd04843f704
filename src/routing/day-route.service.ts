/** A technician's day as a route: the day's jobs in order from home back home, with legs and map links. */
import { getDb } from "../db/client";
import { listOrders, type OrderRow } from "../db/repositories/orders.repo";
import { rosterEntry } from "../db/repositories/roster.repo";
import { dayRoute } from "../domain/day-route";
import { mapLinks } from "../domain/map-datums";
import { calendarFingerprint } from "../domain/team-plan";
import { isRevealed, type OrderStatus } from "../domain/order-state";
import { addDays, parseDate, toZonedIso, zonedToUtc } from "../domain/zoned";
import type { Auth } from "../env";
import { AppError, invalid, notFound } from "../errors";
import { areaPoint, exactPoint } from "../lib/coordinates";
import { Pii } from "../lib/pii";
import { config } from "../config";
import { assertManages } from "../technicians";
import { windowView } from "../orders";
import { dayPlanOf, markApplied } from "./day-plans.repo";
import { PROPOSAL_STATUS_TEXT, storedProposal, type Proposal } from "./day-plans.service";
import { applyFlexiblePlan, dayShift, isPlannable } from "./flexible-plan";

/** The statuses of a job on a technician's day: theirs, from assignment until done. */
const ON_THE_ROUTE: readonly OrderStatus[] = ["assigned", "accepted", "en_route", "arrived", "in_service", "completed"];
/** More jobs than a day can hold; the read stops there. */
const MAX_JOBS = 200;

/** The day as the route reads it: the technician, their orders of the day and the jobs the calendar holds. */
export async function readDay(env: Env, technicianId: string, date: string, auth?: Auth, datePath = "query.date") {
  if (parseDate(date) === null) throw invalid([{ path: datePath, message: "not a real date (YYYY-MM-DD)" }]);
  const db = getDb(env);
  const entry = await rosterEntry(db, technicianId);
  if (!entry) throw notFound("Technician");
  if (auth) assertManages(auth, entry);
  const tz = entry.profile.timeZone;
  const from = zonedToUtc(date, 0, tz);
  const to = zonedToUtc(addDays(date, 1), 0, tz);
  const rows = (await listOrders(db, { technicianId, from, to }, MAX_JOBS)).filter((o) => ON_THE_ROUTE.includes(o.status));
  const pii = await Pii.fromEnv(env);
  const home = await exactPoint(pii, "technicians", entry.home);
  const byId = new Map<string, OrderRow>(rows.map((o) => [o.id, o]));
  const jobs = await Promise.all(
    rows.map(async (o) => ({ id: o.id, point: await exactPoint(pii, "orders", o), start: o.startAt, end: o.endAt })),
  );
  const c = config(env);
  const model = { roadFactor: c.TRAVEL_ROAD_FACTOR, speedKmh: c.TRAVEL_SPEED_KMH, bufferMinutes: c.TRAVEL_BUFFER_MINUTES };
  // Flexible-window jobs the day plan may move (the plan itself is built off the request: day-plans.service.ts).
  const flexible = rows.some(isPlannable);
  // The shift of the day bounds the plan: read (from the cell) only for a day with something to plan.
  const shift = flexible ? await dayShift(env, entry.profile.id, date) : [];
  // What a proposal was read against: any change of the day's jobs (times, status, technician), of the
  // home the route starts from, of the day's shift or of the travel model changes it. The home enters as
  // its sealed column, never as coordinates: staff who see only the ~1 km area read the basis, and a
  // hash of the exact point could be searched for within that area.
  const basis = calendarFingerprint(
    rows.map((o) => ({ orderId: o.id, technicianId: o.technicianId, start: o.startAt, end: o.endAt, status: o.status })),
    [
      `home|${entry.home.coordsEnc ?? `unsealed|${entry.home.lat}|${entry.home.lng}`}`,
      `shift|${shift.map(([from, to]) => `${from}-${to}`).join(",")}`,
      `travel|${model.roadFactor}|${model.speedKmh}|${model.bufferMinutes}`,
    ],
  );
  return { entry, tz, home, byId, jobs, model, basis, flexible, shift, graceMs: c.REVEAL_GRACE_MINUTES * 60_000 };
}

/**
 * The technician's route on a local date of their home city, as the calendar holds it. Travel is
 * timed on the exact points; the answer shows a stop's exact point (and links to it) only while the
 * order reveals it to the technician, its ~1 km area before that. Flexible-window jobs the stored day
 * plan places elsewhere inside their windows carry a `proposedStart`, and the planned route is the
 * `proposal`, shown only while the plan's basis is the day as it is. The read never plans: a day
 * without a current plan answers `proposal: null` with `proposalStatus` and has one build queued.
 * Reading changes no order.
 */
export async function technicianDayRoute(env: Env, technicianId: string, date: string, auth?: Auth) {
  const day = await readDay(env, technicianId, date, auth);
  return routeView(day, technicianId, date, await storedProposal(env, day, technicianId, date));
}

/**
 * Applies the stored day plan whose basis is `basis` (the technician's own flexible jobs, each inside
 * its window) through the cell, all or nothing. Nothing to move, or a proposal applied already:
 * nothing happens (applying twice is harmless). A day that changed since the proposal was read: 409
 * ROUTE_CHANGED; no plan of this day built yet: 409 ROUTE_NOT_PLANNED; the cell's refusals are 409s
 * too; nothing is changed then. Never plans the day itself.
 */
export async function applyDayRoute(env: Env, technicianId: string, date: string, basis: string) {
  const day = await readDay(env, technicianId, date, undefined, "body.date");
  const db = getDb(env);
  const row = await dayPlanOf(db, technicianId, date);
  const unchanged = async () => ({ moved: [] as string[], route: await technicianDayRoute(env, technicianId, date) });
  if (!day.flexible || row?.appliedBasis === basis) return unchanged();
  if (day.basis !== basis) throw AppError.of("ROUTE_CHANGED");
  if (!row || row.basis !== basis || row.status !== "ready") throw AppError.of("ROUTE_NOT_PLANNED");
  if (row.moves.length === 0) return unchanged();
  await applyFlexiblePlan(env, day.entry, row.moves);
  await markApplied(db, technicianId, date, basis, Date.now());
  return { moved: row.moves.map((m) => m.id), route: await technicianDayRoute(env, technicianId, date) };
}

export type Day = Awaited<ReturnType<typeof readDay>>;

function routeView(day: Day, technicianId: string, date: string, proposal: Proposal) {
  const { tz, byId, graceMs } = day;
  const route = dayRoute(day.home, day.jobs, day.model);
  const now = Date.now();
  const at = (ms: number) => toZonedIso(ms, tz);
  const proposed = new Map((proposal.plan?.moves ?? []).map((m) => [m.id, m]));
  const planned = proposal.plan ? dayRoute(day.home, proposal.plan.jobs, day.model) : null;
  return {
    technicianId,
    date,
    timeZone: tz,
    leaveHomeAt: route.leaveHomeAt === null ? null : at(route.leaveHomeAt),
    stops: route.stops.map((s) => {
      const order = byId.get(s.job.id)!;
      const exact = isRevealed(order, graceMs, now);
      const shown = exact ? s.job.point : areaPoint(order);
      const proposal = proposed.get(order.id);
      return {
        orderId: order.id,
        serviceId: order.serviceId,
        status: order.status,
        plannedStart: at(s.job.start),
        plannedEnd: at(s.job.end),
        window: windowView({ start: order.windowStartAt, end: order.windowEndAt }, tz),
        proposedStart: proposal ? at(proposal.start) : null,
        eta: at(s.eta),
        travelMinutes: s.travelMinutes,
        distanceKm: s.distanceKm,
        lateRisk: s.lateRisk,
        location: { ...shown, exact },
        links: mapLinks(shown, order.id),
      };
    }),
    home: route.home ? { eta: at(route.home.eta), travelMinutes: route.home.travelMinutes, distanceKm: route.home.distanceKm } : null,
    totals: route.totals,
    proposalStatus: proposal.status,
    proposalStatusText: PROPOSAL_STATUS_TEXT[proposal.status],
    proposal: planned
      ? {
          basis: day.basis,
          leaveHomeAt: planned.leaveHomeAt === null ? null : at(planned.leaveHomeAt),
          stops: planned.stops.map((s) => ({
            orderId: s.job.id,
            plannedStart: at(s.job.start),
            plannedEnd: at(s.job.end),
            moved: proposed.has(s.job.id),
            eta: at(s.eta),
            travelMinutes: s.travelMinutes,
            distanceKm: s.distanceKm,
            lateRisk: s.lateRisk,
          })),
          home: planned.home
            ? { eta: at(planned.home.eta), travelMinutes: planned.home.travelMinutes, distanceKm: planned.home.distanceKm }
            : null,
          totals: planned.totals,
          savedMinutes: route.totals.travelMinutes - planned.totals.travelMinutes,
        }
      : null,
  };
}
