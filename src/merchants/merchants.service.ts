import { getDb, type Db } from "../db/client";
import { findAccountById, findOrCreateAccount, type AccountRow } from "../db/repositories/accounts.repo";
import { setMerchantActive } from "../db/repositories/account-access.repo";
import { appendAudit } from "../db/repositories/audit.repo";
import {
  findMerchant,
  grantMerchantAdmin,
  insertMerchant,
  listMerchantAdmins,
  listMerchants,
  revokeMerchantAdmin,
  updateMerchant,
  type MerchantRow,
} from "../db/repositories/merchants.repo";
import { maskPhone } from "../domain/phone";
import { isPlatform, withRoles, type Role } from "../domain/roles";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId } from "../lib/ids";
import { Pii } from "../lib/pii";
import { requirePhone } from "../identity/auth.service";
import { forgetTokenState } from "../http/token-state";
import { forgetCellVersions } from "../cells";

export interface MerchantView {
  id: string;
  name: string;
  active: boolean;
  platformTechnicians: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface MerchantAdminView {
  accountId: string;
  /** Masked: only the phone's owner sees it in full. */
  phone: string;
  name: string | null;
  roles: Role[];
}

function view(m: MerchantRow): MerchantView {
  return {
    id: m.id,
    name: m.name,
    active: m.active,
    platformTechnicians: m.platformTechnicians,
    createdAt: new Date(m.createdAt).toISOString(),
    updatedAt: new Date(m.updatedAt).toISOString(),
  };
}

async function adminView(pii: Pii, a: AccountRow): Promise<MerchantAdminView> {
  return { accountId: a.id, phone: maskPhone(await pii.decrypt("phone", a.phoneEnc)), name: a.name, roles: a.roles };
}

/** The merchant if the caller may see it: operators see all, a merchant_admin only its own. */
async function visibleMerchant(db: Db, auth: Auth, id: string): Promise<MerchantRow> {
  const merchant = isPlatform(auth.roles) || auth.merchantId === id ? await findMerchant(db, id) : undefined;
  if (!merchant) throw notFound("Merchant");
  return merchant;
}

/** Creates a merchant (a service company), active from the start. */
export async function createMerchant(env: Env, actorId: string, input: { name: string }): Promise<MerchantView> {
  const db = getDb(env);
  const now = Date.now();
  const row: MerchantRow = {
    id: newId("mch"),
    name: input.name,
    defaultShifts: null,
    platformTechnicians: false,
    active: true,
    createdAt: now,
    updatedAt: now,
  };
  await insertMerchant(db, row);
  await appendAudit(db, { actorId, action: "merchant.create", targetType: "merchant", targetId: row.id, data: { name: row.name } });
  return view(row);
}

/** A page of merchants: every merchant for operators, only its own for a merchant_admin. */
export async function getMerchants(env: Env, auth: Auth, query: { limit: number; cursor?: string }) {
  const afterId = decodeCursor(query.cursor);
  if (!isPlatform(auth.roles) && !auth.merchantId) return { items: [], nextCursor: null };
  const rows = await listMerchants(getDb(env), {
    afterId,
    limit: query.limit,
    onlyId: isPlatform(auth.roles) ? undefined : (auth.merchantId ?? undefined),
  });
  const page = toPage(rows, query.limit);
  return { items: page.items.map(view), nextCursor: page.nextCursor };
}

/** One merchant; 404 for a merchant_admin asking about another merchant. */
export async function getMerchant(env: Env, auth: Auth, id: string): Promise<MerchantView> {
  return view(await visibleMerchant(getDb(env), auth, id));
}

/**
 * Renames or (de)activates a merchant (audited). A deactivated merchant's services leave the public
 * catalog, and its administrators lose access at once: the token version of every account tied to it
 * goes up in the same batch, and their next tokens carry no merchant_admin role until it is active again.
 */
export async function patchMerchant(
  env: Env,
  actorId: string,
  id: string,
  patch: { name?: string; active?: boolean; platformTechnicians?: boolean },
): Promise<MerchantView> {
  const db = getDb(env);
  let revoked: string[] = [];
  if (patch.active !== undefined) {
    const result = await setMerchantActive(db, { merchantId: id, active: patch.active });
    if (!result.found) throw notFound("Merchant");
    revoked = result.revoked;
    revoked.forEach(forgetTokenState);
  }
  const fields = {
    ...(patch.name !== undefined ? { name: patch.name } : {}),
    ...(patch.platformTechnicians !== undefined ? { platformTechnicians: patch.platformTechnicians } : {}),
  };
  const row = Object.keys(fields).length > 0 ? await updateMerchant(db, id, fields) : await findMerchant(db, id);
  if (!row) throw notFound("Merchant");
  // Dispatch keeps the merchant's rule with the ring's roster versions: this isolate sees the change at once.
  if (patch.platformTechnicians !== undefined) forgetCellVersions();
  const data = revoked.length > 0 ? { ...patch, revokedAccounts: revoked } : { ...patch };
  await appendAudit(db, { actorId, action: "merchant.update", targetType: "merchant", targetId: id, data });
  return view(row);
}

/**
 * Makes the account with `phone` (created if new) an administrator of the merchant: adds the
 * merchant_admin role and ties the account to the merchant. An account administers at most one
 * merchant: 409 MERCHANT_ADMIN_ELSEWHERE otherwise. Granting again is harmless (`created: false`).
 * The role reaches the account's access tokens at its next sign-in or refresh.
 */
export async function addMerchantAdmin(
  env: Env,
  actorId: string,
  merchantId: string,
  input: { phone: string },
): Promise<{ admin: MerchantAdminView; created: boolean }> {
  const phone = requirePhone(input.phone);
  const db = getDb(env);
  if (!(await findMerchant(db, merchantId))) throw notFound("Merchant");
  const pii = await Pii.fromEnv(env);
  let account = await findOrCreateAccount(db, {
    id: newId("acc"),
    phoneHash: await pii.lookupHash(phone),
    phoneEnc: await pii.encrypt("phone", phone),
    roles: ["customer"],
  });
  // Conditional write; a concurrent change to the account makes us re-read and decide again.
  for (let attempt = 0; attempt < 3; attempt++) {
    if (account.merchantId !== null && account.merchantId !== merchantId) {
      throw AppError.of("MERCHANT_ADMIN_ELSEWHERE");
    }
    if (account.merchantId === merchantId && account.roles.includes("merchant_admin")) {
      return { admin: await adminView(pii, account), created: false };
    }
    const roles = withRoles(account.roles, ["merchant_admin"]);
    const updated = await grantMerchantAdmin(db, { accountId: account.id, merchantId, expectedRoles: account.roles, roles });
    if (updated) {
      await appendAudit(db, {
        actorId,
        action: "merchant.admin.grant",
        targetType: "account",
        targetId: account.id,
        data: { merchantId, roles },
      });
      return { admin: await adminView(pii, updated), created: true };
    }
    const fresh = await findAccountById(db, account.id);
    if (!fresh) break;
    account = fresh;
  }
  throw AppError.of("CONCURRENT_UPDATE");
}

/**
 * Ends an account's administration of the merchant: the merchant_admin role and the tie go
 * together. 404 when the account does not administer this merchant.
 */
export async function removeMerchantAdmin(env: Env, actorId: string, merchantId: string, accountId: string): Promise<void> {
  const db = getDb(env);
  for (let attempt = 0; attempt < 3; attempt++) {
    const account = await findAccountById(db, accountId);
    if (!account || account.merchantId !== merchantId || !account.roles.includes("merchant_admin")) {
      throw notFound("Merchant administrator");
    }
    const roles = account.roles.filter((r) => r !== "merchant_admin");
    if (await revokeMerchantAdmin(db, { accountId, merchantId, expectedRoles: account.roles, roles })) {
      // The update raised the account's token version: tokens carrying the role stop working now.
      forgetTokenState(accountId);
      await appendAudit(db, {
        actorId,
        action: "merchant.admin.revoke",
        targetType: "account",
        targetId: accountId,
        data: { merchantId, roles },
      });
      return;
    }
  }
  throw AppError.of("CONCURRENT_UPDATE");
}

/** A page of the merchant's administrators, phones masked. */
export async function getMerchantAdmins(env: Env, auth: Auth, merchantId: string, query: { limit: number; cursor?: string }) {
  const afterId = decodeCursor(query.cursor);
  const db = getDb(env);
  await visibleMerchant(db, auth, merchantId);
  const rows = await listMerchantAdmins(db, merchantId, { afterId, limit: query.limit });
  const pii = await Pii.fromEnv(env);
  const page = toPage(rows, query.limit);
  return { items: await Promise.all(page.items.map((a) => adminView(pii, a))), nextCursor: page.nextCursor };
}
