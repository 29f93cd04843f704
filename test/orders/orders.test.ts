import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/lib/encoding";
import { call, expectProblem } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { addTechnician, createWorld } from "../support/world";
import { at, book, newCustomer, quote, task } from "../support/booking";
import { PNG, uploadPhoto } from "../support/visit";

describe("booking end to end", () => {
  it("books, auto-dispatches, and walks the visit to completion with every step in the timeline", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const techSession = await tech.session();
    const customer = await newCustomer(w.center);
    const q = await quote(w, customer, at(w, 2, "10:00"));
    expect(q.total.amount).toBe(12000);
    const res = await book(customer, q);
    expect(res.status).toBe(201);
    const order = res.body;
    expect(order).toMatchObject({ status: "assigned", technician: { id: tech.id }, paymentPlan: "after_service" });
    expect(order.startCode).toMatch(/^\d{4}$/);

    // the technician sees the job, the exact address only after accepting
    let t = await call("GET", `/v1/technician/tasks/${order.id}`, { token: techSession.token });
    expect(t.body.revealed).toBe(false);
    expect(t.body.address.text).toBeNull();
    expect(t.body.address.contactPhone).toBe("+86139****5678");
    expect((await task(techSession, order.id, "accept")).body.status).toBe("accepted");
    t = await call("GET", `/v1/technician/tasks/${order.id}`, { token: techSession.token });
    expect(t.body).toMatchObject({ revealed: true, address: { text: "测试路 1 号 101 室", contactPhone: "+8613912345678" } });

    expect((await task(techSession, order.id, "depart")).body.status).toBe("en_route");
    expectProblem(await task(techSession, order.id, "arrive", { lat: w.center.lat + 0.05, lng: w.center.lng }), 409, "OUTSIDE_GEOFENCE");
    // arriving needs a photo of the arrival
    expectProblem(await task(techSession, order.id, "arrive", { lat: w.center.lat + 0.001, lng: w.center.lng }), 409, "PHOTO_REQUIRED");
    expect((await uploadPhoto(techSession, order.id, "arrive")).status).toBe(201);
    expect((await task(techSession, order.id, "arrive", { lat: w.center.lat + 0.001, lng: w.center.lng })).body.status).toBe("arrived");
    expectProblem(
      await task(techSession, order.id, "start", { code: order.startCode === "0000" ? "1111" : "0000" }),
      400,
      "START_CODE_INVALID",
    );
    expect((await task(techSession, order.id, "start", { code: order.startCode })).body.status).toBe("in_service");
    // completing needs a photo of the finished work
    expectProblem(await task(techSession, order.id, "complete"), 409, "PHOTO_REQUIRED");
    expect((await uploadPhoto(techSession, order.id, "complete", { type: "image/png", bytes: PNG })).status).toBe(201);
    expect((await task(techSession, order.id, "complete")).body.status).toBe("completed");

    const final = await call("GET", `/v1/orders/${order.id}`, { token: customer.session.token });
    expect(final.body.timeline.map((e: { to: string }) => e.to)).toEqual([
      "confirmed",
      "assigned",
      "accepted",
      "en_route",
      "arrived",
      "in_service",
      "completed",
    ]);
    expect(
      final.body.timeline.every((e: { at: string; reason: string; actor: { type: string } }) => e.at && e.reason && e.actor.type),
    ).toBe(true);
    // the booking stays on the technician's calendar
    const sched = await call("GET", `/v1/admin/technicians/${tech.id}/schedule`, { token: w.admin.token });
    expect(sched.body.items.map((i: { orderId: string; state: string }) => i.state)).toEqual(["booked"]);
  });

  it("keeps a pending-payment hold with an expiry for pay-now orders", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const q = await quote(w, customer, at(w, 2, "10:00"));
    const res = await book(customer, q, { paymentPlan: "full" });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe("pending_payment");
    expect(Date.parse(res.body.holdExpiresAt)).toBeGreaterThan(Date.now());
  });
});

describe("quotes", () => {
  it("rejects a tampered quote and one that does not match the order", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const q = await quote(w, customer, at(w, 2, "10:00"));
    const [body, sig] = q.id.slice(3).split(".");
    const payload = JSON.parse(atob(body.replaceAll("-", "+").replaceAll("_", "/")));
    const cheaper = btoa(JSON.stringify({ ...payload, total: 1 }))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
    expectProblem(await book(customer, { ...q, id: `qt_${cheaper}.${sig}` }), 400, "QUOTE_INVALID");
    expectProblem(await book(customer, { ...q, start: at(w, 2, "11:00") }), 400, "QUOTE_MISMATCH");
    expectProblem(
      await call("POST", "/v1/quotes", {
        token: customer.session.token,
        body: { serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, start: at(w, 0, "00:00") },
      }),
      400,
      "VALIDATION_FAILED",
    );
    expectProblem(await call("POST", "/v1/quotes", { body: { serviceId: w.serviceId, lat: 0, lng: 0, start: at(w, 2, "10:00") } }), 401);
    const orders = await call("GET", "/v1/orders", { token: customer.session.token });
    expect(orders.body.items).toEqual([]);
  });
});

describe("idempotency", () => {
  it("replays the stored answer, refuses another body with 422, and a running request with 409", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const q = await quote(w, customer, at(w, 2, "10:00"));
    const first = await book(customer, q, {}, "same-key");
    expect(first.status).toBe(201);
    const again = await book(customer, q, {}, '"same-key"');
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
    expectProblem(await book(customer, q, { notes: "different" }, "same-key"), 422, "IDEMPOTENCY_KEY_REUSED");
    // a first request with this key is still running: the same request again gets 409
    const busyBody = { quoteId: q.id, addressId: customer.addressId, start: q.start, paymentPlan: "after_service" };
    await env.DB.prepare(
      "INSERT INTO idempotency_keys (account_id, key, request_hash, state, created_at) VALUES (?, 'busy-key', ?, 'in_flight', ?)",
    )
      .bind(customer.session.accountId, await sha256Hex(JSON.stringify(busyBody)), Date.now())
      .run();
    const busy = await call("POST", "/v1/orders", {
      token: customer.session.token,
      headers: { "Idempotency-Key": "busy-key" },
      body: busyBody,
    });
    expectProblem(busy, 409, "IDEMPOTENCY_IN_FLIGHT");
    expectProblem(
      await call("POST", "/v1/orders", {
        token: customer.session.token,
        body: { quoteId: q.id, addressId: customer.addressId, start: q.start },
      }),
      400,
      "IDEMPOTENCY_KEY_REQUIRED",
    );
    expect((await call("GET", "/v1/orders", { token: customer.session.token })).body.items).toHaveLength(1);
  });
});
