import { config } from "../config";
import { getDb } from "../db/client";
import {
  cellsOfCity,
  cityOfCell,
  findTakenCells,
  insertCity,
  listCities,
  renameCity as renameCityRow,
  type CityRow,
} from "../db/repositories/cities.repo";
import { appendAudit } from "../db/repositories/audit.repo";
import { cellOf, cellsCovering, type LatLng } from "../domain/geo";
import { isTimeZone } from "../domain/time-zone";
import { AppError, notFound } from "../errors";
import { newId } from "../lib/ids";

export interface CityView {
  id: string;
  name: string;
  timeZone: string;
  center: LatLng;
  radiusKm: number;
  resolution: number;
  cells: string[];
}

function view(city: CityRow, cells: string[]): CityView {
  return {
    id: city.id,
    name: city.name,
    timeZone: city.timeZone,
    center: { lat: city.centerLat, lng: city.centerLng },
    radiusKm: city.radiusKm,
    resolution: city.resolution,
    cells,
  };
}

/** Every city with the cells it covers. */
export async function getCities(env: Env): Promise<CityView[]> {
  const db = getDb(env);
  const rows = await listCities(db);
  return Promise.all(rows.map(async (c) => view(c, await cellsOfCity(db, c.id))));
}

/**
 * Creates a city covering the H3 cells within `radiusKm` of its centre at H3_RESOLUTION.
 * A cell belongs to one city (it takes that city's time zone): overlap is 409 CITY_OVERLAP.
 */
export async function createCity(
  env: Env,
  actorId: string,
  input: { name: string; timeZone: string; center: LatLng; radiusKm: number },
): Promise<CityView> {
  if (!isTimeZone(input.timeZone)) {
    throw AppError.of(
      "VALIDATION_FAILED",
      {},
      { errors: [{ path: "body.timeZone", message: "not an IANA time zone such as Asia/Shanghai" }] },
    );
  }
  const db = getDb(env);
  const resolution = config(env).H3_RESOLUTION;
  const cells = cellsCovering(input.center, input.radiusKm, resolution);
  const taken = await findTakenCells(db, cells);
  if (taken.length > 0) {
    throw AppError.of("CITY_OVERLAP", {}, { extra: { cityIds: [...new Set(taken.map((t) => t.cityId))] } });
  }
  const city: CityRow = {
    id: newId("cty"),
    name: input.name,
    timeZone: input.timeZone,
    centerLat: input.center.lat,
    centerLng: input.center.lng,
    radiusKm: input.radiusKm,
    resolution,
    createdAt: Date.now(),
  };
  try {
    await insertCity(db, city, cells);
  } catch (err) {
    // A concurrent creation took one of the cells between the check and the batch.
    if (String(err).includes("UNIQUE") || String(err).includes("PRIMARY")) {
      throw AppError.of("CITY_OVERLAP");
    }
    throw err;
  }
  await appendAudit(db, {
    actorId,
    action: "city.create",
    targetType: "city",
    targetId: city.id,
    data: { name: city.name, cells: cells.length },
  });
  return view(city, cells);
}

/** Renames a city (the area and time zone stay). 404 for an unknown id. Audited. */
export async function renameCity(env: Env, actorId: string, id: string, name: string): Promise<CityView> {
  const db = getDb(env);
  const row = await renameCityRow(db, id, name);
  if (!row) throw notFound("City");
  await appendAudit(db, { actorId, action: "city.update", targetType: "city", targetId: id, data: { name } });
  return view(row, await cellsOfCity(db, id));
}

/** The city a point lies in (by its cell), or undefined outside every city. */
export async function cityAt(env: Env, point: LatLng): Promise<CityRow | undefined> {
  return cityOfCell(getDb(env), cellOf(point, config(env).H3_RESOLUTION));
}
