/** A small booking world for API tests: a city, a skill, a service offered there, approved technicians. */
import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { latLngToCell, gridDisk, cellToLatLng } from "h3-js";
import { newId } from "../../src/lib/ids";
import * as schema from "../../src/db/schema";
import { Pii } from "../../src/lib/pii";
import { DEFAULT_WEEKLY_SHIFTS } from "../../src/domain/shifts";
import { call, signIn, signInAdmin, signInWithRoles, uniquePhone, type Session } from "./http";
import { freshCenter, insertMerchant, insertSkill } from "./fixtures";

export interface World {
  admin: Session;
  cityId: string;
  timeZone: string;
  center: { lat: number; lng: number };
  cells: string[];
  skill: string;
  /** A skill the service does not need. */
  otherSkill: string;
  serviceId: string;
}

let n = 0;

export interface WorldOptions {
  timeZone?: string;
  leadTimeMinutes?: number;
  horizonDays?: number;
  durationMinutes?: number;
  dispatchMode?: "auto" | "grab" | "manual" | "chosen";
  /** The merchant offering the service (its orders belong to that merchant). */
  merchantId?: string;
}

/** Creates a city centred at `center` (from `freshCenter()`) with one service offered there. */
export async function createWorld(center: { lat: number; lng: number }, opts: WorldOptions = {}): Promise<World> {
  n += 1;
  const admin = await signInAdmin();
  const timeZone = opts.timeZone ?? "Asia/Shanghai";
  const city = await call("POST", "/v1/admin/cities", { token: admin.token, body: { name: `World ${n}`, timeZone, center, radiusKm: 30 } });
  if (city.status !== 201) throw new Error(`city: ${city.status} ${JSON.stringify(city.body)}`);
  const skill = await insertSkill();
  const otherSkill = await insertSkill();
  const serviceId = await insertService({
    skills: [skill],
    cityId: city.body.id,
    leadTimeMinutes: opts.leadTimeMinutes ?? 60,
    horizonDays: opts.horizonDays ?? 14,
    durationMinutes: opts.durationMinutes ?? 120,
    dispatchMode: opts.dispatchMode,
    merchantId: opts.merchantId,
  });
  return { admin, cityId: city.body.id, timeZone, center, cells: city.body.cells, skill, otherSkill, serviceId };
}

/** Writes a service row (test set-up only; the catalog endpoints have their own tests). */
export async function insertService(o: {
  skills: string[];
  cityId: string;
  leadTimeMinutes: number;
  horizonDays: number;
  durationMinutes: number;
  merchantId?: string | null;
  dispatchMode?: string;
}): Promise<string> {
  const id = newId("svc");
  const categoryId = newId("cat");
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO categories (id, parent_id, name_zh, name_en, sort, created_at, updated_at) VALUES (?, NULL, '保洁', 'Cleaning', 0, ?, ?)",
    ).bind(categoryId, now, now),
    env.DB.prepare(
      `INSERT INTO services (id, merchant_id, category_id, name_zh, name_en, description_zh, description_en, currency, base_price, unit_price, unit, min_units,
        duration_minutes, per_unit_minutes, required_skills, extras, cancellation_policy, dispatch_mode, payment_options, rush_fee, lead_time_minutes, horizon_days, active, created_at, updated_at)
       VALUES (?, ?, ?, '日常保洁', 'Cleaning', '描述', 'Description', 'CNY', 12000, 0, 'visit', 1, ?, 0, ?, '[]', ?, ?, ?, 0, ?, ?, 1, ?, ?)`,
    ).bind(
      id,
      o.merchantId ?? null,
      categoryId,
      o.durationMinutes,
      JSON.stringify(o.skills),
      JSON.stringify({ tiers: [{ hoursBefore: 24, refundPercent: 100 }], visitFee: 3000 }),
      o.dispatchMode ?? "auto",
      JSON.stringify({ full: true, depositPercent: null, afterService: true }),
      o.leadTimeMinutes,
      o.horizonDays,
      now,
      now,
    ),
    env.DB.prepare("INSERT INTO service_cities (service_id, city_id) VALUES (?, ?)").bind(id, o.cityId),
  ]);
  return id;
}

export interface TestTechnician {
  id: string;
  phone: string;
  homeCell: string;
  session: () => Promise<Session>;
}

/** Registers and approves a technician through the admin API. */
export async function addTechnician(
  world: World,
  home: { lat: number; lng: number },
  opts: { skills?: string[]; approve?: boolean; merchantId?: string; token?: string } = {},
): Promise<TestTechnician> {
  const phone = uniquePhone();
  const token = opts.token ?? world.admin.token;
  const res = await call("POST", "/v1/admin/technicians", {
    token,
    body: {
      phone,
      name: `Tech ${phone.slice(-4)}`,
      skills: opts.skills ?? [world.skill],
      home,
      serviceRadiusKm: 30,
      ...(opts.merchantId ? { merchantId: opts.merchantId } : {}),
    },
  });
  if (res.status !== 201) throw new Error(`technician: ${res.status} ${JSON.stringify(res.body)}`);
  if (opts.approve !== false) {
    const ok = await call("POST", `/v1/admin/technicians/${res.body.id}/approve`, { token, body: {} });
    if (ok.status !== 200) throw new Error(`approve: ${ok.status} ${JSON.stringify(ok.body)}`);
  }
  return { id: res.body.id, phone, homeCell: res.body.homeCell, session: () => signIn(phone) };
}

export interface MerchantWorld {
  w: World;
  merchantId: string;
  /** A merchant_admin of the merchant, signed in. */
  merchantAdmin: Session;
  /** An approved technician of the merchant, homed at the centre. */
  tech: TestTechnician;
  techSession: Session;
}

/**
 * A world (at a fresh centre) whose service belongs to a new merchant, with that merchant's admin
 * signed in and one approved technician of the merchant at the centre (none with `technician: false`).
 */
export async function merchantWorld(opts?: Omit<WorldOptions, "merchantId"> & { technician?: true }): Promise<MerchantWorld>;
export async function merchantWorld(
  opts: Omit<WorldOptions, "merchantId"> & { technician: false },
): Promise<Omit<MerchantWorld, "tech" | "techSession">>;
export async function merchantWorld(
  opts: Omit<WorldOptions, "merchantId"> & { technician?: boolean } = {},
): Promise<Omit<MerchantWorld, "tech" | "techSession"> | MerchantWorld> {
  const { technician, ...worldOptions } = opts;
  const merchantId = await insertMerchant();
  const w = await createWorld(freshCenter(), { ...worldOptions, merchantId });
  const merchantAdmin = await signInWithRoles(["merchant_admin"], merchantId);
  if (technician === false) return { w, merchantId, merchantAdmin };
  const tech = await addTechnician(w, w.center, { merchantId });
  return { w, merchantId, merchantAdmin, tech, techSession: await tech.session() };
}

/** A point in a neighbouring cell of `cell` (ring 1), for moves and ring tests. */
export function neighbourPoint(cell: string): { lat: number; lng: number } {
  const other = gridDisk(cell, 1).find((c) => c !== cell)!;
  const [lat, lng] = cellToLatLng(other);
  return { lat, lng };
}

export function cellAt(p: { lat: number; lng: number }): string {
  return latLngToCell(p.lat, p.lng, 5);
}

/** The local date `days` ahead in a zone, YYYY-MM-DD. */
export function localDay(timeZone: string, days: number): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(
    new Date(Date.now() + days * 86_400_000),
  );
}

export const WEEKLY = DEFAULT_WEEKLY_SHIFTS;

let manyWorlds = 0;

/**
 * `count` approved technicians with the world's skill, homed within ~1 km of its centre, all in the
 * centre's cell: written to D1 directly (fast, for tests that need hundreds); the cell syncs its
 * roster from D1 when asked. Answers their ids.
 */
export async function insertTechnicians(w: World, count: number): Promise<string[]> {
  const db = drizzle(env.DB, { schema });
  const now = Date.now();
  const cell = latLngToCell(w.center.lat, w.center.lng, 5);
  manyWorlds += 1;
  const pii = await Pii.fromEnv(env);
  const ids: string[] = [];
  // Four rows per statement keep each insert under D1's 100 bound parameters.
  for (let i = 0; i < count; i += 4) {
    const part = Array.from({ length: Math.min(4, count - i) }, (_, j) => {
      const n = i + j;
      const tag = `${w.cityId.slice(-6)}${String(n).padStart(4, "0")}`;
      return { n, account: `acc_many${tag}`, technician: `tch_many${tag}` };
    });
    await db.batch([
      db.insert(schema.accounts).values(
        await Promise.all(
          part.map(async (p) => {
            const phone = `+86157${String(manyWorlds * 1000 + p.n).padStart(8, "0")}`;
            return {
              id: p.account,
              phoneEnc: await pii.encrypt("phone", phone),
              phoneHash: await pii.lookupHash(phone),
              name: `Tech ${p.n}`,
              roles: ["technician" as const],
              createdAt: now,
              updatedAt: now,
            };
          }),
        ),
      ),
      db.insert(schema.technicians).values(
        part.map((p) => ({
          id: p.technician,
          accountId: p.account,
          merchantId: null,
          name: `Tech ${p.n}`,
          skills: [w.skill],
          homeLat: w.center.lat + ((p.n % 17) - 8) * 0.0005,
          homeLng: w.center.lng + ((p.n % 13) - 6) * 0.0005,
          homeCell: cell,
          cityId: w.cityId,
          serviceRadiusKm: 30,
          status: "approved" as const,
          ratingX100: 400 + (p.n % 100),
          createdAt: now,
          updatedAt: now,
        })),
      ),
    ]);
    ids.push(...part.map((p) => p.technician));
  }
  return ids;
}
