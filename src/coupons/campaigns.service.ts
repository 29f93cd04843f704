/**
 * Campaigns: coupons on one set of terms, issued to accounts by a rule (new customer, win-back,
 * birthday; the daily cron and `runCampaignRules`), by staff (`issueFromCampaign`), or, for a
 * promotion, one public code. Merchants run campaigns for their own services within the limits
 * operators set for them; the budget caps what the campaign's coupons take off in all, enforced in
 * each order's batch (src/db/repositories/coupons.repo.ts `couponHasRoom`).
 */
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import type { CouponRow } from "../db/repositories/coupons.repo";
import {
  couponCodes,
  eligibleAccounts,
  existingAccounts,
  findCampaign,
  findLimits,
  insertCampaign,
  insertWalletCoupons,
  listCampaigns,
  merchantExists,
  runningRuleCampaigns,
  servicesOfMerchant,
  upsertLimits,
  updateCampaign,
  type CampaignLimitsRow,
  type CampaignRow,
} from "../db/repositories/growth.repo";
import { normaliseCode, type CampaignKind } from "../domain/coupons";
import { isPlatform } from "../domain/roles";
import type { Auth } from "../env";
import { AppError, invalid, notFound } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId } from "../lib/ids";
import { logger } from "../lib/log";
import { walletCouponRow } from "./wallet.service";

/** Accounts one campaign's rule issues to per run (the rest on the next run). */
const RULE_BATCH = 200;

const LIMIT_TEXT = {
  none: { en: "the platform has not set campaign limits for your shop", zh: "平台尚未为您的店铺设定活动限制" },
  budget: { en: "the budget is above the most allowed", zh: "预算超过了允许的上限" },
  value: { en: "the discount is above the most allowed", zh: "优惠金额超过了允许的上限" },
  percent: { en: "the percentage is above the most allowed", zh: "折扣比例超过了允许的上限" },
} as const;

function overLimit(why: keyof typeof LIMIT_TEXT): AppError {
  return AppError.of("CAMPAIGN_OVER_LIMIT", { why: LIMIT_TEXT[why] }, { extra: { limit: why } });
}

const campaignNotFound = () => notFound({ en: "Campaign", zh: "活动" });

export function limitsView(l: CampaignLimitsRow) {
  return {
    merchantId: l.merchantId,
    maxBudget: l.maxBudget,
    maxValue: l.maxValue,
    maxPercent: l.maxPercent,
    updatedAt: new Date(l.updatedAt).toISOString(),
  };
}

export function campaignView(c: CampaignRow, code?: string | null) {
  return {
    id: c.id,
    merchantId: c.merchantId,
    kind: c.kind,
    name: { zh: c.nameZh, en: c.nameEn },
    couponKind: c.couponKind,
    value: c.value,
    maxDiscount: c.maxDiscount,
    minTotal: c.minTotal,
    serviceIds: c.serviceIds,
    validDays: c.validDays,
    winBackDays: c.winBackDays,
    budget: c.budget,
    spent: c.spent,
    fundedBy: c.fundedBy,
    couponId: c.couponId,
    code: code ?? null,
    startsAt: new Date(c.startsAt).toISOString(),
    endsAt: new Date(c.endsAt).toISOString(),
    active: c.active,
    createdAt: new Date(c.createdAt).toISOString(),
  };
}

/** Operators set what a merchant's campaigns may do (404 for an unknown merchant). Audited. */
export async function setLimits(
  env: Env,
  actorId: string,
  merchantId: string,
  input: { maxBudget: number; maxValue: number; maxPercent: number },
) {
  const db = getDb(env);
  if (!(await merchantExists(db, merchantId))) throw notFound("Merchant");
  const row: CampaignLimitsRow = { merchantId, ...input, updatedBy: actorId, updatedAt: Date.now() };
  await upsertLimits(db, row);
  await appendAudit(db, { actorId, action: "campaign.limits", targetType: "merchant", targetId: merchantId, data: { ...input } });
  return limitsView(row);
}

export interface NewCampaign {
  kind: CampaignKind;
  fundedBy?: "platform" | "merchant";
  merchantId?: string;
  name: { zh: string; en: string };
  couponKind: "fixed" | "percent";
  value: number;
  maxDiscount?: number;
  minTotal?: number;
  serviceIds?: string[];
  validDays?: number;
  winBackDays?: number;
  budget: number;
  code?: string;
  startsAt: string;
  endsAt: string;
}

/** Checks a merchant's campaign against the limits operators set (merchant admins only; operators are not limited). */
async function checkLimits(env: Env, merchantId: string, c: { couponKind: "fixed" | "percent"; value: number; budget: number }) {
  const limits = await findLimits(getDb(env), merchantId);
  if (!limits) throw overLimit("none");
  if (c.budget > limits.maxBudget) throw overLimit("budget");
  if (c.couponKind === "fixed" && c.value > limits.maxValue) throw overLimit("value");
  if (c.couponKind === "percent" && c.value > limits.maxPercent) throw overLimit("percent");
}

/**
 * Creates a campaign: operators for the platform or any merchant, a merchant admin for their own
 * merchant within its limits (409 CAMPAIGN_OVER_LIMIT). A promotion needs a `code`, its public
 * coupon (409 COUPON_CODE_TAKEN). Audited.
 */
export async function createCampaign(env: Env, auth: Auth, input: NewCampaign) {
  const db = getDb(env);
  const platform = isPlatform(auth.roles);
  if (!platform && !auth.merchantId) throw AppError.of("FORBIDDEN");
  const merchantId = platform ? (input.merchantId ?? null) : auth.merchantId!;
  const startsAt = Date.parse(input.startsAt);
  const endsAt = Date.parse(input.endsAt);
  const problems: { path: string; message: string }[] = [];
  if (!(endsAt > startsAt)) problems.push({ path: "body.endsAt", message: "must be after startsAt" });
  if (input.couponKind === "percent" && input.value > 100) problems.push({ path: "body.value", message: "a percentage is at most 100" });
  if (input.couponKind === "fixed" && input.maxDiscount !== undefined)
    problems.push({ path: "body.maxDiscount", message: "only for percent coupons" });
  if (input.kind === "promotion" && !input.code) problems.push({ path: "body.code", message: "a promotion needs its code" });
  if (input.kind !== "promotion" && input.code) problems.push({ path: "body.code", message: "only a promotion has a code" });
  if (input.kind === "win_back" && !input.winBackDays) problems.push({ path: "body.winBackDays", message: "a win-back campaign needs it" });
  if (input.kind !== "win_back" && input.winBackDays) problems.push({ path: "body.winBackDays", message: "only for win-back" });
  if (platform && merchantId !== null && !(await merchantExists(db, merchantId)))
    problems.push({ path: "body.merchantId", message: "unknown merchant" });
  const serviceIds = [...new Set(input.serviceIds ?? [])];
  if (merchantId !== null && serviceIds.length) {
    const own = await servicesOfMerchant(db, merchantId, serviceIds);
    serviceIds.forEach((id, i) => {
      if (!own.includes(id)) problems.push({ path: `body.serviceIds.${i}`, message: "not a service of this merchant" });
    });
  }
  // Who pays the discounts: a merchant's campaign is the merchant's unless an operator says the
  // platform pays; a merchant admin cannot spend the platform's money; the platform's own campaign is the platform's.
  const fundedBy = input.fundedBy ?? (merchantId === null ? "platform" : "merchant");
  if (merchantId === null && fundedBy === "merchant")
    problems.push({ path: "body.fundedBy", message: "a platform campaign has no merchant to fund it" });
  if (!platform && fundedBy === "platform")
    problems.push({ path: "body.fundedBy", message: "only operators fund a campaign by the platform" });
  if (problems.length) throw invalid(problems);
  if (!platform) await checkLimits(env, merchantId!, input);

  const now = Date.now();
  const id = newId("cmp", now);
  const validDays = input.validDays ?? 30;
  const coupon: CouponRow | undefined =
    input.kind === "promotion"
      ? {
          ...walletCouponRow(
            {
              name: input.name.zh,
              kind: input.couponKind,
              value: input.value,
              maxDiscount: input.maxDiscount,
              minTotal: input.minTotal,
              merchantId,
              serviceIds,
              fundedBy,
            },
            { accountId: "", source: "campaign", campaignId: id, validDays, createdBy: auth.accountId },
            now,
          ),
          code: normaliseCode(input.code!),
          accountId: null,
          startsAt,
          endsAt,
          totalLimit: null,
        }
      : undefined;
  const row: CampaignRow = {
    id,
    merchantId,
    kind: input.kind,
    nameZh: input.name.zh,
    nameEn: input.name.en,
    couponKind: input.couponKind,
    value: input.value,
    maxDiscount: input.maxDiscount ?? null,
    minTotal: input.minTotal ?? 0,
    serviceIds,
    validDays,
    winBackDays: input.winBackDays ?? null,
    budget: input.budget,
    spent: 0,
    fundedBy,
    couponId: coupon?.id ?? null,
    startsAt,
    endsAt,
    active: true,
    createdBy: auth.accountId,
    createdAt: now,
    updatedAt: now,
  };
  if (!(await insertCampaign(db, row, coupon))) throw AppError.of("COUPON_CODE_TAKEN");
  await appendAudit(db, {
    actorId: auth.accountId,
    action: "campaign.create",
    targetType: "campaign",
    targetId: id,
    data: { kind: row.kind, budget: row.budget },
  });
  return campaignView(row, coupon?.code);
}

/** The campaign the caller may manage: any for operators, their merchant's for a merchant admin (404 otherwise). */
async function managedCampaign(env: Env, auth: Auth, id: string): Promise<CampaignRow> {
  const row = await findCampaign(getDb(env), id);
  if (!row || (!isPlatform(auth.roles) && (row.merchantId === null || row.merchantId !== auth.merchantId))) throw campaignNotFound();
  return row;
}

export async function campaignsFor(env: Env, auth: Auth, q: { active?: boolean; limit: number; cursor?: string }) {
  const merchantId = isPlatform(auth.roles) ? undefined : (auth.merchantId ?? undefined);
  if (!isPlatform(auth.roles) && !merchantId) throw AppError.of("FORBIDDEN");
  const rows = await listCampaigns(getDb(env), { beforeId: decodeCursor(q.cursor), merchantId, active: q.active }, q.limit + 1);
  const page = toPage(rows, q.limit);
  const codes = await couponCodes(
    getDb(env),
    page.items.flatMap((c) => (c.couponId ? [c.couponId] : [])),
  );
  return { items: page.items.map((c) => campaignView(c, c.couponId ? codes.get(c.couponId) : null)), nextCursor: page.nextCursor };
}

/** Renames, switches off or on, moves the end of, or changes the budget of a campaign (a merchant's within its limits). Audited. */
export async function changeCampaign(
  env: Env,
  auth: Auth,
  id: string,
  patch: { name?: { zh: string; en: string }; active?: boolean; budget?: number; endsAt?: string },
) {
  const current = await managedCampaign(env, auth, id);
  const endsAt = patch.endsAt === undefined ? undefined : Date.parse(patch.endsAt);
  if (endsAt !== undefined && !(endsAt > current.startsAt)) throw invalid([{ path: "body.endsAt", message: "must be after startsAt" }]);
  if (patch.budget !== undefined && !isPlatform(auth.roles))
    await checkLimits(env, current.merchantId!, { couponKind: current.couponKind, value: current.value, budget: patch.budget });
  const row = await updateCampaign(
    getDb(env),
    id,
    { nameZh: patch.name?.zh, nameEn: patch.name?.en, active: patch.active, budget: patch.budget, endsAt },
    Date.now(),
  );
  await appendAudit(getDb(env), {
    actorId: auth.accountId,
    action: "campaign.update",
    targetType: "campaign",
    targetId: id,
    data: { ...patch },
  });
  return campaignView(row!, row!.couponId ? (await couponCodes(getDb(env), [row!.couponId])).get(row!.couponId) : null);
}

function termsOf(c: CampaignRow) {
  return {
    name: c.nameZh,
    kind: c.couponKind,
    value: c.value,
    maxDiscount: c.maxDiscount,
    minTotal: c.minTotal,
    merchantId: c.merchantId,
    serviceIds: c.serviceIds,
    fundedBy: c.fundedBy,
  };
}

/** The key that makes a campaign's coupon one per account (a birthday's one per account and year). */
function keyParts(c: CampaignRow, now: number): { prefix: string; suffix: string } {
  return { prefix: `${c.id}:`, suffix: c.kind === "birthday" ? `:${shanghaiDate(now).slice(0, 4)}` : "" };
}

/** `YYYY-MM-DD` in Asia/Shanghai (UTC+8 all year): the day birthdays are counted in. */
function shanghaiDate(now: number): string {
  return new Date(now + 8 * 3_600_000).toISOString().slice(0, 10);
}

function issueRows(c: CampaignRow, accountIds: string[], source: "campaign", createdBy: string, now: number): CouponRow[] {
  const { prefix, suffix } = keyParts(c, now);
  return accountIds.map((accountId) =>
    walletCouponRow(
      termsOf(c),
      { accountId, source, campaignId: c.id, issueKey: `${prefix}${accountId}${suffix}`, validDays: c.validDays, createdBy },
      now,
    ),
  );
}

/**
 * Staff issue the campaign's coupon to accounts (once per account: those that hold it already are
 * counted, not issued again). Not for a promotion (its code is public). Audited.
 */
export async function issueFromCampaign(env: Env, auth: Auth, id: string, accountIds: string[]) {
  const campaign = await managedCampaign(env, auth, id);
  const now = Date.now();
  if (campaign.kind === "promotion") throw invalid([{ path: "body.accountIds", message: "a promotion has a public code instead" }]);
  if (!campaign.active || campaign.endsAt <= now) throw invalid([{ path: "body.accountIds", message: "the campaign is not running" }]);
  const db = getDb(env);
  const wanted = [...new Set(accountIds)];
  const known = await existingAccounts(db, wanted);
  const issued = await insertWalletCoupons(db, issueRows(campaign, known, "campaign", auth.accountId, now));
  await appendAudit(db, {
    actorId: auth.accountId,
    action: "campaign.issue",
    targetType: "campaign",
    targetId: id,
    data: { issued, accounts: known.length },
  });
  return { issued, alreadyHeld: known.length - issued, unknown: wanted.filter((a) => !known.includes(a)) };
}

/**
 * Runs every running rule campaign once: issues its coupon to up to RULE_BATCH eligible accounts
 * that do not hold it (idempotent: run twice, issued once). The daily cron calls it.
 */
export async function runCampaignRules(env: Env, now = Date.now()): Promise<{ campaignId: string; issued: number }[]> {
  const db = getDb(env);
  const out: { campaignId: string; issued: number }[] = [];
  for (const c of await runningRuleCampaigns(db, now)) {
    const { prefix, suffix } = keyParts(c, now);
    const accounts = await eligibleAccounts(
      db,
      c,
      { now, monthDay: shanghaiDate(now).slice(5), keyPrefix: prefix, keySuffix: suffix },
      RULE_BATCH,
    );
    const issued = await insertWalletCoupons(db, issueRows(c, accounts, "campaign", c.createdBy, now));
    out.push({ campaignId: c.id, issued });
  }
  logger.info("campaigns.rules_run", { campaigns: out.length, issued: out.reduce((n, r) => n + r.issued, 0) });
  return out;
}
