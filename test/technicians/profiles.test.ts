/**
 * Public technician profiles through HTTP: masked fields and nothing personal, the rating breakdown
 * (a property: it always sums to the rating count), the case showcase under the customer's consent,
 * moderation, suspended technicians, and bad input.
 */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { noticesFor } from "../../src/domain/notifications";
import { at } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { call, callBytes, expectProblem, signIn, type Session } from "../support/http";
import { JPEG, PNG, visitTo, WEBP } from "../support/visit";
import { addTechnician, createWorld, type TestTechnician, type World } from "../support/world";

const profileOf = (token: string | null, techId: string) => call("GET", `/v1/technicians/${techId}/profile`, { token: token ?? undefined });

async function world() {
  const w = await createWorld(freshCenter());
  const t = await addTechnician(w, w.center);
  return { w, t, tech: await t.session(), viewer: await signIn() };
}

/** The technician's arrival and completion photo ids on the order. */
async function photoIds(tech: Session, orderId: string) {
  const res = await call("GET", `/v1/orders/${orderId}/photos?limit=100`, { token: tech.token });
  expect(res.status).toBe(200);
  const of = (kind: string) => res.body.items.find((p: { kind: string }) => p.kind === kind).id as string;
  return { before: of("arrive"), after: of("complete") };
}

/** Downloads an image (or the problem) with a token. */
async function image(token: string | null, path: string) {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  const res = await exports.default.fetch(new Request(`http://doorstep.test${path}`, { headers }));
  const isImage = res.headers.get("Content-Type")?.startsWith("image/");
  return { status: res.status, headers: res.headers, bytes: isImage ? new Uint8Array(await res.arrayBuffer()) : null };
}

/** Customer-visible personal data of a technician that must never be in the public JSON. */
async function personalData(t: TestTechnician, w: World) {
  const row = await env.DB.prepare("SELECT name, account_id FROM technicians WHERE id = ?")
    .bind(t.id)
    .first<{ name: string; account_id: string }>();
  return [t.phone, t.phone.slice(3), t.phone.slice(-8), row!.name, row!.account_id, `"${w.skill}"`];
}

describe("a technician's public profile", () => {
  it("shows the masked name, level and skill labels, photo, rating and jobs, and nothing personal", async () => {
    const { w, t, tech, viewer } = await world();
    // a completed, reviewed visit and a profile photo
    const visit = await visitTo(w, tech, "completed");
    const reviewed = await call("POST", `/v1/orders/${visit.order.id}/review`, {
      token: visit.customer.session.token,
      body: { ratings: { quality: 5, punctuality: 4, attitude: 5, value: 4 }, text: "很好" },
    });
    expect(reviewed.status).toBe(201);
    await env.DB.prepare("UPDATE technicians SET level = 'gold' WHERE id = ?").bind(t.id).run();
    const uploaded = await callBytes("POST", "/v1/technician/profile/photos", { token: tech.token, type: "image/webp", bytes: WEBP });
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);

    const res = await profileOf(viewer.token, t.id);
    expect(res.status).toBe(200);
    const p = res.body;
    expect(p.id).toBe(t.id);
    expect(p.name).toBe(`********${t.phone.slice(-1)}`); // "Tech 1234" → only the last character
    expect(p.level).toEqual({ code: "gold", label: { zh: "金牌", en: "Gold" } });
    expect(p.skills).toHaveLength(1);
    const skill = await env.DB.prepare("SELECT name_zh AS zh, name_en AS en FROM skills WHERE code = ?").bind(w.skill).first();
    expect(p.skills).toEqual([skill]); // the label, never the code
    expect(p.completedJobs).toBe(1);
    expect(p.rating).toEqual({ average: 4.5, count: 1, breakdown: { "1": 0, "2": 0, "3": 0, "4": 0, "5": 1 } });
    expect(p.reviews.items).toHaveLength(1);
    expect(p.reviews.items[0]).toMatchObject({ overall: 4.5, text: "很好" });
    expect(p.cases).toEqual([]);
    expect(p.photoUrl).toBe(uploaded.body.photoUrl);
    const photo = await image(viewer.token, p.photoUrl);
    expect(photo.status).toBe(200);
    expect(photo.bytes).toEqual(WEBP);
    expect(photo.headers.get("Content-Type")).toBe("image/webp");

    // no personal data anywhere in the JSON: no phone, full name, account, home, skill code, order, customer
    const json = JSON.stringify(p);
    for (const secret of [...(await personalData(t, w)), visit.order.id, visit.customer.session.accountId, visit.customer.session.phone]) {
      expect(json, secret).not.toContain(secret);
    }
    for (const key of [
      "phone",
      "home",
      "homeCell",
      "lat",
      "lng",
      "accountId",
      "merchantId",
      "serviceRadiusKm",
      "creditScore",
      "orderId",
      "customerId",
    ]) {
      expect(json).not.toContain(`"${key}"`);
    }
    // the review list's technician name is masked too
    const reviews = await call("GET", `/v1/technicians/${t.id}/reviews`);
    expect(reviews.body.technician.name).toBe(p.name);

    // in English the labels are the same objects (both languages always)
    const en = await call("GET", `/v1/technicians/${t.id}/profile`, { token: viewer.token, headers: { "Accept-Language": "en" } });
    expect(en.body.level.label).toEqual({ zh: "金牌", en: "Gold" });
  });

  it("is 404 for suspended, pending and unknown technicians, and 401 without signing in", async () => {
    const { w, t, tech, viewer } = await world();
    expect((await callBytes("POST", "/v1/technician/profile/photos", { token: tech.token, type: "image/png", bytes: PNG })).status).toBe(
      201,
    );
    expect((await profileOf(viewer.token, t.id)).status).toBe(200);
    expectProblem(await profileOf(null, t.id), 401);

    await env.DB.prepare("UPDATE technicians SET status = 'suspended' WHERE id = ?").bind(t.id).run();
    expectProblem(await profileOf(viewer.token, t.id), 404);
    expect((await image(viewer.token, `/v1/technicians/${t.id}/photo`)).status).toBe(404);
    expectProblem(await call("GET", `/v1/technicians/${t.id}/reviews`), 404);
    // staff still preview it, with no public profile
    const preview = await call("GET", `/v1/admin/technicians/${t.id}/profile`, { token: w.admin.token });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ technicianId: t.id, status: "suspended", public: null });

    const pending = await addTechnician(w, w.center, { approve: false });
    expectProblem(await profileOf(viewer.token, pending.id), 404);
    expectProblem(await profileOf(viewer.token, "tch_doesnotexist"), 404);
  });

  it("refuses a bad profile photo with a 4xx and keeps the one it had", async () => {
    const { t, tech, viewer } = await world();
    const first = await callBytes("POST", "/v1/technician/profile/photos", { token: tech.token, type: "image/jpeg", bytes: JPEG });
    expect(first.status).toBe(201);
    expectProblem(
      await callBytes("POST", "/v1/technician/profile/photos", { token: tech.token, type: "image/png", bytes: JPEG }),
      400,
      "PHOTO_INVALID",
    );
    expectProblem(await callBytes("POST", "/v1/technician/profile/photos", { token: tech.token, type: "image/gif", bytes: JPEG }), 415);
    expectProblem(await callBytes("POST", "/v1/technician/profile/photos", { token: viewer.token, type: "image/jpeg", bytes: JPEG }), 403);
    const stored = await env.PHOTOS.list({ prefix: `technicians/${t.id}/profile/` });
    expect(stored.objects).toHaveLength(1);
    expect((await profileOf(viewer.token, t.id)).body.photoUrl).toBe(first.body.photoUrl);
    // a replacement deletes the old bytes
    const second = await callBytes("POST", "/v1/technician/profile/photos", { token: tech.token, type: "image/png", bytes: PNG });
    expect(second.status).toBe(201);
    expect((await env.PHOTOS.list({ prefix: `technicians/${t.id}/profile/` })).objects).toHaveLength(1);
    expect((await image(viewer.token, `/v1/technicians/${t.id}/photo`)).bytes).toEqual(PNG);
  });
});

describe("the rating breakdown", () => {
  it("always sums to the rating count and counts each visible review under its rounded overall score (property)", async () => {
    const { w, t, tech, viewer } = await world();
    const visit = await visitTo(w, tech, "completed", { start: at(w, 2, "09:00") });
    const customer = visit.customer.session;
    // Completed orders of the same customer and technician to review, cloned from the real one.
    const columns = (await env.DB.prepare("SELECT name FROM pragma_table_info('orders')").all<{ name: string }>()).results.map(
      (c) => c.name,
    );
    let clones = 0;
    const cloneOrder = async () => {
      clones += 1;
      const id = `ord_clone${t.id.slice(-8)}${String(clones).padStart(4, "0")}`;
      const list = columns.join(", ");
      const values = columns.map((c) => (c === "id" ? "?1" : c)).join(", ");
      await env.DB.prepare(`INSERT INTO orders (${list}) SELECT ${values} FROM orders WHERE id = ?2`).bind(id, visit.order.id).run();
      return id;
    };
    const expected = [0, 0, 0, 0, 0];
    const star = (r: number[]) => Math.floor((r.reduce((a, b) => a + b, 0) * 25 + 50) / 100);
    const score = fc.integer({ min: 1, max: 5 });
    const reviewArb = fc.record({ ratings: fc.tuple(score, score, score, score), hide: fc.boolean() });

    await fc.assert(
      fc.asyncProperty(fc.array(reviewArb, { minLength: 0, maxLength: 4 }), async (batch) => {
        for (const r of batch) {
          const orderId = await cloneOrder();
          const [quality, punctuality, attitude, value] = r.ratings;
          const res = await call("POST", `/v1/orders/${orderId}/review`, {
            token: customer.token,
            body: { ratings: { quality, punctuality, attitude, value } },
          });
          expect(res.status, JSON.stringify(res.body)).toBe(201);
          if (r.hide) {
            const hidden = await call("POST", `/v1/admin/reviews/${res.body.id}/hide`, { token: w.admin.token, body: { reason: "test" } });
            expect(hidden.status).toBe(200);
          } else {
            expected[star(r.ratings) - 1]! += 1;
          }
        }
        const p = (await profileOf(viewer.token, t.id)).body;
        const counts = [1, 2, 3, 4, 5].map((s) => p.rating.breakdown[String(s)]);
        expect(counts.reduce((a: number, b: number) => a + b, 0)).toBe(p.rating.count);
        expect(counts).toEqual(expected);
        const stored = await env.DB.prepare("SELECT rating_count AS n FROM technicians WHERE id = ?").bind(t.id).first<{ n: number }>();
        expect(p.rating.count).toBe(stored!.n);
      }),
      { numRuns: 6 },
    );
  });
});

describe("the case showcase", () => {
  async function caseWorld() {
    const base = await world();
    const visit = await visitTo(base.w, base.tech, "completed");
    return { ...base, visit, photos: await photoIds(base.tech, visit.order.id) };
  }

  it("shows a case only with the customer's consent, and takes it off at once when revoked", async () => {
    const { t, tech, viewer, visit, photos } = await caseWorld();
    const customer = visit.customer.session;
    const proposed = await call("POST", "/v1/technician/cases", {
      token: tech.token,
      body: { orderId: visit.order.id, beforePhotoId: photos.before, afterPhotoId: photos.after, caption: "  厨房深度清洁  " },
    });
    expect(proposed.status, JSON.stringify(proposed.body)).toBe(201);
    expect(proposed.body).toMatchObject({ consent: "pending", caption: "厨房深度清洁", hidden: false });
    const caseId = proposed.body.id as string;
    const before = `/v1/technicians/${t.id}/cases/${caseId}/photos/before`;

    // the customer is asked, once, in words (no raw codes)
    const asks = await env.DB.prepare("SELECT id, topic, payload FROM outbox WHERE topic = 'case.consent_requested'").all<{
      id: string;
      topic: string;
      payload: string;
    }>();
    const ask = asks.results.map((r) => ({ ...r, payload: JSON.parse(r.payload) })).filter((m) => m.payload.caseId === caseId);
    expect(ask.map((m) => m.payload)).toEqual([
      { orderId: visit.order.id, customerId: visit.customer.session.accountId, technicianId: t.id, caseId },
    ]);
    expect(noticesFor(ask[0]!)).toEqual([
      expect.objectContaining({
        audience: "customer",
        kind: "case.consent_requested",
        title: { zh: "师傅想展示本次服务", en: "May your visit be shown?" },
      }),
    ]);
    // pending: nowhere on the profile, photos 404
    expect((await profileOf(viewer.token, t.id)).body.cases).toEqual([]);
    expect((await image(viewer.token, before)).status).toBe(404);
    // the customer sees the request on their order; nobody else does
    expect((await call("GET", `/v1/orders/${visit.order.id}/case`, { token: customer.token })).body).toMatchObject({
      id: caseId,
      consent: "pending",
    });
    expectProblem(await call("GET", `/v1/orders/${visit.order.id}/case`, { token: viewer.token }), 404);
    expectProblem(await call("PUT", `/v1/orders/${visit.order.id}/case/consent`, { token: viewer.token, body: { granted: true } }), 404);

    // refused: still nowhere
    const refused = await call("PUT", `/v1/orders/${visit.order.id}/case/consent`, { token: customer.token, body: { granted: false } });
    expect(refused.body.consent).toBe("refused");
    expect((await profileOf(viewer.token, t.id)).body.cases).toEqual([]);

    // granted: on the profile with both photos
    const granted = await call("PUT", `/v1/orders/${visit.order.id}/case/consent`, { token: customer.token, body: { granted: true } });
    expect(granted.body.consent).toBe("granted");
    const shown = (await profileOf(viewer.token, t.id)).body.cases;
    expect(shown).toEqual([
      {
        id: caseId,
        caption: "厨房深度清洁",
        before: { url: before },
        after: { url: `/v1/technicians/${t.id}/cases/${caseId}/photos/after` },
        createdAt: expect.any(String),
      },
    ]);
    expect(JSON.stringify(shown)).not.toContain(visit.order.id);
    const b = await image(viewer.token, before);
    expect(b.status).toBe(200);
    expect(b.bytes).toEqual(JPEG);
    expect(b.headers.get("Cache-Control")).toBe("no-store");
    expect((await image(viewer.token, shown[0].after.url)).bytes).toEqual(PNG);
    expect((await image(null, before)).status).toBe(401);

    // revoked: gone at once, photos included
    const revoked = await call("PUT", `/v1/orders/${visit.order.id}/case/consent`, { token: customer.token, body: { granted: false } });
    expect(revoked.body.consent).toBe("revoked");
    expect((await profileOf(viewer.token, t.id)).body.cases).toEqual([]);
    expect((await image(viewer.token, before)).status).toBe(404);
    const audit = await env.DB.prepare("SELECT action FROM audit_log WHERE target_id = ? ORDER BY seq")
      .bind(caseId)
      .all<{ action: string }>();
    expect(audit.results.map((r) => r.action)).toEqual(["case.consent.withdraw", "case.consent.grant", "case.consent.withdraw"]);
  });

  it("lets operators hide a case (audited) and preview every case with its consent", async () => {
    const { w, t, tech, viewer, visit, photos } = await caseWorld();
    const proposed = await call("POST", "/v1/technician/cases", {
      token: tech.token,
      body: { orderId: visit.order.id, beforePhotoId: photos.before, afterPhotoId: photos.after },
    });
    await call("PUT", `/v1/orders/${visit.order.id}/case/consent`, { token: visit.customer.session.token, body: { granted: true } });
    const caseId = proposed.body.id as string;
    expect((await profileOf(viewer.token, t.id)).body.cases).toHaveLength(1);

    const preview = await call("GET", `/v1/admin/technicians/${t.id}/profile`, { token: w.admin.token });
    expect(preview.body.public.cases).toHaveLength(1);
    expect(preview.body.cases.items[0]).toMatchObject({ id: caseId, orderId: visit.order.id, consent: "granted", hidden: false });

    expectProblem(await call("POST", `/v1/admin/technician-cases/${caseId}/hide`, { token: w.admin.token, body: { reason: " " } }), 400);
    const hidden = await call("POST", `/v1/admin/technician-cases/${caseId}/hide`, {
      token: w.admin.token,
      body: { reason: "shows a face" },
    });
    expect(hidden.status).toBe(200);
    expect(hidden.body).toMatchObject({ hidden: true, hiddenReason: "shows a face" });
    expect((await profileOf(viewer.token, t.id)).body.cases).toEqual([]);
    expect((await image(viewer.token, `/v1/technicians/${t.id}/cases/${caseId}/photos/after`)).status).toBe(404);
    expectProblem(
      await call("POST", `/v1/admin/technician-cases/${caseId}/hide`, { token: w.admin.token, body: { reason: "again" } }),
      409,
      "CASE_ALREADY_HIDDEN",
    );
    // a consent granted again does not undo the moderation
    await call("PUT", `/v1/orders/${visit.order.id}/case/consent`, { token: visit.customer.session.token, body: { granted: true } });
    expect((await profileOf(viewer.token, t.id)).body.cases).toEqual([]);
    const audit = await env.DB.prepare("SELECT action FROM audit_log WHERE target_id = ? AND action = 'case.hide'").bind(caseId).all();
    expect(audit.results).toHaveLength(1);
    // the technician sees the state of their case
    const own = await call("GET", "/v1/technician/cases", { token: tech.token });
    expect(own.body.items[0]).toMatchObject({ id: caseId, hidden: true, consent: "granted" });

    // the technician shows it again (another technician cannot, a customer may not): back on the profile at once
    const other = await (await addTechnician(w, w.center)).session();
    const unhideOwn = (token: string) =>
      call("POST", `/v1/technician/cases/${caseId}/unhide`, { token, body: { reason: "photo replaced" } });
    expectProblem(await unhideOwn(other.token), 404);
    expectProblem(await unhideOwn(viewer.token), 403);
    const shows = await Promise.all([unhideOwn(tech.token), unhideOwn(tech.token)]);
    expect(shows.map((r) => r.status).sort()).toEqual([200, 409]);
    expectProblem(
      shows.find((r) => r.status === 409)!,
      409,
      "CASE_NOT_HIDDEN",
    );
    expect((await profileOf(viewer.token, t.id)).body.cases).toHaveLength(1);
    // and staff can too, after a second hide
    await call("POST", `/v1/admin/technician-cases/${caseId}/hide`, { token: w.admin.token, body: { reason: "again" } });
    const shown = await call("POST", `/v1/admin/technician-cases/${caseId}/unhide`, { token: w.admin.token, body: { reason: "reviewed" } });
    expect(shown.body).toMatchObject({ hidden: false, hiddenReason: null });
    const unhides = await env.DB.prepare("SELECT actor_id, data FROM audit_log WHERE target_id = ? AND action = 'case.unhide' ORDER BY seq")
      .bind(caseId)
      .all<{ actor_id: string; data: string }>();
    expect(unhides.results.map((r) => [r.actor_id, JSON.parse(r.data)])).toEqual([
      [tech.accountId, { reason: "photo replaced", by: "technician", hiddenFor: "shows a face" }],
      [w.admin.accountId, { reason: "reviewed", by: "staff", hiddenFor: "again" }],
    ]);
  });

  it("refuses bad cases with a 4xx and writes nothing", async () => {
    const { w, tech, visit, photos } = await caseWorld();
    const count = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM technician_cases").first<{ n: number }>())!.n;
    const before = await count();
    const propose = (token: string, body: unknown) => call("POST", "/v1/technician/cases", { token, body });
    // before and after swapped (a completion photo is not a "before"), unknown photo, extra field, missing field
    expectProblem(await propose(tech.token, { orderId: visit.order.id, beforePhotoId: photos.after, afterPhotoId: photos.before }), 400);
    expectProblem(await propose(tech.token, { orderId: visit.order.id, beforePhotoId: "pho_nope", afterPhotoId: photos.after }), 400);
    expectProblem(
      await propose(tech.token, { orderId: visit.order.id, beforePhotoId: photos.before, afterPhotoId: photos.after, x: 1 }),
      400,
    );
    expectProblem(await propose(tech.token, { orderId: visit.order.id }), 400);
    // an order not completed yet
    const open = await visitTo(w, tech, "in_service", { start: at(w, 3, "14:00") });
    const openPhotos = await call("GET", `/v1/orders/${open.order.id}/photos`, { token: tech.token });
    const arrive = openPhotos.body.items.find((p: { kind: string }) => p.kind === "arrive").id;
    expectProblem(await propose(tech.token, { orderId: open.order.id, beforePhotoId: arrive, afterPhotoId: arrive }), 409, "INVALID_STATE");
    // another technician's order is not found
    const other = await (await addTechnician(w, w.center)).session();
    expectProblem(await propose(other.token, { orderId: visit.order.id, beforePhotoId: photos.before, afterPhotoId: photos.after }), 404);
    // a consent decision that is not a boolean
    expectProblem(
      await call("PUT", `/v1/orders/${visit.order.id}/case/consent`, { token: visit.customer.session.token, body: { granted: "yes" } }),
      400,
    );
    expect(await count()).toBe(before);
    // and one case per order
    expect((await propose(tech.token, { orderId: visit.order.id, beforePhotoId: photos.before, afterPhotoId: photos.after })).status).toBe(
      201,
    );
    expectProblem(
      await propose(tech.token, { orderId: visit.order.id, beforePhotoId: photos.before, afterPhotoId: photos.after }),
      409,
      "CASE_EXISTS",
    );
    expect(await count()).toBe(before + 1);
  });
});
