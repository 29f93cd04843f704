import { eq, sql } from "drizzle-orm";
import type { Db } from "../client";
import { accounts, merchants, technicians } from "../schema";
import type { Role } from "../../domain/roles";

export type AccountRow = typeof accounts.$inferSelect;

export async function findAccountById(db: Db, id: string): Promise<AccountRow | undefined> {
  return db.query.accounts.findFirst({ where: eq(accounts.id, id) });
}

export async function findAccountByPhoneHash(db: Db, phoneHash: string): Promise<AccountRow | undefined> {
  return db.query.accounts.findFirst({ where: eq(accounts.phoneHash, phoneHash) });
}

/**
 * Returns the account for a phone, creating it with `roles` when none exists. The insert ignores
 * a concurrent creation (unique phone hash), so two first sign-ins end with one account.
 */
export async function findOrCreateAccount(
  db: Db,
  input: { id: string; phoneHash: string; phoneEnc: string; roles: Role[]; name?: string | null; merchantId?: string | null },
  now = Date.now(),
): Promise<AccountRow> {
  await db
    .insert(accounts)
    .values({
      id: input.id,
      phoneHash: input.phoneHash,
      phoneEnc: input.phoneEnc,
      roles: input.roles,
      name: input.name ?? null,
      merchantId: input.merchantId ?? null,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing({ target: accounts.phoneHash });
  const row = await findAccountByPhoneHash(db, input.phoneHash);
  if (!row) throw new Error("account vanished after insert");
  return row;
}

export async function updateAccount(db: Db, id: string, patch: Partial<Pick<AccountRow, "roles" | "name" | "merchantId" | "status">>) {
  const [row] = await db
    .update(accounts)
    .set({ ...patch, updatedAt: Date.now() })
    .where(eq(accounts.id, id))
    .returning();
  return row;
}

/** The technician profile and merchant an account is tied to, if any. */
export async function accountLinks(db: Db, account: AccountRow) {
  const [technician, merchant] = await Promise.all([
    db.query.technicians.findFirst({ where: eq(technicians.accountId, account.id) }),
    account.merchantId ? db.query.merchants.findFirst({ where: eq(merchants.id, account.merchantId) }) : Promise.resolve(undefined),
  ]);
  return { technician, merchant };
}

/**
 * Gives `roles` to the account only while no account holds `admin`: one statement, so of two
 * bootstraps racing (D1 runs writes one at a time) exactly one finds no admin. True when it did.
 */
export async function grantRolesIfNoAdmin(db: Db, accountId: string, roles: Role[], now = Date.now()): Promise<boolean> {
  const result = await db.run(sql`UPDATE accounts SET roles = ${JSON.stringify(roles)}, updated_at = ${now}
    WHERE id = ${accountId}
      AND NOT EXISTS (SELECT 1 FROM accounts a, json_each(a.roles) r WHERE r.value = 'admin')`);
  return (result.meta.changes ?? 0) > 0;
}

/** Whether any account holds the admin role. */
export async function adminExists(db: Db): Promise<boolean> {
  const row = await db.get<{ n: number }>(sql`SELECT EXISTS (SELECT 1 FROM accounts a, json_each(a.roles) r WHERE r.value = 'admin') AS n`);
  return Boolean(row?.n);
}
