/** Test set-up that writes reference data straight into D1, independent of the admin endpoints for it. */
import { env } from "cloudflare:test";
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

let skillCounter = 0;
/** Inserts a skill with a code no other test uses and returns the code. */
export async function insertSkill(code = `test.skill${Date.now().toString(36)}${(skillCounter += 1)}`): Promise<string> {
  await env.DB.prepare("INSERT INTO skills (code, name_zh, name_en, created_at) VALUES (?, ?, ?, ?)")
    .bind(code, `技能 ${code}`, `Skill ${code}`, Date.now())
    .run();
  return code;
}

let centerCounter = 0;
/**
 * A city centre inside the latitude band [latMin, latMax), spread in longitude across -60..+60 so the
 * cities of one file never overlap (each band belongs to one test file).
 */
export function freshCenter(latMin: number, latMax: number): { lat: number; lng: number } {
  centerCounter += 1;
  return { lat: latMin + Math.random() * (latMax - latMin), lng: -60 + ((centerCounter * 2.3) % 118) + Math.random() * 0.5 };
}

export interface TestCity {
  id: string;
  center: { lat: number; lng: number };
  cells: string[];
}

/** Creates a city through the admin API (as the given operator) and returns it. */
export async function createCity(operatorToken: string, center: { lat: number; lng: number }, radiusKm = 25): Promise<TestCity> {
  const res = await call("POST", "/v1/admin/cities", {
    token: operatorToken,
    body: { name: `City ${center.lat.toFixed(3)},${center.lng.toFixed(3)}`, timeZone: "Asia/Shanghai", center, radiusKm },
  });
  if (res.status !== 201) throw new Error(`city creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, center: res.body.center, cells: res.body.cells };
}
