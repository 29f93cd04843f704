/** Membership settings: the global row (points, expiry, levels) and merchants' own earn rates. */
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { deleteSettings, merchantSettingsRows, putSettings, settingsRows } from "../db/repositories/membership.repo";
import { DEFAULT_SETTINGS, MembershipSettings } from "../domain/membership";
import { findMerchant } from "../db/repositories/merchants.repo";
import { invalid, notFound } from "../errors";

const GLOBAL = "global";
const merchantScopeKey = (merchantId: string) => `merchant:${merchantId}`;

/** The global settings (the defaults until staff saved some), and a merchant's earn rate over them when it has one. */
export async function membershipSettings(env: Env, merchantId?: string | null): Promise<MembershipSettings> {
  const rows = await settingsRows(getDb(env), merchantId ? [GLOBAL, merchantScopeKey(merchantId)] : [GLOBAL]);
  const global = MembershipSettings.safeParse(rows.find((r) => r.scope === GLOBAL)?.settings);
  const base = global.success ? global.data : DEFAULT_SETTINGS;
  const own = rows.find((r) => r.scope !== GLOBAL)?.settings as { earnPerYuan?: number } | undefined;
  return typeof own?.earnPerYuan === "number" ? { ...base, earnPerYuan: own.earnPerYuan } : base;
}

/** The settings as staff edit them: the global ones and every merchant's earn rate. */
export async function settingsView(env: Env) {
  const [global, merchants] = await Promise.all([membershipSettings(env), merchantSettingsRows(getDb(env))]);
  return {
    ...global,
    merchantRates: merchants
      .map((r) => ({
        merchantId: r.scope.slice("merchant:".length),
        earnPerYuan: Number((r.settings as { earnPerYuan?: number }).earnPerYuan ?? 0),
      }))
      .sort((a, b) => a.merchantId.localeCompare(b.merchantId)),
  };
}

/** Saves the global settings (audited). Levels must rise in both thresholds. */
export async function saveSettings(env: Env, actorId: string, input: MembershipSettings) {
  const problems = input.levels.flatMap((l, i) => {
    const prev = input.levels[i - 1];
    if (i === 0 && (l.minSpend !== 0 || l.minPoints !== 0))
      return [{ path: "body.levels.0", message: "the first level is where everyone starts: minSpend and minPoints 0" }];
    if (prev && (l.minSpend <= prev.minSpend || l.minPoints <= prev.minPoints))
      return [{ path: `body.levels.${i}`, message: "thresholds must rise from one level to the next" }];
    return [];
  });
  if (new Set(input.levels.map((l) => l.code)).size !== input.levels.length)
    problems.push({ path: "body.levels", message: "duplicate codes" });
  if (problems.length) throw invalid(problems);
  const db = getDb(env);
  await putSettings(db, GLOBAL, input, actorId, Date.now());
  await appendAudit(db, { actorId, action: "membership.settings", targetType: "membership", targetId: GLOBAL, data: { ...input } });
  return settingsView(env);
}

/** A merchant's own earn rate (null: the global one again), audited. */
export async function saveMerchantRate(env: Env, actorId: string, merchantId: string, earnPerYuan: number | null) {
  const db = getDb(env);
  if (!(await findMerchant(db, merchantId))) throw notFound("Merchant");
  if (earnPerYuan === null) await deleteSettings(db, merchantScopeKey(merchantId));
  else await putSettings(db, merchantScopeKey(merchantId), { earnPerYuan }, actorId, Date.now());
  await appendAudit(db, {
    actorId,
    action: "membership.merchant_rate",
    targetType: "merchant",
    targetId: merchantId,
    data: { earnPerYuan },
  });
  return settingsView(env);
}
