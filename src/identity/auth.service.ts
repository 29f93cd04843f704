import { getDb } from "../db/client";
import { accountLinks, findOrCreateAccount, updateAccount, type AccountRow } from "../db/repositories/accounts.repo";
import { appendAudit } from "../db/repositories/audit.repo";
import { consumeOtp, putOtp, revokeFamily, useRefreshToken, findRefreshToken } from "../db/repositories/auth.repo";
import { bumpTokenVersion, insertRefreshTokenIfFamilyLive, revokeAllTokens } from "../db/repositories/account-access.repo";
import { accountDisabled, forgetTokenState, rememberTokenState } from "../http/token-state";
import { hitLimits, type WindowLimit } from "../db/repositories/rate-limit.repo";
import { config } from "../config";
import { normalisePhone } from "../domain/phone";
import { withRoles, type Role } from "../domain/roles";
import type { Auth } from "../env";
import { AppError, rateLimited } from "../errors";
import { randomToken, sha256Hex } from "../lib/encoding";
import { newId } from "../lib/ids";
import { signAccessToken } from "../lib/jwt";
import { enforceLimit } from "../lib/rate-limit";
import { Pii } from "../lib/pii";
import { smsSender } from "../adapters/channels";
import { logger } from "../lib/log";

/** Parses a client phone or fails with 400 INVALID_PHONE. */
export function requirePhone(input: string, path = "body.phone"): string {
  const phone = normalisePhone(input);
  if (!phone) {
    throw AppError.of("INVALID_PHONE", {}, { errors: [{ path, message: "not an E.164 or 11-digit mainland mobile number" }] });
  }
  return phone;
}

/**
 * Sends a sign-in code to a phone of a country in OTP_COUNTRIES.
 *
 * The limits fall on the sender first, so someone spending sends against another person's number
 * does not lock that person out: one batch counts the sender's IP (OTP_IP_LIMIT), its device when
 * the app names one (OTP_DEVICE_LIMIT), and sends to this phone from this IP (OTP_PHONE_LIMIT, and
 * the OTP_PHONE_COOLDOWN_SECONDS gap). Only a send all of those allow is counted against the phone
 * itself (OTP_PHONE_CAP, the safety cap on texts one number receives from everyone), so a refused
 * sender never spends the phone's cap. Returns the code itself only when OTP_DEV_ECHO is "1".
 */
export async function requestOtp(env: Env, input: { phone: string; ip: string; deviceId?: string }) {
  const db = getDb(env);
  const phone = requirePhone(input.phone);
  const settings = config(env);
  const countries = settings.OTP_COUNTRIES;
  if (!countries.some((cc) => phone.startsWith(`+${cc}`))) {
    throw AppError.of("PHONE_COUNTRY_NOT_SUPPORTED", { countries: countries.map((cc) => `+${cc}`).join(", ") });
  }
  const pii = await Pii.fromEnv(env);
  const phoneHash = await pii.lookupHash(phone);
  const { OTP_TTL_SECONDS: ttl, OTP_PHONE_COOLDOWN_SECONDS: cooldown } = settings;
  const sender: WindowLimit[] = [
    { key: `otp:ip:${input.ip}`, ...settings.OTP_IP_LIMIT },
    { key: `otp:phone-ip:${phoneHash}:${input.ip}`, ...settings.OTP_PHONE_LIMIT },
  ];
  if (input.deviceId) sender.push({ key: `otp:device:${await sha256Hex(input.deviceId)}`, ...settings.OTP_DEVICE_LIMIT });
  if (cooldown > 0) sender.push({ key: `otp:cool:${phoneHash}:${input.ip}`, limit: 1, windowSeconds: cooldown });
  const bySender = await hitLimits(db, sender);
  if (!bySender.allowed) throw rateLimited(bySender.retryAfter);
  const byPhone = await hitLimits(db, [{ key: `otp:phone:${phoneHash}`, ...settings.OTP_PHONE_CAP }]);
  if (!byPhone.allowed) throw rateLimited(byPhone.retryAfter);

  const code = String(crypto.getRandomValues(new Uint32Array(1))[0]! % 1_000_000).padStart(6, "0");
  await putOtp(getDb(env), phoneHash, await otpHash(pii, phoneHash, code), Date.now() + ttl * 1000);
  const minutes = String(Math.round(ttl / 60));
  try {
    await smsSender(config(env)).send(phone, {
      kind: "otp",
      params: { code, minutes },
      text: `【Doorstep】验证码 ${code}，${minutes} 分钟内有效。Your code is ${code}.`,
    });
  } catch (err) {
    // The provider's answer names no phone and no code; the log keeps it for operators.
    logger.error("sms.failed", { kind: "otp", provider: config(env).SMS_PROVIDER, error: String(err) });
    const retryAfter = Math.max(1, cooldown);
    throw AppError.of("SMS_UNAVAILABLE", {}, { headers: { "Retry-After": String(retryAfter) }, extra: { retryAfter } });
  }
  return { expiresIn: ttl, devCode: config(env).OTP_DEV_ECHO ? code : undefined };
}

function otpHash(pii: Pii, phoneHash: string, code: string) {
  return pii.lookupHash(`otp:${phoneHash}:${code}`);
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  account: { id: string; roles: Role[] };
}

/** Exchanges a phone and code for tokens, creating the customer account on first sign-in. */
export async function signInWithOtp(env: Env, input: { phone: string; code: string }): Promise<TokenPair> {
  const phone = requirePhone(input.phone);
  const pii = await Pii.fromEnv(env);
  const db = getDb(env);
  const phoneHash = await pii.lookupHash(phone);
  // Guesses at one phone's code, from anywhere (the route is also limited per IP).
  await enforceLimit(env.RATE_LIMIT_SIGNIN_PHONE, `signin:phone:${phoneHash}`);
  const check = await consumeOtp(db, phoneHash, await otpHash(pii, phoneHash, input.code), config(env).OTP_MAX_ATTEMPTS);
  if (check !== "ok") {
    throw AppError.of(check === "wrong" ? "OTP_INVALID" : check === "exhausted" ? "OTP_ATTEMPTS_EXCEEDED" : "OTP_EXPIRED");
  }
  let account = await findOrCreateAccount(db, {
    id: newId("acc"),
    phoneHash,
    phoneEnc: await pii.encrypt("phone", phone),
    roles: ["customer"],
  });
  account = await applyBootstrapAdmin(env, account, phone);
  return issueTokens(env, account, newId("rtf"));
}

/** Phones in BOOTSTRAP_ADMIN_PHONES hold admin and operator: how a fresh deployment gets its first administrator. */
async function applyBootstrapAdmin(env: Env, account: AccountRow, phone: string): Promise<AccountRow> {
  const bootstrap = config(env).BOOTSTRAP_ADMIN_PHONES.map(normalisePhone);
  if (!bootstrap.includes(phone)) return account;
  const roles = withRoles(account.roles, ["operator", "admin"]);
  if (roles.length === account.roles.length) return account;
  const db = getDb(env);
  const updated = (await updateAccount(db, account.id, { roles })) ?? account;
  await appendAudit(db, { actorId: null, action: "account.roles.bootstrap", targetType: "account", targetId: account.id, data: { roles } });
  return updated;
}

/** Rotates a refresh token. Presenting a rotated token again revokes the whole family. */
export async function refreshTokens(env: Env, refreshToken: string): Promise<TokenPair> {
  const db = getDb(env);
  const use = await useRefreshToken(db, await sha256Hex(refreshToken));
  if (use.kind === "reused") {
    // A copy of the token is in someone else's hands: the family dies, and so do the access tokens it gave.
    await revokeFamily(db, use.familyId);
    await bumpTokenVersion(db, use.accountId);
    forgetTokenState(use.accountId);
    throw AppError.of("REFRESH_TOKEN_REUSED");
  }
  if (use.kind === "invalid") throw AppError.of("INVALID_REFRESH_TOKEN");
  const account = await db.query.accounts.findFirst({ where: (a, { eq }) => eq(a.id, use.accountId) });
  if (!account) throw AppError.of("INVALID_REFRESH_TOKEN");
  return issueTokens(env, account, use.familyId);
}

/** Ends the session the refresh token belongs to (its whole family). Unknown tokens are ignored. */
export async function logout(env: Env, refreshToken: string): Promise<void> {
  const db = getDb(env);
  const row = await findRefreshToken(db, await sha256Hex(refreshToken));
  if (row) await revokeFamily(db, row.familyId);
}

/**
 * Signs the account out everywhere: every refresh token revoked and the token version raised, so its
 * access tokens stop working (on other isolates within TOKEN_VERSION_CACHE_SECONDS).
 */
export async function logoutEverywhere(env: Env, accountId: string): Promise<void> {
  const db = getDb(env);
  await revokeAllTokens(db, accountId);
  forgetTokenState(accountId);
}

/**
 * Signs an active account in: an access token carrying its token version, and the next refresh
 * token of family `familyId` (refused when the family was revoked meanwhile: a reuse raced this
 * rotation). A disabled account gets 403 ACCOUNT_DISABLED with the reason. A merchant_admin of a
 * deactivated merchant signs in without that role.
 */
export async function issueTokens(env: Env, account: AccountRow, familyId: string): Promise<TokenPair> {
  if (account.status !== "active") throw accountDisabled(account.disabledReason);
  const db = getDb(env);
  const { technician, merchant } = await accountLinks(db, account);
  const merchantInactive = merchant?.active === false;
  const roles = merchantInactive ? account.roles.filter((r) => r !== "merchant_admin") : account.roles;
  const auth: Auth = {
    accountId: account.id,
    roles,
    merchantId: merchantInactive ? null : account.merchantId,
    technicianId: technician?.id ?? null,
    tokenVersion: account.tokenVersion,
  };
  const ttl = config(env).ACCESS_TOKEN_TTL_SECONDS;
  const refreshToken = randomToken(32);
  const stored = await insertRefreshTokenIfFamilyLive(db, {
    id: newId("rft"),
    familyId,
    accountId: account.id,
    tokenHash: await sha256Hex(refreshToken),
    expiresAt: Date.now() + config(env).REFRESH_TOKEN_TTL_DAYS * 86_400_000,
  });
  if (!stored) throw AppError.of("REFRESH_TOKEN_REUSED");
  rememberTokenState(account.id, { tokenVersion: account.tokenVersion, status: account.status, disabledReason: null });
  return {
    accessToken: await signAccessToken(env, auth, ttl),
    refreshToken,
    expiresIn: ttl,
    account: { id: account.id, roles },
  };
}
