/**
 * Public technician profiles: what a customer sees when choosing who comes. The name is masked,
 * there is no phone, home, account or merchant detail; the level and skills are labels in zh-CN and
 * en; the rating comes with its breakdown per star; cases (before/after photos of completed visits)
 * show only while the order's customer consents and staff have not hidden them.
 *
 * Only approved technicians have a public profile: pending, rejected and suspended ones are 404,
 * as is everything hanging off the profile (photo, cases).
 */
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import {
  caseOfOrder,
  completedJobs,
  completedOrderOf,
  deleteCase,
  findCase,
  findTechnicianRow,
  hideCaseGuarded,
  showCaseGuarded,
  insertCase,
  listCases,
  profilePhotos,
  ratingBreakdowns,
  replaceProfilePhoto,
  setConsent,
  skillLabels,
  technicianPhoto,
  photoById,
  type CaseRow,
  type ProfilePhotoRow,
  type TechnicianRow,
} from "../db/repositories/profiles.repo";
import { REVIEWABLE } from "../db/repositories/reviews.repo";
import { maskName } from "../domain/masking";
import type { Auth } from "../env";
import { AppError, invalid, notFound } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId } from "../lib/ids";
import type { Localized } from "../lib/locale";
import { technicianReviews } from "../reviews";
import { readImage } from "../visit/photos.service";

/** How many reviews the profile carries; the rest are paged from GET /v1/technicians/{id}/reviews. */
export const PROFILE_REVIEWS = 5;
/** How many cases the profile shows (newest first). */
export const PROFILE_CASES = 20;

export type TechnicianLevel = TechnicianRow["level"];

/** The level as people read it. */
export const LEVEL_LABELS: Record<TechnicianLevel, Localized> = {
  trainee: { zh: "见习", en: "Trainee" },
  standard: { zh: "标准", en: "Standard" },
  gold: { zh: "金牌", en: "Gold" },
  diamond: { zh: "钻石", en: "Diamond" },
};

const technicianNotFound = () => notFound({ en: "Technician", zh: "技师" });
const caseNotFound = () => notFound({ en: "Case", zh: "案例" });
const photoNotFound = () => notFound({ en: "Photo", zh: "照片" });

/** The technician if they have a public profile (approved, not suspended), else 404. */
async function publicTechnician(env: Env, id: string): Promise<TechnicianRow> {
  const row = await findTechnicianRow(getDb(env), id);
  if (!row || row.status !== "approved") throw technicianNotFound();
  return row;
}

const photoUrl = (technicianId: string, photo: ProfilePhotoRow | undefined) =>
  photo ? `/v1/technicians/${technicianId}/photo?v=${encodeURIComponent(photo.photoId)}` : null;

/**
 * The summary search results carry, for many technicians in a few queries: masked name, photo,
 * level, skill labels, rating and completed jobs. Never the phone, home, account or full name.
 */
export async function profileSummaries(env: Env, rows: TechnicianRow[]) {
  const db = getDb(env);
  const ids = rows.map((r) => r.id);
  const [labels, photos, jobs] = await Promise.all([
    skillLabels(
      db,
      rows.flatMap((r) => r.skills),
    ),
    profilePhotos(db, ids),
    completedJobs(db, ids),
  ]);
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        name: maskName(r.name),
        photoUrl: photoUrl(r.id, photos.get(r.id)),
        level: { code: r.level, label: LEVEL_LABELS[r.level] },
        skills: r.skills.map((code) => labels.get(code)).filter((l): l is Localized => l !== undefined),
        rating: { average: r.ratingX100 / 100, count: r.ratingCount },
        completedJobs: jobs.get(r.id) ?? 0,
      },
    ]),
  );
}

function caseView(c: CaseRow, opts: { staff: boolean }) {
  const base = `/v1/technicians/${c.technicianId}/cases/${c.id}`;
  const shown = {
    id: c.id,
    caption: c.caption,
    before: { url: `${base}/photos/before` },
    after: { url: `${base}/photos/after` },
    createdAt: new Date(c.createdAt).toISOString(),
  };
  if (!opts.staff) return shown;
  return {
    ...shown,
    orderId: c.orderId,
    consent: c.consent,
    consentAt: c.consentAt === null ? null : new Date(c.consentAt).toISOString(),
    hidden: c.hiddenAt !== null,
    hiddenReason: c.hiddenReason,
  };
}

async function profileOf(env: Env, row: TechnicianRow) {
  const db = getDb(env);
  const [summaries, breakdowns, reviews, cases] = await Promise.all([
    profileSummaries(env, [row]),
    ratingBreakdowns(db, [row.id]),
    technicianReviews(env, row.id, { limit: PROFILE_REVIEWS }),
    listCases(db, row.id, { publicOnly: true }, PROFILE_CASES),
  ]);
  const counts = breakdowns.get(row.id) ?? [0, 0, 0, 0, 0];
  const summary = summaries.get(row.id)!;
  return {
    ...summary,
    rating: {
      ...summary.rating,
      breakdown: { "1": counts[0]!, "2": counts[1]!, "3": counts[2]!, "4": counts[3]!, "5": counts[4]! },
    },
    reviews: { items: reviews.items, nextCursor: reviews.nextCursor },
    cases: cases.map((c) => caseView(c, { staff: false })),
  };
}

/** A technician's public profile (any signed-in account); 404 unless approved. */
export async function publicProfile(env: Env, technicianId: string) {
  return profileOf(env, await publicTechnician(env, technicianId));
}

/**
 * What staff see: the profile as customers would see it (`public` null when the technician has no
 * public profile now, with `status` saying why) and every case with its consent and moderation.
 */
export async function profilePreview(env: Env, technicianId: string, q: { cursor?: string; limit: number }) {
  const db = getDb(env);
  const row = await findTechnicianRow(db, technicianId);
  if (!row) throw technicianNotFound();
  const rows = await listCases(db, row.id, { publicOnly: false, beforeId: decodeCursor(q.cursor) }, q.limit + 1);
  const page = toPage(rows, q.limit);
  return {
    technicianId: row.id,
    status: row.status,
    public: row.status === "approved" ? await profileOf(env, row) : null,
    cases: { items: page.items.map((c) => caseView(c, { staff: true })), nextCursor: page.nextCursor },
  };
}

// ——— the profile photo ———

/** The technician uploads (or replaces) their profile photo: JPEG, PNG or WebP, checked like visit photos. */
export async function uploadProfilePhoto(env: Env, technicianId: string, upload: { contentType?: string; body: ArrayBuffer }) {
  const { type, bytes } = readImage(upload.contentType, upload.body);
  const db = getDb(env);
  const row = await findTechnicianRow(db, technicianId);
  if (!row) throw technicianNotFound();
  const now = Date.now();
  const photoId = newId("pho", now);
  const r2Key = `technicians/${technicianId}/profile/${photoId}`;
  await env.PHOTOS.put(r2Key, bytes, { httpMetadata: { contentType: type }, customMetadata: { technicianId, kind: "profile", photoId } });
  let previous: ProfilePhotoRow | undefined;
  try {
    previous = await replaceProfilePhoto(db, { technicianId, photoId, r2Key, contentType: type, size: bytes.byteLength, updatedAt: now });
  } catch (err) {
    await env.PHOTOS.delete(r2Key);
    throw err;
  }
  if (previous && previous.r2Key !== r2Key) await env.PHOTOS.delete(previous.r2Key);
  return { photoUrl: photoUrl(technicianId, { technicianId, photoId, r2Key, contentType: type, size: bytes.byteLength, updatedAt: now })! };
}

/** The profile photo's bytes, while the profile is public. */
export async function profilePhotoFile(env: Env, technicianId: string) {
  await publicTechnician(env, technicianId);
  const photo = (await profilePhotos(getDb(env), [technicianId])).get(technicianId);
  const object = photo ? await env.PHOTOS.get(photo.r2Key) : null;
  if (!photo || !object) throw photoNotFound();
  return { body: object.body, contentType: photo.contentType, size: object.size, etag: object.httpEtag };
}

// ——— cases ———

/**
 * The technician proposes a case from one of their completed visits: an arrival photo as "before"
 * and a completion photo as "after", both theirs on that order. It waits for the customer's
 * consent (pending) and shows nowhere until granted; the customer is sent a notice asking for it
 * (in the case's batch). One case per order (409 CASE_EXISTS).
 */
export async function proposeCase(
  env: Env,
  technicianId: string,
  input: { orderId: string; beforePhotoId: string; afterPhotoId: string; caption?: string },
) {
  const db = getDb(env);
  const order = await completedOrderOf(db, technicianId, input.orderId);
  if (!order) throw notFound("Order");
  if (!(REVIEWABLE as readonly string[]).includes(order.status)) {
    throw AppError.of(
      "INVALID_STATE",
      { status: order.status, what: { en: "show the visit as a case", zh: "将该服务展示为案例" } },
      { extra: { status: order.status } },
    );
  }
  const [before, after] = await Promise.all([
    technicianPhoto(db, order.id, input.beforePhotoId, "arrive", technicianId),
    technicianPhoto(db, order.id, input.afterPhotoId, "complete", technicianId),
  ]);
  const errors = [
    ...(before ? [] : [{ path: "body.beforePhotoId", message: "not your arrival photo of this order" }]),
    ...(after ? [] : [{ path: "body.afterPhotoId", message: "not your completion photo of this order" }]),
  ];
  if (errors.length > 0) throw invalid(errors);
  const now = Date.now();
  const row: CaseRow = {
    id: newId("cas", now),
    technicianId,
    orderId: order.id,
    customerId: order.customerId,
    serviceId: order.serviceId,
    beforePhotoId: input.beforePhotoId,
    afterPhotoId: input.afterPhotoId,
    caption: input.caption?.trim() ? input.caption.trim() : null,
    consent: "pending",
    consentAt: null,
    hiddenAt: null,
    hiddenReason: null,
    createdAt: now,
    updatedAt: now,
  };
  const ask = {
    id: newId("msg", now),
    topic: "case.consent_requested" as const,
    payload: { orderId: order.id, customerId: order.customerId, technicianId, caseId: row.id },
  };
  if (!(await insertCase(db, row, ask))) throw AppError.of("CASE_EXISTS");
  return caseView(row, { staff: true });
}

/** The technician's own cases with their consent and moderation state. */
export async function ownCases(env: Env, technicianId: string, q: { cursor?: string; limit: number }) {
  const rows = await listCases(getDb(env), technicianId, { publicOnly: false, beforeId: decodeCursor(q.cursor) }, q.limit + 1);
  const page = toPage(rows, q.limit);
  return { items: page.items.map((c) => caseView(c, { staff: true })), nextCursor: page.nextCursor };
}

/** The technician withdraws a case of theirs. */
export async function withdrawCase(env: Env, technicianId: string, caseId: string) {
  if (!(await deleteCase(getDb(env), caseId, technicianId))) throw caseNotFound();
}

/** The case the technician proposed for the customer's order (404 when none, or not their order). */
export async function orderCase(env: Env, customerId: string, orderId: string) {
  const found = await caseOfOrder(getDb(env), orderId);
  if (!found || found.customerId !== customerId) throw caseNotFound();
  return caseView(found, { staff: true });
}

/**
 * The customer of the order grants or refuses consent to show the case, and may change their mind
 * at any time: granting shows it, refusing (or revoking a grant) takes it off the profile at once
 * (the case photos answer 404 from that moment; they are served with `Cache-Control: no-store`).
 */
export async function decideConsent(env: Env, customerId: string, orderId: string, granted: boolean) {
  const db = getDb(env);
  const found = await caseOfOrder(db, orderId);
  if (!found || found.customerId !== customerId) throw caseNotFound();
  const consent = granted ? "granted" : found.consent === "granted" ? "revoked" : found.consent === "revoked" ? "revoked" : "refused";
  const now = Date.now();
  if (!(await setConsent(db, found.id, customerId, consent, now))) throw caseNotFound();
  await appendAudit(db, {
    actorId: customerId,
    action: granted ? "case.consent.grant" : "case.consent.withdraw",
    targetType: "technician_case",
    targetId: found.id,
    data: { consent },
  });
  return caseView((await findCase(db, found.id))!, { staff: true });
}

/** Staff hide a case from the showcase (audited); 409 CASE_ALREADY_HIDDEN when it is already. */
export async function hideCase(env: Env, auth: Auth, caseId: string, reason: string) {
  const db = getDb(env);
  const found = await findCase(db, caseId);
  if (!found) throw caseNotFound();
  if (!(await hideCaseGuarded(db, caseId, reason, Date.now()))) throw AppError.of("CASE_ALREADY_HIDDEN");
  await appendAudit(db, {
    actorId: auth.accountId,
    action: "case.hide",
    targetType: "technician_case",
    targetId: caseId,
    data: { reason },
  });
  return caseView((await findCase(db, caseId))!, { staff: true });
}

/**
 * Staff (any case) or the case's technician (their own) show a hidden case again: back on the profile
 * while the customer's consent holds. Audited with who and why; 409 CASE_NOT_HIDDEN when it is not
 * hidden (also for the loser of two at once). A technician reaching another's case gets 404.
 */
export async function unhideCase(env: Env, auth: Auth, caseId: string, reason: string, asTechnician?: string) {
  const db = getDb(env);
  const found = await findCase(db, caseId);
  if (!found || (asTechnician !== undefined && found.technicianId !== asTechnician)) throw caseNotFound();
  if (found.hiddenAt === null || !(await showCaseGuarded(db, caseId, Date.now()))) throw AppError.of("CASE_NOT_HIDDEN");
  await appendAudit(db, {
    actorId: auth.accountId,
    action: "case.unhide",
    targetType: "technician_case",
    targetId: caseId,
    data: { reason, by: asTechnician === undefined ? "staff" : "technician", hiddenFor: found.hiddenReason },
  });
  return caseView((await findCase(db, caseId))!, { staff: true });
}

/** A before or after photo of a case on the public profile: only while consented, not hidden and the profile public. */
export async function casePhotoFile(env: Env, technicianId: string, caseId: string, which: "before" | "after") {
  await publicTechnician(env, technicianId);
  const db = getDb(env);
  const found = await findCase(db, caseId);
  if (!found || found.technicianId !== technicianId || found.consent !== "granted" || found.hiddenAt !== null) throw photoNotFound();
  const photo = await photoById(db, which === "before" ? found.beforePhotoId : found.afterPhotoId);
  const object = photo ? await env.PHOTOS.get(photo.r2Key) : null;
  if (!photo || !object) throw photoNotFound();
  return { body: object.body, contentType: photo.contentType, size: object.size, etag: object.httpEtag };
}
