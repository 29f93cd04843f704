/**
 * The dispatch weights in force: the operators' setting (dashboard, `settings` row `dispatch.weights`)
 * when there is one, else DISPATCH_WEIGHTS. Each isolate keeps what it read for WEIGHTS_CACHE_MS, so a
 * change reaches every isolate within that time (at once on the isolate that made it).
 */
import { z } from "@hono/zod-openapi";
import { config } from "../config";
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { deleteSetting, findSetting, putSetting } from "../db/repositories/settings.repo";
import type { DispatchWeights } from "../domain/dispatch";
import { AppError } from "../errors";
import { TtlCache } from "../lib/ttl-cache";

export const WEIGHTS_KEY = "dispatch.weights";
export const WEIGHTS_CACHE_MS = 30_000;

const weight = z.number().min(0).max(1);
/** Every weight, each from 0 to 1, at least one above 0 (`level` may be left out: 0). */
export const DispatchWeightsInput = z
  .object({
    travel: weight,
    rating: weight,
    load: weight,
    fairness: weight,
    acceptance: weight,
    favourite: weight,
    // Added later: a setting saved without it keeps its meaning (no level term).
    level: weight.default(0),
  })
  .strict()
  .openapi("DispatchWeights");

export interface WeightsInForce {
  weights: DispatchWeights;
  /** "setting": changed from the dashboard; "deployment": DISPATCH_WEIGHTS. */
  source: "setting" | "deployment";
  updatedAt: string | null;
  updatedBy: string | null;
}

const cache = new TtlCache<string, WeightsInForce>(WEIGHTS_CACHE_MS, 4);

async function load(env: Env): Promise<WeightsInForce> {
  const row = await findSetting(getDb(env), WEIGHTS_KEY);
  const stored = row ? DispatchWeightsInput.safeParse(row.value) : undefined;
  if (row && stored?.success) {
    return { weights: stored.data, source: "setting", updatedAt: new Date(row.updatedAt).toISOString(), updatedBy: row.updatedBy };
  }
  return { weights: config(env).DISPATCH_WEIGHTS, source: "deployment", updatedAt: null, updatedBy: null };
}

/** The weights in force with where they come from (read through the per-isolate cache). */
export function weightsInForce(env: Env): Promise<WeightsInForce> {
  return cache.get("weights", () => load(env));
}

/** The weights in force, for ranking. */
export async function dispatchWeights(env: Env): Promise<DispatchWeights> {
  return (await weightsInForce(env)).weights;
}

/**
 * Sets the weights from the dashboard (operators), or clears the setting with `null` (DISPATCH_WEIGHTS
 * again). Audited with the weights before and after. 400 DISPATCH_WEIGHTS_EMPTY when all are 0.
 */
export async function setDispatchWeights(env: Env, actorId: string, next: DispatchWeights | null): Promise<WeightsInForce> {
  if (next && Object.values(next).every((v) => v === 0)) throw AppError.of("DISPATCH_WEIGHTS_EMPTY");
  const db = getDb(env);
  const before = await load(env);
  if (next) await putSetting(db, WEIGHTS_KEY, next, actorId);
  else await deleteSetting(db, WEIGHTS_KEY);
  cache.delete("weights");
  const after = await weightsInForce(env);
  await appendAudit(db, {
    actorId,
    action: next ? "settings.dispatch_weights.set" : "settings.dispatch_weights.clear",
    targetType: "setting",
    targetId: WEIGHTS_KEY,
    data: { before: before.weights, after: after.weights },
  });
  return after;
}
