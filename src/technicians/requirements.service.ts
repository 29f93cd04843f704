/**
 * Documents required per skill (configured by operators): what an application or a new skill still
 * lacks, and which of an approved technician's skills lapsed for want of a valid document.
 */
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import type { DocumentKind, DocumentRow } from "../db/repositories/documents.repo";
import { allRequirements, documentsOf, replaceRequirements, requirementsOf, setLapsedSkills } from "../db/repositories/lifecycle.repo";
import { findTechnician } from "../db/repositories/technicians.repo";
import { existingSkillCodes } from "../db/repositories/catalog.repo";
import { DOCUMENT_KIND_NAMES } from "../domain/notifications";
import type { Auth } from "../env";
import { AppError } from "../errors";
import { pushTechnician } from "../cells/cells.service";

/** The unique skill codes of `requested`; 400 UNKNOWN_SKILL naming each unknown one at `path`.i. */
export async function knownSkills(env: Env, requested: string[], path: string): Promise<string[]> {
  const unique = [...new Set(requested)];
  const known = await existingSkillCodes(getDb(env), unique);
  const errors = requested.flatMap((code, i) => (known.has(code) ? [] : [{ path: `${path}.${i}`, message: `unknown skill ${code}` }]));
  if (errors.length > 0) throw AppError.of("UNKNOWN_SKILL", {}, { errors });
  return unique;
}

/** A document counts while approved and not past its expiry. */
const valid = (d: DocumentRow, now: number) =>
  d.status === "approved" && d.expiredAt === null && (d.expiresAt === null || d.expiresAt > now);

export interface MissingDocument {
  skill: string;
  kind: DocumentKind;
}

/** The (skill, kind) pairs `skills` require for which the technician has no valid document. */
export async function missingFor(env: Env, technicianId: string, skills: string[], now = Date.now()): Promise<MissingDocument[]> {
  const db = getDb(env);
  const [required, docs] = await Promise.all([requirementsOf(db, skills), documentsOf(db, technicianId)]);
  const have = new Set(docs.filter((d) => valid(d, now)).map((d) => d.kind));
  return skills.flatMap((skill) => (required.get(skill) ?? []).filter((k) => !have.has(k)).map((kind) => ({ skill, kind })));
}

/** 409 DOCUMENTS_MISSING naming each skill and the document it lacks (also in `missing`). */
function documentsMissing(missing: MissingDocument[]): AppError {
  const list = (locale: "zh" | "en") =>
    missing.map((m) => `${m.skill}: ${DOCUMENT_KIND_NAMES[m.kind]?.[locale] ?? m.kind}`).join(locale === "zh" ? "；" : "; ");
  return AppError.of("DOCUMENTS_MISSING", { missing: { zh: list("zh"), en: list("en") } }, { extra: { missing } });
}

/** Refuses (409 DOCUMENTS_MISSING) unless every document `skills` require is approved and valid. */
export async function requireDocuments(env: Env, technicianId: string, skills: string[]): Promise<void> {
  const missing = await missingFor(env, technicianId, skills);
  if (missing.length > 0) throw documentsMissing(missing);
}

/**
 * Recomputes which of an approved technician's skills lack a valid required document and, when
 * that changed, stores it (bumping the roster version) and pushes the profile to the home cell.
 */
export async function refreshLapsedSkills(env: Env, technicianId: string, now = Date.now()): Promise<string[]> {
  const db = getDb(env);
  const found = await findTechnician(db, technicianId);
  if (!found) return [];
  const t = found.technician;
  const lapsed = [...new Set((await missingFor(env, t.id, t.skills, now)).map((m) => m.skill))];
  const same = lapsed.length === t.lapsedSkills.length && lapsed.every((s) => t.lapsedSkills.includes(s));
  if (!same) {
    await setLapsedSkills(db, t.id, lapsed, now);
    await pushTechnician(env, t.id);
  }
  return lapsed;
}

export async function listRequirements(env: Env) {
  const all = await allRequirements(getDb(env));
  return { items: [...all].map(([skill, kinds]) => ({ skill, kinds })) };
}

/**
 * Sets the document kinds a skill requires (an empty list: none). Applies to applications and
 * skill changes from now on, and to approved technicians as their documents are next decided or
 * expire. Audited (`skill.documents.set`).
 */
export async function setRequirements(env: Env, actor: Auth, skill: string, kinds: DocumentKind[]) {
  await knownSkills(env, [skill], "path.skill");
  const unique = [...new Set(kinds)];
  const db = getDb(env);
  await replaceRequirements(db, skill, unique, actor.accountId);
  await appendAudit(db, {
    actorId: actor.accountId,
    action: "skill.documents.set",
    targetType: "skill",
    targetId: skill,
    data: { kinds: unique },
  });
  return { skill, kinds: unique };
}
