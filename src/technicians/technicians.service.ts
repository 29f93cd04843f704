import { config } from "../config";
import { getDb } from "../db/client";
import { findOrCreateAccount } from "../db/repositories/accounts.repo";
import { appendAudit } from "../db/repositories/audit.repo";
import { decidePendingDocuments } from "../db/repositories/documents.repo";
import {
  findTechnician,
  findTechnicianByAccount,
  insertTechnician,
  listTechnicians,
  merchantExists,
  transitionTechnician,
  updateTechnicianProfile,
  type TechnicianRow,
  type TechnicianStatus,
  type TechnicianWithPhone,
} from "../db/repositories/technicians.repo";
import { existingSkillCodes } from "../db/repositories/catalog.repo";
import { cellOf, type LatLng } from "../domain/geo";
import { maskPhone } from "../domain/phone";
import { withRoles } from "../domain/roles";
import { START_SCORE } from "../domain/credit";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId } from "../lib/ids";
import { Pii } from "../lib/pii";
import { homeColumns, technicianHome } from "../lib/coordinates";
import { pushTechnician } from "../cells/cells.service";
import { requirePhone } from "../identity/auth.service";
import { cityAt } from "../catalog/cities.service";
import { merchantScope } from "../identity/scope";
import { requireDocuments } from "./requirements.service";

export interface TechnicianView {
  id: string;
  accountId: string;
  name: string;
  /** Masked for everyone but the technician. */
  phone: string;
  merchantId: string | null;
  skills: string[];
  home: LatLng;
  homeCell: string;
  cityId: string;
  serviceRadiusKm: number;
  status: TechnicianStatus;
  /** Why it was suspended or removed; null otherwise. */
  statusReason: string | null;
  /** When a suspension ends (the technician is reinstated then). */
  suspendedUntil: string | null;
  /** Skills not offered until a renewed required document is approved. */
  lapsedSkills: string[];
  rating: number;
  ratingCount: number;
  createdAt: string;
}

/**
 * A new technician's row, `pending`, with the starting rating (5.0 of none), credit score and level:
 * the one shape both staff registration and self-application insert.
 */
export async function newTechnicianRow(
  env: Env,
  pii: Pii,
  t: {
    id: string;
    accountId: string;
    merchantId: string | null;
    name: string;
    skills: string[];
    home: LatLng;
    cityId: string;
    serviceRadiusKm: number;
    realNameEnc?: string | null;
    now: number;
  },
): Promise<TechnicianRow> {
  return {
    id: t.id,
    accountId: t.accountId,
    merchantId: t.merchantId,
    name: t.name,
    skills: t.skills,
    ...(await homeColumns(pii, t.id, t.home)),
    homeCell: cellOf(t.home, config(env).H3_RESOLUTION),
    cityId: t.cityId,
    serviceRadiusKm: t.serviceRadiusKm,
    status: "pending",
    realNameEnc: t.realNameEnc ?? null,
    statusReason: null,
    suspendedUntil: null,
    lapsedSkills: [],
    ratingX100: 500,
    ratingCount: 0,
    creditScore: START_SCORE,
    level: "trainee",
    transferId: null,
    transferFrom: null,
    createdAt: t.now,
    updatedAt: t.now,
  };
}

export interface CreateTechnicianInput {
  phone: string;
  name: string;
  merchantId?: string;
  skills: string[];
  home: LatLng;
  serviceRadiusKm: number;
}

export interface TechnicianQuery {
  city?: string;
  cell?: string;
  status?: TechnicianStatus;
  limit: number;
  cursor?: string;
}

/** A technician as the API shows it (the phone masked for everyone but the technician). */
export async function technicianView(
  pii: Pii,
  { technician: t, phoneEnc }: TechnicianWithPhone,
  viewerAccountId: string,
): Promise<TechnicianView> {
  const phone = await pii.decrypt("phone", phoneEnc);
  return {
    id: t.id,
    accountId: t.accountId,
    name: t.name,
    phone: viewerAccountId === t.accountId ? phone : maskPhone(phone),
    merchantId: t.merchantId,
    skills: t.skills,
    home: await technicianHome(pii, t),
    homeCell: t.homeCell,
    cityId: t.cityId,
    serviceRadiusKm: t.serviceRadiusKm,
    status: t.status,
    statusReason: t.statusReason,
    suspendedUntil: t.suspendedUntil === null ? null : new Date(t.suspendedUntil).toISOString(),
    lapsedSkills: t.lapsedSkills,
    rating: t.ratingX100 / 100,
    ratingCount: t.ratingCount,
    createdAt: new Date(t.createdAt).toISOString(),
  };
}

/** The merchant a new technician joins: a merchant_admin's own, or any existing one an operator names. */
async function merchantFor(env: Env, actor: Auth, requested: string | undefined): Promise<string | null> {
  const scope = merchantScope(actor);
  // Another merchant's id is answered like a missing one: its existence is not ours to reveal.
  if (scope !== undefined && requested !== undefined && requested !== scope) throw notFound("Merchant");
  const merchantId = scope ?? requested ?? null;
  if (merchantId !== null && !(await merchantExists(getDb(env), merchantId))) throw notFound("Merchant");
  return merchantId;
}

async function requireKnownSkills(env: Env, requested: string[]): Promise<string[]> {
  const known = await existingSkillCodes(getDb(env), [...new Set(requested)]);
  const errors = requested.flatMap((code, i) => (known.has(code) ? [] : [{ path: `body.skills.${i}`, message: `unknown skill ${code}` }]));
  if (errors.length > 0) {
    throw AppError.of("UNKNOWN_SKILL", {}, { errors });
  }
  return [...new Set(requested)];
}

/**
 * Registers a technician (status `pending`) for the account with `phone`, creating the account when
 * the phone has none, and grants it the `technician` role. The home must lie in a served city; its
 * H3 cell (at H3_RESOLUTION) is the cell whose Durable Object will own the technician's calendar.
 * A merchant_admin registers technicians for its own merchant only.
 */
export async function createTechnician(env: Env, actor: Auth, input: CreateTechnicianInput): Promise<TechnicianView> {
  const merchantId = await merchantFor(env, actor, input.merchantId);
  const phone = requirePhone(input.phone);
  const city = await cityAt(env, input.home);
  if (!city) {
    throw AppError.of("HOME_OUTSIDE_CITIES", {}, { errors: [{ path: "body.home", message: "not inside a city served" }] });
  }
  const skills = await requireKnownSkills(env, input.skills);

  const db = getDb(env);
  const pii = await Pii.fromEnv(env);
  const phoneEnc = await pii.encrypt("phone", phone);
  const account = await findOrCreateAccount(db, {
    id: newId("acc"),
    phoneHash: await pii.lookupHash(phone),
    phoneEnc,
    roles: ["customer"],
    name: input.name,
  });
  const exists = (): never => {
    throw AppError.of("TECHNICIAN_EXISTS");
  };
  if (await findTechnicianByAccount(db, account.id)) exists();

  const now = Date.now();
  const id = newId("tch", now);
  const row = await newTechnicianRow(env, pii, {
    id,
    accountId: account.id,
    merchantId,
    name: input.name,
    skills,
    home: input.home,
    cityId: city.id,
    serviceRadiusKm: input.serviceRadiusKm,
    now,
  });
  const roles = withRoles(account.roles, ["technician"]);
  try {
    await insertTechnician(db, row, roles);
  } catch (err) {
    // A concurrent registration of the same phone won the unique account index.
    if (String(err).includes("UNIQUE")) exists();
    throw err;
  }
  await appendAudit(db, {
    actorId: actor.accountId,
    action: "technician.create",
    targetType: "technician",
    targetId: row.id,
    data: { accountId: account.id, merchantId, cityId: city.id, skills },
  });
  if (roles.length !== account.roles.length) {
    await appendAudit(db, {
      actorId: actor.accountId,
      action: "account.roles.grant",
      targetType: "account",
      targetId: account.id,
      data: { added: ["technician"], roles },
    });
  }
  await pushTechnician(env, row.id);
  return technicianView(pii, { technician: row, phoneEnc }, actor.accountId);
}

/** One technician the caller may see (a merchant_admin: its merchant's only; others are 404). */
export async function getTechnician(env: Env, actor: Auth, id: string): Promise<TechnicianView> {
  const found = await findTechnician(getDb(env), id, merchantScope(actor));
  if (!found) throw notFound("Technician");
  return technicianView(await Pii.fromEnv(env), found, actor.accountId);
}

/** A page of the technicians the caller may see, filtered by city, home cell and status. */
export async function queryTechnicians(
  env: Env,
  actor: Auth,
  query: TechnicianQuery,
): Promise<{ items: TechnicianView[]; nextCursor: string | null }> {
  const rows = await listTechnicians(
    getDb(env),
    {
      merchantId: merchantScope(actor),
      cityId: query.city,
      homeCell: query.cell,
      status: query.status,
      afterId: decodeCursor(query.cursor),
    },
    query.limit + 1,
  );
  const pii = await Pii.fromEnv(env);
  return toPage(await Promise.all(rows.map((r) => technicianView(pii, r, actor.accountId))), query.limit);
}

/**
 * Changes a technician's name, skills (each must exist) or service radius, within the caller's
 * merchant scope; the home cell's copy follows at once. Audited with what changed.
 */
export async function updateTechnician(
  env: Env,
  actor: Auth,
  id: string,
  patch: { name?: string; skills?: string[]; serviceRadiusKm?: number },
): Promise<TechnicianView> {
  const db = getDb(env);
  const found = await findTechnician(db, id, merchantScope(actor));
  if (!found) throw notFound("Technician");
  const changes = { ...patch, ...(patch.skills ? { skills: await requireKnownSkills(env, patch.skills) } : {}) };
  if (Object.keys(changes).length > 0) {
    if (!(await updateTechnicianProfile(db, id, changes))) throw notFound("Technician");
    await appendAudit(db, { actorId: actor.accountId, action: "technician.update", targetType: "technician", targetId: id, data: changes });
    await pushTechnician(env, id);
  }
  return getTechnician(env, actor, id);
}

/** Statuses each decision may start from. A rejected applicant may be reconsidered and approved. */
const DECISIONS = {
  approve: { from: ["pending", "rejected"], to: "approved" },
  reject: { from: ["pending"], to: "rejected" },
} as const satisfies Record<string, { from: TechnicianStatus[]; to: TechnicianStatus }>;

async function decide(env: Env, actor: Auth, id: string, decision: keyof typeof DECISIONS, reason?: string): Promise<TechnicianView> {
  const db = getDb(env);
  const scope = merchantScope(actor);
  const found = await findTechnician(db, id, scope);
  if (!found) throw notFound("Technician");
  const { from, to } = DECISIONS[decision];
  // Each document is decided on its own; approval needs every one the skills require approved.
  if (decision === "approve" && (from as readonly TechnicianStatus[]).includes(found.technician.status)) {
    await requireDocuments(env, id, found.technician.skills);
  }
  if (!(await transitionTechnician(db, id, [...from], to))) {
    const current = (await findTechnician(db, id, scope))?.technician.status ?? found.technician.status;
    throw AppError.of("INVALID_TRANSITION", { status: current }, { extra: { status: current } });
  }
  // A rejected application's documents still pending are rejected with it (approved ones stay).
  const documents = decision === "reject" ? await decidePendingDocuments(db, id, "rejected", actor.accountId, reason ?? null) : 0;
  await appendAudit(db, {
    actorId: actor.accountId,
    action: `technician.${decision}`,
    targetType: "technician",
    targetId: id,
    data: { status: to, ...(reason === undefined ? {} : { reason }), ...(documents > 0 ? { documents } : {}) },
  });
  // The home cell's copy of the profile follows at once (availability would also resync it).
  await pushTechnician(env, id);
  // The status this decision set (a concurrent reconsideration may already have moved it on).
  return { ...(await getTechnician(env, actor, id)), status: to };
}

/**
 * Approves a pending (or previously rejected) technician; 409 INVALID_TRANSITION from any other
 * status, 409 DOCUMENTS_MISSING while a document its skills require is not approved. Audited.
 */
export function approveTechnician(env: Env, actor: Auth, id: string): Promise<TechnicianView> {
  return decide(env, actor, id, "approve");
}

/** Rejects a pending technician with a reason; 409 INVALID_TRANSITION from any other status. Audited. */
export function rejectTechnician(env: Env, actor: Auth, id: string, reason: string): Promise<TechnicianView> {
  return decide(env, actor, id, "reject", reason);
}
