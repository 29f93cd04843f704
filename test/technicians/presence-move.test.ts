import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { cellStub } from "../../src/cells/cells.service";
import { zonedToUtc } from "../../src/domain/zoned";
import { presenceOf } from "../support/cell";
import { call, expectProblem, readAnswer, signIn } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { addTechnician, cellAt, createWorld, localDay, neighbourPoint } from "../support/world";
import { listen } from "../support/visit";

describe("technician presence", () => {
  it("goes online, reports positions, and is refused while off duty", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const me = await t.session();
    expectProblem(
      await call("POST", "/v1/technician/presence", { token: me.token, body: { lat: w.center.lat, lng: w.center.lng } }),
      409,
      "OFF_DUTY",
    );
    const on = await call("POST", "/v1/technician/status", { token: me.token, body: { online: true } });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ technicianId: t.id, online: true });
    const pos = await call("POST", "/v1/technician/presence", {
      token: me.token,
      body: { lat: w.center.lat, lng: w.center.lng, heading: 45, battery: 0.5 },
    });
    expect(pos.status).toBe(200);
    expect(pos.body.position).toMatchObject({ lat: w.center.lat, lng: w.center.lng, heading: 45 });
    const off = await call("POST", "/v1/technician/status", { token: me.token, body: { online: false } });
    expect(off.body.online).toBe(false);
  });

  it("validates input and guards roles", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const me = await t.session();
    expectProblem(await call("POST", "/v1/technician/presence", { token: me.token, body: { lat: 91, lng: 0 } }), 400, "VALIDATION_FAILED");
    expectProblem(await call("POST", "/v1/technician/status", { token: me.token, body: { online: "yes" } }), 400, "VALIDATION_FAILED");
    expectProblem(await call("POST", "/v1/technician/status", { body: { online: true } }), 401);
    const customer = await signIn();
    expectProblem(await call("POST", "/v1/technician/status", { token: customer.token, body: { online: true } }), 403);
    const pending = await addTechnician(w, w.center, { approve: false });
    expectProblem(
      await call("POST", "/v1/technician/status", { token: (await pending.session()).token, body: { online: true } }),
      409,
      "TECHNICIAN_NOT_APPROVED",
    );
  });

  it("accepts positions over the technician's WebSocket, opened with a single-use ticket", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const me = await t.session();
    await call("POST", "/v1/technician/status", { token: me.token, body: { online: true } });
    const upgrade = (query: string) =>
      exports.default.fetch(new Request(`http://doorstep.test/v1/technician/stream?${query}`, { headers: { Upgrade: "websocket" } }));
    expect((await upgrade("ticket=bad")).status).toBe(401);
    // An access token in the URL is no longer a way in.
    expect((await upgrade(`access_token=${me.token}`)).status).toBe(401);
    expectProblem(await call("POST", "/v1/technician/stream/ticket", { token: (await signIn()).token }), 403);
    const issued = await call("POST", "/v1/technician/stream/ticket", { token: me.token });
    expect(issued.status).toBe(201);
    expect(issued.body.expiresIn).toBe(30);
    const res = await upgrade(`ticket=${encodeURIComponent(issued.body.ticket)}`);
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    const replies = listen(ws);
    ws.send(JSON.stringify({ type: "position", lat: w.center.lat + 0.01, lng: w.center.lng }));
    expect((await replies.nth(1))?.type).toBe("ack");
    const presence = await presenceOf(cellStub(env, t.homeCell), t.id);
    expect(presence.lat).toBeCloseTo(w.center.lat + 0.01, 6);
    ws.close(1000, "done");
    // One ticket, one socket.
    const again = await upgrade(`ticket=${encodeURIComponent(issued.body.ticket)}`);
    expect(again.webSocket).toBeNull();
    expectProblem(await readAnswer(again), 401, "TICKET_USED");
  });
});

describe("moving a technician's home", () => {
  it("moves the calendar to the new cell with every booking, and the old cell redirects", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const date = localDay(w.timeZone, 2);
    const start = zonedToUtc(date, 10 * 60, w.timeZone);
    const old = cellStub(env, t.homeCell);
    await old.hold({ technicianId: t.id, orderId: "ord_booked", start, end: start + 3_600_000, ttlMs: 600_000, ...w.center });
    await old.confirm("ord_booked");
    await old.hold({
      technicianId: t.id,
      orderId: "ord_held",
      start: start + 3 * 3_600_000,
      end: start + 4 * 3_600_000,
      ttlMs: 600_000,
      ...w.center,
    });
    await call("PUT", `/v1/admin/technicians/${t.id}/shifts`, {
      token: w.admin.token,
      body: { weekly: { mon: [{ start: "07:00", end: "19:00" }] } },
    });

    const target = neighbourPoint(t.homeCell);
    const moved = await call("POST", `/v1/admin/technicians/${t.id}/move`, { token: w.admin.token, body: { home: target } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ moved: true, homeCell: cellAt(target) });
    expect(moved.body.homeCell).not.toBe(t.homeCell);

    const sched = await call(
      "GET",
      `/v1/admin/technicians/${t.id}/schedule?from=${encodeURIComponent(new Date(start - 3_600_000).toISOString())}`,
      { token: w.admin.token },
    );
    expect(sched.body.items.map((i: { orderId: string; state: string }) => [i.orderId, i.state])).toEqual([
      ["ord_booked", "booked"],
      ["ord_held", "held"],
    ]);
    const shifts = await call("GET", `/v1/admin/technicians/${t.id}/shifts`, { token: w.admin.token });
    expect(shifts.body.weekly.mon).toEqual([{ start: "07:00", end: "19:00" }]);
    expect(
      await old.hold({
        technicianId: t.id,
        orderId: "ord_late",
        start: start + 6 * 3_600_000,
        end: start + 7 * 3_600_000,
        ttlMs: 600_000,
        ...w.center,
      }),
    ).toEqual({
      ok: false,
      code: "TECHNICIAN_MOVED",
      cell: moved.body.homeCell,
    });
    const fresh = cellStub(env, moved.body.homeCell);
    expect(
      await fresh.hold({
        technicianId: t.id,
        orderId: "ord_clash",
        start,
        end: start + 3_600_000,
        ttlMs: 600_000,
        ignoreShifts: true,
        ...w.center,
      }),
    ).toMatchObject({
      ok: false,
      code: "SLOT_UNAVAILABLE",
    });
    const list = await call("GET", `/v1/admin/technicians/${t.id}`, { token: w.admin.token });
    expect(list.body.homeCell).toBe(moved.body.homeCell);
  });

  it("finishes a move cut short after D1 switched, on the next call", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const target = neighbourPoint(t.homeCell);
    const toCell = cellAt(target);
    // Run the first three steps by hand, as if the Worker stopped right after switching D1.
    const row = await env.DB.prepare("SELECT updated_at FROM technicians WHERE id = ?").bind(t.id).first<{ updated_at: number }>();
    const transferId = `xfr_${t.id}_${toCell}_${row!.updated_at}`;
    const exported = await cellStub(env, t.homeCell).exportTechnician(t.id, transferId, t.homeCell);
    if (!exported.ok) throw new Error(exported.code);
    await cellStub(env, toCell).importTechnician(exported.snapshot, { ...exported.snapshot.profile, home: target });
    await env.DB.prepare(
      "UPDATE technicians SET home_cell = ?, home_lat = ?, home_lng = ?, transfer_id = ?, transfer_from = ? WHERE id = ?",
    )
      .bind(toCell, target.lat, target.lng, transferId, t.homeCell, t.id)
      .run();
    // Any call through the owner cell completes the move.
    const shifts = await call("GET", `/v1/admin/technicians/${t.id}/shifts`, { token: w.admin.token });
    expect(shifts.status).toBe(200);
    const pending = await env.DB.prepare("SELECT transfer_id FROM technicians WHERE id = ?")
      .bind(t.id)
      .first<{ transfer_id: string | null }>();
    expect(pending!.transfer_id).toBeNull();
    expect((await cellStub(env, t.homeCell).schedule(t.id, 0, Date.now())).ok).toBe(false);
  });

  it("rejects a home outside every city and guards roles", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const res = await call("POST", `/v1/admin/technicians/${t.id}/move`, { token: w.admin.token, body: { home: { lat: -85, lng: 0 } } });
    expectProblem(res, 400, "HOME_OUTSIDE_CITIES");
    expectProblem(
      await call("POST", `/v1/admin/technicians/${t.id}/move`, { token: w.admin.token, body: { home: { lat: 0 } } }),
      400,
      "VALIDATION_FAILED",
    );
    expectProblem(await call("POST", `/v1/admin/technicians/${t.id}/move`, { body: { home: w.center } }), 401);
    expectProblem(
      await call("POST", `/v1/admin/technicians/${t.id}/move`, { token: (await signIn()).token, body: { home: w.center } }),
      403,
    );
    expectProblem(await call("POST", `/v1/admin/technicians/tec_missing/move`, { token: w.admin.token, body: { home: w.center } }), 404);
  });
});
