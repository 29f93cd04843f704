/**
 * The authorization matrix: one entry per operation of `/openapi.json` (keyed `METHOD /path` as the
 * document spells it), saying who may call it and how to build its request against side A's
 * objects (test/support/matrix-world.ts). The matrix tests derive every actor's expected answer:
 *
 * - anonymous → 401 unless the route is public;
 * - an actor none of whose roles passes the route's guard → 403;
 * - an actor the guard lets in but who does not reach side A's object (not in `reach`) → 404;
 * - everyone else (the object's owner, its merchant's staff, the platform) → not a denial.
 *
 * A route of the document without an entry here fails the tests: adding a route means adding its line.
 */
import { env } from "cloudflare:test";
import { basemapKey } from "../../src/basemap";
import type { Role } from "../../src/domain/roles";
import { newId } from "../../src/lib/ids";
import { DEFAULT_SETTINGS as DEFAULT_MEMBERSHIP } from "../../src/domain/membership";
import { serviceBody } from "../support/catalog";
import { call, callBytes, signIn, uniquePhone } from "../support/http";
import { seriesBody, type Actor, type Objects } from "../support/matrix-world";
import { JPEG, PNG } from "../support/visit";
import { addTechnician } from "../support/world";
import { completeBackupFixture } from "../support/backups";
import { freshDeletionId, freshExportLink, POLICY, readyExport } from "../support/privacy";

/** A ready team route plan of side A's cell and merchant (its fingerprint matches no day: accepting it is refused as stale). */
async function routePlanOf(o: Objects): Promise<string> {
  const id = newId("rpl");
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO route_plans (id, cell, date, merchant_id, status, fingerprint, moves, technicians, created_at, updated_at) VALUES (?, ?, ?, ?, 'ready', 'none', '[]', '[]', ?, ?)",
  )
    .bind(id, o.m.techA.homeCell, day(1), o.m.merchantA, now, now)
    .run();
  return id;
}

/**
 * A group of one time proposal asked of customer A, of a plan of side A's merchant on side A's cell
 * (approving it drops it: the day is not the one asked).
 */
async function askedGroupOf(o: Objects): Promise<{ planId: string; groupId: string; questionId: string }> {
  const now = Date.now();
  const planId = await routePlanOf(o);
  const groupId = newId("rpg");
  const id = newId("rpq");
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO route_plan_groups (id, plan_id, cell, date, merchant_id, technician_id, time_zone, status, fingerprint, expires_at, asked_by, change_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'Asia/Shanghai', 'waiting', 'none', ?, ?, ?, ?, ?)",
    ).bind(
      groupId,
      planId,
      o.m.techA.homeCell,
      day(1),
      o.m.merchantA,
      o.m.techA.id,
      now + 86_400_000,
      o.m.sessions.admin.accountId,
      newId("chg"),
      now,
      now,
    ),
    env.DB.prepare(
      "INSERT INTO route_plan_questions (id, group_id, order_id, customer_id, technician_id, current_start, start, end, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
    ).bind(
      id,
      groupId,
      newId("ord"),
      o.m.customerA.session.accountId,
      o.m.techA.id,
      now + 86_400_000 + 7_200_000,
      now + 86_400_000 + 3_600_000,
      now + 86_400_000 + 5_400_000,
      now,
    ),
  ]);
  return { planId, groupId, questionId: id };
}

/** A time proposal asked of customer A (askedGroupOf). */
const timeProposalOf = async (o: Objects) => (await askedGroupOf(o)).questionId;

/** Customer A's export request (made once per run). */
const exports = new Map<string, Promise<string>>();
const exportOf = (token: string) => {
  if (!exports.has(token))
    exports.set(
      token,
      readyExport(token).then((r) => r.id),
    );
  return exports.get(token)!;
};

/** A stand-in of the actor with a deletion waiting (what reading or cancelling it needs). */
async function withWaitingDeletion(o: Objects, actor: Exclude<Actor, "anonymous">): Promise<string> {
  const token = await o.standIn(actor);
  const res = await call("POST", "/v1/me/deletion", { token });
  if (res.status !== 202) throw new Error(`deletion: ${res.status} ${JSON.stringify(res.body)}`);
  return token;
}

/** A survey question (free text, not required: other tests' surveys stay answerable), made once per run. */
const surveyQuestions = new WeakMap<Objects, Promise<string>>();
function surveyQuestion(o: Objects): Promise<string> {
  if (!surveyQuestions.has(o))
    surveyQuestions.set(
      o,
      (async () => {
        const token = o.m.sessions.admin.token;
        const body = { kind: "text", prompt: { zh: "还有什么建议？", en: "Anything else?" }, position: 999 };
        const made = await call("POST", "/v1/admin/survey-questions", { token, body });
        if (made.status !== 201) throw new Error(`survey question: ${made.status} ${JSON.stringify(made.body)}`);
        return made.body.id as string;
      })(),
    );
  return surveyQuestions.get(o)!;
}

export interface MatrixRequest {
  path: string;
  body?: unknown;
  /** An upload instead of a JSON body. */
  bytes?: { type: string; bytes: Uint8Array };
}

export interface MatrixEntry {
  /** Who the route's guard lets in: anyone ("public"), any signed-in account ("signed-in"), or these roles. */
  roles: "public" | "signed-in" | readonly Role[];
  /** Of those let in, who reaches side A's object; the others get 404. Absent: all of them (no object, or a public one). */
  reach?: readonly Actor[];
  /** The request, built per call (side A's object in the path, a valid body). */
  request: (o: Objects, actor: Actor) => MatrixRequest | Promise<MatrixRequest>;
  /**
   * The operation changes its object: side A's objects are made afresh for it (`true`), or afresh
   * for every caller allowed to (`"each"`: it removes the object, so the next caller would not find it).
   */
  fresh?: boolean | "each";
  /** The caller's token, when it must not be the world's session of the actor (default: that session's). */
  token?: (o: Objects, actor: Exclude<Actor, "anonymous">) => Promise<string>;
  /**
   * A list: side A's object (this text, usually its id) is in the answer of the allowed callers in
   * `to`, and in nobody else's.
   */
  shows?: { to: readonly Actor[]; id: (o: Objects) => Promise<string> | string };
  /** Answers the allowed callers may get besides 2xx/409/422 (e.g. 426 for a WebSocket route called without an upgrade). */
  alsoAllowed?: readonly number[];
}

const STAFF: readonly Role[] = ["operator", "admin", "merchant_admin"];
const PLATFORM: readonly Role[] = ["operator", "admin"];
const TECH: readonly Role[] = ["technician"];
const CUSTOMER: readonly Role[] = ["customer"];

/** The parties to side A's order: its customer, its technician, its merchant's admin and the platform. */
const PARTIES: readonly Actor[] = ["customerA", "techA", "merchantA", "operator", "admin"];
/** Who reaches customer A's series on A's service: the customer, A's merchant admin and the platform. */
const SERIES_PARTIES: readonly Actor[] = ["customerA", "merchantA", "operator", "admin"];
/** Whoever runs side A's merchant: its admin and the platform. */
const STAFF_A: readonly Actor[] = ["merchantA", "operator", "admin"];
const CUSTOMER_A: readonly Actor[] = ["customerA"];
const PLATFORM_ACTORS: readonly Actor[] = ["operator", "admin"];

const day = (offset = 0) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const iso = (offsetDays = 0) => new Date(Date.now() + offsetDays * 86_400_000).toISOString();
const reportQuery = () => `from=${encodeURIComponent(iso(-7))}&to=${encodeURIComponent(iso(1))}`;
const reportDays = () => `from=${day(-7)}&to=${day()}`;
const ALIPAY_PAYEE = { provider: "alipay", identity: "matrix@example.com", identityType: "ALIPAY_LOGON_ID", realName: "张三" };

/** A new penalty (points only) for technician A, decided by the admin: something to appeal. */
async function penaltyOfA(o: Objects): Promise<string> {
  const res = await call("POST", `/v1/admin/technicians/${o.m.techA.id}/credit/decisions`, {
    token: o.m.sessions.admin.token,
    body: { kind: "penalty", reasonCode: "PENALTY_MISCONDUCT", amount: 0, points: 1 },
  });
  return res.body.id as string;
}

/** An approved technician of merchant A with a skill no service of the world needs (free to suspend). */
const spares = new WeakMap<Objects, Promise<string>>();
function spareTechnician(o: Objects): Promise<string> {
  let id = spares.get(o);
  if (!id) {
    id = addTechnician(o.m.w, o.m.w.center, { merchantId: o.m.merchantA, skills: [o.m.w.otherSkill] }).then((t) => t.id);
    spares.set(o, id);
  }
  return id;
}

/** A fresh account that has applied to be a technician. */
async function freshApplicant(o: Objects) {
  const s = await signIn();
  await call("POST", "/v1/me/technician-application", {
    token: s.token,
    body: { realName: "李四", name: "小李", skills: [o.m.w.otherSkill], home: o.m.w.center },
  });
  return s;
}

/** A fresh account's refresh token (logout needs one that is the caller's own). */
async function refreshToken(): Promise<string> {
  return (await signIn()).refreshToken;
}

/** A phone and the code just sent to it (dev echo). */
async function codeFor(): Promise<{ phone: string; code: string }> {
  const phone = uniquePhone();
  const otp = await call("POST", "/v1/auth/otp", { body: { phone } });
  return { phone, code: otp.body.devCode as string };
}

/** A campaign of merchant A (made by the admin for merchant A): merchant A's admin and the platform reach it. */
const campaigns = new WeakMap<Objects, Promise<string>>();
function campaignOfA(o: Objects): Promise<string> {
  let id = campaigns.get(o);
  if (!id) {
    id = call("POST", "/v1/campaigns", {
      token: o.m.sessions.admin.token,
      body: {
        kind: "birthday",
        merchantId: o.m.merchantA,
        name: { zh: "生日礼", en: "Birthday" },
        couponKind: "fixed",
        value: 100,
        budget: 10_000,
        startsAt: iso(-1),
        endsAt: iso(30),
      },
    }).then((r) => r.body.id as string);
    campaigns.set(o, id);
  }
  return id;
}

/** A share link of customer A to technician A's profile (the technician's photo uploaded first). */
const shareLinks = new WeakMap<Objects, Promise<string>>();
function shareLinkOfA(o: Objects): Promise<string> {
  let token = shareLinks.get(o);
  if (!token) {
    token = o
      .showcase()
      .then(() =>
        call("POST", "/v1/share-links", { token: o.m.customerA.session.token, body: { type: "technician", id: o.m.techA.id } }).then(
          (r) => r.body.token as string,
        ),
      );
    shareLinks.set(o, token);
  }
  return token;
}

export const MATRIX: Record<string, MatrixEntry> = {
  "GET /healthz": { roles: "public", request: () => ({ path: "/healthz" }) },
  "GET /readyz": { roles: "public", request: () => ({ path: "/readyz" }) },
  // sign-in
  "POST /v1/auth/otp": { roles: "public", request: () => ({ path: "/v1/auth/otp", body: { phone: uniquePhone() } }) },
  "POST /v1/auth/token": { roles: "public", request: async () => ({ path: "/v1/auth/token", body: await codeFor() }) },
  "POST /v1/auth/logout": {
    roles: "public",
    request: async () => ({ path: "/v1/auth/logout", body: { refreshToken: await refreshToken() } }),
  },
  "POST /v1/auth/logout-all": {
    roles: "signed-in",
    // it revokes the caller's own tokens: sent with a new account of the actor's roles
    token: (o, actor) => o.standIn(actor),
    request: () => ({ path: "/v1/auth/logout-all" }),
  },
  "POST /v1/auth/wechat": { roles: "public", request: () => ({ path: "/v1/auth/wechat", body: { code: "matrix-code" } }) },
  // the caller's own things
  "GET /v1/me": { roles: "signed-in", request: () => ({ path: "/v1/me" }) },
  "PATCH /v1/me": { roles: "signed-in", request: () => ({ path: "/v1/me", body: { name: "Matrix" } }) },
  "GET /v1/me/wechat": { roles: "signed-in", request: () => ({ path: "/v1/me/wechat" }) },
  "POST /v1/me/wechat": { roles: "signed-in", request: () => ({ path: "/v1/me/wechat", body: { code: "matrix-code" } }) },
  "DELETE /v1/me/wechat": { roles: "signed-in", request: () => ({ path: "/v1/me/wechat" }) },
  "GET /v1/me/addresses": {
    roles: "signed-in",
    request: () => ({ path: "/v1/me/addresses" }),
    shows: { to: CUSTOMER_A, id: (o) => o.address() },
  },
  "POST /v1/me/addresses": {
    roles: "signed-in",
    request: (o) => ({
      path: "/v1/me/addresses",
      body: {
        label: "家",
        text: "测试路 1 号 101 室",
        lat: o.m.w.center.lat,
        lng: o.m.w.center.lng,
        contactName: "张三",
        contactPhone: "13912345678",
      },
    }),
  },
  "PATCH /v1/me/addresses/{id}": {
    roles: "signed-in",
    reach: ["customerA"],
    request: async (o) => ({ path: `/v1/me/addresses/${await o.address()}`, body: { label: "新" } }),
  },
  "DELETE /v1/me/addresses/{id}": {
    roles: "signed-in",
    reach: ["customerA"],
    fresh: "each",
    request: async (o) => ({ path: `/v1/me/addresses/${await o.address()}` }),
  },
  "GET /v1/me/favourites": { roles: CUSTOMER, request: () => ({ path: "/v1/me/favourites" }) },
  "PUT /v1/me/favourites/{technicianId}": {
    roles: CUSTOMER,
    reach: CUSTOMER_A,
    request: async (o) => (await o.review(), { path: `/v1/me/favourites/${o.m.techA.id}` }),
  },
  "DELETE /v1/me/favourites/{technicianId}": {
    roles: CUSTOMER,
    reach: CUSTOMER_A,
    request: async (o, actor) => (await o.favourite(actor), { path: `/v1/me/favourites/${o.m.techA.id}` }),
  },
  "GET /v1/me/notifications": {
    roles: "signed-in",
    request: () => ({ path: "/v1/me/notifications?limit=100" }),
    shows: { to: CUSTOMER_A, id: (o) => o.notification() },
  },
  "POST /v1/me/notifications/read-all": { roles: "signed-in", request: () => ({ path: "/v1/me/notifications/read-all" }) },
  "POST /v1/me/notifications/{id}/read": {
    roles: "signed-in",
    reach: ["customerA"],
    request: async (o) => ({ path: `/v1/me/notifications/${await o.notification()}/read` }),
  },
  "POST /v1/me/devices": {
    roles: "signed-in",
    request: () => ({ path: "/v1/me/devices", body: { platform: "android", provider: "fcm", token: newId("fcm"), appVersion: "1.0.0" } }),
  },
  "GET /v1/me/devices": {
    roles: "signed-in",
    request: () => ({ path: "/v1/me/devices" }),
    shows: { to: CUSTOMER_A, id: (o) => o.device() },
  },
  "DELETE /v1/me/devices/{id}": {
    roles: "signed-in",
    reach: ["customerA"],
    fresh: "each",
    request: async (o) => ({ path: `/v1/me/devices/${await o.device()}` }),
  },
  // accounts (operators)
  "GET /v1/admin/accounts": {
    roles: PLATFORM,
    request: (o) => ({ path: `/v1/admin/accounts?phone=${encodeURIComponent(o.m.customerA.session.phone)}` }),
    shows: { to: PLATFORM_ACTORS, id: (o) => o.m.customerA.session.accountId },
  },
  "GET /v1/admin/accounts/{id}": {
    roles: PLATFORM,
    request: (o) => ({ path: `/v1/admin/accounts/${o.m.customerA.session.accountId}` }),
  },
  "POST /v1/admin/accounts/{id}/disable": {
    roles: PLATFORM,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/accounts/${await o.account()}/disable`, body: { reason: "fake_orders", note: "matrix" } }),
  },
  "POST /v1/admin/accounts/{id}/enable": {
    roles: PLATFORM,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/accounts/${await o.disabledAccount()}/enable` }),
  },
  // the catalogue
  // the first administrator: public, guarded by the BOOTSTRAP_TOKEN secret (unset in tests: 404; wrong: 401)
  "POST /v1/bootstrap": {
    roles: "public",
    request: () => ({ path: "/v1/bootstrap", body: { phone: uniquePhone() } }),
    alsoAllowed: [401, 404],
  },
  "GET /v1/cities": { roles: "public", request: () => ({ path: "/v1/cities" }) },
  "GET /v1/basemap/{file}": {
    roles: "public",
    request: async () => {
      await env.PHOTOS.put(basemapKey("cty_matrix"), new Uint8Array([80, 77, 84, 105, 108, 101, 115, 3]));
      return { path: "/v1/basemap/cty_matrix.pmtiles" };
    },
  },
  "POST /v1/admin/cities": {
    roles: PLATFORM,
    request: () => ({
      path: "/v1/admin/cities",
      body: { name: "Nowhere", timeZone: "Asia/Shanghai", center: { lat: 85, lng: 0 }, radiusKm: 1 },
    }),
  },
  "PATCH /v1/admin/cities/{id}": {
    roles: PLATFORM,
    request: (o) => ({ path: `/v1/admin/cities/${o.m.w.cityId}`, body: { name: "Matrix City" } }),
  },
  "GET /v1/skills": { roles: "public", request: () => ({ path: "/v1/skills" }) },
  "PATCH /v1/admin/skills/{code}": {
    roles: PLATFORM,
    request: (o) => ({ path: `/v1/admin/skills/${o.m.w.otherSkill}`, body: { name: { zh: "技能", en: "Skill" } } }),
  },
  "POST /v1/admin/skills": {
    roles: PLATFORM,
    request: () => ({
      path: "/v1/admin/skills",
      body: { code: `mx_${Math.random().toString(36).slice(2, 10)}`, name: { zh: "技能", en: "Skill" } },
    }),
  },
  "GET /v1/categories": { roles: "public", request: () => ({ path: "/v1/categories" }) },
  "POST /v1/admin/categories": {
    roles: PLATFORM,
    request: () => ({ path: "/v1/admin/categories", body: { name: { zh: "类", en: "Kind" } } }),
  },
  "PATCH /v1/admin/categories/{id}": {
    roles: PLATFORM,
    request: async (o) => ({ path: `/v1/admin/categories/${await o.category()}`, body: { sort: 3 } }),
  },
  "DELETE /v1/admin/categories/{id}": {
    roles: PLATFORM,
    fresh: "each",
    request: async (o) => ({ path: `/v1/admin/categories/${await o.category()}` }),
  },
  "GET /v1/services": { roles: "public", request: () => ({ path: "/v1/services" }) },
  "GET /v1/services/{id}": { roles: "public", request: (o) => ({ path: `/v1/services/${o.m.w.serviceId}` }) },
  "GET /v1/admin/services": {
    roles: STAFF,
    request: () => ({ path: "/v1/admin/services?limit=100" }),
    shows: { to: STAFF_A, id: (o) => o.m.w.serviceId },
  },
  "POST /v1/admin/services": {
    roles: STAFF,
    request: async (o) => ({
      path: "/v1/admin/services",
      body: serviceBody({ categoryId: await o.category(), cityIds: [o.m.w.cityId], requiredSkills: [o.m.w.otherSkill] }),
    }),
  },
  "GET /v1/admin/services/{id}": { roles: STAFF, reach: STAFF_A, request: (o) => ({ path: `/v1/admin/services/${o.m.w.serviceId}` }) },
  "PATCH /v1/admin/services/{id}": {
    roles: STAFF,
    reach: STAFF_A,
    request: (o) => ({ path: `/v1/admin/services/${o.m.w.serviceId}`, body: { name: { en: "Cleaning" } } }),
  },
  "DELETE /v1/admin/services/{id}": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: "each",
    request: async (o) => ({ path: `/v1/admin/services/${await o.service()}` }),
  },
  "GET /v1/availability": {
    roles: "public",
    request: (o) => ({
      path: `/v1/availability?serviceId=${o.m.w.serviceId}&lat=${o.m.w.center.lat}&lng=${o.m.w.center.lng}&date=${day(3)}`,
    }),
  },
  // merchants
  "POST /v1/admin/merchants": { roles: PLATFORM, request: () => ({ path: "/v1/admin/merchants", body: { name: "Merchant" } }) },
  "GET /v1/admin/merchants": {
    roles: STAFF,
    request: () => ({ path: "/v1/admin/merchants?limit=100" }),
    shows: { to: STAFF_A, id: (o) => o.m.merchantA },
  },
  "GET /v1/admin/merchants/{id}": { roles: STAFF, reach: STAFF_A, request: (o) => ({ path: `/v1/admin/merchants/${o.m.merchantA}` }) },
  "PATCH /v1/admin/merchants/{id}": {
    roles: PLATFORM,
    request: (o) => ({ path: `/v1/admin/merchants/${o.m.merchantA}`, body: { name: "Merchant A" } }),
  },
  "POST /v1/admin/merchants/{id}/admins": {
    roles: PLATFORM,
    request: (o) => ({ path: `/v1/admin/merchants/${o.m.merchantA}/admins`, body: { phone: uniquePhone() } }),
  },
  "GET /v1/admin/merchants/{id}/admins": {
    roles: STAFF,
    reach: STAFF_A,
    request: (o) => ({ path: `/v1/admin/merchants/${o.m.merchantA}/admins` }),
  },
  "DELETE /v1/admin/merchants/{id}/admins/{accountId}": {
    roles: PLATFORM,
    fresh: "each",
    request: async (o) => ({ path: `/v1/admin/merchants/${o.m.merchantA}/admins/${await o.merchantAdmin()}` }),
  },
  // technicians
  "POST /v1/admin/technicians": {
    roles: STAFF,
    request: (o) => ({
      path: "/v1/admin/technicians",
      body: { phone: uniquePhone(), name: "New", skills: [o.m.w.otherSkill], home: o.m.w.center },
    }),
  },
  "GET /v1/admin/technicians": {
    roles: STAFF,
    request: (o) => ({ path: `/v1/admin/technicians?city=${o.m.w.cityId}&limit=100` }),
    shows: { to: STAFF_A, id: (o) => o.m.techA.id },
  },
  "GET /v1/admin/technicians/{id}": { roles: STAFF, reach: STAFF_A, request: (o) => ({ path: `/v1/admin/technicians/${o.m.techA.id}` }) },
  "PATCH /v1/admin/technicians/{id}": {
    roles: STAFF,
    reach: STAFF_A,
    request: (o) => ({ path: `/v1/admin/technicians/${o.m.techA.id}`, body: { serviceRadiusKm: 12 } }),
  },
  "POST /v1/admin/technicians/{id}/approve": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/technicians/${await o.applicant()}/approve` }),
  },
  "POST /v1/admin/technicians/{id}/reject": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/technicians/${await o.applicant()}/reject`, body: { reason: "incomplete" } }),
  },
  // technician lifecycle
  "POST /v1/me/technician-application": {
    roles: "signed-in",
    request: (o) => ({
      path: "/v1/me/technician-application",
      body: { realName: "王小明", name: "小王", skills: [o.m.w.otherSkill], home: o.m.w.center },
    }),
  },
  "GET /v1/me/technician-application": {
    roles: "signed-in",
    // Anyone signed in reads their own application; each caller here is a fresh applicant.
    token: async (o) => (await freshApplicant(o)).token,
    request: () => ({ path: "/v1/me/technician-application" }),
  },
  "POST /v1/me/technician-application/documents": {
    roles: "signed-in",
    token: async (o) => (await freshApplicant(o)).token,
    request: () => ({ path: "/v1/me/technician-application/documents?kind=health", bytes: { type: "image/jpeg", bytes: JPEG } }),
  },
  "GET /v1/admin/technicians/{id}/application": {
    roles: STAFF,
    reach: STAFF_A,
    request: (o) => ({ path: `/v1/admin/technicians/${o.m.techA.id}/application` }),
  },
  "POST /v1/admin/technicians/{id}/documents/{documentId}/decision": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => {
      const doc = await callBytes("POST", `/v1/admin/technicians/${o.m.techA.id}/documents?kind=other`, {
        token: o.m.sessions.admin.token,
        type: "image/jpeg",
        bytes: JPEG,
      });
      return { path: `/v1/admin/technicians/${o.m.techA.id}/documents/${doc.body.id}/decision`, body: { decision: "approve" } };
    },
  },
  "POST /v1/admin/technicians/{id}/suspend": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    // Not techA: the shared world's orders need it.
    request: async (o) => ({
      path: `/v1/admin/technicians/${await spareTechnician(o)}/suspend`,
      body: { reason: "matrix", until: new Date(Date.now() + 86_400_000).toISOString() },
    }),
  },
  "POST /v1/admin/technicians/{id}/reinstate": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/technicians/${await spareTechnician(o)}/reinstate`, body: {} }),
  },
  "POST /v1/admin/technicians/{id}/remove": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/technicians/${await o.applicant()}/remove`, body: { reason: "matrix" } }),
  },
  "POST /v1/technician/profile-changes": {
    roles: TECH,
    request: () => ({ path: "/v1/technician/profile-changes", body: { serviceRadiusKm: 9 } }),
  },
  "GET /v1/technician/profile-changes": { roles: TECH, request: () => ({ path: "/v1/technician/profile-changes" }) },
  "GET /v1/admin/technician-changes": { roles: STAFF, request: () => ({ path: "/v1/admin/technician-changes?status=pending" }) },
  "POST /v1/admin/technician-changes/{id}/decision": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => {
      const proposed = await call("POST", "/v1/technician/profile-changes", {
        token: o.m.sessions.techA.token,
        body: { serviceRadiusKm: 8 },
      });
      const id =
        proposed.status === 201
          ? proposed.body.id
          : (await call("GET", "/v1/technician/profile-changes", { token: o.m.sessions.techA.token })).body.items[0].id;
      return { path: `/v1/admin/technician-changes/${id}/decision`, body: { decision: "reject", reason: "matrix" } };
    },
  },
  "GET /v1/admin/skill-documents": { roles: STAFF, request: () => ({ path: "/v1/admin/skill-documents" }) },
  "PUT /v1/admin/skill-documents/{skill}": {
    roles: PLATFORM,
    request: (o) => ({ path: `/v1/admin/skill-documents/${o.m.w.otherSkill}`, body: { kinds: [] } }),
  },
  "GET /v1/admin/technicians/{id}/shifts": {
    roles: STAFF,
    reach: STAFF_A,
    request: (o) => ({ path: `/v1/admin/technicians/${o.m.techA.id}/shifts` }),
  },
  "PUT /v1/admin/technicians/{id}/shifts": {
    roles: STAFF,
    reach: STAFF_A,
    request: (o) => ({ path: `/v1/admin/technicians/${o.m.techA.id}/shifts`, body: { weekly: null } }),
  },
  "GET /v1/admin/technicians/{id}/schedule": {
    roles: STAFF,
    reach: STAFF_A,
    request: (o) => ({ path: `/v1/admin/technicians/${o.m.techA.id}/schedule` }),
  },
  "GET /v1/admin/technicians/{id}/route": {
    roles: STAFF,
    reach: STAFF_A,
    request: (o) => ({ path: `/v1/admin/technicians/${o.m.techA.id}/route?date=2026-12-07` }),
  },
  "POST /v1/admin/technicians/{id}/move": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/technicians/${await o.applicant()}/move`, body: { home: o.m.w.center } }),
  },
  "GET /v1/admin/technicians/{id}/payee": {
    roles: STAFF,
    reach: STAFF_A,
    request: (o) => ({ path: `/v1/admin/technicians/${o.m.techA.id}/payee` }),
  },
  "POST /v1/admin/technicians/{id}/documents": {
    roles: STAFF,
    reach: STAFF_A,
    request: (o) => ({ path: `/v1/admin/technicians/${o.m.techA.id}/documents?kind=other`, bytes: { type: "image/jpeg", bytes: JPEG } }),
  },
  "GET /v1/admin/technicians/{id}/documents": {
    roles: STAFF,
    reach: STAFF_A,
    request: (o) => ({ path: `/v1/admin/technicians/${o.m.techA.id}/documents` }),
  },
  "GET /v1/admin/technicians/{id}/documents/{documentId}": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({ path: `/v1/admin/technicians/${o.m.techA.id}/documents/${await o.document()}` }),
  },
  // the technician's own things
  "GET /v1/technician/shifts": { roles: TECH, request: () => ({ path: "/v1/technician/shifts" }) },
  "GET /v1/technician/route": { roles: TECH, request: () => ({ path: "/v1/technician/route?date=2026-12-07" }) },
  "POST /v1/technician/route/apply": {
    roles: TECH,
    request: () => ({ path: "/v1/technician/route/apply", body: { date: "2026-12-07", basis: "none" } }),
  },
  "PUT /v1/technician/shifts": { roles: TECH, request: () => ({ path: "/v1/technician/shifts", body: { weekly: null } }) },
  "POST /v1/technician/status": { roles: TECH, request: () => ({ path: "/v1/technician/status", body: { online: true } }) },
  "POST /v1/technician/presence": { roles: TECH, request: (o) => ({ path: "/v1/technician/presence", body: o.m.w.center }) },
  "GET /v1/technician/stream": { roles: TECH, request: () => ({ path: "/v1/technician/stream" }) },
  "POST /v1/technician/stream/ticket": { roles: TECH, request: () => ({ path: "/v1/technician/stream/ticket" }) },
  "POST /v1/technician/orders/{id}/cash": {
    roles: TECH,
    reach: ["techA"],
    fresh: true,
    // A's service takes no cash: technician A gets 409 CASH_NOT_ACCEPTED, past the door
    request: async (o) => ({ path: `/v1/technician/orders/${(await o.visit("in_service")).id}/cash`, body: { amount: 100 } }),
  },
  "GET /v1/technician/credit": { roles: TECH, request: () => ({ path: "/v1/technician/credit" }) },
  "GET /v1/technician/credit/history": { roles: TECH, request: () => ({ path: "/v1/technician/credit/history" }) },
  "GET /v1/technician/credit/decisions": { roles: TECH, request: () => ({ path: "/v1/technician/credit/decisions" }) },
  "POST /v1/technician/credit/decisions/{id}/appeal": {
    roles: TECH,
    reach: ["techA"],
    fresh: "each",
    request: async (o) => ({ path: `/v1/technician/credit/decisions/${await penaltyOfA(o)}/appeal`, body: { reason: "不是我的责任" } }),
  },
  "GET /v1/admin/technicians/{id}/credit": {
    roles: STAFF,
    reach: STAFF_A,
    request: (o) => ({ path: `/v1/admin/technicians/${o.m.techA.id}/credit` }),
  },
  "GET /v1/admin/technicians/{id}/credit/history": {
    roles: STAFF,
    reach: STAFF_A,
    request: (o) => ({ path: `/v1/admin/technicians/${o.m.techA.id}/credit/history` }),
  },
  "GET /v1/admin/technicians/{id}/credit/decisions": {
    roles: STAFF,
    reach: STAFF_A,
    request: (o) => ({ path: `/v1/admin/technicians/${o.m.techA.id}/credit/decisions` }),
  },
  "POST /v1/admin/technicians/{id}/credit/decisions": {
    roles: PLATFORM,
    request: (o) => ({
      path: `/v1/admin/technicians/${o.m.techA.id}/credit/decisions`,
      body: { kind: "reward", reasonCode: "REWARD_PRAISE", amount: 100, points: 1 },
    }),
  },
  "GET /v1/admin/credit/appeals": { roles: PLATFORM, request: () => ({ path: "/v1/admin/credit/appeals" }) },
  "POST /v1/admin/credit/appeals/{id}/decision": {
    roles: PLATFORM,
    fresh: "each",
    request: async (o) => {
      const penalty = await penaltyOfA(o);
      const appeal = await call("POST", `/v1/technician/credit/decisions/${penalty}/appeal`, {
        token: o.m.sessions.techA.token,
        body: { reason: "申诉" },
      });
      return { path: `/v1/admin/credit/appeals/${appeal.body.id as string}/decision`, body: { outcome: "denied" } };
    },
  },
  "GET /v1/admin/settings/credit": { roles: STAFF, request: () => ({ path: "/v1/admin/settings/credit" }) },
  "PUT /v1/admin/settings/credit": {
    roles: PLATFORM,
    request: () => ({
      path: "/v1/admin/settings/credit",
      body: {
        thresholds: {
          standard: { minScore: 600, minJobs: 10 },
          gold: { minScore: 750, minJobs: 100 },
          diamond: { minScore: 900, minJobs: 300 },
        },
        technicianShareBps: { trainee: null, standard: null, gold: null, diamond: null },
      },
    }),
  },
  "GET /v1/technician/payee": { roles: TECH, request: () => ({ path: "/v1/technician/payee" }) },
  "PUT /v1/technician/payee": { roles: TECH, request: () => ({ path: "/v1/technician/payee", body: ALIPAY_PAYEE }) },
  "DELETE /v1/technician/payee/{provider}": {
    roles: TECH,
    request: async (o, actor) => (await o.payeeOf(actor, ALIPAY_PAYEE), { path: "/v1/technician/payee/alipay" }),
  },
  "GET /v1/technician/documents": { roles: TECH, request: () => ({ path: "/v1/technician/documents" }) },
  "POST /v1/technician/documents": {
    roles: TECH,
    request: () => ({ path: "/v1/technician/documents?kind=other", bytes: { type: "image/jpeg", bytes: JPEG } }),
  },
  "GET /v1/technician/earnings": { roles: TECH, request: () => ({ path: "/v1/technician/earnings" }) },
  "POST /v1/technician/withdrawals": { roles: TECH, request: () => ({ path: "/v1/technician/withdrawals", body: { amount: 1000 } }) },
  "GET /v1/technician/withdrawals": { roles: TECH, request: () => ({ path: "/v1/technician/withdrawals" }) },
  "GET /v1/technician/tasks": {
    roles: TECH,
    request: () => ({ path: "/v1/technician/tasks?limit=100" }),
    shows: { to: ["techA"], id: (o) => o.order() },
  },
  "GET /v1/technician/pool": { roles: TECH, request: () => ({ path: "/v1/technician/pool" }) },
  "GET /v1/technician/tasks/{orderId}": {
    roles: TECH,
    reach: ["techA"],
    request: async (o) => ({ path: `/v1/technician/tasks/${await o.order()}` }),
  },
  "POST /v1/technician/tasks/{orderId}/grab": {
    roles: TECH,
    reach: ["techA"],
    fresh: true,
    request: async (o) => ({ path: `/v1/technician/tasks/${await o.poolOrder()}/grab` }),
  },
  "POST /v1/technician/tasks/{orderId}/{action}": {
    roles: TECH,
    reach: ["techA"],
    fresh: true,
    request: async (o) => ({ path: `/v1/technician/tasks/${await o.order()}/accept`, body: {} }),
  },
  "POST /v1/technician/tasks/{orderId}/photos": {
    roles: TECH,
    reach: ["techA"],
    request: async (o) => ({
      path: `/v1/technician/tasks/${(await o.visit("en_route")).id}/photos?kind=arrive`,
      bytes: { type: "image/jpeg", bytes: JPEG },
    }),
  },
  "POST /v1/technician/tasks/{orderId}/extra-charges": {
    roles: TECH,
    reach: ["techA"],
    request: async (o) => ({
      path: `/v1/technician/tasks/${(await o.visit("in_service")).id}/extra-charges`,
      body: { items: [{ label: "配件", amount: 500 }], reason: "更换" },
    }),
  },
  "POST /v1/technician/tasks/{orderId}/time-change": {
    roles: TECH,
    reach: ["techA"],
    request: async (o) => ({ path: `/v1/technician/tasks/${await o.order()}/time-change`, body: { start: o.start(), reason: "延误" } }),
  },
  "POST /v1/technician/tasks/{orderId}/changes/{changeId}/withdraw": {
    roles: TECH,
    reach: ["techA"],
    fresh: true,
    request: async (o) => {
      const c = await o.change();
      return { path: `/v1/technician/tasks/${c.orderId}/changes/${c.changeId}/withdraw` };
    },
  },
  // orders
  "POST /v1/quotes": {
    roles: "signed-in",
    request: (o) => ({
      path: "/v1/quotes",
      body: { serviceId: o.m.w.serviceId, lat: o.m.w.center.lat, lng: o.m.w.center.lng, start: o.start() },
    }),
  },
  "POST /v1/orders": {
    roles: "signed-in",
    reach: ["customerA"],
    request: async (o) => {
      const q = await o.quote();
      return {
        path: "/v1/orders",
        body: { quoteId: q.id, addressId: o.m.customerA.addressId, start: q.start, paymentPlan: "after_service" },
      };
    },
  },
  "GET /v1/orders": {
    roles: "signed-in",
    request: () => ({ path: "/v1/orders?limit=100" }),
    shows: { to: CUSTOMER_A, id: (o) => o.order() },
  },
  // recurring visits (src/series)
  "POST /v1/series": { roles: "signed-in", reach: CUSTOMER_A, request: (o) => ({ path: "/v1/series", body: seriesBody(o.m) }) },
  "GET /v1/series": {
    roles: "signed-in",
    request: () => ({ path: "/v1/series?limit=100" }),
    shows: { to: SERIES_PARTIES, id: async (o) => (await o.series()).id },
  },
  "GET /v1/series/{id}": {
    roles: "signed-in",
    reach: SERIES_PARTIES,
    request: async (o) => ({ path: `/v1/series/${(await o.series()).id}` }),
  },
  "GET /v1/admin/series/unbookable": { roles: STAFF, request: () => ({ path: "/v1/admin/series/unbookable?limit=100" }) },
  "POST /v1/series/{id}/visits/{date}/skip": {
    roles: "signed-in",
    reach: SERIES_PARTIES,
    fresh: true,
    request: async (o) => {
      const s = await o.series();
      return { path: `/v1/series/${s.id}/visits/${s.second}/skip`, body: { reason: "away" } };
    },
  },
  "POST /v1/series/{id}/visits/{date}/reschedule": {
    roles: "signed-in",
    reach: SERIES_PARTIES,
    request: async (o) => {
      const s = await o.series();
      // The first visit is skipped: a caller let in gets 409, anyone else 404.
      return { path: `/v1/series/${s.id}/visits/${s.first}/reschedule`, body: { start: `${s.first}T10:00:00+08:00` } };
    },
  },
  "POST /v1/series/{id}/pause": {
    roles: "signed-in",
    reach: SERIES_PARTIES,
    fresh: true,
    request: async (o) => ({ path: `/v1/series/${(await o.series()).id}/pause`, body: {} }),
  },
  "POST /v1/series/{id}/resume": {
    roles: "signed-in",
    reach: SERIES_PARTIES,
    request: async (o) => ({ path: `/v1/series/${(await o.series()).id}/resume`, body: {} }),
  },
  "POST /v1/series/{id}/change": {
    roles: "signed-in",
    reach: SERIES_PARTIES,
    fresh: true,
    request: async (o) => {
      const s = await o.series();
      return { path: `/v1/series/${s.id}/change`, body: { from: s.second, timeOfDay: "10:00" } };
    },
  },
  "POST /v1/series/{id}/cancel": {
    roles: "signed-in",
    reach: SERIES_PARTIES,
    fresh: true,
    request: async (o) => ({ path: `/v1/series/${(await o.series()).id}/cancel`, body: {} }),
  },
  "GET /v1/orders/{id}": { roles: "signed-in", reach: CUSTOMER_A, request: async (o) => ({ path: `/v1/orders/${await o.order()}` }) },
  "POST /v1/orders/{id}/cancel": {
    roles: "signed-in",
    reach: CUSTOMER_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/orders/${await o.order()}/cancel`, body: { reason: "plans changed" } }),
  },
  "POST /v1/orders/{id}/reschedule": {
    roles: "signed-in",
    reach: CUSTOMER_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/orders/${await o.order()}/reschedule`, body: { start: o.start() } }),
  },
  "POST /v1/orders/{id}/payments": {
    roles: "signed-in",
    reach: CUSTOMER_A,
    request: async (o) => ({ path: `/v1/orders/${(await o.payment()).orderId}/payments`, body: { provider: "sandbox" } }),
  },
  "GET /v1/orders/{id}/payments": {
    roles: "signed-in",
    reach: CUSTOMER_A,
    request: async (o) => ({ path: `/v1/orders/${(await o.payment()).orderId}/payments` }),
  },
  "POST /v1/orders/{id}/complaints": {
    roles: CUSTOMER,
    reach: ["customerA"],
    request: async (o) => ({ path: `/v1/orders/${(await o.review()).orderId}/complaints`, body: { reason: "not clean" } }),
  },
  "POST /v1/orders/{id}/tickets": {
    roles: "signed-in",
    reach: ["customerA", "techA"],
    request: async (o) => ({
      path: `/v1/orders/${(await o.ticket()).orderId}/tickets`,
      body: { category: "safety", description: "matrix" },
    }),
  },
  "GET /v1/orders/{id}/tickets": {
    roles: "signed-in",
    reach: PARTIES,
    request: async (o) => ({ path: `/v1/orders/${(await o.ticket()).orderId}/tickets` }),
  },
  "GET /v1/tickets/{id}": {
    roles: "signed-in",
    reach: PARTIES,
    request: async (o) => ({ path: `/v1/tickets/${(await o.ticket()).ticketId}` }),
  },
  "POST /v1/tickets/{id}/entries": {
    roles: "signed-in",
    reach: PARTIES,
    request: async (o) => ({ path: `/v1/tickets/${(await o.ticket()).ticketId}/entries`, body: { body: "matrix statement" } }),
  },
  "POST /v1/tickets/{id}/photos": {
    roles: "signed-in",
    reach: PARTIES,
    request: async (o) => ({ path: `/v1/tickets/${(await o.ticket()).ticketId}/photos`, bytes: { type: "image/jpeg", bytes: JPEG } }),
  },
  "GET /v1/tickets/{id}/photos/{entryId}": {
    roles: "signed-in",
    reach: PARTIES,
    request: async (o) => {
      const t = await o.ticket();
      return { path: `/v1/tickets/${t.ticketId}/photos/${t.photoId}` };
    },
  },
  "POST /v1/tickets/{id}/messages": {
    roles: "signed-in",
    reach: PARTIES,
    // Staff take the ticket's conversation with their first message: the next staff member gets 409 NOT_ASSIGNED.
    request: async (o) => ({ path: `/v1/tickets/${(await o.ticket()).ticketId}/messages`, body: { text: "matrix message" } }),
  },
  "POST /v1/tickets/{id}/reopen": {
    roles: "signed-in",
    reach: CUSTOMER_A,
    request: async (o) => ({ path: `/v1/tickets/${(await o.ticket()).ticketId}/reopen`, body: { reason: "matrix" } }),
  },
  "GET /v1/admin/tickets": {
    roles: STAFF,
    request: () => ({ path: "/v1/admin/tickets?limit=100" }),
    shows: { to: STAFF_A, id: async (o) => (await o.ticket()).ticketId },
  },
  "POST /v1/admin/tickets/{id}/review": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/tickets/${(await o.ticket()).ticketId}/review` }),
  },
  "POST /v1/admin/tickets/{id}/resolve": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({
      path: `/v1/admin/tickets/${(await o.ticket()).ticketId}/resolve`,
      body: { reason: "matrix", coupon: { amount: 100 } },
    }),
  },
  "POST /v1/admin/tickets/{id}/reject": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/tickets/${(await o.ticket()).ticketId}/reject`, body: { reason: "matrix" } }),
  },
  "POST /v1/sandbox/payments/{id}/pay": {
    roles: "signed-in",
    reach: CUSTOMER_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/sandbox/payments/${(await o.payment()).paymentId}/pay`, body: { outcome: "failed" } }),
  },
  "GET /v1/orders/{id}/photos": {
    roles: "signed-in",
    reach: PARTIES,
    request: async (o) => ({ path: `/v1/orders/${(await o.review()).orderId}/photos` }),
  },
  "GET /v1/orders/{id}/photos/{photoId}": {
    roles: "signed-in",
    reach: PARTIES,
    request: async (o) => {
      const r = await o.review();
      return { path: `/v1/orders/${r.orderId}/photos/${r.visitPhotoId}` };
    },
  },
  "GET /v1/orders/{id}/changes": {
    roles: "signed-in",
    reach: PARTIES,
    request: async (o) => ({ path: `/v1/orders/${(await o.change()).orderId}/changes` }),
  },
  "POST /v1/orders/{id}/changes/{changeId}/approve": {
    roles: CUSTOMER,
    reach: ["customerA"],
    fresh: true,
    request: async (o) => {
      const c = await o.change();
      return { path: `/v1/orders/${c.orderId}/changes/${c.changeId}/approve` };
    },
  },
  "POST /v1/orders/{id}/changes/{changeId}/reject": {
    roles: CUSTOMER,
    reach: ["customerA"],
    fresh: true,
    request: async (o) => {
      const c = await o.change();
      return { path: `/v1/orders/${c.orderId}/changes/${c.changeId}/reject`, body: { reason: "no" } };
    },
  },
  "GET /v1/orders/{id}/track": {
    roles: CUSTOMER,
    reach: CUSTOMER_A,
    request: async (o) => ({ path: `/v1/orders/${await o.order()}/track` }),
  },
  "POST /v1/orders/{id}/track/ticket": {
    roles: CUSTOMER,
    reach: CUSTOMER_A,
    request: async (o) => ({ path: `/v1/orders/${await o.order()}/track/ticket` }),
  },
  // conversations: participants; operators and admins read side A's order chat only with a reason
  "GET /v1/conversations": { roles: "signed-in", request: () => ({ path: "/v1/conversations" }) },
  "POST /v1/conversations": { roles: "signed-in", request: () => ({ path: "/v1/conversations", body: { text: "你好" } }) },
  "GET /v1/orders/{id}/conversation": {
    roles: "signed-in",
    reach: ["customerA", "techA"],
    request: async (o) => ({ path: `/v1/orders/${(await o.conversation()).orderId}/conversation` }),
  },
  "GET /v1/conversations/{id}": {
    roles: "signed-in",
    // staff: with the stated reason the request carries
    reach: ["customerA", "techA", ...PLATFORM_ACTORS],
    request: async (o) => ({ path: `/v1/conversations/${(await o.conversation()).id}?reason=matrix` }),
  },
  "GET /v1/conversations/{id}/messages": {
    roles: "signed-in",
    reach: ["customerA", "techA", ...PLATFORM_ACTORS],
    request: async (o) => ({ path: `/v1/conversations/${(await o.conversation()).id}/messages?reason=matrix` }),
  },
  "POST /v1/conversations/{id}/messages": {
    roles: "signed-in",
    reach: ["customerA", "techA"],
    request: async (o) => ({ path: `/v1/conversations/${(await o.conversation()).id}/messages`, body: { text: "好的" } }),
  },
  "POST /v1/conversations/{id}/images": {
    roles: "signed-in",
    reach: ["customerA", "techA"],
    request: async (o) => ({ path: `/v1/conversations/${(await o.conversation()).id}/images`, bytes: { type: "image/jpeg", bytes: JPEG } }),
  },
  "GET /v1/conversations/{id}/messages/{messageId}/image": {
    roles: "signed-in",
    reach: ["customerA", "techA", ...PLATFORM_ACTORS],
    request: async (o) => {
      const c = await o.conversation();
      return { path: `/v1/conversations/${c.id}/messages/${c.imageId}/image?reason=matrix` };
    },
  },
  "POST /v1/conversations/{id}/read": {
    roles: "signed-in",
    reach: ["customerA", "techA"],
    request: async (o) => {
      const c = await o.conversation();
      return { path: `/v1/conversations/${c.id}/read`, body: { messageId: c.messageId } };
    },
  },
  "GET /v1/conversations/{id}/live": {
    roles: "signed-in",
    reach: ["customerA", "techA"],
    // without an upgrade: 409 UPGRADE_REQUIRED for those let in
    request: async (o) => ({ path: `/v1/conversations/${(await o.conversation()).id}/live` }),
  },
  "POST /v1/conversations/{id}/live/ticket": {
    roles: "signed-in",
    reach: ["customerA", "techA"],
    request: async (o) => ({ path: `/v1/conversations/${(await o.conversation()).id}/live/ticket` }),
  },
  "GET /v1/admin/conversations": { roles: PLATFORM, request: () => ({ path: "/v1/admin/conversations" }) },
  // without an upgrade: 409 UPGRADE_REQUIRED for those let in
  "GET /v1/admin/conversations/live": { roles: PLATFORM, request: () => ({ path: "/v1/admin/conversations/live" }) },
  "POST /v1/admin/conversations/live/ticket": { roles: PLATFORM, request: () => ({ path: "/v1/admin/conversations/live/ticket" }) },
  "POST /v1/admin/conversations/{id}/claim": {
    roles: PLATFORM,
    // the first caller takes it, the others get 409 ALREADY_CLAIMED
    request: async (o) => ({ path: `/v1/admin/conversations/${await o.supportConversation()}/claim` }),
  },
  "POST /v1/admin/conversations/{id}/handoff": {
    roles: PLATFORM,
    // not held by the caller: 409 NOT_ASSIGNED
    request: async (o) => ({
      path: `/v1/admin/conversations/${await o.supportConversation()}/handoff`,
      body: { staffId: o.m.sessions.admin.accountId },
    }),
  },
  "GET /v1/admin/conversation-flags": { roles: PLATFORM, request: () => ({ path: "/v1/admin/conversation-flags" }) },
  "GET /v1/admin/canned-answers": { roles: PLATFORM, request: () => ({ path: "/v1/admin/canned-answers" }) },
  "POST /v1/admin/canned-answers": {
    roles: PLATFORM,
    request: () => ({ path: "/v1/admin/canned-answers", body: { title: "t", body: "b" } }),
  },
  "PUT /v1/admin/canned-answers/{id}": {
    roles: PLATFORM,
    request: async (o) => ({ path: `/v1/admin/canned-answers/${await o.cannedAnswer()}`, body: { title: "t", body: "b2" } }),
  },
  "DELETE /v1/admin/canned-answers/{id}": {
    roles: PLATFORM,
    fresh: "each",
    request: async (o) => ({ path: `/v1/admin/canned-answers/${await o.cannedAnswer()}` }),
  },
  "POST /v1/orders/{id}/start-code": {
    roles: CUSTOMER,
    reach: CUSTOMER_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/orders/${await o.order()}/start-code` }),
  },
  "POST /v1/admin/orders/{id}/start-code/unlock": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    // not locked: 409 START_CODE_NOT_LOCKED for those let in
    request: async (o) => ({ path: `/v1/admin/orders/${await o.order()}/start-code/unlock`, body: { reason: "customer called" } }),
  },
  "POST /v1/orders/{id}/review": {
    roles: CUSTOMER,
    reach: ["customerA"],
    request: async (o) => ({
      path: `/v1/orders/${(await o.review()).orderId}/review`,
      body: { ratings: { quality: 4, punctuality: 4, attitude: 4, value: 4 } },
    }),
  },
  // the satisfaction survey: the order's customer only; answering changes the order's survey (fresh)
  "GET /v1/orders/{id}/survey": {
    roles: CUSTOMER,
    reach: ["customerA"],
    request: async (o) => ({ path: `/v1/orders/${(await o.review()).orderId}/survey` }),
  },
  "POST /v1/orders/{id}/survey": {
    roles: CUSTOMER,
    reach: ["customerA"],
    fresh: true,
    request: async (o) => ({ path: `/v1/orders/${(await o.review()).orderId}/survey`, body: { nps: 9, answers: [] } }),
  },
  "GET /v1/orders/{id}/review": {
    roles: "signed-in",
    reach: PARTIES,
    request: async (o) => ({ path: `/v1/orders/${(await o.review()).orderId}/review` }),
  },
  "POST /v1/orders/{id}/review/photos": {
    roles: CUSTOMER,
    reach: ["customerA"],
    request: async (o) => ({ path: `/v1/orders/${(await o.review()).orderId}/review/photos`, bytes: { type: "image/jpeg", bytes: JPEG } }),
  },
  "GET /v1/reviews/{id}/photos/{photoId}": {
    roles: "public",
    request: async (o) => {
      const r = await o.review();
      return { path: `/v1/reviews/${r.reviewId}/photos/${r.reviewPhotoId}` };
    },
  },
  "GET /v1/technicians/{id}/reviews": { roles: "public", request: (o) => ({ path: `/v1/technicians/${o.m.techA.id}/reviews` }) },
  // public profiles and choosing a technician: any signed-in account; the showcase's consent is customer A's
  "GET /v1/technicians/search": {
    roles: "signed-in",
    request: (o) => ({
      path: `/v1/technicians/search?serviceId=${o.m.w.serviceId}&lat=${o.m.w.center.lat}&lng=${o.m.w.center.lng}&date=${day(3)}`,
    }),
  },
  "GET /v1/technicians/{id}/profile": { roles: "signed-in", request: (o) => ({ path: `/v1/technicians/${o.m.techA.id}/profile` }) },
  "GET /v1/technicians/{id}/photo": {
    roles: "signed-in",
    request: async (o) => {
      await o.showcase();
      return { path: `/v1/technicians/${o.m.techA.id}/photo` };
    },
  },
  "GET /v1/technicians/{id}/cases/{caseId}/photos/{which}": {
    roles: "signed-in",
    request: async (o) => ({ path: `/v1/technicians/${o.m.techA.id}/cases/${(await o.showcase()).caseId}/photos/after` }),
  },
  "POST /v1/technician/profile/photos": {
    roles: TECH,
    request: () => ({ path: "/v1/technician/profile/photos", bytes: { type: "image/jpeg", bytes: JPEG } }),
  },
  // technician A's own completed order: 409 CASE_EXISTS once the showcase made its case, 404 for anyone else's
  "POST /v1/technician/cases": {
    roles: TECH,
    reach: ["techA"],
    request: async (o) => {
      const { orderId, beforePhotoId, afterPhotoId } = await o.showcase();
      return { path: "/v1/technician/cases", body: { orderId, beforePhotoId, afterPhotoId } };
    },
  },
  "GET /v1/technician/cases": {
    roles: TECH,
    request: () => ({ path: "/v1/technician/cases?limit=100" }),
    shows: { to: ["techA"], id: async (o) => (await o.showcase()).caseId },
  },
  "POST /v1/technician/cases/{id}/unhide": {
    roles: TECH,
    reach: ["techA"],
    request: async (o) => ({ path: `/v1/technician/cases/${(await o.showcase()).caseId}/unhide`, body: { reason: "photo replaced" } }),
  },
  "DELETE /v1/technician/cases/{id}": {
    roles: TECH,
    reach: ["techA"],
    fresh: "each",
    request: async (o) => ({ path: `/v1/technician/cases/${(await o.showcase()).caseId}` }),
  },
  "GET /v1/orders/{id}/case": {
    roles: CUSTOMER,
    reach: CUSTOMER_A,
    request: async (o) => ({ path: `/v1/orders/${(await o.showcase()).orderId}/case` }),
  },
  "PUT /v1/orders/{id}/case/consent": {
    roles: CUSTOMER,
    reach: CUSTOMER_A,
    request: async (o) => ({ path: `/v1/orders/${(await o.showcase()).orderId}/case/consent`, body: { granted: true } }),
  },
  "GET /v1/admin/technicians/{id}/profile": {
    roles: PLATFORM,
    request: (o) => ({ path: `/v1/admin/technicians/${o.m.techA.id}/profile` }),
  },
  "POST /v1/admin/technician-cases/{id}/hide": {
    roles: PLATFORM,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/technician-cases/${(await o.showcase()).caseId}/hide`, body: { reason: "shows a face" } }),
  },
  "POST /v1/admin/technician-cases/{id}/unhide": {
    roles: PLATFORM,
    request: async (o) => ({
      path: `/v1/admin/technician-cases/${(await o.showcase()).caseId}/unhide`,
      body: { reason: "hidden by mistake" },
    }),
  },
  // payment providers' callbacks: public, refused without the provider's signature (401), never 404/403
  "POST /v1/webhooks/stripe": { roles: "public", request: () => ({ path: "/v1/webhooks/stripe", body: {} }), alsoAllowed: [400, 401] },
  "POST /v1/webhooks/wechatpay": {
    roles: "public",
    request: () => ({ path: "/v1/webhooks/wechatpay", body: {} }),
    alsoAllowed: [400, 401],
  },
  "POST /v1/webhooks/alipay": { roles: "public", request: () => ({ path: "/v1/webhooks/alipay", body: {} }), alsoAllowed: [400, 401] },
  // training
  "POST /v1/training/courses": { roles: STAFF, request: () => ({ path: "/v1/training/courses", body: { title: "课程" } }) },
  "GET /v1/training/courses": {
    roles: STAFF,
    request: () => ({ path: "/v1/training/courses" }),
    shows: { to: STAFF_A, id: async (o) => (await o.trainingCourse()).courseId },
  },
  "GET /v1/training/courses/{courseId}": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({ path: `/v1/training/courses/${(await o.trainingCourse()).courseId}` }),
  },
  "PATCH /v1/training/courses/{courseId}": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({ path: `/v1/training/courses/${(await o.trainingCourse()).courseId}`, body: { description: "改" } }),
  },
  "POST /v1/training/courses/{courseId}/lessons": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({ path: `/v1/training/courses/${(await o.trainingCourse()).courseId}/lessons`, body: { title: "新课" } }),
  },
  "PATCH /v1/training/courses/{courseId}/lessons/{lessonId}": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => {
      const c = await o.trainingCourse();
      return { path: `/v1/training/courses/${c.courseId}/lessons/${c.lessonId}`, body: { body: "改" } };
    },
  },
  "PUT /v1/training/courses/{courseId}/lessons/{lessonId}/media": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => {
      const c = await o.trainingCourse();
      return { path: `/v1/training/courses/${c.courseId}/lessons/${c.lessonId}/media`, bytes: { type: "image/png", bytes: PNG } };
    },
  },
  "GET /v1/training/courses/{courseId}/lessons/{lessonId}/media": {
    roles: "signed-in",
    reach: ["techA", ...STAFF_A],
    request: async (o) => {
      const c = await o.trainingCourse();
      return { path: `/v1/training/courses/${c.courseId}/lessons/${c.lessonId}/media` };
    },
  },
  "POST /v1/training/banks": { roles: STAFF, request: () => ({ path: "/v1/training/banks", body: { title: "题库" } }) },
  "GET /v1/training/banks": {
    roles: STAFF,
    request: () => ({ path: "/v1/training/banks" }),
    shows: { to: STAFF_A, id: async (o) => (await o.trainingBank()).bankId },
  },
  "GET /v1/training/banks/{bankId}": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({ path: `/v1/training/banks/${(await o.trainingBank()).bankId}` }),
  },
  "POST /v1/training/banks/{bankId}/questions": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({
      path: `/v1/training/banks/${(await o.trainingBank()).bankId}/questions`,
      body: { kind: "true_false", prompt: "对吗", correct: [0] },
    }),
  },
  "DELETE /v1/training/banks/{bankId}/questions/{questionId}": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: "each",
    request: async (o) => {
      const b = await o.trainingBank();
      return { path: `/v1/training/banks/${b.bankId}/questions/${b.questionId}` };
    },
  },
  "POST /v1/training/exams": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({
      path: "/v1/training/exams",
      body: {
        title: "考试",
        bankId: (await o.trainingBank()).bankId,
        drawCount: 1,
        passPercent: 60,
        timeLimitSeconds: 60,
        maxAttempts: 1,
        validDays: 1,
      },
    }),
  },
  "GET /v1/training/exams": {
    roles: STAFF,
    request: () => ({ path: "/v1/training/exams" }),
    shows: { to: STAFF_A, id: (o) => o.trainingExam() },
  },
  "PATCH /v1/training/exams/{examId}": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({ path: `/v1/training/exams/${await o.trainingExam()}`, body: { validDays: 60 } }),
  },
  "GET /v1/training/overview": { roles: STAFF, request: () => ({ path: "/v1/training/overview" }) },
  "GET /v1/training/skill-requirements": { roles: STAFF, request: () => ({ path: "/v1/training/skill-requirements" }) },
  "PUT /v1/admin/training/skill-requirements/{code}": {
    roles: PLATFORM,
    // not required: the matrix world's dispatch stays as it is
    request: (o) => ({ path: `/v1/admin/training/skill-requirements/${o.m.w.otherSkill}`, body: { required: false } }),
  },
  "GET /v1/technician/training/courses": {
    roles: TECH,
    request: () => ({ path: "/v1/technician/training/courses" }),
    shows: { to: ["techA"], id: async (o) => (await o.trainingCourse()).courseId },
  },
  "GET /v1/technician/training/courses/{courseId}": {
    roles: TECH,
    reach: ["techA"],
    request: async (o) => ({ path: `/v1/technician/training/courses/${(await o.trainingCourse()).courseId}` }),
  },
  "PUT /v1/technician/training/courses/{courseId}/enrollment": {
    roles: TECH,
    reach: ["techA"],
    request: async (o) => ({ path: `/v1/technician/training/courses/${(await o.trainingCourse()).courseId}/enrollment` }),
  },
  "PUT /v1/technician/training/courses/{courseId}/lessons/{lessonId}/completion": {
    roles: TECH,
    reach: ["techA"],
    request: async (o) => {
      const c = await o.trainingCourse();
      return { path: `/v1/technician/training/courses/${c.courseId}/lessons/${c.lessonId}/completion` };
    },
  },
  "GET /v1/technician/training/exams": {
    roles: TECH,
    request: () => ({ path: "/v1/technician/training/exams" }),
    shows: { to: ["techA"], id: (o) => o.trainingExam() },
  },
  "POST /v1/technician/training/exams/{examId}/attempts": {
    roles: TECH,
    reach: ["techA"],
    fresh: true,
    request: async (o) => ({ path: `/v1/technician/training/exams/${await o.trainingExam()}/attempts` }),
  },
  "POST /v1/technician/training/attempts/{attemptId}/submission": {
    roles: TECH,
    reach: ["techA"],
    fresh: true,
    request: async (o) => {
      const a = await o.trainingAttempt();
      return {
        path: `/v1/technician/training/attempts/${a.id}/submission`,
        body: { answers: Object.fromEntries(a.questionIds.map((id) => [id, [1]])) },
      };
    },
  },
  "GET /v1/technician/training/certifications": { roles: TECH, request: () => ({ path: "/v1/technician/training/certifications" }) },
  // operations
  "GET /v1/admin/orders": {
    roles: STAFF,
    request: () => ({ path: "/v1/admin/orders?limit=100" }),
    shows: { to: STAFF_A, id: (o) => o.order() },
  },
  "GET /v1/admin/orders/{id}": { roles: STAFF, reach: STAFF_A, request: async (o) => ({ path: `/v1/admin/orders/${await o.order()}` }) },
  "GET /v1/admin/orders/{id}/dispatch": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({ path: `/v1/admin/orders/${await o.order()}/dispatch` }),
  },
  "GET /v1/admin/orders/{id}/candidates": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({ path: `/v1/admin/orders/${await o.order()}/candidates` }),
  },
  "POST /v1/admin/orders/{id}/assign": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/orders/${await o.order()}/assign`, body: { technicianId: o.m.techA.id } }),
  },
  // the live map's per-cell socket and search (src/operations): a merchant_admin's socket and results carry only its own
  "GET /v1/admin/cells/{cell}/live": { roles: STAFF, request: (o) => ({ path: `/v1/admin/cells/${o.m.techA.homeCell}/live` }) },
  "POST /v1/admin/cells/{cell}/live/ticket": {
    roles: STAFF,
    request: (o) => ({ path: `/v1/admin/cells/${o.m.techA.homeCell}/live/ticket` }),
  },
  "GET /v1/admin/search": { roles: STAFF, request: () => ({ path: "/v1/admin/search?q=ord_none" }) },
  // the dispatcher's board (src/board): a merchant_admin sees and moves only its own
  "GET /v1/admin/board": { roles: STAFF, request: (o) => ({ path: `/v1/admin/board?cellId=${o.m.techA.homeCell}&date=${day(1)}` }) },
  "POST /v1/admin/cells/{cellId}/moves": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => {
      const id = await o.order();
      const order = await call("GET", `/v1/admin/orders/${id}`, { token: o.m.sessions.admin.token });
      return {
        path: `/v1/admin/cells/${o.m.techA.homeCell}/moves`,
        body: { moves: [{ orderId: id, technicianId: o.m.techA.id, start: order.body.start, end: order.body.end }] },
      };
    },
  },
  // multi-moves the repair cannot settle (src/board/move-repair.service.ts): the platform's staff only
  "GET /v1/admin/cells/{cellId}/stuck-moves": {
    roles: PLATFORM,
    request: (o) => ({ path: `/v1/admin/cells/${o.m.techA.homeCell}/stuck-moves` }),
  },
  // team route plans (src/route-plans): a merchant_admin plans and sees only its own team's
  // (a cell is no one's object: another merchant's staff plan their own team there)
  "POST /v1/admin/route-plans": {
    roles: STAFF,
    fresh: true,
    request: (o) => ({ path: "/v1/admin/route-plans", body: { cellId: o.m.techA.homeCell, date: day(1) } }),
  },
  "GET /v1/admin/route-plans": {
    roles: STAFF,
    request: (o) => ({ path: `/v1/admin/route-plans?cellId=${o.m.techA.homeCell}&date=${day(1)}` }),
  },
  "GET /v1/admin/route-plans/{id}": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({ path: `/v1/admin/route-plans/${await routePlanOf(o)}` }),
  },
  "POST /v1/admin/route-plans/{id}/accept": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/route-plans/${await routePlanOf(o)}/accept` }),
  },
  "POST /v1/admin/route-plans/{id}/ask": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/route-plans/${await routePlanOf(o)}/ask` }),
  },
  "GET /v1/admin/route-plans/{id}/asks": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({ path: `/v1/admin/route-plans/${await routePlanOf(o)}/asks` }),
  },
  "POST /v1/admin/route-plans/{id}/asks/{groupId}/withdraw": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => {
      const g = await askedGroupOf(o);
      return { path: `/v1/admin/route-plans/${g.planId}/asks/${g.groupId}/withdraw` };
    },
  },
  // time proposals asked of a customer (src/route-plans/asking.service.ts): only their own
  "GET /v1/me/time-proposals": {
    roles: CUSTOMER,
    request: () => ({ path: "/v1/me/time-proposals" }),
    shows: { to: CUSTOMER_A, id: (o) => timeProposalOf(o) },
  },
  "POST /v1/me/time-proposals/{id}/approve": {
    roles: CUSTOMER,
    reach: ["customerA"],
    fresh: true,
    request: async (o) => ({ path: `/v1/me/time-proposals/${await timeProposalOf(o)}/approve` }),
  },
  "POST /v1/me/time-proposals/{id}/decline": {
    roles: CUSTOMER,
    reach: ["customerA"],
    fresh: true,
    request: async (o) => ({ path: `/v1/me/time-proposals/${await timeProposalOf(o)}/decline` }),
  },
  "POST /v1/admin/route-plans/{id}/discard": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/route-plans/${await routePlanOf(o)}/discard` }),
  },
  "POST /v1/admin/orders/{id}/cancel": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/orders/${await o.order()}/cancel`, body: { reason: "no show" } }),
  },
  "POST /v1/admin/orders/{id}/contact": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({ path: `/v1/admin/orders/${await o.order()}/contact`, body: { reason: "technician cannot find the door" } }),
  },
  "POST /v1/admin/orders/{id}/refunds": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({ path: `/v1/admin/orders/${(await o.refund()).orderId}/refunds`, body: { amount: 1, reason: "goodwill" } }),
  },
  "GET /v1/admin/refunds": {
    roles: STAFF,
    request: () => ({ path: "/v1/admin/refunds?limit=100" }),
    shows: { to: STAFF_A, id: async (o) => (await o.refund()).refundId },
  },
  "POST /v1/admin/refunds/{id}/approve": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/refunds/${(await o.refund()).refundId}/approve`, body: {} }),
  },
  "POST /v1/admin/refunds/{id}/reject": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/refunds/${(await o.refund()).refundId}/reject`, body: { reason: "no" } }),
  },
  "GET /v1/admin/withdrawals": {
    roles: STAFF,
    request: () => ({ path: "/v1/admin/withdrawals?limit=100" }),
    shows: { to: STAFF_A, id: (o) => o.withdrawal() },
  },
  // decided by the platform only (separation of duties): a merchant_admin gets 403
  "POST /v1/admin/withdrawals/{id}/approve": {
    roles: PLATFORM,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/withdrawals/${await o.withdrawal()}/approve` }),
  },
  "POST /v1/admin/withdrawals/{id}/reject": {
    roles: PLATFORM,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/withdrawals/${await o.withdrawal()}/reject`, body: { reason: "no" } }),
  },
  // waived by the platform only (it bears the amount): a merchant_admin gets 403
  "POST /v1/admin/orders/{id}/due/waive": {
    roles: PLATFORM,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/orders/${await o.unpaidOrder()}/due/waive`, body: { reason: "matrix waiver" } }),
  },
  "GET /v1/admin/reviews": {
    roles: STAFF,
    request: () => ({ path: "/v1/admin/reviews?limit=100" }),
    shows: { to: STAFF_A, id: async (o) => (await o.review()).reviewId },
  },
  "POST /v1/admin/reviews/{id}/hide": {
    roles: PLATFORM,
    request: async (o) => ({ path: `/v1/admin/reviews/${(await o.review()).reviewId}/hide`, body: { reason: "abusive" } }),
  },
  "POST /v1/admin/reviews/{id}/unhide": {
    roles: PLATFORM,
    request: async (o) => ({ path: `/v1/admin/reviews/${(await o.review()).reviewId}/unhide`, body: { reason: "hidden by mistake" } }),
  },
  "POST /v1/admin/coupons": {
    roles: PLATFORM,
    request: () => ({
      path: "/v1/admin/coupons",
      body: { code: `MX${Math.random().toString(36).slice(2, 10)}`, name: "C", kind: "fixed", value: 100, startsAt: iso(), endsAt: iso(1) },
    }),
  },
  "GET /v1/admin/coupons": { roles: PLATFORM, request: () => ({ path: "/v1/admin/coupons" }) },
  "GET /v1/admin/coupons/{id}": { roles: PLATFORM, request: async (o) => ({ path: `/v1/admin/coupons/${await o.coupon()}` }) },
  "PATCH /v1/admin/coupons/{id}": {
    roles: PLATFORM,
    request: async (o) => ({ path: `/v1/admin/coupons/${await o.coupon()}`, body: { name: "Renamed" } }),
  },
  // the coupon wallet, campaigns, referrals, share links
  "GET /v1/me/coupons": { roles: "signed-in", request: () => ({ path: "/v1/me/coupons" }) },
  "POST /v1/admin/accounts/{id}/coupons": {
    roles: PLATFORM,
    request: (o) => ({
      path: `/v1/admin/accounts/${o.m.customerA.session.accountId}/coupons`,
      body: { name: "补偿", kind: "fixed", value: 100, validDays: 7 },
    }),
  },
  "GET /v1/admin/accounts/{id}/coupons": {
    roles: PLATFORM,
    request: (o) => ({ path: `/v1/admin/accounts/${o.m.customerA.session.accountId}/coupons` }),
  },
  "PUT /v1/admin/merchants/{id}/campaign-limits": {
    roles: PLATFORM,
    request: (o) => ({
      path: `/v1/admin/merchants/${o.m.merchantA}/campaign-limits`,
      body: { maxBudget: 100_000, maxValue: 2000, maxPercent: 20 },
    }),
  },
  "POST /v1/campaigns": {
    roles: STAFF,
    request: () => ({
      path: "/v1/campaigns",
      body: {
        kind: "new_customer",
        name: { zh: "新客", en: "New" },
        couponKind: "fixed",
        value: 100,
        budget: 1000,
        startsAt: iso(-1),
        endsAt: iso(30),
      },
    }),
  },
  "GET /v1/campaigns": {
    roles: STAFF,
    request: () => ({ path: "/v1/campaigns?limit=100" }),
    shows: { to: STAFF_A, id: (o) => campaignOfA(o) },
  },
  "PATCH /v1/campaigns/{id}": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({ path: `/v1/campaigns/${await campaignOfA(o)}`, body: { name: { zh: "改名", en: "Renamed" } } }),
  },
  "POST /v1/campaigns/{id}/issue": {
    roles: PLATFORM,
    request: async (o) => ({
      path: `/v1/campaigns/${await campaignOfA(o)}/issue`,
      body: { accountIds: [o.m.customerA.session.accountId] },
    }),
  },
  "PUT /v1/me/birthday": { roles: "signed-in", request: () => ({ path: "/v1/me/birthday", body: { monthDay: "05-17" } }) },
  "GET /v1/me/referral": { roles: "signed-in", request: () => ({ path: "/v1/me/referral" }) },
  "POST /v1/me/referral/accept": {
    roles: "signed-in",
    request: async (o) => ({
      path: "/v1/me/referral/accept",
      body: { code: (await call("GET", "/v1/me/referral", { token: o.m.customerA.session.token })).body.code },
    }),
  },
  "POST /v1/share-links": {
    roles: "signed-in",
    request: (o) => ({ path: "/v1/share-links", body: { type: "service", id: o.m.w.serviceId } }),
  },
  "GET /v1/share-links/{token}": { roles: "public", request: async (o) => ({ path: `/v1/share-links/${await shareLinkOfA(o)}` }) },
  "GET /s/{token}": { roles: "public", request: async (o) => ({ path: `/s/${await shareLinkOfA(o)}` }) },
  "GET /s/{token}/image": { roles: "public", request: async (o) => ({ path: `/s/${await shareLinkOfA(o)}/image` }) },
  "POST /v1/orders/{id}/reorder": {
    roles: "signed-in",
    reach: CUSTOMER_A,
    request: async (o) => ({
      path: `/v1/orders/${(await o.visit("completed")).id}/reorder`,
      body: { start: `${new Date(Date.now() + 29 * 86_400_000).toISOString().slice(0, 10)}T20:00:00+08:00`, paymentPlan: "after_service" },
    }),
  },
  // packages and membership (src/membership): side A's plan is merchant A's, side A's package customer A's
  "GET /v1/package-plans": { roles: "signed-in", request: () => ({ path: "/v1/package-plans" }) },
  "POST /v1/me/packages": { roles: CUSTOMER, request: async (o) => ({ path: "/v1/me/packages", body: { planId: await o.packagePlan() } }) },
  "GET /v1/me/packages": {
    roles: CUSTOMER,
    request: () => ({ path: "/v1/me/packages" }),
    shows: { to: ["customerA"], id: (o) => o.customerPackage() },
  },
  "GET /v1/me/packages/{id}": {
    roles: CUSTOMER,
    reach: ["customerA"],
    request: async (o) => ({ path: `/v1/me/packages/${await o.customerPackage()}` }),
  },
  "POST /v1/me/packages/{id}/payments": {
    roles: CUSTOMER,
    reach: ["customerA"],
    request: async (o) => ({ path: `/v1/me/packages/${await o.customerPackage()}/payments`, body: { provider: "sandbox" } }),
  },
  "GET /v1/me/membership": { roles: CUSTOMER, request: () => ({ path: "/v1/me/membership" }) },
  "POST /v1/admin/package-plans": {
    roles: STAFF,
    reach: STAFF_A,
    request: (o) => ({
      path: "/v1/admin/package-plans",
      body: {
        serviceId: o.m.w.serviceId,
        kind: "credit",
        units: 100_000,
        price: 90_000,
        validDays: 365,
        nameZh: "储值卡",
        nameEn: "Credit",
      },
    }),
  },
  "GET /v1/admin/package-plans": {
    roles: STAFF,
    request: () => ({ path: "/v1/admin/package-plans" }),
    shows: { to: STAFF_A, id: (o) => o.packagePlan() },
  },
  "PATCH /v1/admin/package-plans/{id}": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({ path: `/v1/admin/package-plans/${await o.packagePlan()}`, body: { nameEn: "Five visits" } }),
  },
  "GET /v1/admin/packages": {
    roles: STAFF,
    request: () => ({ path: "/v1/admin/packages" }),
    shows: { to: STAFF_A, id: (o) => o.customerPackage() },
  },
  "GET /v1/admin/packages/{id}": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({ path: `/v1/admin/packages/${await o.customerPackage()}` }),
  },
  "POST /v1/admin/packages/{id}/payment": {
    roles: PLATFORM,
    fresh: true,
    request: async (o) => ({
      path: `/v1/admin/packages/${await o.customerPackage()}/payment`,
      body: { provider: "cash", reference: "M-1" },
    }),
  },
  "POST /v1/admin/packages/{id}/refund": {
    roles: PLATFORM,
    request: async (o) => ({ path: `/v1/admin/packages/${await o.customerPackage()}/refund`, body: { reason: "matrix" } }),
  },
  "GET /v1/admin/membership/settings": { roles: PLATFORM, request: () => ({ path: "/v1/admin/membership/settings" }) },
  "PUT /v1/admin/membership/settings": {
    roles: PLATFORM,
    request: () => ({ path: "/v1/admin/membership/settings", body: DEFAULT_MEMBERSHIP }),
  },
  "PUT /v1/admin/membership/merchant-rates/{id}": {
    roles: PLATFORM,
    request: (o) => ({ path: `/v1/admin/membership/merchant-rates/${o.m.merchantA}`, body: { earnPerYuan: null } }),
  },
  // outbound webhooks: merchant A's subscription and delivery reach merchant A's admin and the platform only
  "POST /v1/admin/webhook-subscriptions": {
    roles: STAFF,
    request: () => ({ path: "/v1/admin/webhook-subscriptions", body: { url: "https://hooks.matrix.test/new", events: ["order.created"] } }),
  },
  "GET /v1/admin/webhook-subscriptions": {
    roles: STAFF,
    request: () => ({ path: "/v1/admin/webhook-subscriptions?limit=100" }),
    shows: { to: STAFF_A, id: (o) => o.webhook() },
  },
  "GET /v1/admin/webhook-subscriptions/{id}": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({ path: `/v1/admin/webhook-subscriptions/${await o.webhook()}` }),
  },
  "PATCH /v1/admin/webhook-subscriptions/{id}": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/webhook-subscriptions/${await o.webhook()}`, body: { description: "Renamed" } }),
  },
  "DELETE /v1/admin/webhook-subscriptions/{id}": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: "each",
    request: async (o) => ({ path: `/v1/admin/webhook-subscriptions/${await o.webhook()}` }),
  },
  "POST /v1/admin/webhook-subscriptions/{id}/rotate-secret": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/webhook-subscriptions/${await o.webhook()}/rotate-secret`, body: { overlapSeconds: 60 } }),
  },
  "POST /v1/admin/webhook-subscriptions/{id}/replay": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/webhook-subscriptions/${await o.webhook()}/replay`, body: { since: iso(-1) } }),
  },
  "GET /v1/admin/webhook-deliveries": {
    roles: STAFF,
    request: () => ({ path: "/v1/admin/webhook-deliveries?limit=100" }),
    shows: { to: STAFF_A, id: (o) => o.webhookDelivery() },
  },
  "GET /v1/admin/webhook-deliveries/{id}": {
    roles: STAFF,
    reach: STAFF_A,
    request: async (o) => ({ path: `/v1/admin/webhook-deliveries/${await o.webhookDelivery()}` }),
  },
  "POST /v1/admin/webhook-deliveries/{id}/replay": {
    roles: STAFF,
    reach: STAFF_A,
    fresh: true,
    request: async (o) => ({ path: `/v1/admin/webhook-deliveries/${await o.webhookDelivery()}/replay` }),
  },
  "GET /v1/admin/notifications/dead-letters": { roles: PLATFORM, request: () => ({ path: "/v1/admin/notifications/dead-letters" }) },
  "GET /v1/admin/metrics": { roles: PLATFORM, request: (o) => ({ path: `/v1/admin/metrics?cityId=${o.m.w.cityId}&hours=6` }) },
  "POST /v1/admin/notifications/dead-letters/{id}/replay": {
    roles: PLATFORM,
    request: async (o) => ({ path: `/v1/admin/notifications/dead-letters/${await o.deadLetter()}/replay` }),
  },
  "GET /v1/admin/audit": { roles: ["admin"], request: () => ({ path: "/v1/admin/audit" }) },
  "GET /v1/admin/cities/{id}/live": {
    roles: STAFF,
    request: (o) => ({ path: `/v1/admin/cities/${o.m.w.cityId}/live` }),
    shows: { to: STAFF_A, id: (o) => o.m.techA.id },
  },
  "GET /v1/admin/settings/dispatch": { roles: STAFF, request: () => ({ path: "/v1/admin/settings/dispatch" }) },
  "GET /v1/admin/surge": { roles: PLATFORM, request: (o) => ({ path: `/v1/admin/surge?cityId=${o.m.w.cityId}` }) },
  "GET /v1/admin/cities/{id}/surge-settings": {
    roles: PLATFORM,
    request: (o) => ({ path: `/v1/admin/cities/${o.m.w.cityId}/surge-settings` }),
  },
  "PUT /v1/admin/cities/{id}/surge-settings": {
    roles: PLATFORM,
    request: (o) => ({
      path: `/v1/admin/cities/${o.m.w.cityId}/surge-settings`,
      body: { pricing: { enabled: false, percent: 0, maxAmount: 0 } },
    }),
  },
  // a city is no one's object: a merchant admin gets its own technicians' suggestions there
  "GET /v1/admin/cities/{id}/prepositions": {
    roles: STAFF,
    request: (o) => ({ path: `/v1/admin/cities/${o.m.w.cityId}/prepositions?hours=2` }),
  },
  "GET /v1/admin/reports/forecast-accuracy": {
    roles: PLATFORM,
    request: (o) => ({ path: `/v1/admin/reports/forecast-accuracy?city=${o.m.w.cityId}&weeks=1` }),
  },
  "PUT /v1/admin/settings/dispatch/weights": {
    roles: PLATFORM,
    request: () => ({
      path: "/v1/admin/settings/dispatch/weights",
      body: { travel: 0.35, rating: 0.2, load: 0.15, fairness: 0.1, acceptance: 0.1, favourite: 0.1 },
    }),
  },
  "DELETE /v1/admin/settings/dispatch/weights": { roles: PLATFORM, request: () => ({ path: "/v1/admin/settings/dispatch/weights" }) },
  // a cell's calendar and presence: every merchant's technicians, so the platform only
  "GET /v1/admin/cells/{cell}/export": { roles: PLATFORM, request: (o) => ({ path: `/v1/admin/cells/${o.m.w.cells[0]}/export` }) },
  // D1 backups: the whole database, so the platform only
  "GET /v1/admin/backups": { roles: PLATFORM, request: () => ({ path: "/v1/admin/backups" }) },
  "GET /v1/admin/backups/{date}/download": {
    roles: PLATFORM,
    request: async () => ({ path: `/v1/admin/backups/${await completeBackupFixture()}/download` }),
  },
  // personal data (src/privacy): each person's own consents and requests; staff screens for the platform only
  "GET /v1/me/consents": { roles: "signed-in", request: () => ({ path: "/v1/me/consents" }) },
  "PUT /v1/me/consents/{purpose}": {
    roles: "signed-in",
    request: () => ({ path: "/v1/me/consents/contact_sharing", body: { granted: true, policyVersion: POLICY } }),
  },
  "POST /v1/me/data-exports": {
    roles: "signed-in",
    token: (o, actor) => o.standIn(actor),
    request: () => ({ path: "/v1/me/data-exports" }),
  },
  "GET /v1/me/data-requests/{id}": {
    roles: "signed-in",
    reach: CUSTOMER_A,
    request: async (o) => ({ path: `/v1/me/data-requests/${await exportOf(o.m.customerA.session.token)}` }),
  },
  // the signed link is the credential: a fresh export for every caller (a link downloads once)
  "GET /v1/data-exports/download": { roles: "public", request: async () => ({ path: await freshExportLink() }) },
  "POST /v1/me/deletion": { roles: "signed-in", token: (o, actor) => o.standIn(actor), request: () => ({ path: "/v1/me/deletion" }) },
  "GET /v1/me/deletion": { roles: "signed-in", token: withWaitingDeletion, request: () => ({ path: "/v1/me/deletion" }) },
  "DELETE /v1/me/deletion": { roles: "signed-in", token: withWaitingDeletion, request: () => ({ path: "/v1/me/deletion" }) },
  "GET /v1/admin/data-requests": { roles: PLATFORM, request: () => ({ path: "/v1/admin/data-requests" }) },
  "GET /v1/admin/data-requests/{id}": {
    roles: PLATFORM,
    request: async () => ({ path: `/v1/admin/data-requests/${await freshDeletionId()}` }),
  },
  "POST /v1/admin/data-requests/{id}/cancel": {
    roles: PLATFORM,
    request: async () => ({ path: `/v1/admin/data-requests/${await freshDeletionId()}/cancel`, body: { reason: "matrix" } }),
  },
  "GET /v1/admin/privacy/retention": { roles: PLATFORM, request: () => ({ path: "/v1/admin/privacy/retention" }) },
  // money reports
  "GET /v1/admin/reports/reconciliation": { roles: PLATFORM, request: () => ({ path: `/v1/admin/reports/reconciliation?date=${day()}` }) },
  "POST /v1/admin/payments/reconcile": { roles: PLATFORM, request: () => ({ path: "/v1/admin/payments/reconcile" }) },
  "GET /v1/admin/statements": { roles: PLATFORM, request: () => ({ path: `/v1/admin/statements?date=${day(-1)}` }) },
  "POST /v1/admin/statements/run": {
    roles: PLATFORM,
    request: () => ({ path: "/v1/admin/statements/run", body: { date: day(-1), provider: "sandbox" } }),
  },
  "GET /v1/admin/reports/revenue": { roles: STAFF, request: () => ({ path: `/v1/admin/reports/revenue?${reportQuery()}` }) },
  "GET /v1/admin/ledger/transactions": {
    roles: STAFF,
    request: async (o) => ({ path: `/v1/admin/ledger/transactions?orderId=${(await o.refund()).orderId}` }),
    shows: { to: STAFF_A, id: async (o) => `technician_payable:${o.m.techA.id}` },
  },
  "GET /v1/admin/ledger/accounts": { roles: STAFF, request: () => ({ path: "/v1/admin/ledger/accounts" }) },
  "GET /v1/admin/ledger/export.csv": { roles: STAFF, request: () => ({ path: `/v1/admin/ledger/export.csv?${reportQuery()}` }) },
  "GET /v1/admin/commission-rules": { roles: PLATFORM, request: () => ({ path: "/v1/admin/commission-rules" }) },
  "PUT /v1/admin/commission-rules": {
    roles: PLATFORM,
    request: (o) => ({
      path: "/v1/admin/commission-rules",
      body: { scope: `service:${o.m.serviceB}`, takeRateBps: 2000, technicianShareBps: null },
    }),
  },
  // satisfaction survey questions and reports; growth reports
  "GET /v1/admin/survey-questions": { roles: PLATFORM, request: () => ({ path: "/v1/admin/survey-questions" }) },
  "POST /v1/admin/survey-questions": {
    roles: PLATFORM,
    request: () => ({
      path: "/v1/admin/survey-questions",
      body: { kind: "rating", prompt: { zh: "准时吗？", en: "On time?" }, position: 999 },
    }),
  },
  "PATCH /v1/admin/survey-questions/{id}": {
    roles: PLATFORM,
    request: async (o) => ({ path: `/v1/admin/survey-questions/${await surveyQuestion(o)}`, body: { position: 998 } }),
  },
  "GET /v1/admin/reports/survey": {
    roles: STAFF,
    request: (o) => ({ path: `/v1/admin/reports/survey?city=${o.m.w.cityId}&${reportDays()}` }),
  },
  "GET /v1/admin/reports/survey-answers": { roles: STAFF, request: () => ({ path: `/v1/admin/reports/survey-answers?${reportDays()}` }) },
  "GET /v1/admin/reports/customer-growth": {
    roles: STAFF,
    request: (o) => ({ path: `/v1/admin/reports/customer-growth?city=${o.m.w.cityId}&${reportDays()}&period=week` }),
  },
  "GET /v1/admin/reports/cohorts": { roles: STAFF, request: () => ({ path: `/v1/admin/reports/cohorts?${reportDays()}` }) },
  "GET /v1/admin/reports/revenue-lines": { roles: STAFF, request: () => ({ path: `/v1/admin/reports/revenue-lines?${reportDays()}` }) },
  "GET /v1/admin/reports/campaign-return": { roles: STAFF, request: () => ({ path: `/v1/admin/reports/campaign-return?${reportDays()}` }) },
  // operations reports
  "GET /v1/admin/reports/orders-by-hour": {
    roles: STAFF,
    request: (o) => ({ path: `/v1/admin/reports/orders-by-hour?city=${o.m.w.cityId}&${reportDays()}` }),
  },
  "GET /v1/admin/reports/hot-cells": {
    roles: STAFF,
    request: (o) => ({ path: `/v1/admin/reports/hot-cells?city=${o.m.w.cityId}&${reportDays()}` }),
  },
  "GET /v1/admin/reports/sales": {
    roles: STAFF,
    request: (o) => ({ path: `/v1/admin/reports/sales?city=${o.m.w.cityId}&${reportDays()}` }),
  },
  "GET /v1/admin/reports/accept-time": {
    roles: STAFF,
    request: (o) => ({ path: `/v1/admin/reports/accept-time?city=${o.m.w.cityId}&${reportDays()}` }),
  },
  "GET /v1/admin/reports/rates": {
    roles: STAFF,
    request: (o) => ({ path: `/v1/admin/reports/rates?city=${o.m.w.cityId}&${reportDays()}` }),
  },
  "GET /v1/admin/reports/utilisation": {
    roles: STAFF,
    request: (o) => ({ path: `/v1/admin/reports/utilisation?city=${o.m.w.cityId}&${reportDays()}` }),
  },
};
