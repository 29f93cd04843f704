import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { haversineKm } from "../../src/domain/geo";
import { book, newCustomer, quote, task, at } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem, readAnswer, signIn, signInWithRoles, type Session } from "../support/http";
import { listen, openTracking, PNG, trackTicket, uploadPhoto, visitTo } from "../support/visit";
import { addTechnician, createWorld } from "../support/world";

const EXACT = { text: "测试路 1 号 101 室", contactName: "张三", contactPhone: "+8613912345678" };
const MASKED = { text: null, contactName: "张*", contactPhone: "+86139****5678" };

const taskOf = (tech: Session, orderId: string) => call("GET", `/v1/technician/tasks/${orderId}`, { token: tech.token });

/** Moves the order's completion `minutes` into the past (test set-up: time passing after completion). */
async function ageOrder(orderId: string, minutes: number) {
  await env.DB.prepare("UPDATE orders SET completed_at = ? WHERE id = ?")
    .bind(Date.now() - minutes * 60_000, orderId)
    .run();
}

describe("address and phone reveal", () => {
  it("masked while offered, exact from acceptance through the visit and for the grace after completion", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    const { order } = await visitTo(w, tech, "assigned");
    const rounded = { lat: Math.round(w.center.lat * 100) / 100, lng: Math.round(w.center.lng * 100) / 100 };

    const offered = await taskOf(tech, order.id);
    expect(offered.body).toMatchObject({ status: "assigned", revealed: false, address: MASKED, location: rounded });
    const listed = await call("GET", "/v1/technician/tasks", { token: tech.token });
    expect(listed.body.items.find((t: { id: string }) => t.id === order.id)).toMatchObject({ revealed: false, address: MASKED });

    const accepted = await task(tech, order.id, "accept");
    expect(accepted.body).toMatchObject({ status: "accepted", revealed: true, address: EXACT, location: w.center });
    expect((await task(tech, order.id, "depart")).body).toMatchObject({ revealed: true, address: EXACT });
    await uploadPhoto(tech, order.id, "arrive");
    expect((await task(tech, order.id, "arrive", { lat: w.center.lat, lng: w.center.lng })).body).toMatchObject({ revealed: true });
    expect((await task(tech, order.id, "start", { code: order.startCode })).body).toMatchObject({ revealed: true, address: EXACT });
    await uploadPhoto(tech, order.id, "complete", { type: "image/png", bytes: PNG });
    expect((await task(tech, order.id, "complete")).body).toMatchObject({ status: "completed", revealed: true, address: EXACT });

    // REVEAL_GRACE_MINUTES (60) after completion it is still there, then masked
    const grace = Number(env.REVEAL_GRACE_MINUTES);
    expect(grace).toBe(60);
    await ageOrder(order.id, grace - 1);
    expect((await taskOf(tech, order.id)).body).toMatchObject({ revealed: true, address: EXACT });
    await ageOrder(order.id, grace + 1);
    const expired = await taskOf(tech, order.id);
    expect(expired.body).toMatchObject({ status: "completed", revealed: false, address: MASKED, location: rounded });
    const later = await call("GET", "/v1/technician/tasks", { token: tech.token });
    expect(later.body.items.find((t: { id: string }) => t.id === order.id)).toMatchObject({ revealed: false, address: MASKED });
  });

  it("a grab-pool job is masked for every technician, the one reserved for it included, until one grabs it", async () => {
    const w = await createWorld(freshCenter(), { dispatchMode: "grab" });
    const techs = [await addTechnician(w, w.center), await addTechnician(w, w.center)];
    const sessions = await Promise.all(techs.map((t) => t.session()));
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 2, "10:00")))).body;
    expect(order.status).toBe("dispatching");

    for (const s of sessions) {
      const pool = await call("GET", "/v1/technician/pool", { token: s.token });
      expect(pool.body.items.find((o: { id: string }) => o.id === order.id)).toMatchObject({ revealed: false, address: MASKED });
    }
    const reserved = sessions[techs.findIndex((t) => t.id === order.technician.id)]!;
    expect((await taskOf(reserved, order.id)).body).toMatchObject({ status: "dispatching", revealed: false, address: MASKED });

    const grabber = sessions.find((s) => s !== reserved)!;
    const grabbed = await call("POST", `/v1/technician/tasks/${order.id}/grab`, { token: grabber.token });
    expect(grabbed.body).toMatchObject({ status: "accepted", revealed: true, address: EXACT });
    expectProblem(await taskOf(reserved, order.id), 404);
  });

  it("a technician who declines, or gives back an accepted job, sees it masked and then not at all", async () => {
    const w = await createWorld(freshCenter());
    const a = await addTechnician(w, w.center);
    const first = await a.session();
    const { order } = await visitTo(w, first, "assigned");
    const b = await addTechnician(w, w.center);
    const second = await b.session();

    const declined = await task(first, order.id, "decline");
    expect(declined.body).toMatchObject({ technician: null, revealed: false, address: MASKED });
    expectProblem(await taskOf(first, order.id), 404);
    const listed = await call("GET", "/v1/technician/tasks?all=true", { token: first.token });
    expect(listed.body.items.map((t: { id: string }) => t.id)).not.toContain(order.id);

    expect((await task(second, order.id, "accept")).body).toMatchObject({ revealed: true, address: EXACT });
    const given = await task(second, order.id, "cancel", { reason: "车坏了" });
    expect(given.body).toMatchObject({ technician: null, revealed: false, address: MASKED });
    expectProblem(await taskOf(second, order.id), 404);
  });
});

describe("tracking the technician", () => {
  const onDuty = (tech: Session, online = true) => call("POST", "/v1/technician/status", { token: tech.token, body: { online } });
  const report = (tech: Session, p: { lat: number; lng: number; heading?: number }) =>
    call("POST", "/v1/technician/presence", { token: tech.token, body: p });
  const etaSeconds = (from: { lat: number; lng: number }, to: { lat: number; lng: number }) =>
    Math.ceil(((haversineKm(from, to) * Number(env.TRAVEL_ROAD_FACTOR)) / Number(env.TRAVEL_SPEED_KMH)) * 3600);

  it("the customer sees the technician's status, position and ETA to the address as the technician reports them", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const tech = await t.session();
    const { customer, order } = await visitTo(w, tech, "en_route");

    const res = await openTracking(customer.session.token, order.id);
    expect(res.status).toBe(101);
    const socket = listen(res.webSocket!);
    expect(await socket.nth(1)).toMatchObject({ type: "position", technicianId: t.id, status: "offline", etaSeconds: null });

    expect((await onDuty(tech)).status).toBe(200);
    expect(await socket.nth(2)).toMatchObject({ type: "position", technicianId: t.id, status: "online" });
    const away = { lat: w.center.lat + 0.05, lng: w.center.lng };
    expect((await report(tech, { ...away, heading: 180 })).status).toBe(200);
    const seen = await socket.nth(3);
    expect(seen).toMatchObject({ type: "position", status: "online", lat: away.lat, lng: away.lng, heading: 180 });
    expect(seen.etaSeconds).toBe(etaSeconds(away, w.center));
    expect(seen.etaSeconds).toBeGreaterThan(600);
    expect(seen.at).toBeGreaterThan(Date.now() - 60_000);

    // closer: the ETA shrinks
    const near = { lat: w.center.lat + 0.01, lng: w.center.lng };
    await report(tech, near);
    const closer = await socket.nth(4);
    expect(closer.etaSeconds).toBe(etaSeconds(near, w.center));
    expect(closer.etaSeconds).toBeLessThan(seen.etaSeconds);
    expect(socket.closed()).toBeNull();
    res.webSocket!.close(1000, "done");
  });

  it("a browser opens it with a single-use ticket, never with the access token in the URL", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    const { customer, order } = await visitTo(w, tech, "en_route");
    const ticket = await trackTicket(customer.session.token, order.id);
    const res = await openTracking(null, order.id, { ticket });
    expect(res.status).toBe(101);
    const socket = listen(res.webSocket!);
    expect((await socket.nth(1)).type).toBe("position");
    res.webSocket!.close(1000, "done");
    // The same ticket opens nothing a second time …
    const again = await openTracking(null, order.id, { ticket });
    expect(again.webSocket).toBeNull();
    expectProblem(await readAnswer(again), 401, "TICKET_USED");
    // … and an access token in the query is not a way in (it would end up in logs).
    const inUrl = await exports.default.fetch(
      new Request(`http://doorstep.test/v1/orders/${order.id}/track?access_token=${encodeURIComponent(customer.session.token)}`, {
        headers: { Upgrade: "websocket" },
      }),
    );
    expect(inUrl.webSocket).toBeNull();
    expectProblem(await readAnswer(inUrl), 401, "UNAUTHENTICATED");
  });

  it("stops once the technician starts the service, and when they give the job back", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    await onDuty(tech);
    const { customer, order } = await visitTo(w, tech, "en_route");
    const socket = listen((await openTracking(customer.session.token, order.id)).webSocket!);
    await socket.nth(1);
    await uploadPhoto(tech, order.id, "arrive");
    await task(tech, order.id, "arrive", { lat: w.center.lat, lng: w.center.lng });
    // arrived: still watched
    await report(tech, w.center);
    expect((await socket.nth(2)).etaSeconds).toBe(0);
    await task(tech, order.id, "start", { code: order.startCode });
    expect(await socket.close()).toMatchObject({ code: 1000 });
    await report(tech, { lat: w.center.lat + 0.02, lng: w.center.lng });
    await new Promise((r) => setTimeout(r, 100));
    expect(socket.messages).toHaveLength(2);

    // another order of the same customer: the technician hands it back on the way
    const next = await visitTo(w, tech, "en_route", { customer, start: at(w, 3, "10:00") });
    const watching = listen((await openTracking(customer.session.token, next.order.id)).webSocket!);
    await watching.nth(1);
    await task(tech, next.order.id, "cancel", { reason: "堵车" });
    expect(await watching.close()).toMatchObject({ code: 1000 });
  });

  it("401 without a valid token, 403 for staff, 404 for someone else's order, 409 before departure, after arrival, or without an upgrade", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    const assigned = await visitTo(w, tech, "assigned");
    const accepted = await visitTo(w, tech, "accepted", { start: at(w, 6, "10:00") });
    const onTheWay = await visitTo(w, tech, "en_route", { start: at(w, 3, "10:00") });
    const inService = await visitTo(w, tech, "in_service", { start: at(w, 4, "10:00") });
    const completed = await visitTo(w, tech, "completed", { start: at(w, 5, "10:00") });
    const problem = async (res: Response, status: number, code?: string) => {
      expect(res.webSocket).toBeNull();
      expectProblem(await readAnswer(res), status, code);
    };

    await problem(await openTracking(null, onTheWay.order.id), 401);
    await problem(await openTracking(null, onTheWay.order.id, { ticket: "not-a-ticket" }), 401, "INVALID_TICKET");
    await problem(await openTracking("not-a-token", onTheWay.order.id), 401, "INVALID_TOKEN");
    await problem(await openTracking((await signInWithRoles(["operator"])).token, onTheWay.order.id), 403, "FORBIDDEN");
    await problem(await openTracking((await signIn()).token, onTheWay.order.id), 404);
    await problem(await openTracking(assigned.customer.session.token, onTheWay.order.id), 404);
    await problem(await openTracking(onTheWay.customer.session.token, "ord_missing"), 404);

    await problem(await openTracking(assigned.customer.session.token, assigned.order.id), 409, "NOT_TRACKABLE");
    // accepted days ahead: the customer does not see where the technician is until they set off
    await problem(await openTracking(accepted.customer.session.token, accepted.order.id), 409, "NOT_TRACKABLE");
    await problem(await openTracking(inService.customer.session.token, inService.order.id), 409, "NOT_TRACKABLE");
    await problem(await openTracking(completed.customer.session.token, completed.order.id), 409, "NOT_TRACKABLE");
    await problem(await openTracking(onTheWay.customer.session.token, onTheWay.order.id, { upgrade: false }), 409, "UPGRADE_REQUIRED");
    expectProblem(
      await call("GET", `/v1/orders/${onTheWay.order.id}/track`, { token: onTheWay.customer.session.token }),
      409,
      "UPGRADE_REQUIRED",
    );
  });
});
