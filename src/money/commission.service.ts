/**
 * Commission: which take rate and technician share apply to an order, and its split. The technician
 * share of the technician's level (settings `credit.levels`, src/credit) wins over the rules' share.
 */
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { bookableService } from "../db/repositories/booking.repo";
import { allRules, rulesFor, upsertRule } from "../db/repositories/commission.repo";
import { findMerchant } from "../db/repositories/merchants.repo";
import { notFound } from "../errors";
import { splitShares, type Shares } from "../domain/money";
import { defaultCommission } from "./providers";
import { levelShareBps } from "../credit";

export interface Rates {
  takeRateBps: number;
  technicianShareBps: number;
}

/** The rates for a service of a merchant: the service's rule, else the merchant's, else the platform default. */
export async function ratesFor(env: Env, merchantId: string | null, serviceId: string): Promise<Rates> {
  const scopes = [`service:${serviceId}`, ...(merchantId ? [`merchant:${merchantId}`] : []), "default"];
  const rules = new Map((await rulesFor(getDb(env), scopes)).map((r) => [r.scope, r]));
  const pick = (key: "takeRateBps" | "technicianShareBps") => {
    for (const s of scopes) {
      const v = rules.get(s)?.[key];
      if (v !== null && v !== undefined) return v;
    }
    return defaultCommission(env)[key];
  };
  return { takeRateBps: pick("takeRateBps"), technicianShareBps: pick("technicianShareBps") };
}

export async function sharesOf(
  env: Env,
  o: { merchantId: string | null; serviceId: string; technicianId: string | null },
  gross: number,
): Promise<Shares> {
  const [rates, levelShare] = await Promise.all([
    ratesFor(env, o.merchantId, o.serviceId),
    o.technicianId ? levelShareBps(env, o.technicianId) : null,
  ]);
  // A share set for the technician's level (credit settings) replaces the rules' technician share.
  return splitShares(gross, rates.takeRateBps, levelShare ?? rates.technicianShareBps, {
    merchant: o.merchantId !== null,
    technician: o.technicianId !== null,
  });
}

function ruleView(r: { scope: string; takeRateBps: number | null; technicianShareBps: number | null; updatedAt: number }) {
  return {
    scope: r.scope,
    takeRateBps: r.takeRateBps,
    technicianShareBps: r.technicianShareBps,
    updatedAt: new Date(r.updatedAt).toISOString(),
  };
}

export async function listCommission(env: Env) {
  return { defaults: defaultCommission(env), items: (await allRules(getDb(env))).map(ruleView) };
}

/** Sets a scope's rates (the merchant or service must exist), audited. */
export async function putCommission(
  env: Env,
  actorId: string,
  input: { scope: string; takeRateBps: number | null; technicianShareBps: number | null },
) {
  const db = getDb(env);
  const [kind, id] = input.scope.split(":");
  if (kind === "merchant" && !(await findMerchant(db, id!))) throw notFound("Merchant");
  if (kind === "service" && !(await bookableService(db, id!))) throw notFound("Service");
  const now = Date.now();
  const saved = await upsertRule(db, { ...input, updatedBy: actorId, createdAt: now, updatedAt: now });
  await appendAudit(db, {
    actorId,
    action: "commission.set",
    targetType: "commission_rule",
    targetId: input.scope,
    data: { takeRateBps: input.takeRateBps, technicianShareBps: input.technicianShareBps },
  });
  return ruleView(saved);
}
