/** A technician's day as a route: the day's jobs in order from home back home, with legs and map links. */
import { getDb } from "../db/client";
import { listOrders, type OrderRow } from "../db/repositories/orders.repo";
import { rosterEntry } from "../db/repositories/roster.repo";
import { dayRoute } from "../domain/day-route";
import { mapLinks } from "../domain/map-datums";
import { isRevealed, type OrderStatus } from "../domain/order-state";
import { addDays, parseDate, toZonedIso, zonedToUtc } from "../domain/zoned";
import type { Auth } from "../env";
import { invalid, notFound } from "../errors";
import { areaPoint, exactPoint } from "../lib/coordinates";
import { Pii } from "../lib/pii";
import { config } from "../config";
import { assertManages } from "../technicians";
import { windowView } from "../orders";
import { placeFlexibleJobs } from "./flexible-plan";

/** The statuses of a job on a technician's day: theirs, from assignment until done. */
const ON_THE_ROUTE: readonly OrderStatus[] = ["assigned", "accepted", "en_route", "arrived", "in_service", "completed"];
/** More jobs than a day can hold; the read stops there. */
const MAX_JOBS = 200;

/**
 * The technician's route on a local date of their home city. Travel is timed on the exact points;
 * the answer shows a stop's exact point (and links to it) only while the order reveals it to the
 * technician, its ~1 km area before that.
 */
export async function technicianDayRoute(env: Env, technicianId: string, date: string, auth?: Auth) {
  if (parseDate(date) === null) throw invalid([{ path: "query.date", message: "not a real date (YYYY-MM-DD)" }]);
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
  const calendarJobs = await Promise.all(
    rows.map(async (o) => ({ id: o.id, point: await exactPoint(pii, "orders", o), start: o.startAt, end: o.endAt })),
  );
  const c = config(env);
  const model = { roadFactor: c.TRAVEL_ROAD_FACTOR, speedKmh: c.TRAVEL_SPEED_KMH, bufferMinutes: c.TRAVEL_BUFFER_MINUTES };
  // Flexible-window jobs placed inside their windows, through the cell (src/routing/flexible-plan.ts).
  const { jobs, moved } = await placeFlexibleJobs(env, entry, date, home, byId, calendarJobs, model);
  const route = dayRoute(home, jobs, model);
  const graceMs = c.REVEAL_GRACE_MINUTES * 60_000;
  const now = Date.now();
  const at = (ms: number) => toZonedIso(ms, tz);
  return {
    technicianId,
    date,
    timeZone: tz,
    leaveHomeAt: route.leaveHomeAt === null ? null : at(route.leaveHomeAt),
    stops: route.stops.map((s) => {
      const order = byId.get(s.job.id)!;
      const exact = isRevealed(order, graceMs, now);
      const shown = exact ? s.job.point : areaPoint(order);
      return {
        orderId: order.id,
        serviceId: order.serviceId,
        status: order.status,
        plannedStart: at(s.job.start),
        plannedEnd: at(s.job.end),
        window: windowView({ start: order.windowStartAt, end: order.windowEndAt }, tz),
        replanned: moved.includes(order.id),
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
  };
}
