import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { cellToLatLng, gridDisk, latLngToCell } from "h3-js";
import { describe, expect, it } from "vitest";
import { at, book, newCustomer, quote } from "../support/booking";
import { cellOutbox, deliverCellEvents, runCellAlarm } from "../support/cell";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem, signInAdmin, signInWithRoles } from "../support/http";
import { OpsServerMessage } from "../../src/domain/ops-messages";
import { ageSurge, countedDemand } from "../support/surge";
import { listen } from "../support/visit";
import { addTechnician, cellAt, createWorld } from "../support/world";

/** A world centred on the middle of an H3 cell, so its technicians and orders share one cell. */
async function cellWorld() {
  const p = freshCenter(-60, -55);
  const [lat, lng] = cellToLatLng(latLngToCell(p.lat, p.lng, 5));
  return createWorld({ lat, lng });
}

const surgeEvents = async (cell: string) => (await cellOutbox(cell)).filter((e) => e.type === "surge.changed");

describe("surge detection in the cell", () => {
  it("counts the bookings held in the cell, enters the surge after K evaluations and reports it once", async () => {
    const w = await cellWorld();
    const cell = cellAt(w.center);
    const t = await addTechnician(w, w.center);
    expect(t.homeCell).toBe(cell);
    // Nobody is on duty: every booking is demand the cell has no free technician for.
    for (const day of [2, 3, 4]) {
      const c = await newCustomer(w.center);
      expect((await book(c, await quote(w, c, at(w, day, "10:00")))).status).toBe(201);
      await ageSurge(cell);
    }
    expect(await countedDemand(cell)).toBe(3);
    // Demand 1 and 2 are below SURGE_MIN_DEMAND (3); the third booking is the first hot evaluation.
    expect(await surgeEvents(cell)).toEqual([]);

    // The alarm evaluates when due: the second and third hot evaluations (K = 3) start the surge.
    const since = Date.now();
    expect((await runCellAlarm(cell, since)).filter((e) => e.type === "surge.changed")).toEqual([]);
    await ageSurge(cell);
    const sent = (await runCellAlarm(cell, since)).filter((e) => e.type === "surge.changed");
    expect(sent).toEqual([
      expect.objectContaining({ type: "surge.changed", cell, from: "normal", to: "surging", demand: 3, supply: 0, ratio: 3 }),
    ]);

    // Still hot: no second event.
    const c = await newCustomer(w.center);
    expect((await book(c, await quote(w, c, at(w, 5, "10:00")))).status).toBe(201);
    await ageSurge(cell);
    await runCellAlarm(cell);
    expect(await surgeEvents(cell)).toHaveLength(1);

    // The Worker records it once, however often the queue delivers it, and alerts the operators.
    expect((await deliverCellEvents(sent)).explicitAcks).toHaveLength(1);
    await deliverCellEvents(sent);
    const admin = await signInAdmin();
    const res = await call("GET", `/v1/admin/surge?cityId=${w.cityId}`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body.cells).toEqual([expect.objectContaining({ cell, state: "surging", demand: 3, supply: 0, ratio: 3 })]);
    expect(res.body.changes).toEqual([expect.objectContaining({ cell, from: "normal", to: "surging" })]);
    const notices = (await call("GET", "/v1/me/notifications?limit=100", { token: admin.token })).body.items as {
      kind: string;
      title: { zh: string; en: string };
      data: { cell?: string };
    }[];
    const mine = notices.filter((n) => n.kind === "alert.cell_surge" && n.data.cell === cell);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.title).toEqual({ zh: "网格需求激增", en: "Demand surge in a cell" });

    // The live map carries the state.
    const live = await call("GET", `/v1/admin/cities/${w.cityId}/live`, { token: admin.token });
    expect(live.body.cells.find((x: { id: string }) => x.id === cell)).toMatchObject({ surge: "surging" });
  });

  it("carries the surge state in the summary of the cell's live socket: normal in the snapshot, surging in a delta", async () => {
    const w = await cellWorld();
    const cell = cellAt(w.center);
    await addTechnician(w, w.center);
    const operator = await signInWithRoles(["operator"]);
    const res = await exports.default.fetch(
      new Request(`http://doorstep.test/v1/admin/cells/${cell}/live`, {
        headers: { Upgrade: "websocket", Authorization: `Bearer ${operator.token}` },
      }),
    );
    expect(res.status).toBe(101);
    const socket = listen(res.webSocket!);
    const snapshot = await socket.nth(1);
    expect(snapshot).toMatchObject({ type: "snapshot", cell: { cell, surge: "normal" } });

    for (const day of [2, 3, 4]) {
      const c = await newCustomer(w.center);
      expect((await book(c, await quote(w, c, at(w, day, "10:00")))).status).toBe(201);
      await ageSurge(cell);
    }
    await runCellAlarm(cell);
    await ageSurge(cell);
    const sent = (await runCellAlarm(cell)).filter((e) => e.type === "surge.changed");
    expect(sent).toEqual([expect.objectContaining({ from: "normal", to: "surging" })]);

    const surging = () => socket.messages.find((m) => m.type === "delta" && m.cell?.surge === "surging");
    const deadline = Date.now() + 3_000;
    while (!surging() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(surging()).toMatchObject({ type: "delta", cell: { cell, surge: "surging" } });
    // before the change every summary said normal; each frame keeps to the documented schema
    const index = socket.messages.indexOf(surging());
    for (const m of socket.messages.slice(0, index)) if (m.cell) expect(m.cell.surge).toBe("normal");
    for (const m of socket.messages) expect(OpsServerMessage.parse(m)).toEqual(m);
    res.webSocket!.close(1000, "bye");
  });

  it("counts searches for a point in the cell that found nobody, and not those for a point elsewhere", async () => {
    const p = freshCenter(-60, -55);
    const cell = latLngToCell(p.lat, p.lng, 5);
    const [lat, lng] = cellToLatLng(cell);
    const [elsewhereLat, elsewhereLng] = cellToLatLng(gridDisk(cell, 1).find((c) => c !== cell)!);
    const stub = env.CELL.getByName(cell);
    const starts = [Date.now() + 86_400_000];
    const ask = { starts, durationMinutes: 60, skills: ["nobody_has_this"], lat, lng };
    expect(await stub.availability(ask)).toEqual({ ok: true, counts: [0] });
    expect(await stub.freeStarts({ ...ask, limit: 5 })).toEqual({ ok: true, technicians: [] });
    expect(
      await stub.candidates({ start: starts[0]!, end: starts[0]! + 3_600_000, lat, lng, skills: ["nobody_has_this"], exclude: [] }),
    ).toEqual({
      ok: true,
      candidates: [],
    });
    expect(await countedDemand(cell)).toBe(3);
    await stub.availability({ ...ask, lat: elsewhereLat, lng: elsewhereLng });
    expect(await countedDemand(cell)).toBe(3);
  });
});

describe("GET /v1/admin/surge", () => {
  it("answers 404 for an unknown city, 400 without one, 403 to a customer", async () => {
    const admin = await signInAdmin();
    expectProblem(await call("GET", "/v1/admin/surge?cityId=cty_nope", { token: admin.token }), 404, "NOT_FOUND");
    expectProblem(await call("GET", "/v1/admin/surge", { token: admin.token }), 400, "VALIDATION_FAILED");
    const customer = await signInWithRoles(["customer"]);
    expectProblem(await call("GET", "/v1/admin/surge?cityId=cty_demoShanghai", { token: customer.token }), 403, "FORBIDDEN");
  });
});
