/**
 * Referrals: every account has a share code; a new customer (no order yet) accepts one, and after
 * their first completed order the cron rewards both with a coupon of REFERRAL_REWARD_FEN, unless the
 * fraud guard finds the two are one person:
 *
 * - same device: both accounts sent the same `X-Device-Id` (the app's installation id, a random id the
 *   app makes once and keeps; stored only as a keyed hash) when reading their share code or accepting one;
 * - same address: the new customer's first completed order went to an address the referrer has saved
 *   or ordered to (compared on the decrypted text, ignoring spaces, punctuation and case);
 * - same payment account: both accounts are bound to the same WeChat person (unionid), or both paid
 *   as one payer in any provider's notification (WeChat Pay payer.openid, Alipay buyer_id /
 *   buyer_open_id, Stripe card fingerprint or customer; stored as a keyed hash in payment_payers).
 */
import { config } from "../config";
import { getDb } from "../db/client";
import {
  accountOfCode,
  decideReferralStatement,
  ensureReferralCode,
  findReferral,
  guardedWalletCoupon,
  insertReferral,
  orderAddressEnc,
  referralCodeOf,
  referralCounts,
  referralRewarded,
  referralsToDecide,
  rememberDevice,
  sealedAddressesOf,
  shareADevice,
  shareAPayer,
} from "../db/repositories/growth.repo";
import { runBatch } from "../db/repositories/statements";
import { AppError } from "../errors";
import { crockford } from "../lib/ids";
import { logger } from "../lib/log";
import { Pii } from "../lib/pii";
import { walletCouponRow } from "./wallet.service";

const REWARD_DAYS = 30;

export type FraudReason = "same_device" | "same_address" | "same_payment_account";

const NOT_ALLOWED_TEXT = {
  own: { en: "this is your own code", zh: "这是您自己的邀请码" },
  not_new: { en: "only new customers (no order yet) can accept an invitation", zh: "只有尚未下单的新用户可以接受邀请" },
  already: { en: "you have accepted an invitation already", zh: "您已接受过邀请" },
} as const;

function notAllowed(why: keyof typeof NOT_ALLOWED_TEXT): AppError {
  return AppError.of("REFERRAL_NOT_ALLOWED", { why: NOT_ALLOWED_TEXT[why] }, { extra: { reason: why } });
}

/** A share code: 8 characters of Crockford base32 (no I, L, O, U). */
function freshCode(): string {
  return crockford(0, crypto.getRandomValues(new Uint8Array(16))).slice(-8);
}

async function noteDevice(env: Env, accountId: string, deviceId: string | undefined, now: number) {
  const id = deviceId?.trim();
  if (!id || id.length > 128) return;
  const pii = await Pii.fromEnv(env);
  await rememberDevice(getDb(env), accountId, await pii.lookupHash(`device:${id}`), now);
}

/** The account's share code (made the first time) and how its invitations went. */
export async function myReferral(env: Env, accountId: string, deviceId?: string) {
  const db = getDb(env);
  const now = Date.now();
  let code = await referralCodeOf(db, accountId);
  for (let tries = 0; !code && tries < 3; tries++) code = await ensureReferralCode(db, accountId, freshCode(), now);
  if (!code) throw new Error("no share code could be made");
  await noteDevice(env, accountId, deviceId, now);
  const counts = await referralCounts(db, accountId);
  const mine = await findReferral(db, accountId);
  return { code, invited: counts, referredBy: mine ? { status: mine.status } : null, reward: config(env).REFERRAL_REWARD_FEN };
}

/**
 * A new customer accepts a share code: 404 REFERRAL_CODE_NOT_FOUND, 409 REFERRAL_NOT_ALLOWED (own
 * code, not new, accepted one already). The reward waits for their first completed order.
 */
export async function acceptReferral(env: Env, accountId: string, rawCode: string, deviceId?: string) {
  const db = getDb(env);
  const referrerId = await accountOfCode(db, rawCode.trim().toUpperCase());
  if (!referrerId) throw AppError.of("REFERRAL_CODE_NOT_FOUND");
  if (referrerId === accountId) throw notAllowed("own");
  if (await findReferral(db, accountId)) throw notAllowed("already");
  const now = Date.now();
  if (!(await insertReferral(db, accountId, referrerId, now))) {
    throw (await findReferral(db, accountId)) ? notAllowed("already") : notAllowed("not_new");
  }
  await noteDevice(env, accountId, deviceId, now);
  return { status: "pending" as const };
}

const squash = (text: string) => text.toLowerCase().replace(/[\s\p{P}\p{S}]/gu, "");

/** Whether the new customer's order went to an address the referrer has used. */
async function sameAddress(env: Env, pii: Pii, referrerId: string, orderId: string): Promise<boolean> {
  const db = getDb(env);
  const sealed = await orderAddressEnc(db, orderId);
  if (!sealed) return false;
  const target = squash((JSON.parse(await pii.decrypt("order_address", sealed)) as { text: string }).text);
  const theirs = await sealedAddressesOf(db, referrerId);
  for (const a of theirs.saved) if (squash(await pii.decrypt("address", a.textEnc)) === target) return true;
  for (const o of theirs.ordered)
    if (squash((JSON.parse(await pii.decrypt("order_address", o)) as { text: string }).text) === target) return true;
  return false;
}

/** Why the fraud guard refuses the reward, or null. */
export async function fraudReason(env: Env, referrerId: string, refereeId: string, orderId: string): Promise<FraudReason | null> {
  const db = getDb(env);
  if (await shareADevice(db, referrerId, refereeId)) return "same_device";
  if (await sameAddress(env, await Pii.fromEnv(env), referrerId, orderId)) return "same_address";
  if (await shareAPayer(db, referrerId, refereeId)) return "same_payment_account";
  return null;
}

/**
 * Decides the pending referrals whose new customer has completed an order (the minute cron): both
 * get a coupon in one batch with the decision, or the decision records the fraud guard's reason.
 */
export async function decideReferrals(env: Env, now = Date.now()): Promise<{ rewarded: number; refused: number }> {
  const db = getDb(env);
  const out = { rewarded: 0, refused: 0 };
  const reward = config(env).REFERRAL_REWARD_FEN;
  for (const r of await referralsToDecide(db, 50)) {
    const reason = await fraudReason(env, r.referrerId, r.refereeId, r.orderId);
    const decision = decideReferralStatement(db, r.refereeId, { status: reason ? "refused" : "rewarded", reason, orderId: r.orderId }, now);
    if (reason) {
      await runBatch(db, [decision]);
      out.refused += 1;
      continue;
    }
    const terms = { name: "邀请有礼", kind: "fixed" as const, value: reward };
    const coupons = [r.referrerId, r.refereeId].map((accountId) =>
      guardedWalletCoupon(
        db,
        walletCouponRow(
          terms,
          { accountId, source: "referral", issueKey: `referral:${r.refereeId}:${accountId}`, validDays: REWARD_DAYS, createdBy: "system" },
          now,
        ),
        referralRewarded(r.refereeId, now),
      ),
    );
    await runBatch(db, [decision, ...coupons]);
    out.rewarded += 1;
  }
  if (out.rewarded || out.refused) logger.info("referrals.decided", out);
  return out;
}
