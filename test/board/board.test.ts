/** GET /v1/admin/board: technicians × time of one cell's day, travel gaps, risks and the jobs waiting. */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectProblem, signInWithRoles } from "../support/http";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { addTechnician, createWorld, localDay, type World } from "../support/world";
import { at, book, newCustomer, quote } from "../support/booking";

const HOUR = 3_600_000;

async function bookAt(w: World, hhmm: string) {
  const c = await newCustomer(w.center);
  const res = await book(c, await quote(w, c, at(w, 2, hhmm)));
  if (res.status !== 201) throw new Error(`book: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; technician: { id: string }; start: string; end: string };
}

const boardOf = (token: string, cell: string, date: string) => call("GET", `/v1/admin/board?cellId=${cell}&date=${date}`, { token });

interface Row {
  id: string;
  jobs: { orderId: string; start: string; risk: boolean; area: { lat: number; lng: number } }[];
  gaps: { fromOrderId: string; toOrderId: string; minutes: number; availableMinutes: number; risk: boolean }[];
  shifts: { start: string; end: string }[];
}

describe("GET /v1/admin/board", () => {
  it("shows each technician's shifts and jobs with the travel gaps between them, the customer's area only", async () => {
    const w = await createWorld(freshCenter());
    const t1 = await addTechnician(w, w.center);
    const a = await bookAt(w, "09:00");
    const b = await bookAt(w, "13:00");
    expect([a.technician.id, b.technician.id]).toEqual([t1.id, t1.id]);
    const date = localDay(w.timeZone, 2);
    const res = await boardOf(w.admin.token, t1.homeCell, date);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ cellId: t1.homeCell, date, timeZone: w.timeZone });
    const row = (res.body.technicians as Row[]).find((r) => r.id === t1.id)!;
    const iso = (hhmm: string) => new Date(Date.parse(`${date}T${hhmm}:00+08:00`)).toISOString();
    expect(row.shifts).toEqual([{ start: iso("08:00"), end: iso("20:00") }]);
    expect(row.jobs.map((j) => j.orderId)).toEqual([a.id, b.id]);
    expect(row.gaps).toEqual([{ fromOrderId: a.id, toOrderId: b.id, minutes: 10, availableMinutes: 120, risk: false }]);
    expect(JSON.stringify(res.body)).not.toContain("测试路");
  });

  it("flags a job whose travel from the previous one does not fit, and lists jobs waiting for a technician", async () => {
    const w = await createWorld(freshCenter());
    const t1 = await addTechnician(w, w.center);
    const t2 = await addTechnician(w, w.center);
    const a = await bookAt(w, "09:00");
    const b = await bookAt(w, "09:00");
    const c = await bookAt(w, "15:00");
    // b put straight after a on a's technician (as an old booking might be): no room for the buffer
    await env.DB.prepare("UPDATE orders SET technician_id = ?, start_at = ?, end_at = ? WHERE id = ?")
      .bind(a.technician.id, Date.parse(a.end), Date.parse(a.end) + 2 * HOUR, b.id)
      .run();
    await env.DB.prepare(
      "UPDATE orders SET technician_id = NULL, hold_key = NULL, status = 'dispatching', exception = 'no_candidate' WHERE id = ?",
    )
      .bind(c.id)
      .run();
    const res = await boardOf(w.admin.token, t1.homeCell, localDay(w.timeZone, 2));
    const row = (res.body.technicians as Row[]).find((r) => r.id === a.technician.id)!;
    expect(row.gaps).toMatchObject([{ fromOrderId: a.id, toOrderId: b.id, availableMinutes: 0, risk: true }]);
    expect(row.jobs.every((j) => j.risk)).toBe(true);
    expect(res.body.unassigned).toMatchObject([{ orderId: c.id, status: "dispatching", exception: "no_candidate" }]);
    expect((res.body.technicians as Row[]).map((r) => r.id).sort()).toEqual([t1.id, t2.id].sort());
  });

  it("flags a technician on duty who cannot reach their next job in time from where they are", async () => {
    const w = await createWorld(freshCenter());
    const t1 = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const res = await book(c, await quote(w, c, at(w, 1, "10:00")));
    expect(res.status).toBe(201);
    const me = await t1.session();
    expect((await call("POST", "/v1/technician/status", { token: me.token, body: { online: true } })).status).toBe(200);
    // ~1,000 km away: days of travel, while the job starts within a day and a half
    const far = { lat: w.center.lat, lng: w.center.lng + (w.center.lng > 0 ? -20 : 20) };
    expect((await call("POST", "/v1/technician/presence", { token: me.token, body: far })).status).toBe(200);
    const board = await boardOf(w.admin.token, t1.homeCell, localDay(w.timeZone, 1));
    const row = (board.body.technicians as (Row & { runningLate: string | null; online: boolean })[]).find((r) => r.id === t1.id)!;
    expect(row).toMatchObject({ online: true, runningLate: res.body.id });
    expect(row.jobs).toMatchObject([{ orderId: res.body.id, risk: true }]);
    // the technician's position is never shown: no number in the body is their longitude
    expect(JSON.stringify(board.body)).not.toMatch(new RegExp(`[:,\\[]${far.lng}[,\\]}]`));
  });

  it("shows a merchant_admin only its own technicians and orders; bad input is 400", async () => {
    const merchantId = await insertMerchant();
    const w = await createWorld(freshCenter(), { merchantId });
    const own = await addTechnician(w, w.center, { merchantId });
    const platform = await addTechnician(w, w.center);
    const admin = await signInWithRoles(["merchant_admin"], merchantId);
    const date = localDay(w.timeZone, 2);
    const mine = await boardOf(admin.token, own.homeCell, date);
    expect((mine.body.technicians as Row[]).map((r) => r.id)).toEqual([own.id]);
    const all = await boardOf(w.admin.token, own.homeCell, date);
    expect((all.body.technicians as Row[]).map((r) => r.id).sort()).toEqual([own.id, platform.id].sort());
    expectProblem(await boardOf(w.admin.token, own.homeCell, "tomorrow"), 400);
    expectProblem(await call("GET", `/v1/admin/board?date=${date}`, { token: w.admin.token }), 400);
  });
});
