/**
 * Technicians' homes at rest: the exact home only sealed for the technician's row (home_enc), the
 * clear columns rounded to ~1 km; dispatch opens the sealed home for travel from home; the cron
 * backfill seals technicians written before home_enc.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { pushTechnician, syncCellRoster } from "../../src/cells/cells.service";
import { haversineKm } from "../../src/domain/geo";
import { backfillCoordinates } from "../../src/identity/coordinates-backfill.service";
import { exactPoint, technicianHome, type StoredHome } from "../../src/lib/coordinates";
import { Pii } from "../../src/lib/pii";
import { at, book, newCustomer, quote } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { call } from "../support/http";
import { addTechnician, createWorld, type World } from "../support/world";

type Row = Record<string, unknown>;

async function technicianRow(id: string): Promise<Row> {
  const row = await env.DB.prepare("SELECT * FROM technicians WHERE id = ?").bind(id).first<Row>();
  if (!row) throw new Error(`technician ${id} missing`);
  return row;
}

function storedHome(row: Row): StoredHome {
  const num = (v: unknown) => (v === null ? null : Number(v));
  return {
    id: String(row.id),
    homeEnc: row.home_enc === null ? null : String(row.home_enc),
    homeAreaLat: num(row.home_area_lat),
    homeAreaLng: num(row.home_area_lng),
    homeLat: Number(row.home_lat),
    homeLng: Number(row.home_lng),
  };
}

const area = (p: { lat: number; lng: number }) => ({ lat: Math.round(p.lat * 100) / 100, lng: Math.round(p.lng * 100) / 100 });

/** A home ~0.5 km from the world's centre, with more decimals than any area keeps, and ~0.3 km from its area point. */
function exactHome(w: World) {
  const a = area(w.center);
  return { lat: a.lat + 0.0031234567, lng: a.lng - 0.0027654321 };
}

afterEach(() => vi.restoreAllMocks());

describe("technicians' homes at rest", () => {
  it("stores the exact home only sealed for the technician's row, ~1 km in the clear; the admin view still reads it exactly", async () => {
    const w = await createWorld(freshCenter());
    const home = exactHome(w);
    const t = await addTechnician(w, home);
    const row = await technicianRow(t.id);
    expect(row).toMatchObject({
      home_lat: area(home).lat,
      home_lng: area(home).lng,
      home_area_lat: area(home).lat,
      home_area_lng: area(home).lng,
    });
    expect(String(row.home_enc)).toMatch(/^pii1\./);
    const pii = await Pii.fromEnv(env);
    expect(await pii.open({ table: "technicians", field: "home", rowId: t.id }, String(row.home_enc))).toBe(
      JSON.stringify([home.lat, home.lng]),
    );
    // No column of the row holds the exact home, nor anything down to ~10 m.
    for (const v of [home.lat, home.lng]) {
      for (const value of Object.values(row)) expect(String(value)).not.toContain(v.toFixed(4));
    }
    const view = await call("GET", `/v1/admin/technicians/${t.id}`, { token: w.admin.token });
    expect(view.status).toBe(200);
    expect(view.body.home).toEqual(home);
  });

  it("refuses a sealed home copied to another technician's row", async () => {
    const w = await createWorld(freshCenter());
    const a = await addTechnician(w, exactHome(w));
    const b = await addTechnician(w, w.center);
    const pii = await Pii.fromEnv(env);
    const rowA = storedHome(await technicianRow(a.id));
    expect(await technicianHome(pii, rowA)).toEqual(exactHome(w));
    // Copied, with B's clear columns made to match so the row does not look unsealed.
    await env.DB.prepare("UPDATE technicians SET home_enc = ?, home_area_lat = home_lat, home_area_lng = home_lng WHERE id = ?")
      .bind(rowA.homeEnc, b.id)
      .run();
    const copied = storedHome(await technicianRow(b.id));
    expect(copied.homeEnc).toBe(rowA.homeEnc);
    await expect(technicianHome(pii, copied)).rejects.toThrow();
    // Nor does it open as an order's or an address's point of the same id.
    await expect(
      exactPoint(pii, "orders", { id: a.id, coordsEnc: rowA.homeEnc, areaLat: 1, areaLng: 1, lat: 1, lng: 1 }),
    ).rejects.toThrow();
    // The copied home never reaches a cell: the profile push refuses.
    await expect(pushTechnician(env, b.id)).rejects.toThrow();
    const entryA = await pushTechnician(env, a.id);
    expect(entryA).toMatchObject({ profile: { id: a.id } });
    // A whole-cell reload leaves the bad row out instead of failing for everyone in the cell.
    await expect(syncCellRoster(env, entryA.homeCell, 0)).resolves.toBeUndefined();
  });

  it("dispatch still books, with travel worked out from the exact home, not the rounded one", async () => {
    const w = await createWorld(freshCenter());
    const home = exactHome(w);
    const t = await addTechnician(w, home);
    const customer = await newCustomer(w.center);
    const res = await book(customer, await quote(w, customer, at(w, 2, "10:00")));
    expect(res.status).toBe(201);
    expect(res.body.technician.id).toBe(t.id);
    const why = await call("GET", `/v1/admin/orders/${res.body.id}/dispatch`, { token: w.admin.token });
    const candidate = why.body.decisions[0].candidates.find((c: { technicianId: string }) => c.technicianId === t.id);
    const exactKm = haversineKm(home, w.center);
    const roundedKm = haversineKm(area(home), w.center);
    expect(Math.abs(exactKm - roundedKm)).toBeGreaterThan(0.1);
    expect(candidate.travelKm).toBeCloseTo(exactKm, 1);

    // Moving the home seals the new one too.
    const moved = { lat: home.lat - 0.0011223344, lng: home.lng + 0.0005566778 };
    const move = await call("POST", `/v1/admin/technicians/${t.id}/move`, { token: w.admin.token, body: { home: moved } });
    expect(move.status).toBe(200);
    const row = await technicianRow(t.id);
    expect(row).toMatchObject({ home_lat: area(moved).lat, home_lng: area(moved).lng });
    expect(await technicianHome(await Pii.fromEnv(env), storedHome(row))).toEqual(moved);
  });

  it("the cron backfill seals technicians written before home_enc, idempotently, and dispatch reads them alike before and after", async () => {
    const w = await createWorld(freshCenter());
    const home = exactHome(w);
    const t = await addTechnician(w, home);
    // As an older Worker wrote it: the exact home in the clear, nothing sealed.
    await env.DB.prepare(
      "UPDATE technicians SET home_enc = NULL, home_area_lat = NULL, home_area_lng = NULL, home_lat = ?, home_lng = ? WHERE id = ?",
    )
      .bind(home.lat, home.lng, t.id)
      .run();
    const pii = await Pii.fromEnv(env);
    expect(await technicianHome(pii, storedHome(await technicianRow(t.id)))).toEqual(home);

    const logs: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void logs.push(String(line)));
    let sealed = 0;
    for (let run = 0; run < 50; run++) {
      const s = await backfillCoordinates(env, 50);
      sealed += s.technicians.sealed;
      if (s.technicians.remaining === 0) break;
    }
    expect(sealed).toBeGreaterThanOrEqual(1);
    expect(logs.some((l) => (JSON.parse(l) as { table?: string }).table === "technicians")).toBe(true);
    for (const l of logs) expect(l).not.toContain(home.lat.toFixed(4));

    const row = await technicianRow(t.id);
    expect(row).toMatchObject({ home_lat: area(home).lat, home_lng: area(home).lng, home_area_lat: area(home).lat });
    expect(await technicianHome(pii, storedHome(row))).toEqual(home);
    // Idempotent: nothing left, the ciphertext unchanged.
    expect((await backfillCoordinates(env)).technicians).toEqual({ sealed: 0, remaining: 0 });
    expect((await technicianRow(t.id)).home_enc).toBe(row.home_enc);
    // And dispatch books with the backfilled technician.
    const customer = await newCustomer(w.center);
    const res = await book(customer, await quote(w, customer, at(w, 3, "10:00")));
    expect(res.status).toBe(201);
    expect(res.body.technician.id).toBe(t.id);
  });
});
