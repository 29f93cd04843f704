/**
 * What a technician's task and steps cost in round trips, counted on the real bindings: the task
 * with what its view needs is one D1 round trip, and a step is that read, its own checks, one
 * write batch and the cell's part — nothing is read again to answer. `sequential` counts calls made
 * one after another (calls made together count once): what a client far from the database waits for.
 */
import { describe, expect, it } from "vitest";
import { book, newCustomer, quote, at } from "../support/booking";
import { countedCall, countingEnv, type Counted } from "../support/counting";
import { freshCenter } from "../support/fixtures";
import { call } from "../support/http";
import { PNG, uploadPhoto } from "../support/visit";
import { addTechnician, createWorld } from "../support/world";

const rpcMethods = (r: Counted) => r.beforeAnswer.rpc.map((x) => x.split(":")[1]);

describe("sequential round trips, as counted", () => {
  it("counts calls made one after another, and calls made together once", async () => {
    const { env: counted, counts } = countingEnv();
    await Promise.all([counted.DB.prepare("SELECT 1").first(), counted.DB.prepare("SELECT 2").first()]);
    expect(counts).toMatchObject({ d1: 2, sequential: 1 });
    await counted.DB.prepare("SELECT 3").first();
    await counted.DB.batch([counted.DB.prepare("SELECT 4"), counted.DB.prepare("SELECT 5")]);
    expect(counts).toMatchObject({ d1: 4, sequential: 3 });
  });
});

/** A world with one technician signed in and an order booked for them at `hhmm` the day after tomorrow. */
async function bookedFor(hhmm: string) {
  const w = await createWorld(freshCenter());
  const t = await addTechnician(w, w.center);
  const tech = await t.session();
  const customer = await newCustomer(w.center);
  const booked = await book(customer, await quote(w, customer, at(w, 2, hhmm)), { technicianId: t.id });
  expect(booked.status).toBe(201);
  return { w, tech, customer, id: booked.body.id as string };
}

describe("round trips of a technician's task and steps", () => {
  it("reads the task in one round trip, and answers each step with no read after its write", async () => {
    const { w, tech, customer, id } = await bookedFor("10:00");
    const step = (action: string, body: Record<string, unknown> = {}) =>
      countedCall("POST", `/v1/technician/tasks/${id}/${action}`, { token: tech.token, body });
    // What the step answered is what reading the task afresh shows.
    const sameAsRead = async (r: Counted) => {
      const read = await call("GET", `/v1/technician/tasks/${id}`, { token: tech.token });
      expect(r.body).toEqual(read.body);
    };

    const got = await countedCall("GET", `/v1/technician/tasks/${id}`, { token: tech.token });
    expect(got.status).toBe(200);
    expect(got.beforeAnswer).toMatchObject({ d1: 1, rpc: [], sequential: 1 });

    // accept: the read, the write, then the en-route deadline in the cell.
    const accepted = await step("accept");
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body.status).toBe("accepted");
    expect(accepted.beforeAnswer).toMatchObject({ d1: 2, sequential: 3 });
    expect(rpcMethods(accepted)).toEqual(["setDeadline"]);
    await sameAsRead(accepted);

    const departed = await step("depart");
    expect(departed.body.status).toBe("en_route");
    expect(departed.beforeAnswer).toMatchObject({ d1: 2, sequential: 3 });
    expect(rpcMethods(departed)).toEqual(["clearDeadline"]);
    await sameAsRead(departed);

    // arrive: the arrival photo is read beside the order (two calls, one wait), then the write.
    expect((await uploadPhoto(tech, id, "arrive")).status).toBe(201);
    const arrived = await step("arrive", { lat: w.center.lat, lng: w.center.lng });
    expect(arrived.body.status).toBe("arrived");
    expect(arrived.beforeAnswer).toMatchObject({ d1: 3, rpc: [], sequential: 2 });
    await sameAsRead(arrived);

    const order = await call("GET", `/v1/orders/${id}`, { token: customer.session.token });
    const started = await step("start", { code: order.body.startCode });
    expect(started.body.status).toBe("in_service");
    expect(started.beforeAnswer).toMatchObject({ d1: 2, sequential: 3 });
    // The customer no longer follows the technician once the work starts: tracking ends in their cell, whose id was read with the order.
    expect(rpcMethods(started)).toEqual(["endTracking"]);
    await sameAsRead(started);

    expect((await uploadPhoto(tech, id, "complete", { type: "image/png", bytes: PNG })).status).toBe(201);
    const completed = await step("complete");
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    expect(completed.body.status).toBe("completed");
    // The photo beside the order (1); the pending changes beside the split's reads, which read the
    // commission rules after the order's money (2, 3); the write (4). Nothing after it.
    expect(completed.beforeAnswer).toMatchObject({ d1: 10, rpc: [], sequential: 4 });
    expect(completed.beforeAnswer.sql.at(-1)).toMatch(/^UPDATE orders SET status/);
    await sameAsRead(completed);
  });

  it("grab: the order beside the technician, the hold, the write, the cell's part, and no read after the write", async () => {
    const w = await createWorld(freshCenter(), { dispatchMode: "grab" });
    const t = await addTechnician(w, w.center);
    const tech = await t.session();
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 2, "10:00")))).body;
    expect(order.status).toBe("dispatching");
    const grabbed = await countedCall("POST", `/v1/technician/tasks/${order.id}/grab`, { token: tech.token });
    expect(grabbed.status, JSON.stringify(grabbed.body)).toBe(200);
    expect(grabbed.body.status).toBe("accepted");
    // The only technician around was reserved at booking and holds the interval already: the reads
    // (2, together), the write, then the booking and the en-route deadline together in the cell.
    expect(grabbed.beforeAnswer).toMatchObject({ d1: 3, sequential: 3 });
    expect(rpcMethods(grabbed).sort()).toEqual(["confirm", "setDeadline"]);
    expect(grabbed.beforeAnswer.sql.at(-1)).toMatch(/^UPDATE orders SET status/);
    const read = await call("GET", `/v1/technician/tasks/${order.id}`, { token: tech.token });
    expect(grabbed.body).toEqual(read.body);
  });

  it("a refused step reads once and writes nothing", async () => {
    const { w, tech, id } = await bookedFor("14:00");
    const r = await countedCall("POST", `/v1/technician/tasks/${id}/depart`, { token: tech.token, body: {} });
    expect(r.status).toBe(409);
    expect(r.counts).toMatchObject({ d1: 1, rpc: [], sequential: 1 });
    // Someone else's order: 404 after the same one read.
    const other = await addTechnician(w, w.center);
    const o = await countedCall("POST", `/v1/technician/tasks/${id}/accept`, {
      token: (await other.session()).token,
      body: {},
    });
    expect(o.status).toBe(404);
    expect(o.counts).toMatchObject({ d1: 1, rpc: [] });
  });
});
