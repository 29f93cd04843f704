/**
 * Builds the demo data (scripts/seed-demo.ts) as SQL for the local D1: rows typed against the
 * drizzle schema, phones and addresses encrypted by the Worker's own Pii class, cells computed by
 * the Worker's own H3 rules. Fixed ids and `ON CONFLICT DO NOTHING` make it idempotent.
 *
 * Pure (no Node APIs): scripts/seed-local.mjs runs it under Node and hands the SQL to wrangler, and the
 * seed test runs it inside workerd against the test database.
 */
import { getTableName, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/sqlite-proxy";
import * as schema from "../src/db/schema";
import { cellCenter, cellOf, cellsCovering, haversineKm, resolutionOf, type LatLng } from "../src/domain/geo";
import type { Role } from "../src/domain/roles";
import { pointColumns } from "../src/lib/coordinates";
import { Pii } from "../src/lib/pii";
import {
  CATEGORIES,
  CITY,
  CUSTOMER_HOMES,
  MERCHANTS,
  PHONES,
  SERVICES,
  SKILLS,
  TECHNICIAN_COUNT,
  TRADES,
  demoName,
  pad2,
} from "./seed-demo";

/** The Worker variables the seed needs (read from .dev.vars, like `wrangler dev`). */
export interface SeedConfig {
  PII_KEY: string;
  PII_LOOKUP_KEY?: string;
  H3_RESOLUTION?: string;
}

export interface DemoAccount {
  phone: string;
  roles: Role[];
  name: string;
  /** What the account is for, e.g. the merchant it administers. */
  note: string;
}

export interface SeedPlan {
  /** Complete SQL statements with their values inlined, in dependency order. */
  statements: string[];
  /** Rows offered per table (rows that already exist are left as they are). */
  rows: Record<string, number>;
  accounts: DemoAccount[];
  cityId: string;
}

// Only toSQL() is used: the seed builds statements, wrangler (or the test) executes them.
const db = drizzle(async () => {
  throw new Error("the seed builder never executes queries");
});

const ROWS_PER_STATEMENT = 20;

/** Builds every statement of the demo data. `now` stamps created/updated times of new rows. */
export async function buildSeed(config: SeedConfig, now = Date.now()): Promise<SeedPlan> {
  const pii = await Pii.fromEnv({ PII_KEY: config.PII_KEY, PII_LOOKUP_KEY: config.PII_LOOKUP_KEY });
  const resolution = resolutionOf(config);
  const statements: string[] = [];
  const rows: Record<string, number> = {};
  const emit = (table: Parameters<typeof getTableName>[0], count: number, query: { toSQL(): { sql: string; params: unknown[] } }) => {
    statements.push(inlineParams(query.toSQL()));
    rows[getTableName(table)] = (rows[getTableName(table)] ?? 0) + count;
  };
  const insertAll = <R>(
    table: Parameters<typeof getTableName>[0],
    all: R[],
    make: (part: R[]) => { toSQL(): { sql: string; params: unknown[] } },
  ) => {
    for (let i = 0; i < all.length; i += ROWS_PER_STATEMENT) {
      const part = all.slice(i, i + ROWS_PER_STATEMENT);
      emit(table, part.length, make(part));
    }
  };

  // City and the cells POST /v1/admin/cities would give it.
  const cells = cellsCovering(CITY.center, CITY.radiusKm, resolution);
  emit(
    schema.cities,
    1,
    db
      .insert(schema.cities)
      .values({
        id: CITY.id,
        name: CITY.name,
        timeZone: CITY.timeZone,
        centerLat: CITY.center.lat,
        centerLng: CITY.center.lng,
        radiusKm: CITY.radiusKm,
        resolution,
        createdAt: now,
      })
      .onConflictDoNothing(),
  );
  insertAll(schema.cityCells, cells, (part) =>
    db
      .insert(schema.cityCells)
      .values(part.map((cellId) => ({ cellId, cityId: CITY.id })))
      .onConflictDoNothing(),
  );

  insertAll(schema.skills, SKILLS, (part) =>
    db
      .insert(schema.skills)
      .values(part.map((s) => ({ code: s.code, nameZh: s.zh, nameEn: s.en, createdAt: now })))
      .onConflictDoNothing(),
  );
  insertAll(schema.categories, CATEGORIES, (part) =>
    db
      .insert(schema.categories)
      .values(
        part.map((c) => ({ id: c.id, parentId: c.parentId, nameZh: c.zh, nameEn: c.en, sort: c.sort, createdAt: now, updatedAt: now })),
      )
      .onConflictDoNothing(),
  );
  insertAll(schema.merchants, MERCHANTS, (part) =>
    db
      .insert(schema.merchants)
      .values(part.map((m) => ({ id: m.id, name: m.name, defaultShifts: m.defaultShifts, active: true, createdAt: now, updatedAt: now })))
      .onConflictDoNothing(),
  );

  // Accounts. A demo phone that signed in before the seed ran already has an account (another id):
  // it keeps its id and gets the demo roles; rows below find accounts by phone hash for that reason.
  const accounts: (DemoAccount & { id: string; merchantId: string | null })[] = [
    {
      id: "acc_demoAdmin",
      phone: PHONES.admin,
      roles: ["operator", "admin"],
      name: "平台管理员",
      note: "admin (also in BOOTSTRAP_ADMIN_PHONES)",
      merchantId: null,
    },
    { id: "acc_demoOperator", phone: PHONES.operator, roles: ["operator"], name: "运营专员", note: "operator", merchantId: null },
    ...MERCHANTS.map((m) => ({
      id: `acc_demoMerchantAdmin${pad2(m.admin.n)}`,
      phone: PHONES.merchantAdmin(m.admin.n),
      roles: ["merchant_admin"] as Role[],
      name: m.admin.name,
      note: `merchant_admin of ${m.name} (${m.id})`,
      merchantId: m.id,
    })),
  ];
  const technicianAccounts = Array.from({ length: TECHNICIAN_COUNT }, (_, i) => ({
    id: `acc_demoTechnician${pad2(i + 1)}`,
    phone: PHONES.technician(i + 1),
    roles: ["customer", "technician"] as Role[],
    name: demoName(i + 3),
    note: `technician tch_demo${pad3(i + 1)}`,
    merchantId: null,
  }));
  const customerAccounts = CUSTOMER_HOMES.map((_, i) => ({
    id: `acc_demoCustomer${pad2(i + 1)}`,
    phone: PHONES.customer(i + 1),
    roles: ["customer"] as Role[],
    name: demoName(i + 71),
    note: `customer with address adr_demoCustomer${pad2(i + 1)}`,
    merchantId: null,
  }));
  const allAccounts = [...accounts, ...technicianAccounts, ...customerAccounts];
  const hashes = new Map<string, string>();
  for (const a of allAccounts) hashes.set(a.phone, await pii.lookupHash(a.phone));
  const accountRows = await Promise.all(
    allAccounts.map(async (a) => ({
      id: a.id,
      phoneEnc: await pii.encrypt("phone", a.phone),
      phoneHash: hashes.get(a.phone)!,
      name: a.name,
      roles: a.roles,
      merchantId: a.merchantId,
      createdAt: now,
      updatedAt: now,
    })),
  );
  insertAll(schema.accounts, accountRows, (part) =>
    db
      .insert(schema.accounts)
      .values(part)
      .onConflictDoUpdate({
        target: schema.accounts.phoneHash,
        set: { roles: sql`excluded.roles`, merchantId: sql`excluded.merchant_id` },
      }),
  );
  const accountOf = (phone: string): SQL<string> =>
    sql`(select ${schema.accounts.id} from ${schema.accounts} where ${schema.accounts.phoneHash} = ${hashes.get(phone)!})`;

  // Technicians: half around the centre cell and its neighbours (where most customers live), half across the city.
  const byDistance = [...cells].sort((a, b) => haversineKm(cellCenter(a), CITY.center) - haversineKm(cellCenter(b), CITY.center));
  const inner = byDistance.slice(0, 7);
  const technicianRows = technicianAccounts.map((a, i) => {
    const trade = TRADES[i % TRADES.length]!;
    const cell = i < TECHNICIAN_COUNT / 2 ? inner[i % inner.length]! : byDistance[(i * 7) % byDistance.length]!;
    const home = homeIn(cell, i, resolution);
    return {
      id: `tch_demo${pad3(i + 1)}`,
      accountId: accountOf(a.phone),
      merchantId: trade.merchantId,
      name: a.name,
      skills: trade.skills,
      homeLat: home.lat,
      homeLng: home.lng,
      homeCell: cell,
      cityId: CITY.id,
      serviceRadiusKm: 10 + (i % 6) * 2,
      status: "approved" as const,
      ratingX100: 400 + ((i * 37) % 101),
      ratingCount: 5 + ((i * 53) % 240),
      createdAt: now,
      updatedAt: now,
    };
  });
  insertAll(schema.technicians, technicianRows, (part) => db.insert(schema.technicians).values(part).onConflictDoNothing());

  insertAll(schema.services, SERVICES, (part) =>
    db
      .insert(schema.services)
      .values(
        part.map((s) => ({
          id: s.id,
          merchantId: s.merchantId,
          categoryId: s.categoryId,
          nameZh: s.name.zh,
          nameEn: s.name.en,
          descriptionZh: s.description.zh,
          descriptionEn: s.description.en,
          currency: "CNY",
          basePrice: s.price.base,
          unitPrice: s.price.perUnit,
          unit: s.price.unit,
          minUnits: s.price.minUnits,
          durationMinutes: s.durationMinutes,
          perUnitMinutes: s.perUnitMinutes,
          requiredSkills: s.requiredSkills,
          extras: s.extras,
          cancellationPolicy: s.cancellationPolicy,
          dispatchMode: s.dispatchMode,
          paymentOptions: s.paymentOptions,
          rushFee: s.rushFee,
          leadTimeMinutes: s.leadTimeMinutes,
          horizonDays: s.horizonDays,
          active: true,
          createdAt: now,
          updatedAt: now,
        })),
      )
      .onConflictDoNothing(),
  );
  insertAll(schema.serviceCities, SERVICES, (part) =>
    db
      .insert(schema.serviceCities)
      .values(part.map((s) => ({ serviceId: s.id, cityId: CITY.id })))
      .onConflictDoNothing(),
  );

  const addressRows = await Promise.all(
    customerAccounts.map(async (a, i) => {
      const home = CUSTOMER_HOMES[i]!;
      const cell = cellOf(home.point, resolution);
      if (!cells.includes(cell)) throw new Error(`demo address ${home.text} lies outside ${CITY.name}`);
      const id = `adr_demoCustomer${pad2(i + 1)}`;
      return {
        id,
        accountId: accountOf(a.phone),
        label: "家",
        textEnc: await pii.encrypt("address", home.text),
        ...(await pointColumns(pii, "addresses", id, home.point)),
        cell,
        contactNameEnc: await pii.encrypt("contact_name", a.name),
        contactPhoneEnc: await pii.encrypt("phone", a.phone),
        createdAt: now,
        updatedAt: now,
      };
    }),
  );
  insertAll(schema.addresses, addressRows, (part) => db.insert(schema.addresses).values(part).onConflictDoNothing());

  return {
    statements,
    rows,
    accounts: allAccounts.map(({ phone, roles, name, note }) => ({ phone, roles, name, note })),
    cityId: CITY.id,
  };
}

function pad3(n: number): string {
  return String(n).padStart(3, "0");
}

/** A home near the centre of `cell` (up to ~2 km off, varied by `n`) that still lies in that cell. */
function homeIn(cell: string, n: number, resolution: number): LatLng {
  const centre = cellCenter(cell);
  const moved = {
    lat: round6(centre.lat + (((n * 37) % 11) - 5) * 0.003),
    lng: round6(centre.lng + (((n * 53) % 11) - 5) * 0.004),
  };
  return cellOf(moved, resolution) === cell ? moved : { lat: round6(centre.lat), lng: round6(centre.lng) };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * Replaces each `?` placeholder (outside quoted text) with the SQL literal of its value, so the
 * statement can go into a .sql file. Values come from drizzle's own column encoders.
 */
export function inlineParams(query: { sql: string; params: unknown[] }): string {
  let out = "";
  let next = 0;
  let quote: string | null = null;
  for (const ch of query.sql) {
    if (quote) {
      out += ch;
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"' || ch === "`") {
      quote = ch;
      out += ch;
    } else if (ch === "?") {
      if (next >= query.params.length) throw new Error(`more placeholders than values in: ${query.sql}`);
      out += sqlLiteral(query.params[next++]);
    } else {
      out += ch;
    }
  }
  if (next !== query.params.length) throw new Error(`more values than placeholders in: ${query.sql}`);
  return out;
}

/** A SQLite literal for a value drizzle would have bound. */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} to SQLite`);
    return String(value);
  }
  if (typeof value === "string") {
    if (value.includes("\0")) throw new Error("text with NUL characters cannot be inlined");
    return `'${value.replaceAll("'", "''")}'`;
  }
  throw new Error(`cannot inline a ${typeof value} value`);
}
