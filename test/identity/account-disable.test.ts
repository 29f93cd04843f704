/**
 * Staff disable (ban) accounts with a reason, effective at once and audited, and enable them again;
 * a deactivated merchant's administrators, and an administrator whose role is taken away, lose
 * access at once.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createMerchant, signInMerchantAdmin } from "../support/catalog";
import { auditActions } from "../support/fixtures";
import { call, expectProblem, signIn, signInAdmin, signInWithRoles, type Session } from "../support/http";

const me = (token: string) => call("GET", "/v1/me", { token });
const rotate = (refreshToken: string) => call("POST", "/v1/auth/token", { body: { grantType: "refresh_token", refreshToken } });
const disable = (staff: Session, accountId: string, body: unknown = { reason: "fraud", note: "chargebacks on 3 orders" }) =>
  call("POST", `/v1/admin/accounts/${accountId}/disable`, { token: staff.token, body });
const enable = (staff: Session, accountId: string) => call("POST", `/v1/admin/accounts/${accountId}/enable`, { token: staff.token });
const statusOf = async (accountId: string) =>
  (await env.DB.prepare("SELECT status FROM accounts WHERE id = ?").bind(accountId).first<{ status: string }>())!.status;

/** Signs in with a code, keeping the answer (signIn throws on anything but 200). */
async function trySignIn(phone: string, lang = "en") {
  const otp = await call("POST", "/v1/auth/otp", { body: { phone }, headers: { "CF-Connecting-IP": "10.77.0.1" } });
  expect(otp.status).toBe(202);
  return call("POST", "/v1/auth/token", { body: { phone, code: otp.body.devCode }, headers: { "Accept-Language": lang } });
}

describe("disabling accounts", () => {
  it("an operator disables an account with a reason: every token stops at once, signing in is refused with the reason, audited", async () => {
    const operator = await signInWithRoles(["operator"]);
    const customer = await signIn();
    const second = await signIn(customer.phone);
    expect((await me(customer.token)).status).toBe(200);

    const res = await disable(operator, customer.accountId);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: customer.accountId,
      status: "disabled",
      disabled: { reason: "fraud", note: "chargebacks on 3 orders" },
    });
    expect(res.body.phone).toMatch(/\*{4}/);

    for (const s of [customer, second]) {
      const refused = await call("GET", "/v1/me", { token: s.token, headers: { "Accept-Language": "zh-CN" } });
      expectProblem(refused, 403, "ACCOUNT_DISABLED");
      expect(refused.body.reason).toBe("fraud");
      expect(refused.body.detail).toContain("欺诈行为");
      expectProblem(await rotate(s.refreshToken), 401, "INVALID_REFRESH_TOKEN");
    }
    const en = await trySignIn(customer.phone, "en");
    expectProblem(en, 403, "ACCOUNT_DISABLED");
    expect(en.body).toMatchObject({ reason: "fraud" });
    expect(en.body.detail).toContain("fraud");
    const zh = await trySignIn(customer.phone, "zh-CN");
    expectProblem(zh, 403, "ACCOUNT_DISABLED");
    expect(zh.body.detail).toContain("该账号已被平台停用");

    const listed = await call("GET", "/v1/admin/accounts?status=disabled&limit=100", { token: operator.token });
    expect(listed.body.items.map((a: { id: string }) => a.id)).toContain(customer.accountId);
    const byPhone = await call("GET", `/v1/admin/accounts?phone=${encodeURIComponent(customer.phone)}`, { token: operator.token });
    expect(byPhone.body.items).toHaveLength(1);
    expect(byPhone.body.items[0]).toMatchObject({ id: customer.accountId, status: "disabled" });

    // Disabling again changes nothing (and is not audited twice).
    expect((await disable(operator, customer.accountId, { reason: "other" })).body.disabled.reason).toBe("fraud");
    expect(await auditActions(customer.accountId)).toEqual(["account.disable"]);

    const enabled = await enable(operator, customer.accountId);
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ status: "active", disabled: null });
    // The tokens revoked by the ban stay revoked; a new sign-in works.
    expectProblem(await me(customer.token), 401, "TOKEN_REVOKED");
    const back = await trySignIn(customer.phone);
    expect(back.status).toBe(200);
    expect((await me(back.body.accessToken)).status).toBe(200);
    expect(await auditActions(customer.accountId)).toEqual(["account.disable", "account.enable"]);
    const audit = await env.DB.prepare("SELECT actor_id AS actor, data FROM audit_log WHERE target_id = ? ORDER BY seq")
      .bind(customer.accountId)
      .all<{ actor: string; data: string }>();
    expect(audit.results[0]!.actor).toBe(operator.accountId);
    expect(JSON.parse(audit.results[0]!.data)).toMatchObject({ reason: "fraud", note: "chargebacks on 3 orders" });
  });

  it("who may disable whom: operators and admins only, nobody themselves, only an admin disables staff; bad input changes nothing", async () => {
    const admin = await signInAdmin();
    const operator = await signInWithRoles(["operator"]);
    const otherOperator = await signInWithRoles(["operator"]);
    const customer = await signIn();
    const target = await signIn();

    expectProblem(await disable(customer, target.accountId), 403, "FORBIDDEN");
    expectProblem(await disable(await signInWithRoles(["merchant_admin"]), target.accountId), 403, "FORBIDDEN");
    expectProblem(await call("POST", `/v1/admin/accounts/${target.accountId}/disable`, { body: { reason: "fraud" } }), 401);
    expectProblem(await disable(operator, operator.accountId), 409, "ACCOUNT_DISABLE_SELF");
    expectProblem(await disable(operator, otherOperator.accountId), 403, "FORBIDDEN");
    expectProblem(await disable(operator, "acc_missing"), 404);
    expectProblem(await disable(operator, target.accountId, { reason: "because" }), 400, "VALIDATION_FAILED");
    expectProblem(await disable(operator, target.accountId, { reason: "fraud", note: "x".repeat(501) }), 400, "VALIDATION_FAILED");
    expectProblem(await disable(operator, target.accountId, { reason: "fraud", extra: 1 }), 400, "VALIDATION_FAILED");
    expectProblem(await call("GET", "/v1/admin/accounts?phone=12", { token: operator.token }), 400, "INVALID_PHONE");
    expect(await statusOf(target.accountId)).toBe("active");
    expect(await statusOf(otherOperator.accountId)).toBe("active");
    expect((await me(target.token)).status).toBe(200);
    expect(await auditActions(target.accountId)).toEqual([]);

    // An admin may disable an operator; the operator's next request is refused.
    expect((await disable(admin, otherOperator.accountId, { reason: "impersonation" })).status).toBe(200);
    const refused = await call("GET", "/v1/admin/accounts", { token: otherOperator.token });
    expectProblem(refused, 403, "ACCOUNT_DISABLED");
    expect(refused.body.reason).toBe("impersonation");
    expectProblem(await enable(customer, otherOperator.accountId), 403, "FORBIDDEN");
    expect((await enable(admin, otherOperator.accountId)).body.status).toBe("active");
  });
});

describe("merchant administrators lose access", () => {
  it("when their merchant is deactivated, at once; back with the role after it is active again", async () => {
    const admin = await signInAdmin();
    const merchantId = await createMerchant(admin);
    const merchantAdmin = await signInMerchantAdmin(admin, merchantId);
    expect((await call("GET", `/v1/admin/merchants/${merchantId}`, { token: merchantAdmin.token })).status).toBe(200);

    const off = await call("PATCH", `/v1/admin/merchants/${merchantId}`, { token: admin.token, body: { active: false } });
    expect(off.status).toBe(200);
    expectProblem(await call("GET", `/v1/admin/merchants/${merchantId}`, { token: merchantAdmin.token }), 401, "TOKEN_REVOKED");
    // A refresh gives a token without the role: staff routes are closed to it.
    const refreshed = await rotate(merchantAdmin.refreshToken);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.account.roles).not.toContain("merchant_admin");
    expectProblem(await call("GET", `/v1/admin/merchants/${merchantId}`, { token: refreshed.body.accessToken }), 403, "FORBIDDEN");
    expectProblem(await call("GET", "/v1/admin/orders", { token: refreshed.body.accessToken }), 403, "FORBIDDEN");
    const audit = await env.DB.prepare("SELECT data FROM audit_log WHERE target_id = ? AND action = 'merchant.update'")
      .bind(merchantId)
      .first<{ data: string }>();
    expect(JSON.parse(audit!.data)).toMatchObject({ active: false, revokedAccounts: [merchantAdmin.accountId] });

    expect((await call("PATCH", `/v1/admin/merchants/${merchantId}`, { token: admin.token, body: { active: true } })).status).toBe(200);
    const again = await rotate(refreshed.body.refreshToken);
    expect(again.body.account.roles).toContain("merchant_admin");
    expect((await call("GET", `/v1/admin/merchants/${merchantId}`, { token: again.body.accessToken })).status).toBe(200);
  });

  it("when their role is taken away, at once", async () => {
    const admin = await signInAdmin();
    const merchantId = await createMerchant(admin);
    const merchantAdmin = await signInMerchantAdmin(admin, merchantId);
    expect((await call("GET", `/v1/admin/merchants/${merchantId}/admins`, { token: merchantAdmin.token })).status).toBe(200);
    const removed = await call("DELETE", `/v1/admin/merchants/${merchantId}/admins/${merchantAdmin.accountId}`, { token: admin.token });
    expect(removed.status).toBe(204);
    expectProblem(await call("GET", `/v1/admin/merchants/${merchantId}/admins`, { token: merchantAdmin.token }), 401, "TOKEN_REVOKED");
    const refreshed = await rotate(merchantAdmin.refreshToken);
    expect(refreshed.body.account.roles).toEqual(["customer"]);
  });
});
