import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { at, book, newCustomer, orderOf, quote, task } from "../support/booking";
import { cellDeadline } from "../support/cell";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem, signIn, signInWithRoles } from "../support/http";
import { askExtraCharge, askTimeChange, changesOf, decide, PNG, scheduleOf, uploadPhoto, visitTo } from "../support/visit";
import { addTechnician, cellAt, createWorld } from "../support/world";

async function oneTechnician(opts: Parameters<typeof createWorld>[1] = {}) {
  const w = await createWorld(freshCenter(), opts);
  const t = await addTechnician(w, w.center);
  return { w, techId: t.id, tech: await t.session() };
}

/** An order walked to `status` by technician a, and technician b (added after booking) ready to take over. */
async function withSecondTechnician(status: "assigned" | "accepted") {
  const w = await createWorld(freshCenter());
  const a = await addTechnician(w, w.center);
  const first = await a.session();
  const { customer, order } = await visitTo(w, first, status);
  const b = await addTechnician(w, w.center);
  return { w, a, b, first, customer, order };
}

const reasons = (order: { timeline: { reason: string }[] }) => order.timeline.map((e) => e.reason);

/** The statuses the outbox announced for a change, in order. */
async function announced(changeId: string): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT json_extract(payload, '$.status') AS status FROM outbox WHERE topic = 'order.change' AND json_extract(payload, '$.changeId') = ? ORDER BY created_at",
  )
    .bind(changeId)
    .all<{ status: string }>();
  return results.map((r) => r.status);
}

describe("extra charges", () => {
  it("an approved extra charge adds its lines to the order and its total, with a timeline entry", async () => {
    const { w, tech, techId } = await oneTechnician();
    const { customer, order } = await visitTo(w, tech, "arrived");
    const asked = await askExtraCharge(
      tech,
      order.id,
      [
        { label: "更换阀芯", amount: 3500 },
        { label: "配件", amount: 1500 },
      ],
      "阀芯老化",
    );
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({
      orderId: order.id,
      kind: "extra_charge",
      status: "pending",
      requestedBy: { type: "technician", id: techId },
      reason: "阀芯老化",
      decisionReason: null,
      decidedAt: null,
      items: [
        { label: "更换阀芯", amount: { amount: 3500, currency: "CNY" } },
        { label: "配件", amount: { amount: 1500, currency: "CNY" } },
      ],
      amount: { amount: 5000, currency: "CNY" },
    });
    // the customer, the technician and staff see it waiting
    for (const viewer of [customer.session, tech, w.admin]) {
      expect((await changesOf(viewer, order.id)).map((c) => [c.id, c.status])).toEqual([[asked.body.id, "pending"]]);
    }
    const before = await orderOf(customer, order.id);

    const approved = await decide(customer.session, order.id, asked.body.id, "approve");
    expect(approved.status).toBe(200);
    expect(approved.body.change).toMatchObject({ id: asked.body.id, status: "approved", decidedAt: expect.any(String) });
    expect(approved.body.order.total).toEqual({ amount: 12000 + 5000, currency: "CNY" });

    const after = await orderOf(customer, order.id);
    expect(after.status).toBe("arrived");
    expect(after.total).toEqual({ amount: 17000, currency: "CNY" });
    expect(after.lines).toEqual([
      ...before.lines,
      { code: `charge:${asked.body.id}`, label: "更换阀芯", amount: { amount: 3500, currency: "CNY" } },
      { code: `charge:${asked.body.id}`, label: "配件", amount: { amount: 1500, currency: "CNY" } },
    ]);
    expect(after.timeline).toHaveLength(before.timeline.length + 1);
    expect(after.timeline.at(-1)).toMatchObject({
      from: "arrived",
      to: "arrived",
      reason: "extra charge approved",
      actor: { type: "customer" },
    });
    expect(after.version).toBe(before.version + 1);
    expect(await announced(asked.body.id)).toEqual(["pending", "approved"]);

    // decided once: a second answer is refused and changes nothing
    expectProblem(await decide(customer.session, order.id, asked.body.id, "approve"), 409, "CHANGE_NOT_PENDING");
    expectProblem(await decide(customer.session, order.id, asked.body.id, "reject"), 409, "CHANGE_NOT_PENDING");
    expect((await orderOf(customer, order.id)).total.amount).toBe(17000);

    // another one may follow, in service too, and adds up
    expect((await task(tech, order.id, "start", { code: order.startCode })).body.status).toBe("in_service");
    const more = await askExtraCharge(tech, order.id, [{ label: "加时", amount: 2000 }]);
    expect(more.status).toBe(201);
    expect((await decide(customer.session, order.id, more.body.id, "approve")).body.order.total.amount).toBe(19000);
    expect((await uploadPhoto(tech, order.id, "complete", { type: "image/png", bytes: PNG })).status).toBe(201);
    expect((await task(tech, order.id, "complete")).body).toMatchObject({ status: "completed", total: { amount: 19000 } });
  });

  it("a rejected one changes nothing; one waits at a time; completing waits until it is decided or withdrawn", async () => {
    const { w, tech } = await oneTechnician();
    const { customer, order } = await visitTo(w, tech, "in_service");
    expect((await uploadPhoto(tech, order.id, "complete")).status).toBe(201);
    const before = await orderOf(customer, order.id);

    const first = await askExtraCharge(tech, order.id, [{ label: "清洗油烟机", amount: 8000 }]);
    expect(first.status).toBe(201);
    expectProblem(await askExtraCharge(tech, order.id, [{ label: "另一项", amount: 100 }]), 409, "CHANGE_PENDING");
    expectProblem(await task(tech, order.id, "complete"), 409, "CHANGE_PENDING");

    const rejected = await decide(customer.session, order.id, first.body.id, "reject", "太贵了");
    expect(rejected.status).toBe(200);
    expect(rejected.body.change).toMatchObject({ status: "rejected", decisionReason: "太贵了", decidedAt: expect.any(String) });
    const afterReject = await orderOf(customer, order.id);
    expect(afterReject).toMatchObject({ status: "in_service", total: before.total, lines: before.lines, version: before.version });
    expect(afterReject.timeline).toEqual(before.timeline);

    // a rejection without a reason says who decided
    const second = await askExtraCharge(tech, order.id, [{ label: "另一项", amount: 100 }]);
    expect(second.status).toBe(201);
    expect((await decide(customer.session, order.id, second.body.id, "reject")).body.change.decisionReason).toBe(
      "rejected by the customer",
    );

    const third = await askExtraCharge(tech, order.id, [{ label: "第三项", amount: 300 }]);
    expectProblem(await task(tech, order.id, "complete"), 409, "CHANGE_PENDING");
    const withdrawn = await call("POST", `/v1/technician/tasks/${order.id}/changes/${third.body.id}/withdraw`, { token: tech.token });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toMatchObject({ status: "withdrawn", decisionReason: "withdrawn by the technician" });
    expectProblem(
      await call("POST", `/v1/technician/tasks/${order.id}/changes/${third.body.id}/withdraw`, { token: tech.token }),
      409,
      "CHANGE_NOT_PENDING",
    );
    expectProblem(await decide(customer.session, order.id, third.body.id, "approve"), 409, "CHANGE_NOT_PENDING");

    expect((await changesOf(customer.session, order.id)).map((c) => c.status)).toEqual(["rejected", "rejected", "withdrawn"]);
    expect(await announced(first.body.id)).toEqual(["pending", "rejected"]);
    expect(await announced(third.body.id)).toEqual(["pending", "withdrawn"]);
    const done = await task(tech, order.id, "complete");
    expect(done.body).toMatchObject({ status: "completed", total: before.total });
    expectProblem(await askExtraCharge(tech, order.id, [{ label: "完工后", amount: 100 }]), 409, "INVALID_STATE");
  });

  it("of five asked for at once one waits; of five approvals of it one applies, adding the amount once", async () => {
    const { w, tech } = await oneTechnician();
    const { customer, order } = await visitTo(w, tech, "arrived");
    const asked = await Promise.all(
      Array.from({ length: 5 }, (_, i) => askExtraCharge(tech, order.id, [{ label: `项目${i}`, amount: 1000 }])),
    );
    expect(asked.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of asked.filter((x) => x.status !== 201)) expectProblem(r, 409, "CHANGE_PENDING");
    const change = asked.find((r) => r.status === 201)!.body;
    expect(await changesOf(customer.session, order.id)).toHaveLength(1);

    const approvals = await Promise.all(Array.from({ length: 5 }, () => decide(customer.session, order.id, change.id, "approve")));
    expect(approvals.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of approvals.filter((x) => x.status !== 200)) expectProblem(r, 409, "CHANGE_NOT_PENDING");
    const after = await orderOf(customer, order.id);
    expect(after.total.amount).toBe(12000 + 1000);
    expect(after.lines.filter((l: { code: string }) => l.code === `charge:${change.id}`)).toHaveLength(1);
    expect(reasons(after).filter((r) => r === "extra charge approved")).toHaveLength(1);
  });

  it("is asked for only arrived or in service, with valid items, and a refusal stores nothing", async () => {
    const { w, tech } = await oneTechnician();
    const { customer, order } = await visitTo(w, tech, "accepted");
    const item = [{ label: "配件", amount: 100 }];
    expect((await askExtraCharge(tech, order.id, item)).body).toMatchObject({
      code: "INVALID_STATE",
      status: 409,
      currentStatus: "accepted",
    });
    await task(tech, order.id, "depart");
    expectProblem(await askExtraCharge(tech, order.id, item), 409, "INVALID_STATE");
    await uploadPhoto(tech, order.id, "arrive");
    expect((await task(tech, order.id, "arrive", { lat: w.center.lat, lng: w.center.lng })).body.status).toBe("arrived");

    const url = `/v1/technician/tasks/${order.id}/extra-charges`;
    const bodies: unknown[] = [
      { items: [], reason: "r" },
      { items: [{ label: "x", amount: 0 }], reason: "r" },
      { items: [{ label: "x", amount: -100 }], reason: "r" },
      { items: [{ label: "x", amount: 1.5 }], reason: "r" },
      { items: [{ label: "x", amount: "100" }], reason: "r" },
      { items: [{ label: "x", amount: 10_000_001 }], reason: "r" },
      { items: [{ label: "  ", amount: 100 }], reason: "r" },
      { items: [{ label: "x", amount: 100, code: "free" }], reason: "r" },
      { items: Array.from({ length: 11 }, () => ({ label: "x", amount: 1 })), reason: "r" },
      { items: [{ label: "x", amount: 100 }] },
      { items: [{ label: "x", amount: 100 }], reason: "" },
      { items: [{ label: "x", amount: 100 }], reason: "r", total: 1 },
    ];
    for (const body of bodies) expectProblem(await call("POST", url, { token: tech.token, body }), 400, "VALIDATION_FAILED");
    expectProblem(await call("POST", url, { token: tech.token, raw: "{", headers: { "Content-Type": "application/json" } }), 400);
    expectProblem(await call("POST", url, { token: tech.token, raw: "items", headers: { "Content-Type": "text/plain" } }), 415);
    expect(await changesOf(customer.session, order.id)).toEqual([]);
  });

  it("401 without a token, 403 for the wrong role, 404 for someone else's order or change", async () => {
    const { w, tech } = await oneTechnician();
    const { customer, order } = await visitTo(w, tech, "arrived");
    const otherTech = await (await addTechnician(w, w.center)).session();
    const other = await visitTo(w, otherTech, "arrived");
    const change = (await askExtraCharge(tech, order.id, [{ label: "配件", amount: 100 }])).body;
    const otherChange = (await askExtraCharge(otherTech, other.order.id, [{ label: "配件", amount: 100 }])).body;
    const item = [{ label: "配件", amount: 100 }];
    const operatorOnly = await signInWithRoles(["operator"]);

    expectProblem(await call("POST", `/v1/technician/tasks/${order.id}/extra-charges`, { body: { items: item, reason: "r" } }), 401);
    expectProblem(await call("GET", `/v1/orders/${order.id}/changes`), 401);
    expectProblem(await call("POST", `/v1/orders/${order.id}/changes/${change.id}/approve`), 401);
    expectProblem(await askExtraCharge(customer.session, order.id, item), 403, "FORBIDDEN");
    expectProblem(await decide(operatorOnly, order.id, change.id, "approve"), 403, "FORBIDDEN");
    expectProblem(await decide(operatorOnly, order.id, change.id, "reject"), 403, "FORBIDDEN");

    expectProblem(await askExtraCharge(otherTech, order.id, item), 404);
    expectProblem(await askExtraCharge(tech, "ord_missing", item), 404);
    expectProblem(await call("POST", `/v1/technician/tasks/${order.id}/changes/${change.id}/withdraw`, { token: otherTech.token }), 404);
    expectProblem(await call("POST", `/v1/technician/tasks/${order.id}/changes/chg_missing/withdraw`, { token: tech.token }), 404);
    // another customer, the other order's customer, and the technician (who is a customer too) cannot decide
    for (const outsider of [await signIn(), other.customer.session, tech]) {
      expectProblem(await decide(outsider, order.id, change.id, "approve"), 404);
    }
    for (const outsider of [await signIn(), otherTech]) {
      expectProblem(await call("GET", `/v1/orders/${order.id}/changes`, { token: outsider.token }), 404);
    }
    // a change is reached only under its own order
    expectProblem(await decide(customer.session, order.id, otherChange.id, "approve"), 404);
    expectProblem(await decide(customer.session, order.id, "chg_missing", "approve"), 404);
    expectProblem(await decide(customer.session, "ord_missing", change.id, "approve"), 404);
    expectProblem(await decide(customer.session, order.id, change.id, "reject", ""), 400, "VALIDATION_FAILED");

    expect((await changesOf(customer.session, order.id)).map((c) => c.status)).toEqual(["pending"]);
    expect((await changesOf(other.customer.session, other.order.id)).map((c) => c.status)).toEqual(["pending"]);
  });
});

describe("time changes", () => {
  it("an approved time change moves the order and the technician's calendar together, and re-arms the deadline", async () => {
    const { w, tech, techId } = await oneTechnician();
    const { customer, order } = await visitTo(w, tech, "accepted");
    expect(await scheduleOf(w, techId)).toEqual([[order.id, at(w, 2, "10:00"), at(w, 2, "12:00"), "booked"]]);

    // an hour later overlaps the old interval: the move must not clash with itself
    const asked = await askTimeChange(tech, order.id, at(w, 2, "11:00"));
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({
      kind: "time_change",
      status: "pending",
      start: at(w, 2, "11:00"),
      end: at(w, 2, "13:00"),
      previousStart: at(w, 2, "10:00"),
      reason: "前一单延误",
    });
    expectProblem(await askTimeChange(tech, order.id, at(w, 2, "15:00")), 409, "CHANGE_PENDING");
    // nothing moves before the customer says yes
    expect((await orderOf(customer, order.id)).start).toBe(at(w, 2, "10:00"));
    expect(await scheduleOf(w, techId)).toEqual([[order.id, at(w, 2, "10:00"), at(w, 2, "12:00"), "booked"]]);

    const approved = await decide(customer.session, order.id, asked.body.id, "approve");
    expect(approved.status).toBe(200);
    expect(approved.body.change.status).toBe("approved");
    expect(approved.body.order).toMatchObject({ status: "accepted", start: at(w, 2, "11:00"), end: at(w, 2, "13:00") });
    expect(await scheduleOf(w, techId)).toEqual([[order.id, at(w, 2, "11:00"), at(w, 2, "13:00"), "booked"]]);
    const after = await orderOf(customer, order.id);
    expect(reasons(after).filter((r) => r === "rescheduled")).toHaveLength(1);
    // the en-route deadline follows the new start and names the new version of the order
    const deadline = await cellDeadline(cellAt(w.center), order.id);
    expect(deadline).toEqual({ orderId: order.id, kind: "enroute", dueAt: Date.parse(at(w, 2, "10:30")), version: after.version });
  });

  it("a time change while assigned keeps the accept deadline for the new version", async () => {
    const { w, tech, techId } = await oneTechnician();
    const { customer, order } = await visitTo(w, tech, "assigned");
    const acceptBy = (await orderOf(customer, order.id)).acceptBy;
    const asked = await askTimeChange(tech, order.id, at(w, 3, "14:00"));
    expect(asked.status).toBe(201);
    const approved = await decide(customer.session, order.id, asked.body.id, "approve");
    expect(approved.body.order).toMatchObject({ status: "assigned", start: at(w, 3, "14:00"), acceptBy });
    expect(await scheduleOf(w, techId)).toEqual([[order.id, at(w, 3, "14:00"), at(w, 3, "16:00"), "booked"]]);
    const deadline = await cellDeadline(cellAt(w.center), order.id);
    expect(deadline).toEqual({ orderId: order.id, kind: "accept", dueAt: Date.parse(acceptBy), version: approved.body.order.version });
  });

  it("a time taken meanwhile rejects the change with 409 SLOT_UNAVAILABLE and keeps the old interval", async () => {
    const { w, tech, techId } = await oneTechnician();
    const { customer, order } = await visitTo(w, tech, "accepted");
    const asked = await askTimeChange(tech, order.id, at(w, 2, "15:00"));
    expect(asked.status).toBe(201);
    // another customer books that time with the same (only) technician
    const other = await newCustomer(w.center);
    const taken = await book(other, await quote(w, other, at(w, 2, "15:00")));
    expect(taken.body).toMatchObject({ status: "assigned", technician: { id: techId } });

    expectProblem(await decide(customer.session, order.id, asked.body.id, "approve"), 409, "SLOT_UNAVAILABLE");
    const [change] = await changesOf(customer.session, order.id);
    expect(change).toMatchObject({ status: "rejected", decisionReason: "slot no longer free" });
    const kept = await orderOf(customer, order.id);
    expect(kept).toMatchObject({ status: "accepted", start: at(w, 2, "10:00") });
    expect(reasons(kept)).not.toContain("rescheduled");
    expect(await scheduleOf(w, techId)).toEqual([
      [order.id, at(w, 2, "10:00"), at(w, 2, "12:00"), "booked"],
      [taken.body.id, at(w, 2, "15:00"), at(w, 2, "17:00"), "booked"],
    ]);
    expectProblem(await decide(customer.session, order.id, asked.body.id, "approve"), 409, "CHANGE_NOT_PENDING");
  });

  it("is asked for within the lead time and horizon, only assigned or accepted, and approved only while still so", async () => {
    const { w, tech } = await oneTechnician({ leadTimeMinutes: 120, horizonDays: 5 });
    const { customer, order } = await visitTo(w, tech, "accepted");
    const url = `/v1/technician/tasks/${order.id}/time-change`;
    const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
    for (const start of [inMinutes(60), inMinutes(-60), at(w, 6, "10:00"), at(w, 2, "10:00")]) {
      const refused = await askTimeChange(tech, order.id, start);
      expectProblem(refused, 400, "VALIDATION_FAILED");
      expect(refused.body.errors[0].path).toBe("body.start");
    }
    for (const body of [
      { start: `${at(w, 3, "10:00").slice(0, 19)}`, reason: "r" },
      { start: "tomorrow", reason: "r" },
      { start: at(w, 3, "10:00") },
      { start: at(w, 3, "10:00"), reason: "r", end: at(w, 3, "12:00") },
    ]) {
      expectProblem(await call("POST", url, { token: tech.token, body }), 400, "VALIDATION_FAILED");
    }
    expect(await changesOf(customer.session, order.id)).toEqual([]);

    // asked for while accepted, but the technician set off before the customer answered
    const asked = await askTimeChange(tech, order.id, at(w, 3, "10:00"));
    expect(asked.status).toBe(201);
    expect((await task(tech, order.id, "depart")).body.status).toBe("en_route");
    expectProblem(await decide(customer.session, order.id, asked.body.id, "approve"), 409, "INVALID_STATE");
    expect((await changesOf(customer.session, order.id))[0]).toMatchObject({ status: "rejected", decisionReason: "the order is en_route" });
    expect((await orderOf(customer, order.id)).start).toBe(at(w, 2, "10:00"));
    expectProblem(await askTimeChange(tech, order.id, at(w, 3, "10:00")), 409, "INVALID_STATE");
  });

  it("a proposed time that came too close before the approval is rejected with 409 CHANGE_EXPIRED", async () => {
    const { w, tech, techId } = await oneTechnician();
    const { customer, order } = await visitTo(w, tech, "accepted");
    const asked = await askTimeChange(tech, order.id, at(w, 3, "10:00"));
    expect(asked.status).toBe(201);
    // time passes: the service's lead time now reaches past the proposed start (test set-up)
    await env.DB.prepare("UPDATE services SET lead_time_minutes = ? WHERE id = ?")
      .bind(5 * 24 * 60, w.serviceId)
      .run();
    expectProblem(await decide(customer.session, order.id, asked.body.id, "approve"), 409, "CHANGE_EXPIRED");
    expect((await changesOf(customer.session, order.id))[0]).toMatchObject({ status: "rejected" });
    expect(await scheduleOf(w, techId)).toEqual([[order.id, at(w, 2, "10:00"), at(w, 2, "12:00"), "booked"]]);
  });

  it("of six concurrent approvals of one change exactly one applies; approve and reject racing leave one decision", async () => {
    const { w, tech, techId } = await oneTechnician();
    const { customer, order } = await visitTo(w, tech, "accepted");
    const asked = await askTimeChange(tech, order.id, at(w, 2, "15:00"));
    const results = await Promise.all(Array.from({ length: 6 }, () => decide(customer.session, order.id, asked.body.id, "approve")));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const refused = results.filter((r) => r.status !== 200);
    expect(refused).toHaveLength(5);
    for (const r of refused) expectProblem(r, 409, "CHANGE_NOT_PENDING");
    const after = await orderOf(customer, order.id);
    expect(after.start).toBe(at(w, 2, "15:00"));
    expect(reasons(after).filter((r) => r === "rescheduled")).toHaveLength(1);
    expect(await scheduleOf(w, techId)).toEqual([[order.id, at(w, 2, "15:00"), at(w, 2, "17:00"), "booked"]]);

    const next = await askTimeChange(tech, order.id, at(w, 3, "09:00"));
    expect(next.status).toBe(201);
    const race = await Promise.all(
      ["approve", "reject", "approve", "reject"].map((d) => decide(customer.session, order.id, next.body.id, d as "approve" | "reject")),
    );
    const winners = race.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    for (const r of race.filter((x) => x.status !== 200)) expectProblem(r, 409, "CHANGE_NOT_PENDING");
    const outcome = winners[0]!.body.change.status;
    const expected = outcome === "approved" ? at(w, 3, "09:00") : at(w, 2, "15:00");
    expect((await orderOf(customer, order.id)).start).toBe(expected);
    expect((await scheduleOf(w, techId)).map((i) => i[1])).toEqual([expected]);
    expect((await changesOf(customer.session, order.id)).map((c) => c.status)).toEqual(["approved", outcome]);
  });

  it("a change asked for by a technician who no longer has the order is outdated (409 CHANGE_OUTDATED)", async () => {
    const { w, a, b, first, customer, order } = await withSecondTechnician("assigned");
    const asked = await askTimeChange(first, order.id, at(w, 3, "10:00"));
    expect(asked.status).toBe(201);
    // the first technician declines: the order goes to the other one
    expect((await task(first, order.id, "decline")).status).toBe(200);
    expect((await orderOf(customer, order.id)).technician.id).toBe(b.id);

    expectProblem(await decide(customer.session, order.id, asked.body.id, "approve"), 409, "CHANGE_OUTDATED");
    expect((await changesOf(customer.session, order.id))[0]).toMatchObject({
      status: "withdrawn",
      decisionReason: "the technician changed",
    });
    expect((await orderOf(customer, order.id)).start).toBe(at(w, 2, "10:00"));
    expect(await scheduleOf(w, b.id)).toEqual([[order.id, at(w, 2, "10:00"), at(w, 2, "12:00"), "booked"]]);
    expect(await scheduleOf(w, a.id)).toEqual([]);
    // the first technician no longer reaches the order's changes; the new one may ask for their own
    expectProblem(await askTimeChange(first, order.id, at(w, 3, "11:00")), 404);
    const second = await b.session();
    const own = await askTimeChange(second, order.id, at(w, 3, "11:00"));
    expect(own.status).toBe(201);
    expect((await decide(customer.session, order.id, own.body.id, "approve")).body.order.start).toBe(at(w, 3, "11:00"));
  });

  it("a pending change of the previous technician is withdrawn when the new one asks for theirs", async () => {
    const { w, customer, order, b, first } = await withSecondTechnician("accepted");
    const stale = await askTimeChange(first, order.id, at(w, 3, "10:00"));
    expect((await task(first, order.id, "cancel", { reason: "生病" })).body.status).toBe("assigned");
    const second = await b.session();
    const own = await askTimeChange(second, order.id, at(w, 3, "12:00"));
    expect(own.status).toBe(201);
    expect((await changesOf(customer.session, order.id)).map((c) => [c.id, c.status, c.decisionReason])).toEqual([
      [stale.body.id, "withdrawn", "the technician changed"],
      [own.body.id, "pending", null],
    ]);
    expectProblem(await decide(customer.session, order.id, stale.body.id, "approve"), 409, "CHANGE_NOT_PENDING");
  });
});
