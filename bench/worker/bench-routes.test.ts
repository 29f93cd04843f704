/**
 * The benchmark Worker's own routes (project "bench-worker" in vitest.config.ts: `call` reaches
 * bench/worker.ts). The production Worker's 404 for them is in test/http/bench-routes.test.ts.
 */
import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { cellOf } from "../../src/domain/geo";
import { call, expectProblem, signIn, signInAdmin } from "../../test/support/http";
import { freshCenter } from "../../test/support/fixtures";
import { addTechnician, createWorld } from "../../test/support/world";
import { at, book, newCustomer, quote } from "../../test/support/booking";
import { routeOf } from "./counters";

describe("benchmark routes", () => {
  it("stay out of the OpenAPI document", async () => {
    const doc = await call("GET", "/openapi.json");
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths).filter((p) => p.includes("/bench"))).toEqual([]);
  });

  it("answer the no-op and the cell ping to any signed-in caller, 401 without a token", async () => {
    const user = await signIn();
    expect(await call("GET", "/v1/bench/noop", { token: user.token })).toMatchObject({ status: 200, body: { ok: true } });
    const ping = await call("GET", "/v1/bench/cells/bench-ping-1/ping", { token: user.token });
    expect(ping.status).toBe(200);
    expect(ping.body.cell).toBe("bench-ping-1");
    expect(Date.parse(ping.body.at)).toBeGreaterThan(Date.now() - 60_000);
    expectProblem(await call("GET", "/v1/bench/noop"), 401);
    expectProblem(await call("GET", "/v1/bench/cells/bad%20cell/ping", { token: user.token }), 400, "VALIDATION_FAILED");
  });

  it("naive path books from a quote, refuses a taken slot when asked one at a time, and its audit counts overlaps", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const q = await quote(w, customer, at(w, 2, "10:00"));
    const body = { quoteId: q.id, addressId: customer.addressId, start: q.start, technicianId: tech.id };
    const first = await call("POST", "/v1/bench/naive-orders", { token: customer.session.token, body });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ technicianId: tech.id });
    expect(Date.parse(first.body.start)).toBe(Date.parse(q.start));
    expectProblem(await call("POST", "/v1/bench/naive-orders", { token: customer.session.token, body }), 409, "SLOT_UNAVAILABLE");
    expectProblem(
      await call("POST", "/v1/bench/naive-orders", { token: customer.session.token, body: { ...body, addressId: "adr_nope" } }),
      404,
    );
    expectProblem(await call("POST", "/v1/bench/naive-orders", { body }), 401);
    expectProblem(
      await call("POST", "/v1/bench/naive-orders", { token: customer.session.token, body: { ...body, extra: 1 } }),
      400,
      "VALIDATION_FAILED",
    );

    const admin = await signInAdmin();
    expectProblem(await call("GET", "/v1/bench/naive-orders/audit", { token: customer.session.token }), 403);
    const audit = await call("GET", "/v1/bench/naive-orders/audit", { token: admin.token });
    expect(audit.status).toBe(200);
    expect(audit.body).toMatchObject({ orders: 1, technicians: 1, overlappingPairs: 0 });

    // Two orders written side by side (as two racing requests would) are counted as one overlapping pair.
    const columns = (await env.DB.prepare("SELECT name FROM pragma_table_info('orders')").all<{ name: string }>()).results.map(
      (c) => c.name,
    );
    const copied = columns.map((c) => (c === "id" ? "'ord_benchCopy'" : c === "start_at" || c === "end_at" ? `${c} + 1800000` : c));
    await env.DB.prepare(`INSERT INTO orders (${columns.join(", ")}) SELECT ${copied.join(", ")} FROM orders WHERE id = ?`)
      .bind(first.body.id)
      .run();
    const after = await call("GET", "/v1/bench/naive-orders/audit", { token: admin.token });
    expect(after.body).toMatchObject({ orders: 2, overlappingPairs: 1 });
  });

  it("fills a cell's calendar for admins only, refusing clashes, and lists the cell's presence", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const cell = cellOf(w.center, 5);
    const admin = await signInAdmin();
    const start = Date.parse(at(w, 3, "09:00"));
    const item = { technicianId: tech.id, start, end: start + 3_600_000, lat: w.center.lat, lng: w.center.lng };
    const user = await signIn();
    expectProblem(await call("POST", `/v1/bench/cells/${cell}/bookings`, { token: user.token, body: { items: [item] } }), 403);
    expectProblem(await call("POST", `/v1/bench/cells/${cell}/bookings`, { body: { items: [item] } }), 401);
    expectProblem(
      await call("POST", `/v1/bench/cells/${cell}/bookings`, { token: admin.token, body: { items: [{ ...item, start: "soon" }] } }),
      400,
      "VALIDATION_FAILED",
    );
    const filled = await call("POST", `/v1/bench/cells/${cell}/bookings`, {
      token: admin.token,
      body: {
        items: [
          item,
          { ...item, start: start + 1_800_000, end: start + 5_400_000 },
          { ...item, start: start + 4 * 3_600_000, end: start + 5 * 3_600_000 },
        ],
      },
    });
    expect(filled.status).toBe(200);
    expect(filled.body).toEqual({ cell, booked: 2, refused: 1 });
    const schedule = await call("GET", `/v1/admin/technicians/${tech.id}/schedule`, { token: admin.token });
    expect(schedule.body.items.map((i: { state: string }) => i.state)).toEqual(["booked", "booked"]);

    const techSession = await tech.session();
    expect((await call("POST", "/v1/technician/status", { token: techSession.token, body: { online: true } })).status).toBe(200);
    expectProblem(await call("GET", `/v1/bench/cells/${cell}/presence`, { token: user.token }), 403);
    const presence = await call("GET", `/v1/bench/cells/${cell}/presence`, { token: admin.token });
    expect(presence.status).toBe(200);
    expect(presence.body.items).toEqual([expect.objectContaining({ technicianId: tech.id, online: true })]);
    expect(presence.body.now).toBeGreaterThanOrEqual(presence.body.items[0].lastSeenAt);
  });

  it("count every D1 statement, cell call and queue send of a booking, its hand-off to the queue and its notifications included", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const admin = await signInAdmin();
    expectProblem(await call("DELETE", "/v1/bench/counters", { token: customer.session.token }), 403);
    expectProblem(await call("GET", "/v1/bench/counters"), 401);
    const reset = await call("DELETE", "/v1/bench/counters", { token: admin.token });
    expect(reset.status).toBe(200);

    const q = await quote(w, customer, at(w, 2, "10:00"));
    const booked = await book(customer, q, { technicianId: tech.id });
    expect(booked.status).toBe(201);
    // After the answer both messages (booked, assigned) go to the queue as the order's batch collected them, and its consumer delivers them.
    const read = async () => (await call("GET", "/v1/bench/counters", { token: admin.token })).body;
    await vi.waitFor(
      async () => {
        const c = await read();
        expect(c.sources["POST /v1/orders"].queueSends).toBeGreaterThanOrEqual(1);
        expect(c.sources["queue doorstep-notifications"]?.messages).toBe(2);
      },
      { timeout: 10_000, interval: 100 },
    );
    const counts = await read();
    expect(counts.since).toBe(reset.body.since);
    // Reading the counters is not counted; the reset, by an admin, came before them.
    expect(Object.keys(counts.sources).sort()).toEqual(["POST /v1/orders", "POST /v1/quotes", "queue doorstep-notifications"]);
    expect(counts.sources["POST /v1/quotes"]).toMatchObject({ invocations: 1, cellCalls: {}, queueSends: 0 });
    const order = counts.sources["POST /v1/orders"];
    expect(order.invocations).toBe(1);
    expect(order.cellCalls).toEqual({ hold: 1, confirmAndSetDeadline: 1 });
    // The order batch is one round trip of several statements; handing the messages over costs no statement.
    expect(order.d1Statements).toBeGreaterThan(order.d1RoundTrips);
    expect(order.drainStatements).toBe(0);
    expect(order.queueSends).toBe(1);
    expect(Object.keys(order.statements).some((s) => s.startsWith("INSERT INTO orders"))).toBe(true);
    const statements = Object.values(order.statements as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(statements).toBe(order.d1Statements);
    const consumer = counts.sources["queue doorstep-notifications"];
    expect(consumer.invocations).toBeGreaterThanOrEqual(1);
    expect(consumer.d1Statements).toBeGreaterThan(0);
    // One read and one write batch per queue batch, however many messages it holds, and one read of
    // the orders whose status changed, for the live map's cells.
    expect(consumer.d1RoundTrips).toBeLessThanOrEqual(3 * consumer.invocations);
    // The live map's cells hear of a batch's changes in one call per cell (the order and its technician share one here).
    expect(Object.keys(consumer.cellCalls)).toEqual(["opsChanges"]);
    expect(consumer.cellCalls.opsChanges).toBeLessThanOrEqual(consumer.invocations);

    const after = await call("DELETE", "/v1/bench/counters", { token: admin.token });
    expect((await read()).sources).toEqual({});
    expect(after.body.since).toBeGreaterThanOrEqual(reset.body.since);
  });

  it("fold ids out of the paths they count by", () => {
    expect(routeOf("POST", "/v1/orders")).toBe("POST /v1/orders");
    expect(routeOf("GET", "/v1/admin/orders/ord_01HX")).toBe("GET /v1/admin/orders/{id}");
    expect(routeOf("GET", "/v1/bench/cells/8530995bfffffff/ping")).toBe("GET /v1/bench/cells/{id}/ping");
  });
});
