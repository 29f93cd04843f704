import { getDb } from "../db/client";
import { accountLinks, findAccountById, updateAccount } from "../db/repositories/accounts.repo";
import { notFound } from "../errors";
import { Pii } from "../lib/pii";

/** The caller's own account, with its full phone (owners see their own data unmasked). */
export async function getMe(env: Env, accountId: string) {
  const db = getDb(env);
  const account = await findAccountById(db, accountId);
  if (!account) throw notFound("Account");
  const pii = await Pii.fromEnv(env);
  const { technician, merchant } = await accountLinks(db, account);
  return {
    id: account.id,
    phone: await pii.decrypt("phone", account.phoneEnc),
    name: account.name,
    roles: account.roles,
    merchant: merchant ? { id: merchant.id, name: merchant.name } : null,
    technician: technician ? { id: technician.id, name: technician.name, status: technician.status, homeCell: technician.homeCell } : null,
    createdAt: new Date(account.createdAt).toISOString(),
  };
}

export async function renameMe(env: Env, accountId: string, name: string) {
  await updateAccount(getDb(env), accountId, { name });
  return getMe(env, accountId);
}
