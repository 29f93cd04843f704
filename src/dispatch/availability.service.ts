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
import { latestStartIn } from "../domain/time-window";

export interface AvailabilityInput extends LatLng {
  serviceId: string;
  date: string;
  technicianId?: string;
  units?: number;
  /** Also list the windows of this many minutes (starting on the slot grid) that have room for the job. */
  windowMinutes?: number;
}

/** Minutes a job of this service takes for `units` (at least the service's minimum). */
export function jobMinutes(service: { durationMinutes: number; perUnitMinutes: number; minUnits: number }, units?: number): number {
  const u = Math.max(units ?? service.minUnits, service.minUnits);
  return service.durationMinutes + service.perUnitMinutes * Math.max(0, u - service.minUnits);
}

/**
 * What availability and the technician search share: the service offered at the point, the slot
 * starts of the local date within its lead time and horizon, and the point's staffed cells (its own
 * and its ring, or only the given technician's home cell) with their roster versions.
 */
export async function slotSearch(env: Env, input: AvailabilityInput) {
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
  if (starts.length === 0) return { base, service, city, starts, staffed: [] as { cell: string; rosterVersion: number }[] };

  let cells = gridDisk(cell, config(env).AVAILABILITY_RING);
  if (input.technicianId) {
    const entry = await rosterEntry(db, input.technicianId);
    if (!entry) throw notFound("Technician");
    cells = cells.includes(entry.homeCell) ? [entry.homeCell] : [];
  }
  // From the isolate's copy (src/cells/roster-versions.ts).
  const { versions } = await cachedCellVersions(env, cells);
  const staffed = cells
    .filter((c) => (versions.get(c)?.approved ?? 0) > 0)
    .map((c) => ({ cell: c, rosterVersion: versions.get(c)!.version }));
  return { base, service, city, starts, staffed };
}

/**
 * Asks one cell with `ask`, and once more after syncing its roster when the cell's copy is older
 * than D1's (ROSTER_STALE); null when it is still stale.
 */
export async function askCell<T>(
  env: Env,
  cell: { cell: string; rosterVersion: number },
  ask: (stub: ReturnType<typeof cellStub>) => Promise<({ ok: true } & T) | { ok: false; code: string }>,
): Promise<T | null> {
  const stub = cellStub(env, cell.cell);
  let r = await ask(stub);
  if (!r.ok) {
    await syncCellRoster(env, cell.cell, cell.rosterVersion);
    r = await ask(stub);
  }
  return r.ok ? r : null;
}

/**
 * Start times on the slot grid of the point's local date at which at least one qualified technician
 * homed in the point's cell or its ring could do the whole job, travel included, and how many
 * could. Neighbour cells are asked in parallel, one round trip each.
 */
export async function availability(env: Env, input: AvailabilityInput) {
  const { base, service, city, starts, staffed } = await slotSearch(env, input);
  if (input.windowMinutes !== undefined && input.windowMinutes < base.durationMinutes)
    throw AppError.of(
      "INVALID_WINDOW",
      {
        reason: {
          en: `the window must be at least as long as the job (${base.durationMinutes} minutes)`,
          zh: `时段不得短于服务时长（${base.durationMinutes} 分钟）`,
        },
      },
      { errors: [{ path: "query.windowMinutes", message: `at least the job's ${base.durationMinutes} minutes` }] },
    );
  const windows =
    input.windowMinutes === undefined
      ? undefined
      : await windowsWithRoom(
          env,
          input,
          { ...base, windowMinutes: input.windowMinutes, horizonDays: service.horizonDays, skills: service.requiredSkills },
          starts,
          staffed,
        );
  const listed = windows === undefined ? {} : { windows };
  if (starts.length === 0) return { ...base, slots: [], ...listed };
  const { durationMinutes } = base;
  const query = {
    starts,
    durationMinutes,
    skills: service.requiredSkills,
    lat: input.lat,
    lng: input.lng,
    technicianId: input.technicianId,
  };
  const counts = await summedCounts(env, staffed, (stub, rosterVersion) => stub.availability({ ...query, rosterVersion }));
  const slots = starts
    .map((start, i) => ({ start, available: counts[i] ?? 0 }))
    .filter((s) => s.available > 0)
    .map((s) => ({
      start: toZonedIso(s.start, city.timeZone),
      end: toZonedIso(s.start + durationMinutes * 60_000, city.timeZone),
      available: s.available,
    }));
  return { ...base, slots, ...listed };
}

/**
 * The windows of `windowMinutes` starting on the day's slot grid (inside the lead time, ending inside
 * the horizon: what a window quote accepts) in which at least one technician of the point's cell or
 * its ring has room for the job, as a window booking would search it (durable/window-hold.ts
 * `windowRoom`), and how many have. One round trip per staffed cell, as for the slots.
 */
async function windowsWithRoom(
  env: Env,
  input: AvailabilityInput,
  spec: { timeZone: string; durationMinutes: number; windowMinutes: number; horizonDays: number; skills: string[] },
  starts: number[],
  staffed: { cell: string; rosterVersion: number }[],
) {
  const length = spec.windowMinutes * 60_000;
  const duration = spec.durationMinutes * 60_000;
  const latest = Date.now() + spec.horizonDays * 86_400_000;
  const windows = starts
    .filter((s) => s + length <= latest)
    .map((s) => ({ start: s, latestStart: latestStartIn({ start: s, end: s + length }, duration) }));
  if (windows.length === 0) return [];
  const query = {
    windows,
    durationMinutes: spec.durationMinutes,
    skills: spec.skills,
    lat: input.lat,
    lng: input.lng,
    technicianId: input.technicianId,
  };
  const counts = await summedCounts(env, staffed, (stub, rosterVersion) => stub.windowRoom({ ...query, rosterVersion }));
  return windows
    .map((w, i) => ({ start: w.start, available: counts[i] ?? 0 }))
    .filter((w) => w.available > 0)
    .map((w) => ({ start: toZonedIso(w.start, spec.timeZone), end: toZonedIso(w.start + length, spec.timeZone), available: w.available }));
}

/** Asks every staffed cell (in parallel, one round trip each) for counts per item and adds them up; a cell still stale counts nothing. */
async function summedCounts(
  env: Env,
  staffed: { cell: string; rosterVersion: number }[],
  ask: (stub: ReturnType<typeof cellStub>, rosterVersion: number) => Promise<{ ok: true; counts: number[] } | { ok: false; code: string }>,
): Promise<number[]> {
  const perCell = await Promise.all(
    staffed.map(async (c) => (await askCell<{ counts: number[] }>(env, c, (stub) => ask(stub, c.rosterVersion)))?.counts ?? []),
  );
  const out: number[] = [];
  for (const counts of perCell) counts.forEach((n, i) => (out[i] = (out[i] ?? 0) + n));
  return out;
}
