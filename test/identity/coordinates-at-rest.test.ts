import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clearPointRows, sealPoints } from "../../src/db/repositories/coordinates.repo";
import { getDb } from "../../src/db/client";
import { backfillCoordinates } from "../../src/identity/coordinates-backfill.service";
import { exactPoint, pointColumns, type StoredPoint } from "../../src/lib/coordinates";
import { Pii } from "../../src/lib/pii";
import { freshCenter } from "../support/fixtures";
import { at, book, newCustomer, quote, type Customer } from "../support/booking";
import { call } from "../support/http";
import { addTechnician, createWorld, type World } from "../support/world";

type Row = Record<string, unknown>;

const OLD_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const NEW_KEY = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

async function rowOf(table: "addresses" | "orders", id: string): Promise<Row> {
  const row = await env.DB.prepare(`SELECT * FROM ${table} WHERE id = ?`).bind(id).first<Row>();
  if (!row) throw new Error(`${table} ${id} missing`);
  return row;
}

/** The coordinate columns of a raw D1 row, as the Worker reads them. */
function stored(row: Row): StoredPoint {
  return {
    id: String(row.id),
    coordsEnc: row.coords_enc === null ? null : String(row.coords_enc),
    areaLat: row.area_lat === null ? null : Number(row.area_lat),
    areaLng: row.area_lng === null ? null : Number(row.area_lng),
    lat: Number(row.lat),
    lng: Number(row.lng),
  };
}

/** Every table.column cell of the database whose text contains `needle`. */
async function cellsContaining(needle: string): Promise<string[]> {
  const { results: tables } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations'",
  ).all<{ name: string }>();
  const hits: string[] = [];
  for (const { name } of tables) {
    for (const row of (await env.DB.prepare(`SELECT * FROM ${name}`).all<Row>()).results) {
      for (const [column, value] of Object.entries(row))
        if (value !== null && String(value).includes(needle)) hits.push(`${name}.${column}`);
    }
  }
  return hits;
}

/** A point about 200 m from the world's centre, with more decimals than any area keeps. */
function nearCentre(w: World): { lat: number; lng: number } {
  return { lat: w.center.lat + 0.0012345678, lng: w.center.lng + 0.0016789012 };
}

async function customerAt(p: { lat: number; lng: number }): Promise<Customer> {
  return newCustomer(p);
}

/** Puts a row back as a Worker older than `coords_enc` left it: the exact point in the clear, nothing sealed. */
async function makeLegacy(table: "addresses" | "orders", id: string, p: { lat: number; lng: number }): Promise<void> {
  await env.DB.prepare(`UPDATE ${table} SET coords_enc = NULL, area_lat = NULL, area_lng = NULL, lat = ?, lng = ? WHERE id = ?`)
    .bind(p.lat, p.lng, id)
    .run();
}

async function backfillUntilDone(): Promise<{ runs: number; sealed: number }> {
  let sealed = 0;
  for (let runs = 1; runs <= 50; runs++) {
    const s = await backfillCoordinates(env, 2);
    sealed += s.addresses.sealed + s.orders.sealed;
    if (s.addresses.remaining === 0 && s.orders.remaining === 0) return { runs, sealed };
  }
  throw new Error("the backfill did not finish in 50 runs");
}

afterEach(() => vi.restoreAllMocks());

describe("row-bound PII (Pii.seal / Pii.open)", () => {
  it("opens only for the table, field and row it was sealed for", async () => {
    const pii = await Pii.fromEnv(env);
    const slot = { table: "orders", field: "coords", rowId: "ord_A" };
    const blob = await pii.seal(slot, "[31.2,121.4]");
    expect(blob).toMatch(/^pii1\.k1\./);
    expect(await pii.open(slot, blob)).toBe("[31.2,121.4]");
    await expect(pii.open({ ...slot, rowId: "ord_B" }, blob)).rejects.toThrow();
    await expect(pii.open({ ...slot, table: "addresses" }, blob)).rejects.toThrow();
    await expect(pii.open({ ...slot, field: "area" }, blob)).rejects.toThrow();
    // nor as a plain field-bound value of any of its parts
    for (const field of ["coords", "orders", "ord_A"]) await expect(pii.decrypt(field, blob)).rejects.toThrow();
    await expect(pii.seal({ ...slot, rowId: "" }, "x")).rejects.toThrow();
    await expect(pii.seal({ ...slot, rowId: "a\0b" }, "x")).rejects.toThrow();
  });

  it("rotates like the other PII: the new key seals, both open, the old key alone cannot open the new", async () => {
    const slot = { table: "addresses", field: "coords", rowId: "adr_rot" };
    const before = await Pii.create(`k1:${OLD_KEY}`);
    const rotated = await Pii.create(`k2:${NEW_KEY},k1:${OLD_KEY}`);
    const old = await before.seal(slot, "[1,2]");
    expect(await rotated.open(slot, old)).toBe("[1,2]");
    const fresh = await rotated.seal(slot, "[3,4]");
    expect(fresh).toMatch(/^pii1\.k2\./);
    expect(await rotated.open(slot, fresh)).toBe("[3,4]");
    await expect(before.open(slot, fresh)).rejects.toThrow();
    await expect((await Pii.create(`k2:${NEW_KEY}`)).open(slot, old)).rejects.toThrow();
  });
});

describe("coordinates at rest", () => {
  it("keeps no exact coordinate of the address or the order in D1 after a booking, only sealed ones and the ~1 km area", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const exact = nearCentre(w);
    const customer = await customerAt(exact);
    const q = await quote(w, customer, at(w, 2, "10:00"));
    const res = await book(customer, q);
    expect(res.status).toBe(201);

    // Neither the full value nor anything down to ~10 m (4 decimals) is stored anywhere.
    for (const v of [exact.lat, exact.lng]) {
      expect(await cellsContaining(String(v)), String(v)).toEqual([]);
      expect(await cellsContaining(v.toFixed(4)), v.toFixed(4)).toEqual([]);
    }
    const area = { lat: Math.round(exact.lat * 100) / 100, lng: Math.round(exact.lng * 100) / 100 };
    const pii = await Pii.fromEnv(env);
    for (const [table, id] of [
      ["addresses", customer.addressId],
      ["orders", String(res.body.id)],
    ] as const) {
      const row = await rowOf(table, id);
      expect(row).toMatchObject({ area_lat: area.lat, area_lng: area.lng, lat: area.lat, lng: area.lng });
      expect(String(row.coords_enc)).toMatch(/^pii1\./);
      expect(await pii.open({ table, field: "coords", rowId: id }, String(row.coords_enc))).toBe(JSON.stringify([exact.lat, exact.lng]));
    }
    // The owner still reads the exact point.
    const mine = await call("GET", "/v1/me/addresses", { token: customer.session.token });
    expect(mine.body.items[0]).toMatchObject({ lat: exact.lat, lng: exact.lng });
  });

  it("refuses a sealed point copied to another row: the ciphertext is bound to its row", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const a = await customerAt(nearCentre(w));
    const b = await customerAt(w.center);
    const [orderA, orderB] = [await book(a, await quote(w, a, at(w, 2, "10:00"))), await book(b, await quote(w, b, at(w, 2, "14:00")))];
    expect([orderA.status, orderB.status]).toEqual([201, 201]);
    const pii = await Pii.fromEnv(env);

    const rowA = stored(await rowOf("orders", String(orderA.body.id)));
    expect(await exactPoint(pii, "orders", rowA)).toEqual(nearCentre(w));
    await env.DB.prepare("UPDATE orders SET coords_enc = ? WHERE id = ?").bind(rowA.coordsEnc, orderB.body.id).run();
    const copied = stored(await rowOf("orders", String(orderB.body.id)));
    expect(copied.coordsEnc).toBe(rowA.coordsEnc);
    await expect(exactPoint(pii, "orders", copied)).rejects.toThrow();

    // The same between an address and an order of the same point, and between two addresses.
    const addressA = stored(await rowOf("addresses", a.addressId));
    await expect(exactPoint(pii, "orders", { ...rowA, coordsEnc: addressA.coordsEnc })).rejects.toThrow();
    await env.DB.prepare("UPDATE addresses SET coords_enc = ? WHERE id = ?").bind(addressA.coordsEnc, b.addressId).run();
    const listed = await call("GET", "/v1/me/addresses", { token: b.session.token });
    expect(listed.status).toBe(500);
    expect(JSON.stringify(listed.body)).not.toContain(String(nearCentre(w).lat));
  });

  it("backfills rows written before coordinates were sealed: complete, idempotent, logged, nothing lost meanwhile", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const points = [nearCentre(w), { lat: w.center.lat - 0.0021987654, lng: w.center.lng + 0.0003456789 }, w.center];
    const customers = await Promise.all(points.map((p) => customerAt(p)));
    const orders: string[] = [];
    for (const [i, c] of customers.entries()) {
      const res = await book(c, await quote(w, c, at(w, 2 + i, "10:00")));
      expect(res.status).toBe(201);
      orders.push(String(res.body.id));
    }
    // Two of each as an old Worker wrote them; the third address as an old Worker edited it after it was sealed.
    for (const i of [0, 1]) {
      await makeLegacy("addresses", customers[i]!.addressId, points[i]!);
      await makeLegacy("orders", orders[i]!, points[i]!);
    }
    const moved = { lat: w.center.lat + 0.0007777777, lng: w.center.lng - 0.0004444444 };
    await env.DB.prepare("UPDATE addresses SET lat = ?, lng = ? WHERE id = ?").bind(moved.lat, moved.lng, customers[2]!.addressId).run();
    const expected = new Map<string, { lat: number; lng: number }>([
      [customers[0]!.addressId, points[0]!],
      [customers[1]!.addressId, points[1]!],
      [customers[2]!.addressId, moved],
      [orders[0]!, points[0]!],
      [orders[1]!, points[1]!],
      [orders[2]!, points[2]!],
    ]);
    const tableOf = (id: string) => (id.startsWith("adr") ? "addresses" : "orders");

    // Before the backfill every point reads as it is (legacy rows from their clear columns).
    const pii = await Pii.fromEnv(env);
    for (const [id, p] of expected) expect(await exactPoint(pii, tableOf(id), stored(await rowOf(tableOf(id), id)))).toEqual(p);
    expect((await clearPointRows(getDb(env), "addresses", 100)).map((r) => r.id)).toEqual(
      expect.arrayContaining([customers[0]!.addressId, customers[1]!.addressId, customers[2]!.addressId]),
    );

    const logs: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void logs.push(String(line)));
    const first = await backfillUntilDone();
    expect(first.sealed).toBeGreaterThanOrEqual(5);
    expect(first.runs).toBeGreaterThan(1);
    const progress = logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "coordinates.backfill");
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)).toMatchObject({ remaining: 0, done: true });
    for (const l of logs) for (const p of expected.values()) expect(l).not.toContain(String(p.lat).slice(0, 7));

    const after = new Map<string, Row>();
    for (const id of expected.keys()) after.set(id, await rowOf(tableOf(id), id));
    for (const [id, p] of expected) {
      const row = after.get(id)!;
      const area = { lat: Math.round(p.lat * 100) / 100, lng: Math.round(p.lng * 100) / 100 };
      expect(row).toMatchObject({ lat: area.lat, lng: area.lng, area_lat: area.lat, area_lng: area.lng });
      expect(await exactPoint(pii, tableOf(id), stored(row))).toEqual(p);
    }
    for (const v of [...expected.values()].flatMap((p) => [p.lat, p.lng])) expect(await cellsContaining(v.toFixed(4))).toEqual([]);

    // Idempotent: a second run seals nothing and leaves every ciphertext as it was.
    expect(await backfillCoordinates(env)).toMatchObject({ addresses: { sealed: 0, remaining: 0 }, orders: { sealed: 0, remaining: 0 } });
    for (const [id, row] of after) expect((await rowOf(tableOf(id), id)).coords_enc).toBe(row.coords_enc);
    // The owner reads the exact point, the booking path too (a new quote at the backfilled address books).
    const owner = await call("GET", "/v1/me/addresses", { token: customers[2]!.session.token });
    expect(owner.body.items[0]).toMatchObject(moved);
    const again = await book(customers[0]!, await quote(w, customers[0]!, at(w, 5, "10:00")));
    expect(again.status).toBe(201);
  });

  it("never overwrites a point changed between the backfill's read and its write", async () => {
    const w = await createWorld(freshCenter());
    const legacy = nearCentre(w);
    const c = await customerAt(legacy);
    await makeLegacy("addresses", c.addressId, legacy);
    const [read] = (await clearPointRows(getDb(env), "addresses", 1000)).filter((r) => r.id === c.addressId);
    expect(read).toMatchObject({ coordsEnc: null, lat: legacy.lat, lng: legacy.lng });
    // the customer moves the address (a current Worker seals the new point) before the backfill writes
    const moved = { lat: w.center.lat - 0.0011111111, lng: w.center.lng + 0.0022222222 };
    expect((await call("PATCH", `/v1/me/addresses/${c.addressId}`, { token: c.session.token, body: moved })).status).toBe(200);
    const pii = await Pii.fromEnv(env);
    expect(
      await sealPoints(getDb(env), "addresses", [{ row: read!, columns: await pointColumns(pii, "addresses", read!.id, read!) }]),
    ).toBe(0);
    expect(await exactPoint(pii, "addresses", stored(await rowOf("addresses", c.addressId)))).toEqual(moved);
  });
});
