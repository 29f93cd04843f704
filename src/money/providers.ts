/** Money configuration read from the Worker's variables, with the documented defaults. */
import { BPS, validBps, type PaymentProvider } from "../domain/money";

const int = (v: string | undefined, fallback: number, min = 0) => {
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= min ? n : fallback;
};

export const queryAfterMs = (env: Env) => int(env.PAYMENT_QUERY_AFTER_SECONDS, 60) * 1000;
export const settlementDelayMs = (env: Env) => int(env.SETTLEMENT_DELAY_HOURS, 72) * 3_600_000;
export const complaintWindowMs = (env: Env) => int(env.COMPLAINT_WINDOW_DAYS, 7, 1) * 86_400_000;

export function defaultCommission(env: Env): { takeRateBps: number; technicianShareBps: number } {
  const take = int(env.COMMISSION_TAKE_RATE_BPS, 2000);
  const share = int(env.COMMISSION_TECHNICIAN_SHARE_BPS, 7000);
  return { takeRateBps: validBps(take) ? take : 2000, technicianShareBps: validBps(share) ? share : Math.min(share, BPS) };
}

export function withdrawalLimits(env: Env) {
  return {
    min: int(env.WITHDRAWAL_MIN_AMOUNT, 1000, 1),
    max: int(env.WITHDRAWAL_MAX_AMOUNT, 500_000, 1),
    perDay: int(env.WITHDRAWALS_PER_DAY, 3, 1),
    provider: env.WITHDRAWAL_PAYOUT_PROVIDER || "wechatpay",
  };
}

/** `WECHATPAY_PUBLIC_KEYS`: serial → PEM; anything malformed counts as no keys. */
export function wechatPublicKeys(env: Env): Record<string, string> {
  try {
    const parsed = JSON.parse(env.WECHATPAY_PUBLIC_KEYS || "{}") as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch {
    return {};
  }
}

/** Whether a provider can take payments here: the keys that sign what the app needs are set. */
export function providerConfigured(env: Env, provider: PaymentProvider): boolean {
  switch (provider) {
    case "wechatpay":
      return Boolean(env.WECHATPAY_MCHID && env.WECHATPAY_APPID && env.WECHATPAY_MERCHANT_PRIVATE_KEY);
    case "alipay":
      return Boolean(env.ALIPAY_APP_ID && env.ALIPAY_APP_PRIVATE_KEY);
    case "stripe":
      return Boolean(env.STRIPE_WEBHOOK_SECRET);
    case "sandbox":
      return Boolean(env.SANDBOX_WEBHOOK_SECRET);
  }
}

/** Where providers send notifications for `provider` (the sandbox posts Stripe-format events). */
export function notifyUrl(env: Env, origin: string, provider: PaymentProvider): string {
  const base = (env.PAYMENT_NOTIFY_BASE_URL || origin).replace(/\/+$/, "");
  return `${base}/v1/webhooks/${provider}`;
}
