import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../client";
import { categories, skills } from "../schema";
import { chunked } from "../chunks";

export type SkillRow = typeof skills.$inferSelect;
export type CategoryRow = typeof categories.$inferSelect;

export async function listSkills(db: Db): Promise<SkillRow[]> {
  return db.select().from(skills).orderBy(asc(skills.code));
}

/** Inserts a skill unless its code exists; false when it did. */
export async function insertSkill(db: Db, row: SkillRow): Promise<boolean> {
  const inserted = await db.insert(skills).values(row).onConflictDoNothing().returning({ code: skills.code });
  return inserted.length > 0;
}

/** The codes among `codes` that name a skill. */
export async function existingSkillCodes(db: Db, codes: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const part of chunked(codes)) {
    const rows = await db.select({ code: skills.code }).from(skills).where(inArray(skills.code, part));
    for (const r of rows) found.add(r.code);
  }
  return found;
}

export async function listCategories(db: Db): Promise<CategoryRow[]> {
  return db.select().from(categories).orderBy(asc(categories.id));
}

export async function findCategory(db: Db, id: string): Promise<CategoryRow | undefined> {
  return db.query.categories.findFirst({ where: eq(categories.id, id) });
}

/**
 * Inserts a category in one statement that also requires its parent to exist, so a parent deleted
 * meanwhile cannot leave an orphan. False when the parent was missing.
 */
export async function insertCategory(db: Db, row: CategoryRow): Promise<boolean> {
  if (row.parentId === null) {
    await db.insert(categories).values(row);
    return true;
  }
  const result = await db.run(sql`
    insert into ${categories} (id, parent_id, name_zh, name_en, sort, created_at, updated_at)
    select ${row.id}, ${row.parentId}, ${row.nameZh}, ${row.nameEn}, ${row.sort}, ${row.createdAt}, ${row.updatedAt}
    where exists (select 1 from ${categories} where id = ${row.parentId})`);
  return result.meta.changes > 0;
}

/**
 * Updates a category. When it moves under `parentId`, the same statement checks that the new
 * parent exists and is not the category itself or one of its descendants (walking the new parent's
 * ancestors), so two concurrent moves can never close a loop. Undefined when nothing was updated.
 */
export async function updateCategory(
  db: Db,
  id: string,
  patch: Partial<Pick<CategoryRow, "parentId" | "nameZh" | "nameEn" | "sort">>,
  now = Date.now(),
): Promise<CategoryRow | undefined> {
  const parentId = patch.parentId;
  const guard =
    parentId === undefined || parentId === null
      ? undefined
      : sql`exists (select 1 from ${categories} where id = ${parentId}) and not exists (
          with recursive ancestors(id, parent_id) as (
            select id, parent_id from ${categories} where id = ${parentId}
            union
            select c.id, c.parent_id from ${categories} c join ancestors a on c.id = a.parent_id
          )
          select 1 from ancestors where id = ${id})`;
  const [row] = await db
    .update(categories)
    .set({ ...patch, updatedAt: now })
    .where(and(eq(categories.id, id), guard))
    .returning();
  return row;
}

/**
 * Deletes a category only if no category sits under it and no service (deleted ones included:
 * they keep their history) belongs to it, in one statement.
 */
export async function deleteUnusedCategory(db: Db, id: string): Promise<boolean> {
  const result = await db.run(sql`
    delete from ${categories} where id = ${id}
      and not exists (select 1 from categories child where child.parent_id = ${id})
      and not exists (select 1 from services s where s.category_id = ${id})`);
  return result.meta.changes > 0;
}

/** Whether any category sits under `id`, and whether any service (deleted or not) belongs to it. */
export async function categoryUsage(db: Db, id: string): Promise<{ children: number; services: number }> {
  const [row] = await db.all<{ children: number; services: number }>(sql`
    select (select count(*) from categories where parent_id = ${id}) as children,
           (select count(*) from services where category_id = ${id}) as services`);
  return { children: row?.children ?? 0, services: row?.services ?? 0 };
}

/** Renames a skill; undefined when no skill has the code. */
export async function renameSkill(db: Db, code: string, name: { nameZh: string; nameEn: string }): Promise<SkillRow | undefined> {
  const [row] = await db.update(skills).set(name).where(eq(skills.code, code)).returning();
  return row;
}
