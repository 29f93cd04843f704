/** Why staff disable an account: the codes, and the text the account holder and staff read. */
import type { Localized } from "../lib/locale";

export const DISABLE_REASONS = [
  "fraud",
  "payment_abuse",
  "harassment",
  "fake_orders",
  "impersonation",
  "account_holder_request",
  "other",
] as const;
export type DisableReason = (typeof DISABLE_REASONS)[number];

export const DISABLE_REASON_TEXT: Record<DisableReason, Localized> = {
  fraud: { en: "fraud", zh: "欺诈行为" },
  payment_abuse: { en: "payment abuse (unpaid orders, chargebacks)", zh: "支付违规（拒付、恶意欠款）" },
  harassment: { en: "harassment of customers, technicians or staff", zh: "骚扰客户、技师或工作人员" },
  fake_orders: { en: "fake or hoarded orders", zh: "虚假下单或恶意占用时段" },
  impersonation: { en: "impersonation or a stolen account", zh: "冒用身份或账号被盗" },
  account_holder_request: { en: "at the account holder's request", zh: "应账号本人要求" },
  other: { en: "a breach of the terms of service", zh: "违反服务条款" },
};
