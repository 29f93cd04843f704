/**
 * The training rule dispatch applies: a skill that requires a certification (training_skill_requirements)
 * is offered only to technicians holding an unexpired certification of that skill. The cells' roster
 * (src/cells cellProfiles / syncCellRoster) takes each technician's skills through `skillsDispatchMayOffer`.
 */
import { getDb } from "../db/client";
import { certifiedSkills, skillRequirements } from "./training.repo";

export interface SkilledTechnician {
  id: string;
  skills: readonly string[];
}

/**
 * Per technician id: their skills less those that require a certification they do not hold (never
 * issued, or expired at `now`). One read of the requirements, one of the certifications when needed.
 */
export async function skillsDispatchMayOffer(
  env: Env,
  list: readonly SkilledTechnician[],
  now = Date.now(),
): Promise<Map<string, string[]>> {
  const out = new Map(list.map((t) => [t.id, [...t.skills]]));
  if (list.length === 0) return out;
  const db = getDb(env);
  const required = new Set(await skillRequirements(db));
  if (required.size === 0) return out;
  const concerned = list.filter((t) => t.skills.some((s) => required.has(s)));
  if (concerned.length === 0) return out;
  const held = await certifiedSkills(
    db,
    concerned.map((t) => t.id),
    now,
  );
  for (const t of concerned) {
    const mine = held.get(t.id);
    out.set(
      t.id,
      t.skills.filter((s) => !required.has(s) || (mine?.has(s) ?? false)),
    );
  }
  return out;
}
