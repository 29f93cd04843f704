import { describe, expect, it } from "vitest";
import { createMerchant, signInMerchantAdmin, uniqueWord } from "../support/catalog";
import { auditActions } from "../support/fixtures";
import { call, expectProblem, signIn, signInAdmin, signInWithRoles, uniquePhone } from "../support/http";

describe("merchants", () => {
  it("an operator creates, reads, renames and deactivates a merchant", async () => {
    const admin = await signInAdmin();
    const name = uniqueWord("Sparkle Home ");
    const created = await call("POST", "/v1/admin/merchants", { token: admin.token, body: { name } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, active: true });
    expect(created.body.id).toMatch(/^mch_/);
    expect(new Date(created.body.createdAt).toISOString()).toBe(created.body.createdAt);

    const got = await call("GET", `/v1/admin/merchants/${created.body.id}`, { token: admin.token });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);

    const patched = await call("PATCH", `/v1/admin/merchants/${created.body.id}`, {
      token: admin.token,
      body: { name: "Renamed", active: false },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: created.body.id, name: "Renamed", active: false });
    expect((await call("GET", `/v1/admin/merchants/${created.body.id}`, { token: admin.token })).body.active).toBe(false);
    expect(await auditActions(created.body.id)).toEqual(["merchant.create", "merchant.update"]);
  });

  it("pages through merchants with a cursor", async () => {
    const admin = await signInAdmin();
    const ids = [await createMerchant(admin), await createMerchant(admin), await createMerchant(admin)];
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const res = await call("GET", `/v1/admin/merchants${q}`, { token: admin.token });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((m: { id: string }) => m.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    for (const id of ids) expect(seen).toContain(id);
    expect(new Set(seen).size).toBe(seen.length);
    expectProblem(await call("GET", "/v1/admin/merchants?cursor=!!", { token: admin.token }), 400, "INVALID_CURSOR");
  });

  it("rejects invalid input and changes nothing", async () => {
    const admin = await signInAdmin();
    const id = await createMerchant(admin);
    const before = (await call("GET", `/v1/admin/merchants/${id}`, { token: admin.token })).body;
    expectProblem(await call("POST", "/v1/admin/merchants", { token: admin.token, body: { name: "" } }), 400, "VALIDATION_FAILED");
    const extra = await call("POST", "/v1/admin/merchants", { token: admin.token, body: { name: "X", active: false } });
    expectProblem(extra, 400, "VALIDATION_FAILED");
    const bad = await call("PATCH", `/v1/admin/merchants/${id}`, { token: admin.token, body: { name: "Y", active: "no" } });
    expectProblem(bad, 400, "VALIDATION_FAILED");
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toContain("body.active");
    expect((await call("GET", `/v1/admin/merchants/${id}`, { token: admin.token })).body).toEqual(before);
  });

  it("needs a token (401) and a platform role to create or change (403)", async () => {
    const admin = await signInAdmin();
    const id = await createMerchant(admin);
    expectProblem(await call("POST", "/v1/admin/merchants", { body: { name: "X" } }), 401);
    expectProblem(await call("GET", "/v1/admin/merchants"), 401);
    const customer = await signIn();
    expectProblem(await call("POST", "/v1/admin/merchants", { token: customer.token, body: { name: "X" } }), 403, "FORBIDDEN");
    expectProblem(await call("GET", "/v1/admin/merchants", { token: customer.token }), 403, "FORBIDDEN");
    expectProblem(await call("GET", `/v1/admin/merchants/${id}`, { token: customer.token }), 403, "FORBIDDEN");
    expectProblem(await call("GET", `/v1/admin/merchants/${id}/admins`, { token: customer.token }), 403, "FORBIDDEN");
    const merchantAdmin = await signInMerchantAdmin(admin, id);
    expectProblem(
      await call("PATCH", `/v1/admin/merchants/${id}`, { token: merchantAdmin.token, body: { active: false } }),
      403,
      "FORBIDDEN",
    );
    expectProblem(
      await call("POST", `/v1/admin/merchants/${id}/admins`, { token: merchantAdmin.token, body: { phone: uniquePhone() } }),
      403,
      "FORBIDDEN",
    );
    expect((await call("GET", `/v1/admin/merchants/${id}`, { token: admin.token })).body.active).toBe(true);
  });

  it("answers 404 for a missing merchant", async () => {
    const admin = await signInAdmin();
    expectProblem(await call("GET", "/v1/admin/merchants/mch_missing", { token: admin.token }), 404);
    expectProblem(await call("PATCH", "/v1/admin/merchants/mch_missing", { token: admin.token, body: { name: "X" } }), 404);
    expectProblem(
      await call("POST", "/v1/admin/merchants/mch_missing/admins", { token: admin.token, body: { phone: uniquePhone() } }),
      404,
    );
    expectProblem(await call("GET", "/v1/admin/merchants/mch_missing/admins", { token: admin.token }), 404);
  });
});

describe("merchant administrators", () => {
  it("an operator makes a new phone an administrator; it signs in as merchant_admin of that merchant", async () => {
    const admin = await signInAdmin();
    const merchantId = await createMerchant(admin);
    const phone = uniquePhone();
    const res = await call("POST", `/v1/admin/merchants/${merchantId}/admins`, { token: admin.token, body: { phone: phone.slice(3) } });
    expect(res.status).toBe(201);
    expect(res.body.roles).toEqual(["customer", "merchant_admin"]);
    expect(res.body.phone).toBe(`${phone.slice(0, 6)}****${phone.slice(-4)}`);

    const session = await signIn(phone);
    expect(session.accountId).toBe(res.body.accountId);
    expect(session.roles).toEqual(["customer", "merchant_admin"]);
    const me = await call("GET", "/v1/me", { token: session.token });
    expect(me.body.merchant.id).toBe(merchantId);
    expect(await auditActions(res.body.accountId)).toEqual(["merchant.admin.grant"]);
  });

  it("grants the role to an existing account, keeping its other roles; granting again is 200", async () => {
    const admin = await signInAdmin();
    const merchantId = await createMerchant(admin);
    const existing = await signInWithRoles(["customer", "technician"]);
    const first = await call("POST", `/v1/admin/merchants/${merchantId}/admins`, { token: admin.token, body: { phone: existing.phone } });
    expect(first.status).toBe(201);
    expect(first.body.accountId).toBe(existing.accountId);
    expect(first.body.roles).toEqual(["customer", "technician", "merchant_admin"]);
    const again = await call("POST", `/v1/admin/merchants/${merchantId}/admins`, { token: admin.token, body: { phone: existing.phone } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await auditActions(existing.accountId)).toEqual(["merchant.admin.grant"]);
  });

  it("refuses an account that administers another merchant with 409 MERCHANT_ADMIN_ELSEWHERE", async () => {
    const admin = await signInAdmin();
    const a = await createMerchant(admin);
    const b = await createMerchant(admin);
    const phone = uniquePhone();
    expect((await call("POST", `/v1/admin/merchants/${a}/admins`, { token: admin.token, body: { phone } })).status).toBe(201);
    const res = await call("POST", `/v1/admin/merchants/${b}/admins`, { token: admin.token, body: { phone } });
    expectProblem(res, 409, "MERCHANT_ADMIN_ELSEWHERE");
    const me = await call("GET", "/v1/me", { token: (await signIn(phone)).token });
    expect(me.body.merchant.id).toBe(a);
    expect((await call("GET", `/v1/admin/merchants/${b}/admins`, { token: admin.token })).body.items).toEqual([]);
  });

  it("of two concurrent grants to different merchants, exactly one wins", async () => {
    const admin = await signInAdmin();
    const merchantIds = await Promise.all(Array.from({ length: 4 }, () => createMerchant(admin)));
    const phone = uniquePhone();
    const results = await Promise.all(
      merchantIds.map((id) => call("POST", `/v1/admin/merchants/${id}/admins`, { token: admin.token, body: { phone } })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 201)) expectProblem(r, 409, "MERCHANT_ADMIN_ELSEWHERE");
    const winner = merchantIds[results.findIndex((r) => r.status === 201)];
    const me = await call("GET", "/v1/me", { token: (await signIn(phone)).token });
    expect(me.body.merchant.id).toBe(winner);
  });

  it("rejects a malformed phone with 400 INVALID_PHONE and creates nothing", async () => {
    const admin = await signInAdmin();
    const merchantId = await createMerchant(admin);
    expectProblem(
      await call("POST", `/v1/admin/merchants/${merchantId}/admins`, { token: admin.token, body: { phone: "12345" } }),
      400,
      "INVALID_PHONE",
    );
    expectProblem(
      await call("POST", `/v1/admin/merchants/${merchantId}/admins`, { token: admin.token, body: { phone: uniquePhone(), role: "admin" } }),
      400,
      "VALIDATION_FAILED",
    );
    expect((await call("GET", `/v1/admin/merchants/${merchantId}/admins`, { token: admin.token })).body.items).toEqual([]);
  });

  it("lists administrators with masked phones, to operators and to the merchant's own admin", async () => {
    const admin = await signInAdmin();
    const merchantId = await createMerchant(admin);
    const phones = [uniquePhone(), uniquePhone()];
    for (const phone of phones) await call("POST", `/v1/admin/merchants/${merchantId}/admins`, { token: admin.token, body: { phone } });
    const list = await call("GET", `/v1/admin/merchants/${merchantId}/admins`, { token: admin.token });
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(2);
    expect(list.body.nextCursor).toBeNull();
    for (const item of list.body.items) {
      expect(item.phone).toMatch(/^\+86\d{3}\*{4}\d{4}$/);
      expect(phones).not.toContain(item.phone);
    }
    expect(JSON.stringify(list.body)).not.toContain(phones[0]!.slice(-8));

    const own = await signIn(phones[0]);
    const ownList = await call("GET", `/v1/admin/merchants/${merchantId}/admins?limit=1`, { token: own.token });
    expect(ownList.status).toBe(200);
    expect(ownList.body.items).toHaveLength(1);
    expect(ownList.body.nextCursor).not.toBeNull();
  });

  it("a merchant_admin sees only its own merchant; another's is 404", async () => {
    const admin = await signInAdmin();
    const a = await createMerchant(admin);
    const b = await createMerchant(admin);
    const adminOfA = await signInMerchantAdmin(admin, a);
    const list = await call("GET", "/v1/admin/merchants", { token: adminOfA.token });
    expect(list.status).toBe(200);
    expect(list.body.items.map((m: { id: string }) => m.id)).toEqual([a]);
    expect((await call("GET", `/v1/admin/merchants/${a}`, { token: adminOfA.token })).status).toBe(200);
    expectProblem(await call("GET", `/v1/admin/merchants/${b}`, { token: adminOfA.token }), 404);
    expectProblem(await call("GET", `/v1/admin/merchants/${b}/admins`, { token: adminOfA.token }), 404);
  });

  it("an operator removes an administrator: role and tie go, audited; removing again is 404", async () => {
    const admin = await signInAdmin();
    const merchantId = await createMerchant(admin);
    const phone = uniquePhone();
    const granted = await call("POST", `/v1/admin/merchants/${merchantId}/admins`, { token: admin.token, body: { phone } });
    const path = `/v1/admin/merchants/${merchantId}/admins/${granted.body.accountId}`;
    const customer = await signIn();
    expectProblem(await call("DELETE", path, { token: customer.token }), 403, "FORBIDDEN");
    expectProblem(await call("DELETE", path), 401);
    expect((await call("DELETE", path, { token: admin.token })).status).toBe(204);
    const session = await signIn(phone);
    expect(session.roles).toEqual(["customer"]);
    expect((await call("GET", "/v1/me", { token: session.token })).body.merchant).toBeNull();
    expect((await call("GET", `/v1/admin/merchants/${merchantId}/admins`, { token: admin.token })).body.items).toEqual([]);
    expect(await auditActions(granted.body.accountId)).toEqual(["merchant.admin.grant", "merchant.admin.revoke"]);
    expectProblem(await call("DELETE", path, { token: admin.token }), 404);
    // Now free to administer another merchant.
    const other = await createMerchant(admin);
    expect((await call("POST", `/v1/admin/merchants/${other}/admins`, { token: admin.token, body: { phone } })).status).toBe(201);
  });
});
