/**
 * Test set-up that writes reference data straight into D1, independent of the admin endpoints for
 * it; city centres that never overlap; and what tests read back from the audit log.
 */
import { env } from "cloudflare:test";
import { cellToLatLng, getPentagons, greatCircleDistance, UNITS } from "h3-js";
import { expect } from "vitest";
import { newId } from "../../src/lib/ids";
import { call } from "./http";

/** Inserts an active merchant and returns its id. */
export async function insertMerchant(name = "Test Merchant"): Promise<string> {
  const id = newId("mer");
  const now = Date.now();
  await env.DB.prepare("INSERT INTO merchants (id, name, default_shifts, active, created_at, updated_at) VALUES (?, ?, NULL, 1, ?, ?)")
    .bind(id, name, now, now)
    .run();
  return id;
}

/** The audit log's actions on one target, oldest first. */
export async function auditActions(targetId: string): Promise<string[]> {
  const { results } = await env.DB.prepare("SELECT action FROM audit_log WHERE target_id = ? ORDER BY seq")
    .bind(targetId)
    .all<{ action: string }>();
  return results.map((r) => r.action);
}

let skillCounter = 0;
/** Inserts a skill with a code no other test uses and returns the code. */
export async function insertSkill(code = `test.skill${Date.now().toString(36)}${(skillCounter += 1)}`): Promise<string> {
  await env.DB.prepare("INSERT INTO skills (code, name_zh, name_en, created_at) VALUES (?, ?, ?, ?)")
    .bind(code, `技能 ${code}`, `Skill ${code}`, Date.now())
    .run();
  return code;
}

/**
 * City centres for tests, handed out automatically: a fixed grid of slots 3° of latitude and 6° of
 * longitude apart (at least 330 km between any two, whatever the latitude), between 55.5°S and
 * 55.5°N and clear of the antimeridian, with the slots near an H3 pentagon left out. Every call takes
 * the next slot, so the cities of one test file never overlap (a city covers at most `radiusKm`,
 * 40 km in the largest test, plus one res-5 cell), and never come near the polar points tests use
 * for "no city here" (lat ±80 and beyond). Storage is isolated per test file, so each file only
 * needs its own cities apart; each file still starts at a slot derived from its path, so files
 * rarely share places even if they ever shared a database.
 */
const SLOT_ROWS = 38; // -55.5 … +55.5
const SLOT_COLUMNS = 58; // -171 … +171
const SLOT_CLEARANCE_KM = 400;
let slots: { lat: number; lng: number }[] | undefined;
function centreSlots(): { lat: number; lng: number }[] {
  if (slots) return slots;
  const pentagons = getPentagons(5).map((cell) => cellToLatLng(cell));
  slots = [];
  for (let row = 0; row < SLOT_ROWS; row++) {
    for (let column = 0; column < SLOT_COLUMNS; column++) {
      const p = { lat: -55.5 + row * 3, lng: -171 + column * 6 };
      if (pentagons.every((q) => greatCircleDistance([p.lat, p.lng], q, UNITS.km) > SLOT_CLEARANCE_KM)) slots.push(p);
    }
  }
  return slots;
}

/** FNV-1a of a string, for a stable per-file starting slot. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

let centresTaken = 0;
let firstSlot: number | undefined;
/**
 * A city centre no other city of this test file has (see the slots above). Module state is per test
 * file, so the count starts afresh in every file; past the last slot it throws rather than reuse one.
 * The two latitudes of the old hand-kept bands are accepted and ignored until the files that still
 * pass them (test/dispatch/deadlines, batch-dispatch, test/orders/lapsed-hold) drop them.
 */
export function freshCenter(_latMin?: number, _latMax?: number): { lat: number; lng: number } {
  const all = centreSlots();
  const testPath = expect.getState().testPath ?? "";
  firstSlot ??= hash(testPath.slice(testPath.lastIndexOf("/test/") + 1)) % all.length; // the same in every checkout
  if (centresTaken >= all.length) throw new Error(`no free city centre left (${all.length} per test file)`);
  const slot = all[(firstSlot + centresTaken) % all.length]!;
  centresTaken += 1;
  return { ...slot };
}

export interface TestCity {
  id: string;
  center: { lat: number; lng: number };
  cells: string[];
}

/** Creates a city through the admin API (as the given operator) at a fresh centre unless given, and returns it. */
export async function createCity(
  operatorToken: string,
  opts: { center?: { lat: number; lng: number }; radiusKm?: number; timeZone?: string } = {},
): Promise<TestCity> {
  const center = opts.center ?? freshCenter();
  const res = await call("POST", "/v1/admin/cities", {
    token: operatorToken,
    body: {
      name: `City ${center.lat.toFixed(3)},${center.lng.toFixed(3)}`,
      timeZone: opts.timeZone ?? "Asia/Shanghai",
      center,
      radiusKm: opts.radiusKm ?? 25,
    },
  });
  if (res.status !== 201) throw new Error(`city creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, center: res.body.center, cells: res.body.cells };
}
