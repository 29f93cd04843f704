/**
 * What a quote needs of surge pricing: the city's surge pricing (operators' settings clamped to the
 * deployment's caps) and the cell's state. Read with the cell's city in one round trip (the quote's
 * reference read, src/catalog/reference.service.ts).
 */
import { config } from "../config";
import type { Db } from "../db/client";
import type { CityRow } from "../db/repositories/cities.repo";
import { SURGE_PRICING_OFF, type SurgePricing, type SurgeState } from "../domain/surge";
import { cityOfCellWithSurge as read } from "./surge.repo";

export interface SurgeQuoteTerms {
  pricing: SurgePricing;
  state: SurgeState;
}

/** Operators' pricing as stored, clamped to the caps in force (off when never set or unreadable). */
export function clampPricing(env: Env, stored: unknown): SurgePricing {
  const p = (stored as { pricing?: Partial<SurgePricing> } | undefined)?.pricing;
  if (!p) return SURGE_PRICING_OFF;
  const cfg = config(env);
  const whole = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? Math.max(0, Math.floor(v)) : 0);
  return {
    enabled: p.enabled === true,
    percent: Math.min(cfg.SURGE_PRICE_MAX_PERCENT, whole(p.percent)),
    maxAmount: Math.min(cfg.SURGE_PRICE_MAX_AMOUNT, whole(p.maxAmount)),
  };
}

export async function cityOfCellWithSurge(env: Env, db: Db, cell: string): Promise<{ city: CityRow | undefined; surge: SurgeQuoteTerms }> {
  const r = await read(db, cell);
  return { city: r.city, surge: { pricing: clampPricing(env, r.surge.settings), state: r.surge.state } };
}
