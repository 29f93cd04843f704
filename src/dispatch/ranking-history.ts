/**
 * What automatic dispatch ranks on besides the cells' answers, kept per isolate for
 * RANKING_HISTORY_CACHE_MS: each technician's completed revenue over the last week and acceptance of
 * offers, and each customer's favourite technicians. A warm isolate ranks the candidates of a
 * booking without a D1 round trip; a cold one reads only the technicians it has no copy of (and the
 * customer's favourites) in one batch.
 *
 * These are ranking facts, not rules: a copy up to RANKING_HISTORY_CACHE_MS old can rank two
 * candidates differently than a fresh read would, and never books anyone the cell refuses. A
 * favourite added or removed in this isolate is seen at once (`forgetFavourites`), and so is a
 * change of a technician's order (`forgetRankingFacts`, called by every order transition).
 */
import { getDb } from "../db/client";
import { rankingHistory } from "../db/repositories/orders.repo";

export const RANKING_HISTORY_CACHE_MS = 60_000;
const MAX_TECHNICIANS = 10_000;
const MAX_CUSTOMERS = 5_000;
export const WEEK_MS = 7 * 86_400_000;

interface TechnicianFacts {
  earnings: number | undefined;
  acceptance: number | undefined;
  until: number;
}

const technicianFacts = new Map<string, TechnicianFacts>();
const customerFavourites = new Map<string, { set: Set<string>; until: number }>();

function keep<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as string);
}

export interface RankingHistory {
  earnings: (technicianId: string) => number | undefined;
  acceptance: (technicianId: string) => number | undefined;
  favourite: (technicianId: string) => boolean;
}

/** The ranking facts of `technicianIds` for `customerId`'s booking, from the copies or one D1 batch. */
export async function cachedRankingHistory(
  env: Env,
  technicianIds: string[],
  customerId: string,
  now = Date.now(),
): Promise<RankingHistory> {
  const missing = technicianIds.filter((id) => (technicianFacts.get(id)?.until ?? 0) <= now);
  const favourites = customerFavourites.get(customerId);
  const needFavourites = !favourites || favourites.until <= now;
  if (missing.length > 0 || needFavourites) {
    const read = await rankingHistory(getDb(env), missing, needFavourites ? customerId : null, now - WEEK_MS);
    const until = now + RANKING_HISTORY_CACHE_MS;
    for (const id of missing) {
      keep(technicianFacts, id, { earnings: read.earnings.get(id), acceptance: read.acceptance.get(id), until }, MAX_TECHNICIANS);
    }
    if (read.favourites) keep(customerFavourites, customerId, { set: read.favourites, until }, MAX_CUSTOMERS);
  }
  const set = customerFavourites.get(customerId)?.set;
  return {
    earnings: (id) => technicianFacts.get(id)?.earnings,
    acceptance: (id) => technicianFacts.get(id)?.acceptance,
    favourite: (id) => set?.has(id) ?? false,
  };
}

/** A favourite of `customerId` was added or removed in this isolate: read the set again next time. */
export function forgetFavourites(customerId: string): void {
  customerFavourites.delete(customerId);
}

/** An order of these technicians changed status in this isolate: read their facts again next time. */
export function forgetRankingFacts(...technicianIds: (string | null | undefined)[]): void {
  for (const id of technicianIds) if (id) technicianFacts.delete(id);
}
