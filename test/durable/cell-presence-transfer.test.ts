import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { CellDO } from "../../durable/cell.do";
import {
  addOldPosition,
  addProfile,
  fallSilent,
  storedOnline,
  freshCell,
  HOUR,
  presenceOf,
  profile,
  shanghaiAt,
  SHANGHAI,
  trailOf,
} from "../support/cell";

const hold = (technicianId: string, orderId: string, start: number, end: number, ttlMs = HOUR) => ({
  technicianId,
  orderId,
  start,
  end,
  ttlMs,
  ...SHANGHAI,
});

describe("CellDO presence", () => {
  it("goes online, takes heartbeats with positions, and refuses them off duty", async () => {
    const { stub } = freshCell();
    await addProfile(stub, profile("t1"));
    expect(await stub.heartbeat("t1", { lat: 31.2, lng: 121.4 })).toEqual({ ok: false, code: "OFF_DUTY" });
    expect(await stub.setOnline("t1", true)).toMatchObject({ ok: true, presence: { online: true } });
    const hb = await stub.heartbeat("t1", { lat: 31.21, lng: 121.41, heading: 90, battery: 0.8 });
    expect(hb).toMatchObject({ ok: true, presence: { online: true, lat: 31.21, lng: 121.41, heading: 90, battery: 0.8 } });
    expect((await trailOf(stub, "t1", 0)).map((p) => [p.lat, p.lng])).toEqual([[31.21, 121.41]]);
    await stub.setOnline("t1", false);
    expect(await presenceOf(stub, "t1")).toMatchObject({ online: false, lat: 31.21 });
    expect(await stub.heartbeat("t1", { lat: 31.3, lng: 121.5 })).toEqual({ ok: false, code: "OFF_DUTY" });
    expect(await stub.heartbeat("nobody", { lat: 31.3, lng: 121.5 })).toEqual({ ok: false, code: "UNKNOWN_TECHNICIAN" });
  });

  it("turns a silent technician offline when the heartbeat timeout passes (alarm)", async () => {
    const { stub } = freshCell();
    await addProfile(stub, profile("t1"));
    await stub.setOnline("t1", true);
    await stub.heartbeat("t1", { lat: 31.2, lng: 121.4 });
    await fallSilent(stub, "t1", 10 * 60_000);
    await runInDurableObject(stub, (instance: CellDO) => instance.alarm());
    const p = await presenceOf(stub, "t1");
    expect(p.online).toBe(false);
    // the stored row says so too, not only the view of a stale heartbeat
    expect(await storedOnline(stub, "t1")).toBe(false);
  });

  it("trims positions older than the retention limit", async () => {
    const { stub } = freshCell();
    await addProfile(stub, profile("t1"));
    await stub.setOnline("t1", true);
    await addOldPosition(stub, "t1", 48 * HOUR);
    await stub.heartbeat("t1", { lat: 31.2, lng: 121.4 });
    expect((await trailOf(stub, "t1", 0)).map((p) => p.lat)).toEqual([31.2]);
  });

  it("streams a technician's position, status and ETA to a watcher over a WebSocket", async () => {
    const { stub } = freshCell();
    await addProfile(stub, profile("t1"));
    await stub.setOnline("t1", true);
    const res = await stub.fetch(`http://cell/track?technicianId=t1&lat=${SHANGHAI.lat}&lng=${SHANGHAI.lng}`, {
      headers: { Upgrade: "websocket" },
    });
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    const messages: { type: string; status: string; etaSeconds: number | null; lat: number | null }[] = [];
    ws.addEventListener("message", (e) => messages.push(JSON.parse(e.data as string)));
    ws.accept();
    await stub.heartbeat("t1", { lat: SHANGHAI.lat + 0.09, lng: SHANGHAI.lng });
    const deadline = Date.now() + 3000;
    while (messages.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(messages[0]).toMatchObject({ type: "position", status: "online" });
    expect(messages[1]).toMatchObject({ type: "position", status: "online", lat: SHANGHAI.lat + 0.09 });
    // ~10 km × 1.4 road factor at 25 km/h ≈ 34 minutes
    expect(messages[1]!.etaSeconds).toBeGreaterThan(30 * 60);
    expect(messages[1]!.etaSeconds).toBeLessThan(40 * 60);
    ws.close(1000, "done");
  });

  it("accepts positions over the technician's own socket", async () => {
    const { stub } = freshCell();
    await addProfile(stub, profile("t1"));
    await stub.setOnline("t1", true);
    const res = await stub.fetch("http://cell/stream?technicianId=t1", { headers: { Upgrade: "websocket" } });
    const ws = res.webSocket!;
    const replies: { type: string; code?: string }[] = [];
    ws.addEventListener("message", (e) => replies.push(JSON.parse(e.data as string)));
    ws.accept();
    ws.send(JSON.stringify({ type: "position", lat: 31.25, lng: 121.45 }));
    ws.send("not json");
    ws.send(JSON.stringify({ type: "position", lat: 200, lng: 0 }));
    const deadline = Date.now() + 3000;
    while (replies.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(replies.map((r) => r.type)).toEqual(["ack", "error", "error"]);
    expect(await presenceOf(stub, "t1")).toMatchObject({ lat: 31.25, lng: 121.45 });
    ws.close(1000, "done");
  });
});

describe("CellDO transfers", () => {
  it("moves a calendar between cells with one writer at a time and nothing lost", async () => {
    const from = freshCell("from");
    const to = freshCell("to");
    await addProfile(from.stub, profile("t1"));
    await from.stub.setShifts("t1", null, [{ date: "2030-01-01", intervals: [] }]);
    const s = shanghaiAt(0);
    await from.stub.hold(hold("t1", "booked", s, s + HOUR));
    await from.stub.confirm("booked");
    await from.stub.hold(hold("t1", "held", s + 3 * HOUR, s + 4 * HOUR));

    const exported = await from.stub.exportTechnician("t1", "x1", from.name);
    if (!exported.ok) throw new Error(exported.code);
    // frozen: the old cell takes no writes, the new one none until activated
    expect(await from.stub.hold(hold("t1", "late", s + 6 * HOUR, s + 7 * HOUR))).toEqual({ ok: false, code: "TECHNICIAN_MOVING" });
    expect((await to.stub.importTechnician(exported.snapshot, exported.snapshot.profile)).ok).toBe(true);
    expect((await to.stub.importTechnician(exported.snapshot, exported.snapshot.profile)).ok).toBe(true);
    expect(await to.stub.hold(hold("t1", "late", s + 6 * HOUR, s + 7 * HOUR))).toEqual({ ok: false, code: "TECHNICIAN_MOVING" });
    expect((await to.stub.activateTechnician("t1", "x1")).ok).toBe(true);
    expect((await from.stub.finishExport("t1", "x1", to.name)).ok).toBe(true);

    expect(await from.stub.hold(hold("t1", "late", s + 6 * HOUR, s + 7 * HOUR))).toEqual({
      ok: false,
      code: "TECHNICIAN_MOVED",
      cell: to.name,
    });
    const sched = await to.stub.schedule("t1", s - HOUR, s + 5 * HOUR);
    expect(sched.ok && sched.items.map((i) => [i.orderId, i.state])).toEqual([
      ["booked", "booked"],
      ["held", "held"],
    ]);
    expect(await to.stub.hold(hold("t1", "clash", s, s + HOUR))).toMatchObject({ ok: false, code: "SLOT_UNAVAILABLE" });
    expect((await to.stub.confirm("held")).ok).toBe(true);
    expect(
      await to.stub.availability({ starts: [s], durationMinutes: 60, skills: [], lat: SHANGHAI.lat, lng: SHANGHAI.lng, rosterVersion: 5 }),
    ).toEqual({ ok: false, code: "ROSTER_STALE" });
    const shifts = await to.stub.getShifts("t1");
    expect(shifts.ok && shifts.shifts.exceptions).toEqual([{ date: "2030-01-01", intervals: [] }]);
  });

  it("can abort a move and unfreeze the technician", async () => {
    const from = freshCell("from");
    await addProfile(from.stub, profile("t1"));
    const s = shanghaiAt(0);
    await from.stub.exportTechnician("t1", "x2", from.name);
    expect((await from.stub.hold(hold("t1", "a", s, s + HOUR))).ok).toBe(false);
    await from.stub.abortExport("t1", "x2");
    expect((await from.stub.hold(hold("t1", "a", s, s + HOUR))).ok).toBe(true);
  });
});
