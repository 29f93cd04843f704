import { config } from "../config";
import { gridDisk } from "h3-js";
import { getDb } from "../db/client";
import { bookableService } from "../db/repositories/booking.repo";
import { cityOfCell } from "../db/repositories/cities.repo";
import { rosterEntry } from "../db/repositories/roster.repo";
import { slotStarts } from "../domain/calendar";
import { cellOf, type LatLng } from "../domain/geo";
import { parseDate, toZonedIso } from "../domain/zoned";
import { AppError, notFound, invalid } from "../errors";
import { cellStub, syncCellRoster } from "../cells/cells.service";
import { cachedCellVersions } from "../cells/roster-versions";

export interface AvailabilityInput extends LatLng {
  serviceId: string;
  date: string;
  technicianId?: string;
  units?: number;
}

/** Minutes a job of this service takes for `units` (at least the service's minimum). */
export function jobMinutes(service: { durationMinutes: number; perUnitMinutes: number; minUnits: number }, units?: number): number {
  const u = Math.max(units ?? service.minUnits, service.minUnits);
  return service.durationMinutes + service.perUnitMinutes * Math.max(0, u - service.minUnits);
}

/**
 * Start times on the slot grid of the point's local date at which at least one qualified technician
 * homed in the point's cell or its ring could do the whole job, travel included, and how many
 * could. Neighbour cells are asked in parallel, one round trip each.
 */
export async function availability(env: Env, input: AvailabilityInput) {
  if (parseDate(input.date) === null) throw invalid([{ path: "query.date", message: "not a real date (YYYY-MM-DD)" }]);
  const db = getDb(env);
  const resolution = config(env).H3_RESOLUTION;
  const cell = cellOf(input, resolution);
  const [found, city] = await Promise.all([bookableService(db, input.serviceId), cityOfCell(db, cell)]);
  if (!found || !city || !found.cityIds.includes(city.id)) throw AppError.of("SERVICE_NOT_OFFERED");
  const { service } = found;
  const durationMinutes = jobMinutes(service, input.units);
  const grid = config(env).SLOT_GRID_MINUTES;
  const now = Date.now();
  const earliest = now + service.leadTimeMinutes * 60_000;
  const latest = now + service.horizonDays * 86_400_000;
  const starts = slotStarts(input.date, city.timeZone, grid).filter((t) => t >= earliest && t <= latest);
  const base = { timeZone: city.timeZone, date: input.date, serviceId: service.id, durationMinutes };
  if (starts.length === 0) return { ...base, slots: [] };

  let cells = gridDisk(cell, config(env).AVAILABILITY_RING);
  if (input.technicianId) {
    const entry = await rosterEntry(db, input.technicianId);
    if (!entry) throw notFound("Technician");
    cells = cells.includes(entry.homeCell) ? [entry.homeCell] : [];
  }
  // From the isolate's copy (src/cells/roster-versions.ts).
  const { versions } = await cachedCellVersions(env, cells);
  const staffed = cells.filter((c) => (versions.get(c)?.approved ?? 0) > 0);
  const query = {
    starts,
    durationMinutes,
    skills: service.requiredSkills,
    lat: input.lat,
    lng: input.lng,
    technicianId: input.technicianId,
  };
  const perCell = await Promise.all(
    staffed.map(async (c) => {
      const rosterVersion = versions.get(c)!.version;
      const stub = cellStub(env, c);
      let r = await stub.availability({ ...query, rosterVersion });
      if (!r.ok) {
        await syncCellRoster(env, c, rosterVersion);
        r = await stub.availability({ ...query, rosterVersion });
      }
      return r.ok ? r.counts : starts.map(() => 0);
    }),
  );
  const slots = starts
    .map((start, i) => ({ start, available: perCell.reduce((sum, counts) => sum + (counts[i] ?? 0), 0) }))
    .filter((s) => s.available > 0)
    .map((s) => ({
      start: toZonedIso(s.start, city.timeZone),
      end: toZonedIso(s.start + durationMinutes * 60_000, city.timeZone),
      available: s.available,
    }));
  return { ...base, slots };
}
