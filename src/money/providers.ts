/** Money configuration read from the Worker's variables, with the documented defaults. */
import { config } from "../config";
import type { PaymentProvider } from "../domain/money";

export const queryAfterMs = (env: Env) => config(env).PAYMENT_QUERY_AFTER_SECONDS * 1000;
export const settlementDelayMs = (env: Env) => config(env).SETTLEMENT_DELAY_HOURS * 3_600_000;
export const complaintWindowMs = (env: Env) => config(env).COMPLAINT_WINDOW_DAYS * 86_400_000;

export function defaultCommission(env: Env): { takeRateBps: number; technicianShareBps: number } {
  const c = config(env);
  return { takeRateBps: c.COMMISSION_TAKE_RATE_BPS, technicianShareBps: c.COMMISSION_TECHNICIAN_SHARE_BPS };
}

export function withdrawalLimits(env: Env) {
  const c = config(env);
  return {
    min: c.WITHDRAWAL_MIN_AMOUNT,
    max: c.WITHDRAWAL_MAX_AMOUNT,
    perDay: c.WITHDRAWALS_PER_DAY,
    provider: c.WITHDRAWAL_PAYOUT_PROVIDER,
  };
}

/** `WECHATPAY_PUBLIC_KEYS`: serial → PEM. */
export function wechatPublicKeys(env: Env): Record<string, string> {
  return config(env).WECHATPAY_PUBLIC_KEYS;
}

/** Whether a provider can take payments here: the keys that sign what the app needs are set. */
export function providerConfigured(env: Env, provider: PaymentProvider): boolean {
  const c = config(env);
  switch (provider) {
    case "wechatpay":
      // Live calls also name the merchant certificate the requests are signed as.
      return Boolean(
        c.WECHATPAY_MCHID &&
        c.WECHATPAY_APPID &&
        c.WECHATPAY_MERCHANT_PRIVATE_KEY &&
        (c.PAYMENT_PROVIDER_CLIENT !== "live" || c.WECHATPAY_MERCHANT_SERIAL),
      );
    case "alipay":
      return Boolean(c.ALIPAY_APP_ID && c.ALIPAY_APP_PRIVATE_KEY);
    case "stripe":
      // Live calls need the secret key.
      return Boolean(c.STRIPE_WEBHOOK_SECRET && (c.PAYMENT_PROVIDER_CLIENT !== "live" || c.STRIPE_SECRET_KEY));
    case "sandbox":
      return Boolean(c.SANDBOX_WEBHOOK_SECRET);
  }
}

/** Where providers send notifications for `provider` (the sandbox posts Stripe-format events). */
export function notifyUrl(env: Env, origin: string, provider: PaymentProvider): string {
  const base = (config(env).PAYMENT_NOTIFY_BASE_URL || origin).replace(/\/+$/, "");
  return `${base}/v1/webhooks/${provider}`;
}
