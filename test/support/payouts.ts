/**
 * Withdrawal helpers for payout tests: a funded technician with a payout account, asking,
 * approving, and reading a withdrawal back from D1.
 */
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { call, callWith, type Session } from "./http";
import { fundTechnician } from "./payments";
import { merchantWorld, type MerchantWorld } from "./world";

let keys = 0;
/** The technician asks to withdraw `amount` through the Worker configured by `e`. */
export const withdraw = (e: Env, s: Session, amount: number, lang = "zh-CN") =>
  callWith(e, "POST", "/v1/technician/withdrawals", {
    token: s.token,
    headers: { "Idempotency-Key": `payout-live-${Date.now()}-${(keys += 1)}`, "Accept-Language": lang },
    body: { amount },
  });
/** A platform admin approves (and so pays out) a withdrawal (merchants only see them). */
export const approve = (e: Env, m: MerchantWorld, id: string, lang = "zh-CN") =>
  callWith(e, "POST", `/v1/admin/withdrawals/${id}/approve`, { token: m.w.admin.token, headers: { "Accept-Language": lang } });
/** A withdrawal's status, payout reference and reason, straight from D1. */
export const withdrawal = async (id: string) =>
  env.DB.prepare("SELECT status, payout_ref AS payoutRef, reason FROM withdrawals WHERE id = ?")
    .bind(id)
    .first<{ status: string; payoutRef: string | null; reason: string | null }>();
export const totals = async (s: Session) => (await call("GET", "/v1/technician/earnings", { token: s.token })).body.totals;
/** The outbox topics written for a withdrawal, oldest first. */
export const outbox = async (withdrawalId: string) =>
  (
    await env.DB.prepare("SELECT topic FROM outbox WHERE payload LIKE ? ORDER BY created_at")
      .bind(`%${withdrawalId}%`)
      .all<{ topic: string }>()
  ).results.map((r) => r.topic);

/** A technician of a merchant with `funds` available and a payout account on file. */
export async function technicianWith(funds: number, payee: Record<string, unknown>) {
  const m = await merchantWorld();
  await fundTechnician(m.tech.id, funds);
  const put = await call("PUT", "/v1/technician/payee", { token: m.techSession.token, body: payee });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  return m;
}
