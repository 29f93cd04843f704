/**
 * The live city picture for the dashboard map: every cell of a city with its load, the technicians
 * homed there with their presence (read from each cell's Durable Object), and the open orders.
 */
import { cellToBoundary } from "h3-js";
import { getDb } from "../db/client";
import { cellsOfCity, findCity } from "../db/repositories/cities.repo";
import { cityTechnicians, openCityOrders, technicianIdsOnVisit } from "../db/repositories/dashboard.repo";
import { cellLoad } from "../domain/reports";
import type { Auth } from "../env";
import { notFound } from "../errors";
import { cellStub } from "../cells/cells.service";
import { merchantScope } from "../identity/scope";
import { areaPoint } from "../lib/coordinates";
import { surgingCells } from "../surge";

export type TechnicianState = "online" | "busy" | "offline";

/**
 * What a city looks like now, for operators (everything) or a merchant_admin (its own technicians
 * and orders; the load of each cell counts only those). Orders starting within `hours` from now (or
 * started in the last 12 hours) are shown.
 */
export async function cityLive(env: Env, actor: Auth, cityId: string, q: { hours: number }) {
  const scope = merchantScope(actor);
  const db = getDb(env);
  const city = await findCity(db, cityId);
  if (!city) throw notFound("City");
  const now = Date.now();
  const [cells, technicians, orders, surge] = await Promise.all([
    cellsOfCity(db, city.id),
    cityTechnicians(db, city.id, scope),
    openCityOrders(db, city.id, now - 12 * 3_600_000, now + q.hours * 3_600_000, scope),
    surgingCells(env, city.id),
  ]);
  const homeCells = [...new Set(technicians.map((t) => t.homeCell))];
  const [presence, onVisit] = await Promise.all([
    Promise.all(homeCells.map((c) => cellStub(env, c).listPresence())).then(
      (lists) => new Map(lists.flat().map((p) => [p.technicianId, p])),
    ),
    technicianIdsOnVisit(
      db,
      technicians.map((t) => t.id),
    ),
  ]);

  const techs = technicians.map((t) => {
    const p = presence.get(t.id);
    const live = p && p.lat !== null && p.lng !== null;
    const state: TechnicianState = !p?.online ? "offline" : onVisit.has(t.id) ? "busy" : "online";
    return {
      id: t.id,
      name: t.name,
      merchantId: t.merchantId,
      homeCell: t.homeCell,
      state,
      position: live ? { lat: p.lat!, lng: p.lng! } : { lat: t.homeLat, lng: t.homeLng },
      located: live ? ("reported" as const) : ("home" as const),
      heading: p?.heading ?? null,
      battery: p?.battery ?? null,
      rating: t.ratingX100 / 100,
      skills: t.skills,
      lastSeenAt: p?.lastSeenAt ? new Date(p.lastSeenAt).toISOString() : null,
    };
  });

  const open = new Map<string, number>();
  for (const o of orders) open.set(o.cell, (open.get(o.cell) ?? 0) + 1);
  const online = new Map<string, number>();
  for (const t of techs) if (t.state !== "offline") online.set(t.homeCell, (online.get(t.homeCell) ?? 0) + 1);

  return {
    cityId: city.id,
    name: city.name,
    timeZone: city.timeZone,
    center: { lat: city.centerLat, lng: city.centerLng },
    at: new Date(now).toISOString(),
    cells: cells.map((id) => ({
      id,
      boundary: cellToBoundary(id).map(([lat, lng]) => [Math.round(lat * 1e5) / 1e5, Math.round(lng * 1e5) / 1e5] as [number, number]),
      openOrders: open.get(id) ?? 0,
      onlineTechnicians: online.get(id) ?? 0,
      load: cellLoad(open.get(id) ?? 0, online.get(id) ?? 0),
      surge: surge.get(id) ?? "normal",
    })),
    technicians: techs,
    orders: orders.map((o) => ({
      id: o.id,
      status: o.status,
      serviceId: o.serviceId,
      merchantId: o.merchantId,
      technicianId: o.technicianId,
      cell: o.cell,
      // The order's ~1 km area, stored in the clear: the exact point is revealed only on request (audited).
      position: areaPoint(o),
      start: new Date(o.startAt).toISOString(),
      exception: o.exception,
    })),
  };
}
