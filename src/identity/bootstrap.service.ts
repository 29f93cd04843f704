/**
 * The first administrator of a new deployment (npm run bootstrap): whoever holds BOOTSTRAP_TOKEN
 * names a phone, which gets operator and admin, once. After that the route answers 409 BOOTSTRAP_DONE
 * and the administrator signs in like anyone else.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { adminExists, findAccountById, findOrCreateAccount, grantRolesIfNoAdmin, updateAccount } from "../db/repositories/accounts.repo";
import { appendAudit } from "../db/repositories/audit.repo";
import { withRoles } from "../domain/roles";
import { AppError } from "../errors";
import { sha256Hex } from "../lib/encoding";
import { newId } from "../lib/ids";
import { Pii } from "../lib/pii";
import { issueTokens, requirePhone, type TokenPair } from "./auth.service";

/** Whether `given` is the configured token, compared in constant time (both hashed to one length). */
async function tokenMatches(expected: string, given: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([sha256Hex(expected), sha256Hex(given)]);
  return crypto.subtle.timingSafeEqual(enc.encode(a), enc.encode(b));
}

/**
 * Makes the account of `input.phone` (created when missing) the first administrator and signs it
 * in. 404 BOOTSTRAP_DISABLED without BOOTSTRAP_TOKEN, 401 BOOTSTRAP_TOKEN_INVALID for another
 * token, 409 BOOTSTRAP_DONE once any account holds admin: of two racing calls exactly one wins.
 */
export async function bootstrapAdmin(env: Env, token: string | undefined, input: { phone: string; name?: string }): Promise<TokenPair> {
  const expected = config(env).BOOTSTRAP_TOKEN;
  if (!expected) throw AppError.of("BOOTSTRAP_DISABLED");
  if (!token || !(await tokenMatches(expected, token))) throw AppError.of("BOOTSTRAP_TOKEN_INVALID");
  const phone = requirePhone(input.phone);
  const db = getDb(env);
  // The cheap check first, so a late call creates no account; the guarded update decides a race.
  if (await adminExists(db)) throw AppError.of("BOOTSTRAP_DONE");
  const pii = await Pii.fromEnv(env);
  const account = await findOrCreateAccount(db, {
    id: newId("acc"),
    phoneHash: await pii.lookupHash(phone),
    phoneEnc: await pii.encrypt("phone", phone),
    roles: ["customer"],
    name: input.name ?? null,
  });
  if (!(await grantRolesIfNoAdmin(db, account.id, withRoles(account.roles, ["operator", "admin"])))) {
    throw AppError.of("BOOTSTRAP_DONE");
  }
  if (input.name && account.name !== input.name) await updateAccount(db, account.id, { name: input.name });
  await appendAudit(db, {
    actorId: null,
    action: "account.bootstrap_admin",
    targetType: "account",
    targetId: account.id,
    data: { roles: ["operator", "admin"] },
  });
  const admin = await findAccountById(db, account.id);
  if (!admin) throw new Error("bootstrapped account vanished");
  return issueTokens(env, admin, newId("rtf"));
}
