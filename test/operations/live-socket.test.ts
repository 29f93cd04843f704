import { env, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CellDO } from "../../src/index";
import { OpsServerMessage } from "../../src/domain/ops-messages";
import { pushOrderChanges } from "../../src/operations/live-socket.service";
import { call, expectProblem, readAnswer, signIn, signInWithRoles, type Session } from "../support/http";
import { listen, visitTo } from "../support/visit";
import { addTechnician, merchantWorld } from "../support/world";

const openCell = (cell: string, opts: { token?: string; ticket?: string; upgrade?: boolean } = {}) => {
  const headers: Record<string, string> = opts.upgrade === false ? {} : { Upgrade: "websocket" };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  const query = opts.ticket === undefined ? "" : `?ticket=${encodeURIComponent(opts.ticket)}`;
  return exports.default.fetch(new Request(`http://doorstep.test/v1/admin/cells/${cell}/live${query}`, { headers }));
};

const goOnline = async (s: Session, pos: { lat: number; lng: number }) => {
  expect((await call("POST", "/v1/technician/status", { token: s.token, body: { online: true } })).status).toBe(200);
  expect((await call("POST", "/v1/technician/presence", { token: s.token, body: pos })).status).toBe(200);
};

const heartbeat = (s: Session, pos: { lat: number; lng: number }) => call("POST", "/v1/technician/presence", { token: s.token, body: pos });

/** Opens the cell's socket as `token` and listens; every frame is checked against the documented schema. */
async function follow(cell: string, token: string) {
  const res = await openCell(cell, { token });
  expect(res.status).toBe(101);
  const socket = listen(res.webSocket!);
  const first = await socket.nth(1);
  expect(OpsServerMessage.parse(first)).toEqual(first);
  return { ...socket, ws: res.webSocket! };
}

const until = async (ok: () => boolean, timeoutMs = 3_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
};

describe("the operators' live socket of a cell", () => {
  it("refuses without a bearer or ticket (401), customers (403), unknown cells (404), plain GETs (409), a used ticket (401)", async () => {
    const { w } = await merchantWorld();
    const cell = w.cells[0]!;
    const operator = await signInWithRoles(["operator"]);
    const customer = await signIn();
    expectProblem(await readAnswer(await openCell(cell)), 401, "UNAUTHENTICATED");
    expectProblem(await readAnswer(await openCell(cell, { ticket: "wst_forged" })), 401, "INVALID_TICKET");
    expectProblem(await readAnswer(await openCell(cell, { token: customer.token })), 403, "FORBIDDEN");
    expectProblem(await call("POST", `/v1/admin/cells/${cell}/live/ticket`, { token: customer.token }), 403);
    expectProblem(await readAnswer(await openCell("8f2a1072b59ffff", { token: operator.token })), 404);
    expectProblem(await readAnswer(await openCell("not-a-cell", { token: operator.token })), 400);
    expectProblem(await readAnswer(await openCell(cell, { token: operator.token, upgrade: false })), 409, "UPGRADE_REQUIRED");

    const ticket = await call("POST", `/v1/admin/cells/${cell}/live/ticket`, { token: operator.token });
    expect(ticket.status).toBe(201);
    // A ticket names its route: it opens no other cell.
    expectProblem(await readAnswer(await openCell(w.cells[1]!, { ticket: ticket.body.ticket })), 401, "INVALID_TICKET");
    const opened = await openCell(cell, { ticket: ticket.body.ticket });
    expect(opened.status).toBe(101);
    expectProblem(await readAnswer(await openCell(cell, { ticket: ticket.body.ticket })), 401, "TICKET_USED");
    opened.webSocket!.accept();
    opened.webSocket!.close(1000, "bye");
  });

  it("sends a snapshot of the cell, then a delta when a technician's heartbeat moves them", async () => {
    const { w, tech, techSession } = await merchantWorld();
    await goOnline(techSession, w.center);
    const operator = await signInWithRoles(["operator"]);
    const socket = await follow(tech.homeCell, operator.token);
    const snapshot = socket.messages[0];
    expect(snapshot.type).toBe("snapshot");
    expect(snapshot.cell).toMatchObject({ cell: tech.homeCell, onlineTechnicians: 1, openOrders: 0, load: 0 });
    expect(snapshot.technicians).toEqual([
      expect.objectContaining({ id: tech.id, state: "online", located: "reported", lat: w.center.lat, lng: w.center.lng }),
    ]);

    const moved = { lat: w.center.lat + 0.003, lng: w.center.lng - 0.002 };
    expect((await heartbeat(techSession, moved)).status).toBe(200);
    const delta = await socket.nth(2);
    expect(OpsServerMessage.parse(delta)).toEqual(delta);
    expect(delta).toMatchObject({ type: "delta", orders: [], closedOrders: [], cell: null });
    expect(delta.technicians).toEqual([expect.objectContaining({ id: tech.id, state: "online", lat: moved.lat, lng: moved.lng })]);

    // Off duty: the technician turns offline and the summary changes with it.
    expect((await call("POST", "/v1/technician/status", { token: techSession.token, body: { online: false } })).status).toBe(200);
    const off = await socket.nth(3);
    expect(off.technicians).toEqual([expect.objectContaining({ id: tech.id, state: "offline" })]);
    expect(off.cell).toMatchObject({ onlineTechnicians: 0 });
    socket.ws.close(1000, "bye");
  });

  it("shows a merchant admin only its own technicians, and operators everyone", async () => {
    const { w, tech, techSession, merchantAdmin } = await merchantWorld();
    const independent = await addTechnician(w, w.center);
    expect(independent.homeCell).toBe(tech.homeCell);
    const independentSession = await independent.session();
    await goOnline(techSession, w.center);
    await goOnline(independentSession, w.center);
    const operator = await signInWithRoles(["operator"]);
    const mine = await follow(tech.homeCell, merchantAdmin.token);
    const all = await follow(tech.homeCell, operator.token);
    expect(mine.messages[0].technicians.map((t: { id: string }) => t.id)).toEqual([tech.id]);
    expect(mine.messages[0].cell.onlineTechnicians).toBe(1);
    expect(all.messages[0].technicians.map((t: { id: string }) => t.id).sort()).toEqual([tech.id, independent.id].sort());
    expect(all.messages[0].cell.onlineTechnicians).toBe(2);

    // The other merchant's technician moves: the operator hears it, the merchant admin nothing.
    await heartbeat(independentSession, { lat: w.center.lat + 0.001, lng: w.center.lng });
    await all.nth(2);
    expect(all.messages[1].technicians.map((t: { id: string }) => t.id)).toEqual([independent.id]);
    // Its own technician moves: now the merchant admin's first delta, with only its own.
    await heartbeat(techSession, { lat: w.center.lat - 0.001, lng: w.center.lng });
    await mine.nth(2);
    await all.nth(3);
    expect(mine.messages).toHaveLength(2);
    expect(mine.messages[1].technicians.map((t: { id: string }) => t.id)).toEqual([tech.id]);
    expect(JSON.stringify(mine.messages)).not.toContain(independent.id);
    mine.ws.close(1000, "bye");
    all.ws.close(1000, "bye");
  });

  it("coalesces a burst of heartbeats: a bounded number of frames, each technician once with its newest position", async () => {
    const { w, tech, techSession } = await merchantWorld();
    await goOnline(techSession, w.center);
    const operator = await signInWithRoles(["operator"]);
    const socket = await follow(tech.homeCell, operator.token);
    const frameMs = Number(env.OPS_FRAME_MS);
    const started = Date.now();
    const burst = 40;
    await Promise.all(
      Array.from({ length: burst }, (_, i) => heartbeat(techSession, { lat: w.center.lat + (i + 1) * 0.0001, lng: w.center.lng })),
    );
    // Whatever heartbeat was written last decides the position; the frames after it settle.
    await new Promise((r) => setTimeout(r, frameMs * 3));
    const deltas = socket.messages.slice(1);
    expect(deltas.length).toBeGreaterThanOrEqual(1);
    expect(deltas.length).toBeLessThan(burst);
    expect(deltas.length).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / frameMs) + 1);
    for (const d of deltas) {
      expect(d.type).toBe("delta");
      expect(d.technicians.filter((t: { id: string }) => t.id === tech.id)).toHaveLength(1);
    }
    // The newest state wins: the last frame's position is what the cell holds now.
    const presence = await runInDurableObject(env.CELL.getByName(tech.homeCell), (cell: CellDO) => cell.listPresence());
    const now = presence.find((p) => p.technicianId === tech.id)!;
    expect(deltas.at(-1).technicians[0]).toMatchObject({ lat: now.lat, lng: now.lng });
    socket.ws.close(1000, "bye");
  });

  it("keeps who may see what in the socket's attachment, so it survives hibernation", async () => {
    const { tech, merchantAdmin, merchantId } = await merchantWorld();
    const operator = await signInWithRoles(["operator"]);
    const mine = await follow(tech.homeCell, merchantAdmin.token);
    const all = await follow(tech.homeCell, operator.token);
    const attachments = await runInDurableObject(env.CELL.getByName(tech.homeCell), (_: CellDO, state) =>
      state.getWebSockets("ops").map((ws) => ws.deserializeAttachment() as { role: string; merchantId: string | null }),
    );
    expect(attachments.map((a) => [a.role, a.merchantId]).sort()).toEqual(
      [
        ["ops", merchantId],
        ["ops", null],
      ].sort(),
    );
    mine.ws.close(1000, "bye");
    all.ws.close(1000, "bye");
  });

  it("tells the cell's sockets when an order enters and leaves the open set, and when its technician turns busy", async () => {
    const { w, tech, techSession } = await merchantWorld();
    await goOnline(techSession, w.center);
    const operator = await signInWithRoles(["operator"]);
    const socket = await follow(tech.homeCell, operator.token);
    const { order } = await visitTo(w, techSession, "en_route");
    await pushOrderChanges(env, [{ orderId: order.id }]);
    await until(() => socket.messages.some((m) => m.orders?.some((o: { id: string }) => o.id === order.id)));
    const entered = socket.messages.find((m) => m.orders?.some((o: { id: string }) => o.id === order.id));
    expect(entered.orders.find((o: { id: string }) => o.id === order.id)).toMatchObject({ status: "en_route", technicianId: tech.id });
    await until(() =>
      socket.messages.some((m) => m.technicians?.some((t: { id: string; state: string }) => t.id === tech.id && t.state === "busy")),
    );
    expect(socket.messages.at(-1).cell).not.toBeNull();

    // Cancelled (or finished): it leaves the open set.
    await env.DB.prepare("UPDATE orders SET status = 'cancelled' WHERE id = ?").bind(order.id).run();
    await pushOrderChanges(env, [{ orderId: order.id }]);
    await until(() => socket.messages.some((m) => m.closedOrders?.includes(order.id)));
    expect(socket.messages.some((m) => m.closedOrders?.includes(order.id))).toBe(true);
    await until(() =>
      socket.messages.at(-1).technicians?.some((t: { id: string; state: string }) => t.id === tech.id && t.state === "online"),
    );
    for (const m of socket.messages) expect(OpsServerMessage.parse(m)).toEqual(m);
    socket.ws.close(1000, "bye");
  });

  it("keeps nothing while no operator follows the cell; the first socket then starts from D1", async () => {
    const { w, tech, techSession } = await merchantWorld();
    await goOnline(techSession, w.center);
    const { order } = await visitTo(w, techSession, "en_route");
    const kept = () =>
      runInDurableObject(env.CELL.getByName(tech.homeCell), (_: CellDO, state) => ({
        orders: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM ops_orders").one().n,
        busy: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM ops_busy").one().n,
      }));
    await pushOrderChanges(env, [{ orderId: order.id }]);
    expect(await kept()).toEqual({ orders: 0, busy: 0 });

    const operator = await signInWithRoles(["operator"]);
    const socket = await follow(tech.homeCell, operator.token);
    const snapshot = socket.messages[0];
    expect(snapshot.orders.find((o: { id: string }) => o.id === order.id)).toMatchObject({ status: "en_route", technicianId: tech.id });
    expect(snapshot.technicians.find((t: { id: string }) => t.id === tech.id)).toMatchObject({ state: "busy" });
    expect(await kept()).toEqual({ orders: 1, busy: 1 });
    socket.ws.close(1000, "bye");
  });
});
