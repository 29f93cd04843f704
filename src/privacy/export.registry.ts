/**
 * The data export's contributors: one line per area, each naming its part of the JSON file and the
 * function that collects the person's rows (src/privacy/export.contributors.ts for the areas that
 * existed first). An area added later (conversations, tickets, …) adds one line here with a
 * function from its own index.ts: `{ name: "conversations", collect: conversationsExport }`.
 * Parts are built one after the other and recorded as done, so an interrupted export resumes at
 * the next part.
 */
import {
  accountPart,
  addressesPart,
  consentsPart,
  notificationsPart,
  ordersPart,
  paymentsPart,
  requestsPart,
  reviewsPart,
  surveysPart,
  technicianPart,
  type ExportSubject,
} from "./export.contributors";

import { conversationsOfAccount } from "../conversations";
import { couponsOfAccount } from "../coupons";
import { membershipOfAccount } from "../membership";
import { seriesOfAccount } from "../series";
import { ticketsOfAccount } from "../tickets";

export type { ExportSubject };

export interface ExportContributor {
  /** The key of this part in the export file. */
  name: string;
  collect: (env: Env, subject: ExportSubject) => Promise<unknown>;
}

export const EXPORT_CONTRIBUTORS: readonly ExportContributor[] = [
  { name: "account", collect: accountPart },
  { name: "consents", collect: consentsPart },
  { name: "addresses", collect: addressesPart },
  { name: "orders", collect: ordersPart },
  { name: "reviews", collect: reviewsPart },
  { name: "surveys", collect: surveysPart },
  { name: "payments", collect: paymentsPart },
  { name: "notifications", collect: notificationsPart },
  { name: "technician", collect: technicianPart },
  { name: "conversations", collect: (env, subject) => conversationsOfAccount(env, subject.accountId) },
  { name: "tickets", collect: (env, subject) => ticketsOfAccount(env, subject.accountId) },
  { name: "series", collect: (env, subject) => seriesOfAccount(env, subject.accountId) },
  { name: "membership", collect: (env, subject) => membershipOfAccount(env, subject.accountId) },
  { name: "coupons", collect: (env, subject) => couponsOfAccount(env, subject.accountId) },
  { name: "dataRequests", collect: requestsPart },
];
