import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { noticesFor } from "../../src/domain/notifications";
import { runLifecycle } from "../../src/technicians";
import { call, callBytes, expectProblem, signIn, type Session } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { addTechnician, createWorld, localDay, type World } from "../support/world";
import { at, book, newCustomer, quote } from "../support/booking";

const PDF = new TextEncoder().encode("%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
const DAY = 86_400_000;

/** YYYY-MM-DD `days` from now (UTC date). */
const dayIn = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);

const applyFor = (s: Session, w: World, extra: Record<string, unknown> = {}) =>
  call("POST", "/v1/me/technician-application", {
    token: s.token,
    body: { realName: "王小明", name: "小王师傅", skills: [w.skill], home: w.center, serviceRadiusKm: 20, ...extra },
  });

const uploadOwn = (s: Session, kind: string, expiresOn?: string) =>
  callBytes("POST", `/v1/me/technician-application/documents?kind=${kind}${expiresOn ? `&expiresOn=${expiresOn}` : ""}`, {
    token: s.token,
    type: "application/pdf",
    bytes: PDF,
  });

const uploadStaff = (w: World, technicianId: string, kind: string, expiresOn?: string) =>
  callBytes("POST", `/v1/admin/technicians/${technicianId}/documents?kind=${kind}${expiresOn ? `&expiresOn=${expiresOn}` : ""}`, {
    token: w.admin.token,
    type: "application/pdf",
    bytes: PDF,
  });

const decide = (w: World, technicianId: string, documentId: string, body: Record<string, unknown>, token = w.admin.token) =>
  call("POST", `/v1/admin/technicians/${technicianId}/documents/${documentId}/decision`, { token, body });

const requireKinds = (w: World, skill: string, kinds: string[]) =>
  call("PUT", `/v1/admin/skill-documents/${skill}`, { token: w.admin.token, body: { kinds } });

const available = async (w: World) => {
  const date = localDay(w.timeZone, 3);
  const res = await call("GET", `/v1/availability?serviceId=${w.serviceId}&lat=${w.center.lat}&lng=${w.center.lng}&date=${date}`);
  expect(res.status).toBe(200);
  return Math.max(0, ...res.body.slots.map((s: { available: number }) => s.available));
};

const technicianRow = (id: string) =>
  env.DB.prepare("SELECT status, lapsed_skills, real_name_enc, suspended_until FROM technicians WHERE id = ?")
    .bind(id)
    .first<{ status: string; lapsed_skills: string; real_name_enc: string | null; suspended_until: number | null }>();

const outboxOf = async (topic: string, documentId: string) =>
  (
    await env.DB.prepare("SELECT payload FROM outbox WHERE topic = ? AND json_extract(payload, '$.documentId') = ?")
      .bind(topic, documentId)
      .all<{ payload: string }>()
  ).results.map((r) => JSON.parse(r.payload));

const audits = async (id: string) =>
  (await env.DB.prepare("SELECT action FROM audit_log WHERE target_id = ? ORDER BY seq").bind(id).all<{ action: string }>()).results.map(
    (r) => r.action,
  );

/** An approved technician whose `w.skill` requires a health certificate valid `validDays` days. */
async function certifiedTechnician(w: World, validDays: number) {
  expect((await requireKinds(w, w.skill, ["health"])).status).toBe(200);
  const t = await addTechnician(w, w.center, { approve: false });
  const doc = await uploadStaff(w, t.id, "health", dayIn(validDays));
  expect(doc.status).toBe(201);
  expect((await decide(w, t.id, doc.body.id, { decision: "approve" })).status).toBe(200);
  expect((await call("POST", `/v1/admin/technicians/${t.id}/approve`, { token: w.admin.token, body: {} })).status).toBe(200);
  return { t, doc: doc.body as { id: string; expiresAt: string } };
}

describe("technician self-application with documents required per skill", () => {
  it("applies, decides each document, refuses approval while a required one is missing, then approves", async () => {
    const w = await createWorld(freshCenter());
    expect((await requireKinds(w, w.skill, ["health", "certificate", "health"])).body).toEqual({
      skill: w.skill,
      kinds: ["health", "certificate"],
    });
    const listed = await call("GET", "/v1/admin/skill-documents", { token: w.admin.token });
    expect(listed.body.items).toContainEqual({ skill: w.skill, kinds: ["certificate", "health"] });

    const person = await signIn();
    const applied = await applyFor(person, w);
    expect(applied.status).toBe(201);
    const id = applied.body.technician.id;
    expect(applied.body).toMatchObject({ realName: "王小明", technician: { status: "pending", name: "小王师傅", merchantId: null } });
    expect(applied.body.missing).toEqual([
      { skill: w.skill, kind: "certificate" },
      { skill: w.skill, kind: "health" },
    ]);
    // The real name is sealed at rest.
    const row = await technicianRow(id);
    expect(row!.real_name_enc).toMatch(/^pii1\./);
    expect(row!.real_name_enc).not.toContain("王小明");
    expectProblem(await applyFor(person, w), 409, "TECHNICIAN_EXISTS");

    const health = await uploadOwn(person, "health", dayIn(200));
    expect(health.status).toBe(201);
    expect(health.body.expiresAt).toEqual(expect.any(String));
    const cert = await uploadOwn(person, "certificate");
    expect(cert.status).toBe(201);

    const refused = await call("POST", `/v1/admin/technicians/${id}/approve`, { token: w.admin.token, body: {} });
    expectProblem(refused, 409, "DOCUMENTS_MISSING");
    expect(refused.body.missing).toHaveLength(2);
    expect(refused.body.detail).toContain(w.skill);

    expect((await decide(w, id, health.body.id, { decision: "approve" })).body.status).toBe("approved");
    const rejected = await decide(w, id, cert.body.id, { decision: "reject", reason: "照片模糊" });
    expect(rejected.body).toMatchObject({ status: "rejected", reviewReason: "照片模糊" });
    // A decided document is not decided again.
    expectProblem(await decide(w, id, cert.body.id, { decision: "approve" }), 409, "INVALID_TRANSITION");

    const still = await call("POST", `/v1/admin/technicians/${id}/approve`, { token: w.admin.token, body: {} });
    expectProblem(still, 409, "DOCUMENTS_MISSING");
    expect(still.body.missing).toEqual([{ skill: w.skill, kind: "certificate" }]);
    expect((await technicianRow(id))!.status).toBe("pending");

    const again = await uploadOwn(person, "certificate");
    expect((await decide(w, id, again.body.id, { decision: "approve" })).status).toBe(200);
    const review = await call("GET", `/v1/admin/technicians/${id}/application`, { token: w.admin.token });
    expect(review.body).toMatchObject({ realName: "王小明", missing: [] });
    expect(review.body.documents.map((d: { status: string }) => d.status)).toEqual(["approved", "rejected", "approved"]);

    const ok = await call("POST", `/v1/admin/technicians/${id}/approve`, { token: w.admin.token, body: {} });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe("approved");
    expect(await available(w)).toBe(1);
    expect(await audits(id)).toEqual(
      expect.arrayContaining([
        "technician.apply",
        "technician.document.approve",
        "technician.document.reject",
        "technician.real_name.view",
        "technician.approve",
      ]),
    );
    // The applicant sees their own application.
    const mine = await call("GET", "/v1/me/technician-application", { token: person.token });
    expect(mine.body.technician).toMatchObject({ id, status: "approved" });
  });

  it("lets exactly one of two staff decide a document, and an application, at once", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center, { approve: false });
    const doc = await uploadStaff(w, t.id, "id_card");
    const other = await signIn("+8613800000000");
    const [a, b] = await Promise.all([
      decide(w, t.id, doc.body.id, { decision: "approve" }),
      decide(w, t.id, doc.body.id, { decision: "reject", reason: "不清晰" }, other.token),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const winner = a.status === 200 ? a.body.status : b.body.status;
    const list = await call("GET", `/v1/admin/technicians/${t.id}/documents`, { token: w.admin.token });
    expect(list.body.items[0].status).toBe(winner);
    const decisions = (await audits(t.id)).filter((x) => x.startsWith("technician.document.") && x !== "technician.document.upload");
    expect(decisions).toHaveLength(1);

    // Two staff approving the application at once: one decision, one 409 (and one audit entry).
    const [x, y] = await Promise.all([
      call("POST", `/v1/admin/technicians/${t.id}/approve`, { token: w.admin.token, body: {} }),
      call("POST", `/v1/admin/technicians/${t.id}/approve`, { token: other.token, body: {} }),
    ]);
    expect([x.status, y.status].sort()).toEqual([200, 409]);
    expect((await technicianRow(t.id))!.status).toBe("approved");
    expect((await audits(t.id)).filter((a) => a === "technician.approve")).toHaveLength(1);
    // Two staff rejecting a pending one at once: the same.
    const u = await addTechnician(w, w.center, { approve: false });
    const rejects = await Promise.all(
      [w.admin.token, other.token].map((token) =>
        call("POST", `/v1/admin/technicians/${u.id}/reject`, { token, body: { reason: "资料不全" } }),
      ),
    );
    expect(rejects.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await technicianRow(u.id))!.status).toBe("rejected");
  });

  it("answers bad input with 4xx and changes nothing", async () => {
    const w = await createWorld(freshCenter());
    const person = await signIn();
    expectProblem(await applyFor(person, w, { skills: ["no.such.skill"] }), 400, "UNKNOWN_SKILL");
    expectProblem(await applyFor(person, w, { realName: "" }), 400);
    expectProblem(await applyFor(person, w, { home: { lat: 0.5, lng: -150 } }), 400, "HOME_OUTSIDE_CITIES");
    expectProblem(await call("GET", "/v1/me/technician-application", { token: person.token }), 404);
    expectProblem(await requireKinds(w, "no.such.skill", ["health"]), 400, "UNKNOWN_SKILL");
    expectProblem(await requireKinds(w, w.skill, ["passport"]), 400);

    const applied = await applyFor(person, w);
    const id = applied.body.technician.id;
    expectProblem(await uploadOwn(person, "health", "2027-02-30"), 400, "VALIDATION_FAILED");
    expectProblem(await uploadOwn(person, "health", dayIn(-3)), 400, "VALIDATION_FAILED");
    const doc = await uploadOwn(person, "health");
    expectProblem(await decide(w, id, doc.body.id, { decision: "reject" }), 400, "VALIDATION_FAILED");
    expectProblem(await decide(w, id, doc.body.id, { decision: "maybe" }), 400);
    expectProblem(await decide(w, id, "doc_missing", { decision: "approve" }), 404);
    const docs = await call("GET", `/v1/admin/technicians/${id}/documents`, { token: w.admin.token });
    expect(docs.body.items).toMatchObject([{ id: doc.body.id, status: "pending" }]);

    const suspendPast = await call("POST", `/v1/admin/technicians/${id}/suspend`, {
      token: w.admin.token,
      body: { reason: "投诉", until: new Date(Date.now() - DAY).toISOString() },
    });
    expectProblem(suspendPast, 400, "VALIDATION_FAILED");
    expectProblem(
      await call("POST", `/v1/admin/technicians/${id}/reinstate`, { token: w.admin.token, body: {} }),
      409,
      "INVALID_TRANSITION",
    );
    expect((await technicianRow(id))!.status).toBe("pending");
    // Staff only.
    expectProblem(await decide(w, id, doc.body.id, { decision: "approve" }, person.token), 403);
    expectProblem(await call("GET", "/v1/admin/skill-documents", { token: person.token }), 403);
  });
});

describe("certificate expiry", () => {
  it("reminds 30 and 7 days before exactly once each, and an expired certificate takes its skill out of dispatch until renewed", async () => {
    const w = await createWorld(freshCenter());
    const { t, doc } = await certifiedTechnician(w, 40);
    expect(await available(w)).toBe(1);
    const expiresAt = Date.parse(doc.expiresAt);

    await runLifecycle(env, expiresAt - 31 * DAY);
    expect(await outboxOf("technician.document_expiring", doc.id)).toHaveLength(0);
    await runLifecycle(env, expiresAt - 29 * DAY);
    await runLifecycle(env, expiresAt - 29 * DAY + 60_000);
    await runLifecycle(env, expiresAt - 20 * DAY);
    const first = await outboxOf("technician.document_expiring", doc.id);
    expect(first).toEqual([expect.objectContaining({ technicianId: t.id, lead: "30d", kind: "health" })]);
    await runLifecycle(env, expiresAt - 6 * DAY);
    await runLifecycle(env, expiresAt - 5 * DAY);
    const both = await outboxOf("technician.document_expiring", doc.id);
    expect(both.map((p) => p.lead).sort()).toEqual(["30d", "7d"]);

    // The notice the technician gets, in both languages.
    const [n] = noticesFor({ id: "msg_x", topic: "technician.document_expiring", payload: both.find((p) => p.lead === "7d") });
    expect(n).toMatchObject({ audience: "technician", kind: "document.expiring.7d" });
    expect(n!.title.zh).toContain("健康证");
    expect(n!.title.en).toContain("health certificate");

    // Still valid: still offered.
    expect(await available(w)).toBe(1);
    await runLifecycle(env, expiresAt + 60_000);
    await runLifecycle(env, expiresAt + 120_000);
    expect(await outboxOf("technician.document_expired", doc.id)).toEqual([expect.objectContaining({ skills: [w.skill] })]);
    expect(JSON.parse((await technicianRow(t.id))!.lapsed_skills)).toEqual([w.skill]);
    const profile = await call("GET", `/v1/admin/technicians/${t.id}`, { token: w.admin.token });
    expect(profile.body).toMatchObject({ status: "approved", skills: [w.skill], lapsedSkills: [w.skill] });
    expect(await available(w)).toBe(0);

    // A renewed certificate, once approved, brings the skill back.
    const renewed = await uploadStaff(w, t.id, "health", dayIn(400));
    expect(await available(w)).toBe(0);
    expect((await decide(w, t.id, renewed.body.id, { decision: "approve" })).status).toBe(200);
    expect(JSON.parse((await technicianRow(t.id))!.lapsed_skills)).toEqual([]);
    expect(await available(w)).toBe(1);
    expect(await audits(t.id)).toContain("technician.document.expire");
  });
});

describe("status changes", () => {
  it("suspend, reinstate (by hand and by the cron at the end date) and remove take effect at once in availability", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    expect(await available(w)).toBe(1);
    const until = new Date(Date.now() + 3 * DAY).toISOString();
    const s = await call("POST", `/v1/admin/technicians/${t.id}/suspend`, {
      token: w.admin.token,
      body: { reason: "客户投诉待查", until },
    });
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ status: "suspended", statusReason: "客户投诉待查", suspendedUntil: expect.any(String) });
    expect(await available(w)).toBe(0);
    expect((await call("POST", `/v1/admin/technicians/${t.id}/reinstate`, { token: w.admin.token, body: {} })).body.status).toBe(
      "approved",
    );
    expect(await available(w)).toBe(1);

    await call("POST", `/v1/admin/technicians/${t.id}/suspend`, { token: w.admin.token, body: { reason: "休整", until } });
    expect(await available(w)).toBe(0);
    await runLifecycle(env, Date.now() + DAY);
    expect((await technicianRow(t.id))!.status).toBe("suspended");
    await runLifecycle(env, Date.parse(until) + 1);
    expect((await technicianRow(t.id))!).toMatchObject({ status: "approved", suspended_until: null });
    expect(await available(w)).toBe(1);

    const r = await call("POST", `/v1/admin/technicians/${t.id}/remove`, { token: w.admin.token, body: { reason: "违规" } });
    expect(r.body.status).toBe("removed");
    expect(await available(w)).toBe(0);
    expectProblem(
      await call("POST", `/v1/admin/technicians/${t.id}/reinstate`, { token: w.admin.token, body: {} }),
      409,
      "INVALID_TRANSITION",
    );
    expect(await audits(t.id)).toEqual(expect.arrayContaining(["technician.suspend", "technician.reinstate", "technician.remove"]));
  });

  it("sends a suspended technician's future orders back to dispatch: to another technician, or the exception queue", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 2, "10:00")))).body;
    expect(order).toMatchObject({ status: "assigned", technician: { id: t.id } });
    const other = await addTechnician(w, w.center);
    const until = new Date(Date.now() + 7 * DAY).toISOString();
    expect(
      (await call("POST", `/v1/admin/technicians/${t.id}/suspend`, { token: w.admin.token, body: { reason: "请假", until } })).status,
    ).toBe(200);
    const moved = await call("GET", `/v1/orders/${order.id}`, { token: customer.session.token });
    expect(moved.body.technician?.id).toBe(other.id);

    // With nobody else left, removal puts the order in the exception queue.
    expect(
      (await call("POST", `/v1/admin/technicians/${other.id}/remove`, { token: w.admin.token, body: { reason: "离职" } })).status,
    ).toBe(200);
    const row = await env.DB.prepare("SELECT status, technician_id, exception FROM orders WHERE id = ?")
      .bind(order.id)
      .first<{ status: string; technician_id: string | null; exception: string | null }>();
    expect(row).toMatchObject({ status: "dispatching", technician_id: null, exception: "no_candidate" });
  });
});

describe("proposed profile changes", () => {
  it("the technician proposes, staff approve (skills need their documents) or reject, and dispatch follows", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center, { skills: [w.otherSkill] });
    const s = await t.session();
    expect(await available(w)).toBe(0);
    expect((await requireKinds(w, w.skill, ["certificate"])).status).toBe(200);
    const p = await call("POST", "/v1/technician/profile-changes", {
      token: s.token,
      body: { skills: [w.otherSkill, w.skill], name: "新名字" },
    });
    expect(p.status).toBe(201);
    expectProblem(
      await call("POST", "/v1/technician/profile-changes", { token: s.token, body: { name: "再改" } }),
      409,
      "PROFILE_CHANGE_PENDING",
    );
    expectProblem(await call("POST", "/v1/technician/profile-changes", { token: s.token, body: {} }), 400);

    const queue = await call("GET", "/v1/admin/technician-changes?status=pending", { token: w.admin.token });
    expect(queue.body.items.map((i: { id: string }) => i.id)).toContain(p.body.id);
    const decideP = (body: Record<string, unknown>) =>
      call("POST", `/v1/admin/technician-changes/${p.body.id}/decision`, { token: w.admin.token, body });
    const missing = await decideP({ decision: "approve" });
    expectProblem(missing, 409, "DOCUMENTS_MISSING");
    expect(missing.body.missing).toEqual([{ skill: w.skill, kind: "certificate" }]);

    const cert = await uploadStaff(w, t.id, "certificate");
    await decide(w, t.id, cert.body.id, { decision: "approve" });
    const ok = await decideP({ decision: "approve" });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe("approved");
    expectProblem(await decideP({ decision: "reject", reason: "晚了" }), 409, "INVALID_TRANSITION");
    const profile = await call("GET", `/v1/admin/technicians/${t.id}`, { token: w.admin.token });
    expect(profile.body).toMatchObject({ name: "新名字", skills: [w.otherSkill, w.skill] });
    expect(await available(w)).toBe(1);

    const q = await call("POST", "/v1/technician/profile-changes", { token: s.token, body: { serviceRadiusKm: 5 } });
    expectProblem(
      await call("POST", `/v1/admin/technician-changes/${q.body.id}/decision`, { token: w.admin.token, body: { decision: "reject" } }),
      400,
    );
    const no = await call("POST", `/v1/admin/technician-changes/${q.body.id}/decision`, {
      token: w.admin.token,
      body: { decision: "reject", reason: "范围太小" },
    });
    expect(no.body).toMatchObject({ status: "rejected", reason: "范围太小" });
    expect((await call("GET", `/v1/admin/technicians/${t.id}`, { token: w.admin.token })).body.serviceRadiusKm).toBe(30);
    const mine = await call("GET", "/v1/technician/profile-changes", { token: s.token });
    expect(mine.body.items.map((i: { status: string }) => i.status).sort()).toEqual(["approved", "rejected"]);
  });
});
