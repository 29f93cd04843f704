/**
 * Money rules without storage: the vocabulary of payments, refunds and withdrawals, exact
 * conversions between 分 and providers' decimal strings, and splitting amounts without losing or
 * creating a 分.
 */

export const PAYMENT_PROVIDERS = ["wechatpay", "alipay", "stripe", "sandbox"] as const;
export type PaymentProvider = (typeof PAYMENT_PROVIDERS)[number];

/** How people name each provider (a message never shows the code). */
export const PROVIDER_NAMES: Record<PaymentProvider, { zh: string; en: string }> = {
  wechatpay: { zh: "微信支付", en: "WeChat Pay" },
  alipay: { zh: "支付宝", en: "Alipay" },
  stripe: { zh: "Stripe", en: "Stripe" },
  sandbox: { zh: "沙箱支付", en: "the sandbox" },
};

/** The name people read for a provider recorded as `code`. */
export const providerName = (code: string): { zh: string; en: string } =>
  (PROVIDER_NAMES as Record<string, { zh: string; en: string }>)[code] ?? { zh: code, en: code };

/** How a payer pays, per provider (the first is the default). */
export const CHANNELS_OF = {
  wechatpay: ["app", "jsapi", "native"],
  alipay: ["app", "wap", "page"],
  stripe: ["default"],
  sandbox: ["default"],
} as const satisfies Record<PaymentProvider, readonly string[]>;
export const PAYMENT_CHANNELS = ["app", "jsapi", "native", "wap", "page", "default"] as const;
export type PaymentChannel = (typeof PAYMENT_CHANNELS)[number];

export const PAYMENT_STAGES = ["full", "deposit", "balance"] as const;
export type PaymentStage = (typeof PAYMENT_STAGES)[number];

export const PAYMENT_STATUSES = ["pending", "succeeded", "failed", "closed"] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/**
 * Why money goes back: the cancellation policy, an approved complaint, an operator's decision, a
 * payment that came after its order was gone, a stage paid twice, or a refund made at the provider.
 */
/** `reschedule`: what a reschedule to a cheaper time gives back of an order paid already. */
export const REFUND_KINDS = [
  "cancellation",
  "complaint",
  "operator",
  "late_payment",
  "duplicate",
  "provider",
  "reschedule",
  "package",
] as const;
export type RefundKind = (typeof REFUND_KINDS)[number];

export const REFUND_STATUSES = ["pending_approval", "processing", "succeeded", "failed", "rejected"] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/**
 * requested → approved (or rejected) → paid or failed; `processing` in between while the provider
 * has accepted the payout but not finished it (its money is set aside in payouts_payable).
 */
export const WITHDRAWAL_STATUSES = ["requested", "approved", "processing", "paid", "rejected", "failed"] as const;
export type WithdrawalStatus = (typeof WITHDRAWAL_STATUSES)[number];

export const LEDGER_ACCOUNT_KINDS = [
  "provider_clearing",
  "customer_funds",
  "refunds_payable",
  "platform_revenue",
  "merchant_payable",
  "technician_payable",
  "coupon_expense",
  "payouts_payable",
  "waiver_expense",
  "reward_expense",
  "penalty_revenue",
  "deferred_revenue",
  "package_revenue",
] as const;
export type LedgerAccountKind = (typeof LEDGER_ACCOUNT_KINDS)[number];

export const LEDGER_TX_KINDS = [
  "payment",
  "refund_request",
  "refund",
  "refund_reversal",
  "split",
  "payout_request",
  "payout_reversal",
  "withdrawal",
  "cash_collection",
  "waiver",
  "penalty",
  "credit_reward",
  "credit_penalty",
  "credit_reversal",
  "package_sale",
  "package_draw",
  "package_return",
  "package_refund",
  "package_breakage",
] as const;
export type LedgerTxKind = (typeof LEDGER_TX_KINDS)[number];

const YUAN = /^(0|[1-9]\d{0,11})(?:\.(\d{1,2}))?$/;

/** `"128.00"` → 12800, exactly (no floating point); null for anything that is not a plain amount. */
export function yuanToFen(text: string): number | null {
  const m = YUAN.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
}

/** 12800 → `"128.00"`. */
export function fenToYuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new RangeError(`not an amount in fen: ${fen}`);
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, "0")}`;
}

/**
 * Splits `amount` in proportion to integer `weights` (largest remainder): the parts are integers
 * that add up to exactly `amount`; ties go to the earlier weight. All-zero weights give all to the first.
 */
export function allocate(amount: number, weights: readonly number[]): number[] {
  if (weights.length === 0) return [];
  const sum = weights.reduce((s, w) => s + w, 0);
  if (sum <= 0) return weights.map((_, i) => (i === 0 ? amount : 0));
  const sign = amount < 0 ? -1 : 1;
  const abs = Math.abs(amount);
  const parts = weights.map((w) => Math.floor((abs * w) / sum));
  let left = abs - parts.reduce((s, p) => s + p, 0);
  const byRemainder = weights.map((w, i) => ({ i, r: (abs * w) % sum })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left === 0) break;
    parts[i]! += 1;
    left -= 1;
  }
  return parts.map((p) => p * sign);
}

export interface Shares {
  platform: number;
  merchant: number;
  technician: number;
}

/** Basis points: 10 000 = 100 %. */
export const BPS = 10_000;

/**
 * The commission split of `gross`: the platform takes `takeRateBps` (rounded down), the technician
 * `technicianShareBps` of the rest (rounded down), the merchant what remains. Without a merchant the
 * technician gets all the rest; without a technician the merchant does (or the platform, with neither).
 * The three parts always add up to `gross`.
 */
export function splitShares(
  gross: number,
  takeRateBps: number,
  technicianShareBps: number,
  has: { merchant: boolean; technician: boolean },
): Shares {
  const platform = Math.floor((gross * takeRateBps) / BPS);
  const rest = gross - platform;
  if (!has.technician) return has.merchant ? { platform, merchant: rest, technician: 0 } : { platform: gross, merchant: 0, technician: 0 };
  if (!has.merchant) return { platform, merchant: 0, technician: rest };
  const technician = Math.floor((rest * technicianShareBps) / BPS);
  return { platform, merchant: rest - technician, technician };
}

/** Whether a rate in basis points is usable (an integer from 0 to 10 000). */
export const validBps = (v: number) => Number.isInteger(v) && v >= 0 && v <= BPS;
