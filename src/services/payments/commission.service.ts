/** Commission: which take rate and technician share apply to an order, and its split. */
import { getDb } from "../../db/client";
import { rulesFor } from "../../db/repositories/commission.repo";
import { splitShares, type Shares } from "../../domain/money";
import { defaultCommission } from "./config";

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
  const rates = await ratesFor(env, o.merchantId, o.serviceId);
  return splitShares(gross, rates.takeRateBps, rates.technicianShareBps, { merchant: o.merchantId !== null, technician: o.technicianId !== null });
}
