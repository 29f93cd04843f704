/**
 * What each area holds about one person, for their data export: only rows that are theirs, personal
 * data decrypted for them (they own it), never another person's data (a technician's export names
 * the orders they served, not the customers' addresses or phones).
 */
import { getDb } from "../db/client";
import { exactPoint, technicianHome } from "../lib/coordinates";
import { Pii } from "../lib/pii";
import { rowsWhere } from "./privacy.repo";

/** Whose export is being built. */
export interface ExportSubject {
  accountId: string;
  /** The technician profile of the account, when it has one. */
  technicianId: string | null;
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
const json = (v: unknown) => (typeof v === "string" ? (JSON.parse(v) as unknown) : v);

type Row = Record<string, unknown>;

export async function accountPart(env: Env, s: ExportSubject) {
  const pii = await Pii.fromEnv(env);
  const [a] = await rowsWhere<Row>(
    getDb(env),
    "SELECT id, phone_enc, name, roles, status, created_at, updated_at FROM accounts WHERE id = ?",
    s.accountId,
  );
  if (!a) return null;
  const wechat = await rowsWhere<Row>(
    getDb(env),
    "SELECT appid, openid, unionid, lang, created_at FROM wechat_bindings WHERE account_id = ?",
    s.accountId,
  );
  return {
    id: a.id,
    phone: await pii.decrypt("phone", a.phone_enc as string),
    name: a.name,
    roles: json(a.roles),
    status: a.status,
    createdAt: iso(a.created_at as number),
    updatedAt: iso(a.updated_at as number),
    wechat: wechat.map((w) => ({
      appid: w.appid,
      openid: w.openid,
      unionid: w.unionid,
      lang: w.lang,
      createdAt: iso(w.created_at as number),
    })),
  };
}

export async function consentsPart(env: Env, s: ExportSubject) {
  const rows = await rowsWhere<Row>(
    getDb(env),
    "SELECT purpose, granted, policy_version, client, at FROM consent_events WHERE account_id = ? ORDER BY seq",
    s.accountId,
  );
  return rows.map((r) => ({
    purpose: r.purpose,
    granted: r.granted === 1,
    policyVersion: r.policy_version,
    client: r.client,
    at: iso(r.at as number),
  }));
}

export async function addressesPart(env: Env, s: ExportSubject) {
  const pii = await Pii.fromEnv(env);
  const rows = await rowsWhere<Row>(getDb(env), "SELECT * FROM addresses WHERE account_id = ? ORDER BY created_at", s.accountId);
  return Promise.all(
    rows.map(async (r) => {
      const point = await exactPoint(pii, "addresses", {
        id: r.id as string,
        coordsEnc: r.coords_enc as string | null,
        areaLat: r.area_lat as number | null,
        areaLng: r.area_lng as number | null,
        lat: r.lat as number,
        lng: r.lng as number,
      });
      return {
        id: r.id,
        label: r.label,
        text: await pii.decrypt("address", r.text_enc as string),
        contactName: await pii.decrypt("contact_name", r.contact_name_enc as string),
        contactPhone: await pii.decrypt("phone", r.contact_phone_enc as string),
        lat: point.lat,
        lng: point.lng,
        deleted: r.deleted_at !== null,
        createdAt: iso(r.created_at as number),
      };
    }),
  );
}

/** The orders the person booked, with the address as booked (theirs) and the timeline. */
export async function ordersPart(env: Env, s: ExportSubject) {
  const pii = await Pii.fromEnv(env);
  const db = getDb(env);
  const rows = await rowsWhere<Row>(
    db,
    "SELECT id, service_id, status, start_at, end_at, total, currency, lines, payment_plan, address_enc, notes, cancel_reason, created_at FROM orders WHERE customer_id = ? ORDER BY created_at",
    s.accountId,
  );
  return Promise.all(
    rows.map(async (o) => {
      const events = await rowsWhere<Row>(
        db,
        "SELECT at, from_status, to_status, reason FROM order_events WHERE order_id = ? ORDER BY at",
        o.id,
      );
      return {
        id: o.id,
        serviceId: o.service_id,
        status: o.status,
        start: iso(o.start_at as number),
        end: iso(o.end_at as number),
        total: o.total,
        currency: o.currency,
        lines: json(o.lines),
        paymentPlan: o.payment_plan,
        address: json(await pii.decrypt("order_address", o.address_enc as string)),
        notes: o.notes,
        cancelReason: o.cancel_reason,
        createdAt: iso(o.created_at as number),
        timeline: events.map((e) => ({ at: iso(e.at as number), from: e.from_status, to: e.to_status, reason: e.reason })),
      };
    }),
  );
}

export async function reviewsPart(env: Env, s: ExportSubject) {
  const rows = await rowsWhere<Row>(
    getDb(env),
    "SELECT id, order_id, technician_id, ratings, text, photo_ids, created_at FROM reviews WHERE customer_id = ? ORDER BY created_at",
    s.accountId,
  );
  return rows.map((r) => ({
    id: r.id,
    orderId: r.order_id,
    technicianId: r.technician_id,
    ratings: json(r.ratings),
    text: r.text,
    photoIds: json(r.photo_ids),
    createdAt: iso(r.created_at as number),
  }));
}

/** The satisfaction surveys the customer answered (src/surveys). */
export async function surveysPart(env: Env, s: ExportSubject) {
  const rows = await rowsWhere<Row>(
    getDb(env),
    "SELECT id, order_id, nps, answers, created_at FROM survey_responses WHERE customer_id = ? ORDER BY created_at",
    s.accountId,
  );
  return rows.map((r) => ({ id: r.id, orderId: r.order_id, nps: r.nps, answers: json(r.answers), createdAt: iso(r.created_at as number) }));
}

export async function paymentsPart(env: Env, s: ExportSubject) {
  const db = getDb(env);
  const [payments, refunds] = await Promise.all([
    rowsWhere<Row>(
      db,
      "SELECT id, order_id, provider, stage, amount, currency, status, succeeded_at, created_at FROM payments WHERE customer_id = ? ORDER BY created_at",
      s.accountId,
    ),
    rowsWhere<Row>(
      db,
      "SELECT id, order_id, payment_id, kind, amount, currency, status, reason, succeeded_at, created_at FROM refunds WHERE customer_id = ? ORDER BY created_at",
      s.accountId,
    ),
  ]);
  const at = (r: Row) => ({
    ...r,
    succeeded_at: undefined,
    created_at: undefined,
    succeededAt: iso(r.succeeded_at as number),
    createdAt: iso(r.created_at as number),
  });
  return { payments: payments.map(at), refunds: refunds.map(at) };
}

export async function notificationsPart(env: Env, s: ExportSubject) {
  const db = getDb(env);
  const [inbox, devices, favourites] = await Promise.all([
    rowsWhere<Row>(db, "SELECT kind, title, body, read_at, created_at FROM notifications WHERE account_id = ? ORDER BY id", s.accountId),
    rowsWhere<Row>(db, "SELECT platform, provider, app_version, created_at FROM push_devices WHERE account_id = ?", s.accountId),
    rowsWhere<Row>(db, "SELECT technician_id, created_at FROM favourites WHERE account_id = ?", s.accountId),
  ]);
  return {
    inbox: inbox.map((n) => ({
      kind: n.kind,
      title: json(n.title),
      body: json(n.body),
      readAt: iso(n.read_at as number),
      createdAt: iso(n.created_at as number),
    })),
    devices: devices.map((d) => ({
      platform: d.platform,
      provider: d.provider,
      appVersion: d.app_version,
      createdAt: iso(d.created_at as number),
    })),
    favouriteTechnicians: favourites.map((f) => f.technician_id),
  };
}

/** The technician profile of the person (home decrypted), their documents, payout accounts, served orders and withdrawals. */
export async function technicianPart(env: Env, s: ExportSubject) {
  if (!s.technicianId) return null;
  const pii = await Pii.fromEnv(env);
  const db = getDb(env);
  const [t] = await rowsWhere<Row>(db, "SELECT * FROM technicians WHERE id = ?", s.technicianId);
  if (!t) return null;
  const [documents, payees, served, withdrawals, reviews] = await Promise.all([
    rowsWhere<Row>(db, "SELECT id, kind, content_type, size, status, created_at FROM technician_documents WHERE technician_id = ?", t.id),
    rowsWhere<Row>(db, "SELECT provider, account_enc, account_type, name_enc FROM technician_payees WHERE technician_id = ?", t.id),
    // Served orders: the person's work, without the customers' data.
    rowsWhere<Row>(db, "SELECT id, service_id, status, start_at, end_at FROM orders WHERE technician_id = ? ORDER BY start_at", t.id),
    rowsWhere<Row>(
      db,
      "SELECT id, amount, currency, status, created_at, paid_at FROM withdrawals WHERE technician_id = ? ORDER BY created_at",
      t.id,
    ),
    rowsWhere<Row>(db, "SELECT order_id, ratings, created_at FROM reviews WHERE technician_id = ? AND hidden_at IS NULL", t.id),
  ]);
  const home = await technicianHome(pii, {
    id: t.id as string,
    homeEnc: t.home_enc as string | null,
    homeAreaLat: t.home_area_lat as number | null,
    homeAreaLng: t.home_area_lng as number | null,
    homeLat: t.home_lat as number,
    homeLng: t.home_lng as number,
  });
  return {
    id: t.id,
    name: t.name,
    skills: json(t.skills),
    status: t.status,
    home,
    serviceRadiusKm: t.service_radius_km,
    rating: (t.rating_x100 as number) / 100,
    creditScore: t.credit_score,
    level: t.level,
    documents: documents.map((d) => ({
      id: d.id,
      kind: d.kind,
      contentType: d.content_type,
      size: d.size,
      status: d.status,
      createdAt: iso(d.created_at as number),
    })),
    payees: await Promise.all(
      payees.map(async (p) => ({
        provider: p.provider,
        account: await pii.decrypt("payee_account", p.account_enc as string),
        accountType: p.account_type,
        name: p.name_enc ? await pii.decrypt("payee_name", p.name_enc as string) : null,
      })),
    ),
    servedOrders: served.map((o) => ({
      id: o.id,
      serviceId: o.service_id,
      status: o.status,
      start: iso(o.start_at as number),
      end: iso(o.end_at as number),
    })),
    withdrawals: withdrawals.map((w) => ({
      id: w.id,
      amount: w.amount,
      currency: w.currency,
      status: w.status,
      createdAt: iso(w.created_at as number),
      paidAt: iso(w.paid_at as number),
    })),
    ratingsReceived: reviews.map((r) => ({ orderId: r.order_id, ratings: json(r.ratings), createdAt: iso(r.created_at as number) })),
  };
}

export async function requestsPart(env: Env, s: ExportSubject) {
  const rows = await rowsWhere<Row>(
    getDb(env),
    "SELECT id, kind, status, created_at, completed_at FROM data_requests WHERE account_id = ? ORDER BY created_at",
    s.accountId,
  );
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    status: r.status,
    createdAt: iso(r.created_at as number),
    completedAt: iso(r.completed_at as number),
  }));
}
