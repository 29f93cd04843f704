/**
 * Choosing who comes: technicians near a point who could do a service on a local date, with their
 * profile summaries and free start times, to book one directly (`technicianId` on POST /v1/orders:
 * the `chosen` dispatch mode).
 *
 * Cost: one round trip per staffed cell of the point's ring (each cell answers for all its
 * technicians at once, `freeStarts`), then a fixed handful of D1 queries for the summaries, whatever
 * the number of technicians. Results are bounded by `limit` (at most SEARCH_MAX_RESULTS).
 *
 * Ranking: by distance from the point to the technician's home area (~1 km, never the exact home),
 * in whole kilometres, nearest first; within the same kilometre by rating (highest first), then by
 * number of ratings (most first), then by id (stable).
 */
import { getDb } from "../db/client";
import { technicianRows } from "../db/repositories/profiles.repo";
import { areaOf, haversineKm } from "../domain/geo";
import { toZonedIso } from "../domain/zoned";
import { askCell, slotSearch } from "../dispatch/availability.service";
import { profileSummaries } from "./profiles.service";

/** The most technicians one search answers. */
export const SEARCH_MAX_RESULTS = 20;

export interface SearchInput {
  serviceId: string;
  lat: number;
  lng: number;
  date: string;
  units?: number;
  limit: number;
}

export async function searchTechnicians(env: Env, input: SearchInput) {
  const limit = Math.min(input.limit, SEARCH_MAX_RESULTS);
  const { base, service, city, starts, staffed } = await slotSearch(env, input);
  const ranking = "distance (whole km to the home area), then rating, then number of ratings";
  if (starts.length === 0 || staffed.length === 0) return { ...base, ranking, items: [] };
  const query = {
    starts,
    durationMinutes: base.durationMinutes,
    skills: service.requiredSkills,
    lat: input.lat,
    lng: input.lng,
    // Each cell answers its nearest free technicians; ranking needs more than `limit` to pick from.
    limit: limit * 3,
  };
  const perCell = await Promise.all(
    staffed.map(async (c) => {
      const r = await askCell<{ technicians: { technicianId: string; starts: number[] }[] }>(env, c, (stub) =>
        stub.freeStarts({ ...query, rosterVersion: c.rosterVersion }),
      );
      return r?.technicians ?? [];
    }),
  );
  const free = new Map(perCell.flat().map((t) => [t.technicianId, t.starts]));
  if (free.size === 0) return { ...base, ranking, items: [] };
  // D1 decides who is public now (a cell's copy may trail a suspension by a moment).
  const rows = (await technicianRows(getDb(env), [...free.keys()])).filter((r) => r.status === "approved");
  const point = { lat: input.lat, lng: input.lng };
  const ranked = rows
    .map((r) => ({ row: r, km: haversineKm(point, areaOf({ lat: r.homeLat, lng: r.homeLng })) }))
    .sort(
      (a, b) =>
        Math.floor(a.km) - Math.floor(b.km) ||
        b.row.ratingX100 - a.row.ratingX100 ||
        b.row.ratingCount - a.row.ratingCount ||
        a.row.id.localeCompare(b.row.id),
    )
    .slice(0, limit);
  const summaries = await profileSummaries(
    env,
    ranked.map((r) => r.row),
  );
  const minutes = base.durationMinutes * 60_000;
  return {
    ...base,
    ranking,
    items: ranked.map(({ row, km }) => ({
      technician: summaries.get(row.id)!,
      distanceKm: Math.round(km * 10) / 10,
      slots: (free.get(row.id) ?? []).map((i) => ({
        start: toZonedIso(starts[i]!, city.timeZone),
        end: toZonedIso(starts[i]! + minutes, city.timeZone),
      })),
    })),
  };
}
