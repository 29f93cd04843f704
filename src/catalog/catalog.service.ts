import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import {
  categoryUsage,
  deleteUnusedCategory,
  findCategory,
  insertCategory,
  insertSkill,
  renameSkill,
  listCategories,
  listSkills,
  updateCategory,
  type CategoryRow,
  type SkillRow,
} from "../db/repositories/catalog.repo";
import { buildCategoryTree, wouldCreateCycle, type CategoryNode } from "../domain/catalog";
import { AppError, notFound } from "../errors";
import { newId } from "../lib/ids";
import type { Localized } from "../lib/locale";

export interface SkillView {
  code: string;
  name: Localized;
}

export interface CategoryView {
  id: string;
  parentId: string | null;
  name: Localized;
  sort: number;
  createdAt: string;
  updatedAt: string;
}

export interface CategoryTreeNode {
  id: string;
  name: Localized;
  sort: number;
  children: CategoryTreeNode[];
}

const skillView = (s: SkillRow): SkillView => ({ code: s.code, name: { zh: s.nameZh, en: s.nameEn } });

function categoryView(c: CategoryRow): CategoryView {
  return {
    id: c.id,
    parentId: c.parentId,
    name: { zh: c.nameZh, en: c.nameEn },
    sort: c.sort,
    createdAt: new Date(c.createdAt).toISOString(),
    updatedAt: new Date(c.updatedAt).toISOString(),
  };
}

function treeNode(n: CategoryNode<CategoryRow>): CategoryTreeNode {
  const c = n.category;
  return { id: c.id, name: { zh: c.nameZh, en: c.nameEn }, sort: c.sort, children: n.children.map(treeNode) };
}

function unknownParent(): AppError {
  return AppError.of("UNKNOWN_CATEGORY", {}, { errors: [{ path: "body.parentId", message: "no such category" }] });
}

function cycle(): AppError {
  return AppError.of(
    "CATEGORY_CYCLE",
    {},
    { errors: [{ path: "body.parentId", message: "the category itself or one of its descendants" }] },
  );
}

/** Every skill, by code. */
export async function getSkills(env: Env): Promise<SkillView[]> {
  return (await listSkills(getDb(env))).map(skillView);
}

/** Adds a skill technicians can hold and services can require; 409 SKILL_EXISTS for a taken code. Audited. */
export async function createSkill(env: Env, actorId: string, input: { code: string; name: Localized }): Promise<SkillView> {
  const db = getDb(env);
  const row: SkillRow = { code: input.code, nameZh: input.name.zh, nameEn: input.name.en, createdAt: Date.now() };
  if (!(await insertSkill(db, row))) {
    throw AppError.of("SKILL_EXISTS", { code: input.code });
  }
  await appendAudit(db, { actorId, action: "skill.create", targetType: "skill", targetId: row.code, data: { name: input.name } });
  return skillView(row);
}

/** Renames a skill (its code stays: technicians and services refer to it). 404 for an unknown code. Audited. */
export async function updateSkill(env: Env, actorId: string, code: string, input: { name: Localized }): Promise<SkillView> {
  const db = getDb(env);
  const row = await renameSkill(db, code, { nameZh: input.name.zh, nameEn: input.name.en });
  if (!row) throw notFound("Skill");
  await appendAudit(db, { actorId, action: "skill.update", targetType: "skill", targetId: code, data: { name: input.name } });
  return skillView(row);
}

/** The whole category tree, each level ordered by `sort`. */
export async function getCategoryTree(env: Env): Promise<CategoryTreeNode[]> {
  return buildCategoryTree(await listCategories(getDb(env))).map(treeNode);
}

/** Adds a category at the top or under `parentId` (400 UNKNOWN_CATEGORY when that does not exist). */
export async function createCategory(env: Env, input: { parentId?: string | null; name: Localized; sort?: number }): Promise<CategoryView> {
  const now = Date.now();
  const row: CategoryRow = {
    id: newId("cat"),
    parentId: input.parentId ?? null,
    nameZh: input.name.zh,
    nameEn: input.name.en,
    sort: input.sort ?? 0,
    createdAt: now,
    updatedAt: now,
  };
  if (!(await insertCategory(getDb(env), row))) throw unknownParent();
  return categoryView(row);
}

/**
 * Renames, re-sorts or moves a category. Moving it under itself or a descendant is 400
 * CATEGORY_CYCLE; `parentId: null` makes it a top-level category.
 */
export async function patchCategory(
  env: Env,
  id: string,
  patch: { parentId?: string | null; name?: Partial<Localized>; sort?: number },
): Promise<CategoryView> {
  const db = getDb(env);
  const all = await listCategories(db);
  const current = all.find((c) => c.id === id);
  if (!current) throw notFound("Category");
  const explain = (parentId: string | null | undefined, categories: CategoryRow[]) => {
    if (parentId === undefined || parentId === null) return;
    if (!categories.some((c) => c.id === parentId)) throw unknownParent();
    if (wouldCreateCycle(categories, id, parentId)) throw cycle();
  };
  explain(patch.parentId, all);
  const updated = await updateCategory(db, id, {
    parentId: patch.parentId,
    nameZh: patch.name?.zh,
    nameEn: patch.name?.en,
    sort: patch.sort,
  });
  if (updated) return categoryView(updated);
  // The guarded update refused: the tree changed since we looked. Explain with a fresh view.
  const fresh = await listCategories(db);
  if (!fresh.some((c) => c.id === id)) throw notFound("Category");
  explain(patch.parentId, fresh);
  throw cycle();
}

/** Deletes a category; 409 CATEGORY_IN_USE while categories or services sit under it. */
export async function deleteCategory(env: Env, id: string): Promise<void> {
  const db = getDb(env);
  if (await deleteUnusedCategory(db, id)) return;
  if (!(await findCategory(db, id))) throw notFound("Category");
  const usage = await categoryUsage(db, id);
  throw AppError.of("CATEGORY_IN_USE", {}, { extra: { children: usage.children, services: usage.services } });
}
