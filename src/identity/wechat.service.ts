/**
 * Mini-program sign-in with WeChat: a login code (`wx.login`) becomes the person's openid through
 * `code2session`; an openid bound to an account signs it in with the same tokens as the OTP
 * sign-in. An account signed in by phone binds its WeChat with a fresh code, and may unbind it.
 * The bound openid is what JSAPI payments and WeChat payouts pay from and to, and where subscribe
 * messages go. WeChat's session key is never kept.
 */
import { code2session, miniProgram, type WechatIdentity } from "../adapters/wechat";
import { ProviderError } from "../adapters/provider-error";
import { config } from "../config";
import { getDb } from "../db/client";
import { findAccountById } from "../db/repositories/accounts.repo";
import { appendAudit } from "../db/repositories/audit.repo";
import { hitLimits } from "../db/repositories/rate-limit.repo";
import {
  accountBinding,
  bindAccount,
  deleteAccountBinding,
  findBinding,
  findBindingByUnionid,
  touchBinding,
  type WechatBindingRow,
} from "../db/repositories/wechat.repo";
import { maskAccount } from "../domain/masking";
import { AppError, notFound, rateLimited } from "../errors";
import { newId } from "../lib/ids";
import type { Locale } from "../lib/locale";
import { issueTokens, type TokenPair } from "./auth.service";
import { log } from "../lib/log";

/** How long a client waits before trying again when WeChat is busy, in seconds. */
const RETRY_AFTER = 5;

/** The mini program's appid, or 409 WECHAT_NOT_CONFIGURED. */
function appidOf(env: Env): string {
  const app = miniProgram(config(env));
  if (!app) throw AppError.of("WECHAT_NOT_CONFIGURED");
  return app.appid;
}

/** The identity behind a login code, WeChat's refusals turned into the client's problems. */
async function identityOf(env: Env, code: string): Promise<WechatIdentity> {
  try {
    return await code2session(config(env), code);
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    if (err.code === "40029" || err.code === "40163") throw AppError.of("WECHAT_CODE_INVALID");
    if (err.code === "40226") throw AppError.of("WECHAT_USER_BLOCKED");
    if (err.code === "not_configured") throw AppError.of("WECHAT_NOT_CONFIGURED");
    // Busy, unreachable, or our own credentials refused (40013, 40125): operators see it in the log.
    log(err.retryable ? "warn" : "error", "wechat.code2session_failed", { errorCode: err.code, error: err.message });
    throw AppError.of("WECHAT_UNAVAILABLE", {}, { headers: { "Retry-After": String(RETRY_AFTER) }, extra: { retryAfter: RETRY_AFTER } });
  }
}

export type WechatSignIn = ({ bound: true } & TokenPair) | { bound: false };

/**
 * Signs in with a mini program's login code. The openid's account (or, with a unionid, the
 * account of the same person under another app of the open platform, which the openid is then
 * bound to as well) is signed in; without one the answer is `{ bound: false }`: the client signs
 * in by phone and binds with `bindWechat`. Limited per IP like OTP requests: every call costs a
 * call to WeChat.
 */
export async function signInWithWechat(env: Env, input: { code: string; ip: string; locale: Locale }): Promise<WechatSignIn> {
  const appid = appidOf(env);
  const db = getDb(env);
  const verdict = await hitLimits(db, [{ key: `wechat:ip:${input.ip}`, ...config(env).OTP_IP_LIMIT }]);
  if (!verdict.allowed) throw rateLimited(verdict.retryAfter);
  const who = await identityOf(env, input.code);
  let binding = await findBinding(db, appid, who.openid);
  if (!binding && who.unionid) {
    const sibling = await findBindingByUnionid(db, who.unionid);
    if (sibling) {
      await bindAccount(db, { ...who, accountId: sibling.accountId, lang: input.locale });
      binding = await findBinding(db, appid, who.openid);
    }
  }
  if (!binding) return { bound: false };
  const account = await findAccountById(db, binding.accountId);
  if (!account) return { bound: false };
  await touchBinding(db, { ...who, lang: input.locale });
  return { bound: true, ...(await issueTokens(env, account, newId("rtf"))) };
}

function view(row: WechatBindingRow) {
  return {
    bound: true as const,
    appid: row.appid,
    openId: maskAccount(row.openid),
    unionid: row.unionid !== null,
    lang: row.lang,
    boundAt: new Date(row.createdAt).toISOString(),
  };
}

/** The account's WeChat binding under the mini program, masked. */
export async function myWechat(env: Env, accountId: string) {
  const row = await accountBinding(getDb(env), accountId, appidOf(env));
  return row ? view(row) : { bound: false as const };
}

/**
 * Binds the WeChat behind a fresh login code to the signed-in account (replacing the account's
 * earlier one under the app). 409 WECHAT_ALREADY_BOUND when another account holds that openid.
 */
export async function bindWechat(env: Env, accountId: string, input: { code: string; locale: Locale }) {
  const appid = appidOf(env);
  const db = getDb(env);
  const who = await identityOf(env, input.code);
  const held = await findBinding(db, appid, who.openid);
  if (held && held.accountId !== accountId) throw AppError.of("WECHAT_ALREADY_BOUND");
  await bindAccount(db, { ...who, accountId, lang: input.locale });
  // Read back: a concurrent bind of the same openid by another account may have won.
  const row = await findBinding(db, appid, who.openid);
  if (!row || row.accountId !== accountId) throw AppError.of("WECHAT_ALREADY_BOUND");
  if (!held) {
    await appendAudit(db, {
      actorId: accountId,
      action: "account.wechat.bound",
      targetType: "account",
      targetId: accountId,
      data: { appid },
    });
  }
  return view(row);
}

/** Unbinds the account's WeChat under the mini program (404 when none is bound). */
export async function unbindWechat(env: Env, accountId: string): Promise<void> {
  const appid = appidOf(env);
  const db = getDb(env);
  if (!(await deleteAccountBinding(db, accountId, appid))) throw notFound({ en: "WeChat binding", zh: "微信绑定" });
  await appendAudit(db, {
    actorId: accountId,
    action: "account.wechat.unbound",
    targetType: "account",
    targetId: accountId,
    data: { appid },
  });
}

/**
 * The openid the account bound under `appid` (WeChat Pay's WECHATPAY_APPID for JSAPI payments and
 * transfers), or null.
 */
export async function boundOpenId(env: Env, accountId: string, appid: string): Promise<string | null> {
  if (!appid) return null;
  return (await accountBinding(getDb(env), accountId, appid))?.openid ?? null;
}
