/**
 * A technician's lifecycle after registration: applying oneself, documents required per skill and
 * decided one by one, certificate expiry (reminders, lapsed skills), status changes (suspend with
 * an end, reinstate, remove) and profile changes the technician proposes and staff decide.
 *
 * What dispatch and the cells see follows at once: every change that alters whether or what a
 * technician is offered bumps the row's `updated_at` (the roster version) and pushes the profile
 * to the home cell. A suspended or removed technician's open future orders go back to dispatch
 * (another technician, or the operators' exception queue when nobody fits).
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { findAccountById } from "../db/repositories/accounts.repo";
import { appendAudit } from "../db/repositories/audit.repo";
import { findDocument, type DocumentKind } from "../db/repositories/documents.repo";
import {
  allRequirements,
  decideChangeRequest,
  decidePending,
  documentsExpiredBy,
  documentsOf,
  documentsToRemind,
  expireOnce,
  findChangeRequest,
  insertChangeRequest,
  listChangeRequests,
  moveStatus,
  openFutureOrderIds,
  passReminder,
  remindOnce,
  reopenChangeRequest,
  requirementsOf,
  suspensionsEnded,
  type ChangeRequestRow,
  type ChangeRequestStatus,
  type ReminderLead,
} from "../db/repositories/lifecycle.repo";
import { findOrder } from "../db/repositories/orders.repo";
import { findTechnician, findTechnicianByAccount, insertTechnician, type TechnicianRow } from "../db/repositories/technicians.repo";
import { cellOf, type LatLng } from "../domain/geo";
import { withRoles } from "../domain/roles";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId } from "../lib/ids";
import { logger } from "../lib/log";
import { Pii } from "../lib/pii";
import { pushTechnician } from "../cells/cells.service";
import { cityAt } from "../catalog/cities.service";
import { merchantScope } from "../identity/scope";
import { redispatch } from "../orders";
import { documentView, expiryOf, storeDocument, type DocumentUpload } from "./documents.service";
import { moveHome } from "./home-move.service";
import { knownSkills, refreshLapsedSkills, requireDocuments, type MissingDocument, missingFor } from "./requirements.service";
import { getTechnician, newTechnicianRow, technicianView, updateTechnician, type TechnicianView } from "./technicians.service";

const DAY = 86_400_000;
const BATCH = 100;

/** The slot a technician's real name is sealed in (bound to its row). */
const realNameSlot = (technicianId: string) => ({ table: "technicians", field: "real_name", rowId: technicianId });
const requestHomeSlot = (requestId: string) => ({ table: "technician_change_requests", field: "home", rowId: requestId });

async function staffTechnician(env: Env, actor: Auth, id: string): Promise<TechnicianRow> {
  const found = await findTechnician(getDb(env), id, merchantScope(actor));
  if (!found) throw notFound("Technician");
  return found.technician;
}

// ---------------------------------------------------------------- applying oneself

export interface ApplicationInput {
  realName: string;
  name: string;
  skills: string[];
  home: LatLng;
  serviceRadiusKm: number;
}

export interface ApplicationView {
  technician: TechnicianView;
  realName: string | null;
  documents: ReturnType<typeof documentView>[];
  /** The documents the applied skills require that are not approved yet. */
  missing: MissingDocument[];
  /** What each applied skill requires. */
  requirements: { skill: string; kinds: DocumentKind[] }[];
}

async function applicationView(env: Env, actor: Auth, t: TechnicianRow): Promise<ApplicationView> {
  const db = getDb(env);
  const pii = await Pii.fromEnv(env);
  const found = await findTechnician(db, t.id);
  if (!found) throw notFound("Technician");
  const [technician, docs, required, missing] = await Promise.all([
    technicianView(pii, found, actor.accountId),
    documentsOf(db, t.id),
    requirementsOf(db, t.skills),
    missingFor(env, t.id, t.skills),
  ]);
  return {
    technician,
    realName: t.realNameEnc ? await pii.open(realNameSlot(t.id), t.realNameEnc) : null,
    documents: docs.map(documentView),
    missing,
    requirements: t.skills.map((skill) => ({ skill, kinds: required.get(skill) ?? [] })),
  };
}

/**
 * A signed-in person applies to work as a (platform) technician: status `pending`, the real name
 * sealed for the row, the technician role granted (documents are uploaded to the application next).
 * 409 TECHNICIAN_EXISTS when the account already has a technician profile. Audited.
 */
export async function applyAsTechnician(env: Env, actor: Auth, input: ApplicationInput): Promise<ApplicationView> {
  const db = getDb(env);
  const account = await findAccountById(db, actor.accountId);
  if (!account) throw notFound("Account");
  if (await findTechnicianByAccount(db, account.id)) throw AppError.of("TECHNICIAN_EXISTS");
  const city = await cityAt(env, input.home);
  if (!city) throw AppError.of("HOME_OUTSIDE_CITIES", {}, { errors: [{ path: "body.home", message: "not inside a city served" }] });
  const skills = await knownSkills(env, input.skills, "body.skills");
  const pii = await Pii.fromEnv(env);
  const now = Date.now();
  const id = newId("tch", now);
  const row = await newTechnicianRow(env, pii, {
    id,
    accountId: account.id,
    merchantId: null,
    name: input.name,
    skills,
    home: input.home,
    cityId: city.id,
    serviceRadiusKm: input.serviceRadiusKm,
    realNameEnc: await pii.seal(realNameSlot(id), input.realName),
    now,
  });
  const roles = withRoles(account.roles, ["technician"]);
  try {
    await insertTechnician(db, row, roles);
  } catch (err) {
    if (String(err).includes("UNIQUE")) throw AppError.of("TECHNICIAN_EXISTS");
    throw err;
  }
  // The real name is personal data: the audit names the skills and city only.
  await appendAudit(db, {
    actorId: actor.accountId,
    action: "technician.apply",
    targetType: "technician",
    targetId: id,
    data: { accountId: account.id, cityId: city.id, skills },
  });
  await pushTechnician(env, id);
  return applicationView(env, actor, row);
}

async function ownTechnician(env: Env, actor: Auth): Promise<TechnicianRow> {
  const t = await findTechnicianByAccount(getDb(env), actor.accountId);
  if (!t) throw notFound("Technician");
  return t;
}

/** The caller's own application (or profile) with its documents and what is still missing. */
export async function myApplication(env: Env, actor: Auth): Promise<ApplicationView> {
  return applicationView(env, actor, await ownTechnician(env, actor));
}

/** Uploads a document to the caller's own application (any status but removed). */
export async function uploadApplicationDocument(env: Env, actor: Auth, input: DocumentUpload) {
  const t = await ownTechnician(env, actor);
  if (t.status === "removed") throw AppError.of("INVALID_TRANSITION", { status: t.status }, { extra: { status: t.status } });
  return storeDocument(env, t.id, actor.accountId, input);
}

/** An application as staff review it: the technician, the real name (audited read), documents and what is missing. */
export async function reviewApplication(env: Env, actor: Auth, technicianId: string): Promise<ApplicationView> {
  const t = await staffTechnician(env, actor, technicianId);
  const view = await applicationView(env, actor, t);
  if (view.realName !== null) {
    await appendAudit(getDb(env), {
      actorId: actor.accountId,
      action: "technician.real_name.view",
      targetType: "technician",
      targetId: t.id,
      data: {},
    });
  }
  return view;
}

// ---------------------------------------------------------------- per-document decisions

export interface DocumentDecision {
  decision: "approve" | "reject";
  reason?: string;
  /** YYYY-MM-DD; on approval, sets (or corrects) the certificate's expiry. */
  expiresOn?: string;
}

/**
 * Decides one pending document: approve (optionally with its expiry date) or reject with a reason.
 * Of two staff deciding it at once exactly one wins; the other gets 409 INVALID_TRANSITION. For an
 * approved technician the lapsed skills are recomputed (a renewed certificate brings them back).
 * Audited (`technician.document.approve` / `.reject`).
 */
export async function decideDocument(env: Env, actor: Auth, technicianId: string, documentId: string, input: DocumentDecision) {
  const t = await staffTechnician(env, actor, technicianId);
  const db = getDb(env);
  const doc = await findDocument(db, t.id, documentId);
  if (!doc) throw notFound({ en: "Document", zh: "证件" });
  if (input.decision === "reject" && !input.reason) {
    throw AppError.of("VALIDATION_FAILED", {}, { errors: [{ path: "body.reason", message: "required to reject" }] });
  }
  const expiresAt = input.decision === "approve" && input.expiresOn !== undefined ? expiryOf(input.expiresOn, "body.expiresOn") : undefined;
  const status = input.decision === "approve" ? "approved" : "rejected";
  const won = await decidePending(db, t.id, doc.id, {
    status,
    reviewedBy: actor.accountId,
    reviewReason: input.decision === "reject" ? (input.reason ?? null) : null,
    ...(expiresAt === undefined ? {} : { expiresAt }),
  });
  if (!won) {
    const now = (await findDocument(db, t.id, doc.id))?.status ?? doc.status;
    throw AppError.of("INVALID_TRANSITION", { status: now }, { extra: { status: now } });
  }
  await appendAudit(db, {
    actorId: actor.accountId,
    action: `technician.document.${input.decision}`,
    targetType: "technician",
    targetId: t.id,
    data: {
      documentId: doc.id,
      kind: doc.kind,
      ...(input.reason === undefined ? {} : { reason: input.reason }),
      ...(expiresAt === undefined ? {} : { expiresAt }),
    },
  });
  if (t.status === "approved" || t.status === "suspended") await refreshLapsedSkills(env, t.id);
  return documentView((await findDocument(db, t.id, doc.id))!);
}

// ---------------------------------------------------------------- status changes

type StatusAction = "suspend" | "reinstate" | "remove";

/**
 * Moves the technician's open future orders back to dispatch (another technician, or the exception
 * queue when nobody fits), as when a technician cancels. One order failing does not stop the rest.
 */
async function releaseFutureOrders(env: Env, actor: Auth, technicianId: string, reason: string): Promise<number> {
  const db = getDb(env);
  let moved = 0;
  for (const id of await openFutureOrderIds(db, technicianId, Date.now())) {
    const order = await findOrder(db, id);
    if (!order || order.technicianId !== technicianId) continue;
    try {
      await redispatch(env, order, { type: "operator", id: actor.accountId }, reason);
      moved++;
    } catch (err) {
      logger.error("technician.release_order_failed", { technicianId, orderId: id, error: String(err) });
    }
  }
  return moved;
}

const ACTIONS = {
  suspend: { from: ["approved", "suspended"], to: "suspended" },
  reinstate: { from: ["suspended"], to: "approved" },
  remove: { from: ["pending", "approved", "suspended", "rejected"], to: "removed" },
} as const;

/**
 * Suspends (with a reason and an end: the cron reinstates after it), reinstates or removes a
 * technician. Effective at once: the home cell's copy follows (a technician not `approved` gets no
 * offers and is not in availability) and open future orders go back to dispatch. 409
 * INVALID_TRANSITION from a status the action does not start from. Audited (`technician.<action>`).
 */
export async function changeStatus(
  env: Env,
  actor: Auth,
  id: string,
  action: StatusAction,
  input: { reason?: string; until?: string },
): Promise<TechnicianView> {
  const t = await staffTechnician(env, actor, id);
  const db = getDb(env);
  let until: number | null = null;
  if (action === "suspend") {
    const at = input.until ? Date.parse(input.until) : NaN;
    if (!Number.isFinite(at) || at <= Date.now()) {
      throw AppError.of("VALIDATION_FAILED", {}, { errors: [{ path: "body.until", message: "an instant in the future" }] });
    }
    until = at;
  }
  const { from, to } = ACTIONS[action];
  const moved = await moveStatus(db, t.id, [...from], {
    status: to,
    statusReason: action === "reinstate" ? null : (input.reason ?? null),
    suspendedUntil: until,
  });
  if (!moved) {
    const current = (await findTechnician(db, t.id))?.technician.status ?? t.status;
    throw AppError.of("INVALID_TRANSITION", { status: current }, { extra: { status: current } });
  }
  await pushTechnician(env, t.id);
  const released = to === "approved" ? 0 : await releaseFutureOrders(env, actor, t.id, `technician ${to}`);
  await appendAudit(db, {
    actorId: actor.accountId,
    action: `technician.${action}`,
    targetType: "technician",
    targetId: t.id,
    data: {
      from: t.status,
      status: to,
      ...(input.reason === undefined ? {} : { reason: input.reason }),
      ...(until === null ? {} : { until: new Date(until).toISOString() }),
      ...(released > 0 ? { ordersReleased: released } : {}),
    },
  });
  return getTechnician(env, actor, t.id);
}

// ---------------------------------------------------------------- proposed profile changes

export interface ProposedChange {
  name?: string;
  skills?: string[];
  serviceRadiusKm?: number;
  home?: LatLng;
}

function changeView(r: ChangeRequestRow, t?: TechnicianRow) {
  return {
    id: r.id,
    technicianId: r.technicianId,
    ...(t ? { technician: { name: t.name, skills: t.skills, serviceRadiusKm: t.serviceRadiusKm, status: t.status } } : {}),
    changes: r.changes,
    status: r.status,
    reason: r.reason,
    decidedAt: r.decidedAt === null ? null : new Date(r.decidedAt).toISOString(),
    createdAt: new Date(r.createdAt).toISOString(),
  };
}

/**
 * The technician proposes a change of name, skills, service radius or service area (home); staff
 * approve or reject it. One pending proposal at a time (409 PROFILE_CHANGE_PENDING). The new home is kept
 * sealed; the proposal shows its ~1 km area.
 */
export async function proposeChange(env: Env, actor: Auth, input: ProposedChange) {
  const t = await ownTechnician(env, actor);
  if (t.status === "removed") throw AppError.of("INVALID_TRANSITION", { status: t.status }, { extra: { status: t.status } });
  if (Object.keys(input).length === 0) {
    throw AppError.of("VALIDATION_FAILED", {}, { errors: [{ path: "body", message: "propose at least one change" }] });
  }
  const skills = input.skills ? await knownSkills(env, input.skills, "body.skills") : undefined;
  if (input.home && !(await cityAt(env, input.home))) {
    throw AppError.of("HOME_OUTSIDE_CITIES", {}, { errors: [{ path: "body.home", message: "not inside a city served" }] });
  }
  const now = Date.now();
  const id = newId("tcr", now);
  const pii = await Pii.fromEnv(env);
  const changes: Record<string, unknown> = {
    ...(input.name === undefined ? {} : { name: input.name }),
    ...(skills === undefined ? {} : { skills }),
    ...(input.serviceRadiusKm === undefined ? {} : { serviceRadiusKm: input.serviceRadiusKm }),
    ...(input.home === undefined ? {} : { homeCell: cellOf(input.home, config(env).H3_RESOLUTION) }),
  };
  const row: ChangeRequestRow = {
    id,
    technicianId: t.id,
    changes,
    homeEnc: input.home ? await pii.seal(requestHomeSlot(id), JSON.stringify(input.home)) : null,
    status: "pending",
    reason: null,
    decidedBy: null,
    decidedAt: null,
    createdAt: now,
  };
  if (!(await insertChangeRequest(getDb(env), row))) throw AppError.of("PROFILE_CHANGE_PENDING");
  await appendAudit(getDb(env), {
    actorId: actor.accountId,
    action: "technician.change.propose",
    targetType: "technician",
    targetId: t.id,
    data: { requestId: id, fields: Object.keys(input) },
  });
  return changeView(row);
}

/** The caller's own proposals, newest decided and pending alike (most recent 20). */
export async function myChanges(env: Env, actor: Auth) {
  const t = await ownTechnician(env, actor);
  const db = getDb(env);
  const statuses: ChangeRequestStatus[] = ["pending", "approved", "rejected"];
  const rows = (await Promise.all(statuses.map((status) => listChangeRequests(db, { status, technicianId: t.id }, 20)))).flat();
  return { items: rows.map((r) => changeView(r.request)).sort((a, b) => b.createdAt.localeCompare(a.createdAt)) };
}

/** Proposals in `status` the staff caller may see (a merchant_admin: its merchant's), oldest first. */
export async function queryChanges(env: Env, actor: Auth, q: { status: ChangeRequestStatus; limit: number; cursor?: string }) {
  const rows = await listChangeRequests(
    getDb(env),
    { status: q.status, merchantId: merchantScope(actor), afterId: decodeCursor(q.cursor) },
    q.limit + 1,
  );
  const page = toPage(
    rows.map((r) => ({ id: r.request.id, ...r })),
    q.limit,
  );
  return { items: page.items.map((r) => changeView(r.request, r.technician)), nextCursor: page.nextCursor };
}

/**
 * Approves or rejects a pending proposal (one conditional update: of two staff at once one wins,
 * the other 409 INVALID_TRANSITION). Approving applies it: new skills must have their required
 * documents approved (409 DOCUMENTS_MISSING, and the proposal stays pending), a new area moves the
 * home (and home cell). Audited (`technician.change.approve` / `.reject`).
 */
export async function decideChange(env: Env, actor: Auth, requestId: string, input: { decision: "approve" | "reject"; reason?: string }) {
  const db = getDb(env);
  const r = await findChangeRequest(db, requestId);
  const t = r ? await findTechnician(db, r.technicianId, merchantScope(actor)) : undefined;
  if (!r || !t) throw notFound({ en: "Change request", zh: "变更申请" });
  if (input.decision === "reject" && !input.reason) {
    throw AppError.of("VALIDATION_FAILED", {}, { errors: [{ path: "body.reason", message: "required to reject" }] });
  }
  const c = r.changes as { name?: string; skills?: string[]; serviceRadiusKm?: number };
  const added = c.skills ? c.skills.filter((s) => !t.technician.skills.includes(s)) : [];
  if (input.decision === "approve" && added.length > 0 && r.status === "pending") await requireDocuments(env, t.technician.id, added);
  const won = await decideChangeRequest(db, r.id, {
    status: input.decision === "approve" ? "approved" : "rejected",
    reason: input.reason ?? null,
    decidedBy: actor.accountId,
  });
  if (!won) {
    const now = (await findChangeRequest(db, r.id))?.status ?? r.status;
    throw AppError.of("INVALID_TRANSITION", { status: now }, { extra: { status: now } });
  }
  if (input.decision === "approve") {
    try {
      const patch = {
        ...(c.name === undefined ? {} : { name: c.name }),
        ...(c.skills === undefined ? {} : { skills: c.skills }),
        ...(c.serviceRadiusKm === undefined ? {} : { serviceRadiusKm: c.serviceRadiusKm }),
      };
      if (Object.keys(patch).length > 0) await updateTechnician(env, actor, t.technician.id, patch);
      if (r.homeEnc) {
        const home = JSON.parse(await (await Pii.fromEnv(env)).open(requestHomeSlot(r.id), r.homeEnc)) as LatLng;
        await moveHome(env, actor, t.technician.id, { home });
      }
    } catch (err) {
      // Not applied: the proposal waits again, so it can be decided once more.
      await reopenChangeRequest(db, r.id);
      throw err;
    }
    if (c.skills) await refreshLapsedSkills(env, t.technician.id);
  }
  await appendAudit(db, {
    actorId: actor.accountId,
    action: `technician.change.${input.decision}`,
    targetType: "technician",
    targetId: t.technician.id,
    data: { requestId: r.id, ...(input.reason === undefined ? {} : { reason: input.reason }) },
  });
  return changeView((await findChangeRequest(db, r.id))!);
}

// ---------------------------------------------------------------- the cron

const LEADS: [ReminderLead, number][] = [
  ["7d", 7 * DAY],
  ["30d", 30 * DAY],
];

/**
 * The lifecycle's scheduled work (idempotent, safe every minute): certificate reminders 30 and 7
 * days before expiry (each written once, guarded by its mark), expired certificates (their skills
 * lapse until a renewed one is approved) and suspensions whose end passed (reinstated).
 */
export async function runLifecycle(env: Env, now = Date.now()) {
  const db = getDb(env);
  const out = { reminded: 0, expired: 0, reinstated: 0 };
  for (const [lead, within] of LEADS) {
    for (const d of await documentsToRemind(db, lead, now, within, BATCH)) {
      // Inside 7 days the 30-day reminder is not sent late: it is marked as passed with the 7-day one.
      const m = {
        id: newId("msg"),
        topic: "technician.document_expiring" as const,
        payload: { technicianId: d.technicianId, documentId: d.id, kind: d.kind, lead, expiresAt: d.expiresAt! },
      };
      if (await remindOnce(db, d.id, lead, m, now)) out.reminded++;
      if (lead === "7d" && d.reminded30At === null) await passReminder(db, d.id, "30d", now);
    }
  }
  const required = await allRequirements(db);
  for (const d of await documentsExpiredBy(db, now, BATCH)) {
    const found = await findTechnician(db, d.technicianId);
    const skills = (found?.technician.skills ?? []).filter((s) => (required.get(s) ?? []).includes(d.kind));
    const m = {
      id: newId("msg"),
      topic: "technician.document_expired" as const,
      payload: { technicianId: d.technicianId, documentId: d.id, kind: d.kind, skills },
    };
    if (await expireOnce(db, d.id, m, now)) {
      out.expired++;
      await refreshLapsedSkills(env, d.technicianId, now);
      await appendAudit(db, {
        actorId: "system",
        action: "technician.document.expire",
        targetType: "technician",
        targetId: d.technicianId,
        data: { documentId: d.id, kind: d.kind, skills },
      });
    }
  }
  for (const id of await suspensionsEnded(db, now, BATCH)) {
    if (await moveStatus(db, id, ["suspended"], { status: "approved", statusReason: null, suspendedUntil: null }, now)) {
      out.reinstated++;
      await pushTechnician(env, id);
      await appendAudit(db, {
        actorId: "system",
        action: "technician.reinstate",
        targetType: "technician",
        targetId: id,
        data: { auto: true },
      });
    }
  }
  return out;
}
