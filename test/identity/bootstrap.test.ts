// POST /v1/bootstrap: the first administrator of a new deployment, once, with the one-time secret.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client";
import { grantRolesIfNoAdmin } from "../../src/db/repositories/accounts.repo";
import { call, callWith, expectProblem, signIn, uniquePhone } from "../support/http";

const TOKEN = "bootstrap-test-token-0123456789abcdefghij";
const withToken = { ...env, BOOTSTRAP_TOKEN: TOKEN } as Env;

/** `token` null: no Bootstrap-Token header at all. */
const bootstrap = (body: unknown, token: string | null = TOKEN, bindings: Env = withToken) =>
  callWith(bindings, "POST", "/v1/bootstrap", { body, headers: token === null ? {} : { "Bootstrap-Token": token } });

async function admins(): Promise<string[]> {
  const rows = await env.DB.prepare(
    "SELECT DISTINCT a.id FROM accounts a, json_each(a.roles) r WHERE r.value = 'admin' ORDER BY a.id",
  ).all<{ id: string }>();
  return rows.results.map((r) => r.id);
}
const accountCount = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM accounts").first<{ n: number }>())!.n;

describe("bootstrap", () => {
  it("is off without BOOTSTRAP_TOKEN, refuses a wrong or missing token, and checks the phone; nothing is written", async () => {
    expect(await admins()).toEqual([]); // a fresh database: this file signs no admin in
    const before = await accountCount();
    expectProblem(await bootstrap({ phone: uniquePhone() }, TOKEN, env), 404, "BOOTSTRAP_DISABLED");
    expectProblem(await bootstrap({ phone: uniquePhone() }, "x".repeat(40)), 401, "BOOTSTRAP_TOKEN_INVALID");
    expectProblem(await bootstrap({ phone: uniquePhone() }, `${TOKEN}x`), 401, "BOOTSTRAP_TOKEN_INVALID");
    expectProblem(await bootstrap({ phone: uniquePhone() }, null), 401, "BOOTSTRAP_TOKEN_INVALID");
    // The secret is never taken from Authorization (that header is an access token there).
    expectProblem(
      await callWith(withToken, "POST", "/v1/bootstrap", { body: { phone: uniquePhone() }, headers: { Authorization: `Bearer ${TOKEN}` } }),
      401,
      "INVALID_TOKEN",
    );
    const bad = await bootstrap({ phone: "12345" }, TOKEN);
    expectProblem(bad, 400, "INVALID_PHONE");
    expectProblem(await bootstrap({ phone: uniquePhone(), extra: 1 }), 400, "VALIDATION_FAILED");
    expect(await accountCount()).toBe(before);
    expect(await admins()).toEqual([]);
  });

  it("two racing bootstraps make exactly one admin; later calls answer 409 and create nothing", async () => {
    const [a, b] = [uniquePhone(), uniquePhone()];
    const answers = await Promise.all([bootstrap({ phone: a, name: "Ada" }), bootstrap({ phone: b, name: "Bo" })]);
    const won = answers.filter((r) => r.status === 201);
    const lost = answers.filter((r) => r.status !== 201);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expectProblem(lost[0]!, 409, "BOOTSTRAP_DONE");
    const winner = won[0]!.body;
    expect(winner.account.roles).toEqual(expect.arrayContaining(["operator", "admin"]));
    expect(await admins()).toEqual([winner.account.id]);

    // The token pair works: the admin creates a city straight away.
    const me = await call("GET", "/v1/me", { token: winner.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.roles).toEqual(expect.arrayContaining(["admin"]));
    const city = await call("POST", "/v1/admin/cities", {
      token: winner.accessToken,
      body: { name: "Bootstrapville", timeZone: "Asia/Shanghai", center: { lat: 22.5431, lng: 114.0579 }, radiusKm: 5 },
    });
    expect(city.status).toBe(201);

    const audit = await env.DB.prepare("SELECT actor_id AS actor FROM audit_log WHERE action = 'account.bootstrap_admin'").all();
    expect(audit.results).toEqual([{ actor: null }]);

    // Afterwards: 409 with the right token, for a new phone (no account made) and for the admin's own phone.
    const before = await accountCount();
    expectProblem(await bootstrap({ phone: uniquePhone() }), 409, "BOOTSTRAP_DONE");
    expectProblem(await bootstrap({ phone: a }), 409, "BOOTSTRAP_DONE");
    expect(await accountCount()).toBe(before);
    // The wrong token still learns nothing about whether an admin exists.
    expectProblem(await bootstrap({ phone: uniquePhone() }, "y".repeat(40)), 401, "BOOTSTRAP_TOKEN_INVALID");
    expect(await admins()).toEqual([winner.account.id]);
  });

  it("the guarded grant alone decides: past the pre-check, a second account is not made admin", async () => {
    // Both past the cheap check (as in a race), the statement itself refuses the second.
    const [x, y] = await Promise.all([signIn(), signIn()]);
    const db = getDb(env);
    const granted = await Promise.all([
      grantRolesIfNoAdmin(db, x.accountId, ["customer", "operator", "admin"]),
      grantRolesIfNoAdmin(db, y.accountId, ["customer", "operator", "admin"]),
    ]);
    expect(granted).toEqual([false, false]); // the previous test's admin exists
    expect((await admins()).filter((id) => id === x.accountId || id === y.accountId)).toEqual([]);
    await env.DB.prepare("UPDATE accounts SET roles = '[\"customer\"]' WHERE roles LIKE '%admin%'").run();
    const fresh = await Promise.all([
      grantRolesIfNoAdmin(db, x.accountId, ["customer", "operator", "admin"]),
      grantRolesIfNoAdmin(db, y.accountId, ["customer", "operator", "admin"]),
    ]);
    expect(fresh.filter(Boolean)).toHaveLength(1);
    expect(await admins()).toHaveLength(1);
  });
});
