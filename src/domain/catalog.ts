/** Catalog rules that do not depend on storage: price models, extras, policies. */

export const PRICE_UNITS = ["hour", "visit", "m2"] as const;
export type PriceUnit = (typeof PRICE_UNITS)[number];

export const DISPATCH_MODES = ["auto", "grab", "manual", "chosen"] as const;
export type DispatchMode = (typeof DISPATCH_MODES)[number];

export interface Extra {
  code: string;
  name: { zh: string; en: string };
  /** Price in minor units. */
  price: number;
  /** Extra working time this option adds. */
  durationMinutes: number;
}

export interface CancellationTier {
  /** The tier applies when cancelling at least this many hours before the start. */
  hoursBefore: number;
  refundPercent: number;
}

export interface CancellationPolicy {
  /** Ordered from the earliest cancellation (most hours before) to the latest. */
  tiers: CancellationTier[];
  /** Kept (minor units) once the technician has set off. */
  visitFee: number;
}

export interface PaymentOptions {
  full: boolean;
  /** Deposit percentage when paying a deposit up front is allowed, else null. */
  depositPercent: number | null;
  afterService: boolean;
}

export interface PolicyProblem {
  path: string;
  message: string;
}

/**
 * Checks a cancellation policy: tiers strictly by decreasing hours, refunds never growing as the
 * start approaches, percentages within 0–100.
 */
export function checkCancellationPolicy(policy: CancellationPolicy, path = "cancellationPolicy"): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  policy.tiers.forEach((tier, i) => {
    const prev = policy.tiers[i - 1];
    if (!prev) return;
    if (tier.hoursBefore >= prev.hoursBefore) {
      problems.push({ path: `${path}.tiers.${i}.hoursBefore`, message: "tiers must be ordered by strictly decreasing hoursBefore" });
    }
    if (tier.refundPercent > prev.refundPercent) {
      problems.push({ path: `${path}.tiers.${i}.refundPercent`, message: "a later tier may not refund more than an earlier one" });
    }
  });
  return problems;
}

export function checkPaymentOptions(options: PaymentOptions, path = "paymentOptions"): PolicyProblem[] {
  if (!options.full && options.depositPercent === null && !options.afterService) {
    return [{ path, message: "at least one payment option must be enabled" }];
  }
  return [];
}

export function checkExtras(extras: Extra[], path = "extras"): PolicyProblem[] {
  const seen = new Set<string>();
  const problems: PolicyProblem[] = [];
  extras.forEach((e, i) => {
    if (seen.has(e.code)) problems.push({ path: `${path}.${i}.code`, message: `duplicate extra code ${e.code}` });
    seen.add(e.code);
  });
  return problems;
}

/** Refund percentage a policy grants when cancelling `hoursBefore` hours before the start. */
export function refundPercentAt(policy: CancellationPolicy, hoursBefore: number): number {
  for (const tier of policy.tiers) {
    if (hoursBefore >= tier.hoursBefore) return tier.refundPercent;
  }
  return 0;
}
