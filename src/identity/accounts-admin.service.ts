/**
 * Staff disable and enable accounts. Disabling is immediate: the account's access tokens stop
 * working (its token version goes up), every refresh token is revoked, and signing in again answers
 * 403 ACCOUNT_DISABLED with the reason. Every change is audited.
 */
import { getDb } from "../db/client";
import { disableAccount, enableAccount, listAccounts } from "../db/repositories/account-access.repo";
import { findAccountById, type AccountRow } from "../db/repositories/accounts.repo";
import { appendAudit } from "../db/repositories/audit.repo";
import type { DisableReason } from "../domain/account-status";
import { maskPhone } from "../domain/phone";
import { isPlatform, type Role } from "../domain/roles";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import { forgetTokenState } from "../http/token-state";
import { decodeCursor, toPage } from "../lib/cursor";
import { Pii } from "../lib/pii";
import { requirePhone } from "./auth.service";

export interface AccountAdminView {
  id: string;
  /** Masked. */
  phone: string;
  name: string | null;
  roles: Role[];
  merchantId: string | null;
  status: AccountRow["status"];
  disabled: { reason: DisableReason; note: string | null; at: string } | null;
  createdAt: string;
}

async function view(pii: Pii, a: AccountRow): Promise<AccountAdminView> {
  return {
    id: a.id,
    phone: maskPhone(await pii.decrypt("phone", a.phoneEnc)),
    name: a.name,
    roles: a.roles,
    merchantId: a.merchantId,
    status: a.status,
    disabled:
      a.status === "disabled"
        ? { reason: a.disabledReason ?? "other", note: a.disabledNote, at: new Date(a.disabledAt ?? a.updatedAt).toISOString() }
        : null,
    createdAt: new Date(a.createdAt).toISOString(),
  };
}

/** Accounts for staff: all, only disabled or active ones, or the one with a phone. */
export async function getAccounts(
  env: Env,
  query: { limit: number; cursor?: string; status?: AccountRow["status"]; phone?: string },
): Promise<{ items: AccountAdminView[]; nextCursor: string | null }> {
  const pii = await Pii.fromEnv(env);
  const phoneHash = query.phone === undefined ? undefined : await pii.lookupHash(requirePhone(query.phone, "query.phone"));
  const rows = await listAccounts(getDb(env), { afterId: decodeCursor(query.cursor), limit: query.limit, status: query.status, phoneHash });
  const page = toPage(rows, query.limit);
  return { items: await Promise.all(page.items.map((a) => view(pii, a))), nextCursor: page.nextCursor };
}

export async function getAccount(env: Env, id: string): Promise<AccountAdminView> {
  const row = await findAccountById(getDb(env), id);
  if (!row) throw notFound("Account");
  return view(await Pii.fromEnv(env), row);
}

/** Staff act on others only; an operator may not disable staff (operators and admins): only an admin may. */
function assertMayChange(actor: Auth, target: AccountRow): void {
  if (target.id === actor.accountId) throw AppError.of("ACCOUNT_DISABLE_SELF");
  if (isPlatform(target.roles) && !actor.roles.includes("admin")) throw AppError.of("FORBIDDEN");
}

/**
 * Disables the account with a reason (and an optional note for staff), effective at once. Disabling
 * a disabled account changes nothing and answers it as it is.
 */
export async function disable(env: Env, actor: Auth, id: string, input: { reason: DisableReason; note?: string }) {
  const db = getDb(env);
  const target = await findAccountById(db, id);
  if (!target) throw notFound("Account");
  assertMayChange(actor, target);
  const row = await disableAccount(db, { accountId: id, reason: input.reason, note: input.note ?? null });
  forgetTokenState(id);
  if (!row) return getAccount(env, id);
  await appendAudit(db, {
    actorId: actor.accountId,
    action: "account.disable",
    targetType: "account",
    targetId: id,
    data: { reason: input.reason, note: input.note ?? null },
  });
  return view(await Pii.fromEnv(env), row);
}

/** Enables a disabled account: it may sign in again (its old tokens stay revoked). */
export async function enable(env: Env, actor: Auth, id: string) {
  const db = getDb(env);
  const target = await findAccountById(db, id);
  if (!target) throw notFound("Account");
  assertMayChange(actor, target);
  const row = await enableAccount(db, id);
  forgetTokenState(id);
  if (!row) return view(await Pii.fromEnv(env), target);
  await appendAudit(db, { actorId: actor.accountId, action: "account.enable", targetType: "account", targetId: id, data: {} });
  return view(await Pii.fromEnv(env), row);
}
