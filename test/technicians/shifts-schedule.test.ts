import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cellStub } from "../../src/cells/cells.service";
import { zonedToUtc } from "../../src/domain/zoned";
import { call, expectProblem, signIn, signInWithRoles } from "../support/http";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { addTechnician, createWorld, localDay } from "../support/world";
import { at, book, newCustomer, quote } from "../support/booking";

const weekday = { start: "09:00", end: "17:00" };

describe("technician shifts", () => {
  it("start as the platform default and are replaced by the technician", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const me = await t.session();
    const got = await call("GET", "/v1/technician/shifts", { token: me.token });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ technicianId: t.id, timeZone: "Asia/Shanghai", isDefault: true, exceptions: [] });
    expect(got.body.weekly.mon).toEqual([{ start: "08:00", end: "20:00" }]);
    const put = await call("PUT", "/v1/technician/shifts", {
      token: me.token,
      body: { weekly: { mon: [weekday], tue: [weekday] }, exceptions: [{ date: "2030-05-01", intervals: [] }] },
    });
    expect(put.status).toBe(200);
    expect(put.body.isDefault).toBe(false);
    expect(put.body.weekly.wed).toEqual([]);
    expect(put.body.exceptions).toEqual([{ date: "2030-05-01", intervals: [] }]);
    const reset = await call("PUT", "/v1/technician/shifts", { token: me.token, body: { weekly: null } });
    expect(reset.body).toMatchObject({ isDefault: true, exceptions: [] });
  });

  it("gives new technicians their merchant's default shifts", async () => {
    const w = await createWorld(freshCenter());
    const merchantId = await insertMerchant();
    await env.DB.prepare("UPDATE merchants SET default_shifts = ? WHERE id = ?")
      .bind(JSON.stringify({ mon: [weekday], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] }), merchantId)
      .run();
    const t = await addTechnician(w, w.center, { merchantId });
    const got = await call("GET", `/v1/admin/technicians/${t.id}/shifts`, { token: w.admin.token });
    expect(got.body.weekly.mon).toEqual([weekday]);
    expect(got.body.weekly.tue).toEqual([]);
  });

  it("a day off removes that date's availability; extra hours add slots", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const off = localDay(w.timeZone, 3);
    const extra = localDay(w.timeZone, 4);
    const put = await call("PUT", `/v1/admin/technicians/${t.id}/shifts`, {
      token: w.admin.token,
      body: {
        weekly: null,
        exceptions: [
          { date: off, intervals: [] },
          { date: extra, intervals: [{ start: "06:00", end: "22:00" }] },
        ],
      },
    });
    expect(put.status).toBe(200);
    const q = (date: string) =>
      call("GET", `/v1/availability?serviceId=${w.serviceId}&lat=${w.center.lat}&lng=${w.center.lng}&date=${date}`);
    expect((await q(off)).body.slots).toEqual([]);
    const slots = (await q(extra)).body.slots.map((s: { start: string }) => s.start.slice(11, 16));
    expect(slots[0]).toBe("06:00");
    expect(slots[slots.length - 1]).toBe("20:00");
  });

  it("rejects malformed shifts with field paths and changes nothing", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const bad = async (body: unknown, path: string) => {
      const res = await call("PUT", `/v1/admin/technicians/${t.id}/shifts`, { token: w.admin.token, body });
      expectProblem(res, 400, "VALIDATION_FAILED");
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    };
    await bad({ weekly: { mon: [{ start: "9:00", end: "17:00" }] } }, "body.weekly.mon.0.start");
    await bad({ weekly: { mon: [{ start: "10:00", end: "09:00" }] } }, "body.weekly.mon.0.end");
    await bad({ weekly: { mon: [weekday, { start: "16:00", end: "18:00" }] } }, "body.weekly.mon.1");
    await bad({ weekly: null, exceptions: [{ date: "2030-02-30", intervals: [] }] }, "body.exceptions.0.date");
    await bad(
      {
        weekly: null,
        exceptions: [
          { date: "2030-03-01", intervals: [] },
          { date: "2030-03-01", intervals: [] },
        ],
      },
      "body.exceptions.1.date",
    );
    await bad({ weekly: { funday: [] } }, "body.weekly");
    const got = await call("GET", `/v1/admin/technicians/${t.id}/shifts`, { token: w.admin.token });
    expect(got.body.isDefault).toBe(true);
  });

  it("guards: 401 without a token, 403 for customers, 404 for another merchant's technician or none", async () => {
    const w = await createWorld(freshCenter());
    const mine = await insertMerchant();
    const theirs = await insertMerchant();
    const t = await addTechnician(w, w.center, { merchantId: theirs });
    expectProblem(await call("GET", `/v1/admin/technicians/${t.id}/shifts`), 401);
    const customer = await signIn();
    expectProblem(await call("GET", `/v1/admin/technicians/${t.id}/shifts`, { token: customer.token }), 403);
    expectProblem(await call("GET", "/v1/technician/shifts", { token: customer.token }), 403);
    const other = await signInWithRoles(["merchant_admin"], mine);
    expectProblem(await call("GET", `/v1/admin/technicians/${t.id}/shifts`, { token: other.token }), 404);
    expectProblem(await call("PUT", `/v1/admin/technicians/${t.id}/shifts`, { token: other.token, body: { weekly: null } }), 404);
    expectProblem(await call("GET", `/v1/admin/technicians/${t.id}/schedule`, { token: other.token }), 404);
    const owner = await signInWithRoles(["merchant_admin"], theirs);
    expect((await call("GET", `/v1/admin/technicians/${t.id}/shifts`, { token: owner.token })).status).toBe(200);
    expectProblem(await call("GET", `/v1/admin/technicians/tec_missing/shifts`, { token: w.admin.token }), 404);
  });
});

describe("GET /v1/admin/technicians/{id}/schedule", () => {
  it("reads holds and bookings from the owner cell, in the city's time zone", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const date = localDay(w.timeZone, 2);
    const start = zonedToUtc(date, 10 * 60, w.timeZone);
    const cell = cellStub(env, t.homeCell);
    await cell.hold({ technicianId: t.id, orderId: "ord_a", start, end: start + 3_600_000, ttlMs: 600_000, ...w.center });
    await cell.hold({
      technicianId: t.id,
      orderId: "ord_b",
      start: start + 3 * 3_600_000,
      end: start + 4 * 3_600_000,
      ttlMs: 600_000,
      ...w.center,
    });
    await cell.confirm("ord_b");
    const res = await call(
      "GET",
      `/v1/admin/technicians/${t.id}/schedule?from=${encodeURIComponent(new Date(start - 3_600_000).toISOString())}&to=${encodeURIComponent(new Date(start + 86_400_000).toISOString())}`,
      { token: w.admin.token },
    );
    expect(res.status).toBe(200);
    expect(res.body.timeZone).toBe("Asia/Shanghai");
    expect(res.body.items.map((i: { orderId: string; start: string; state: string }) => [i.orderId, i.start, i.state])).toEqual([
      ["ord_a", `${date}T10:00:00+08:00`, "held"],
      ["ord_b", `${date}T13:00:00+08:00`, "booked"],
    ]);
    // intervals not held by a dispatch round (no `:<round>` in their key) have none
    expect(res.body.items.map((i: { dispatchRound: number | null }) => i.dispatchRound)).toEqual([null, null]);
    expect(res.body.items[0].expiresAt).not.toBeNull();
    expectProblem(
      await call("GET", `/v1/admin/technicians/${t.id}/schedule?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z`, {
        token: w.admin.token,
      }),
      400,
    );
    expectProblem(
      await call("GET", `/v1/admin/technicians/${t.id}/schedule?from=yesterday`, { token: w.admin.token }),
      400,
      "VALIDATION_FAILED",
    );
  });

  it("names each booked interval by its real order id, with the dispatch round apart", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const booked = await book(c, await quote(w, c, at(w, 2, "10:00")));
    expect(booked.status).toBe(201);
    const res = await call("GET", `/v1/admin/technicians/${t.id}/schedule`, { token: w.admin.token });
    expect(res.body.items).toEqual([expect.objectContaining({ orderId: booked.body.id, dispatchRound: 1, state: "booked" })]);
    // the id is one the order endpoints know
    expect((await call("GET", `/v1/admin/orders/${res.body.items[0].orderId}`, { token: w.admin.token })).status).toBe(200);
  });
});
