import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cellOf } from "../../src/domain/geo";
import { call, expectProblem, signIn, uniquePhone, type Session } from "../support/http";

const HOME = { lat: 31.2304, lng: 121.4737 };

function input(overrides: Record<string, unknown> = {}) {
  return {
    label: "家",
    text: "上海市黄浦区南京东路 100 号 8 楼",
    ...HOME,
    contactName: "王女士",
    contactPhone: uniquePhone(),
    ...overrides,
  };
}

async function save(s: Session, overrides: Record<string, unknown> = {}) {
  const res = await call("POST", "/v1/me/addresses", { token: s.token, body: input(overrides) });
  if (res.status !== 201) throw new Error(`address failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function listOf(s: Session) {
  const res = await call("GET", "/v1/me/addresses", { token: s.token });
  expect(res.status).toBe(200);
  return res.body.items;
}

describe("POST /v1/me/addresses", () => {
  it("saves an address, normalising the contact phone and computing its cell", async () => {
    const me = await signIn();
    const contact = uniquePhone();
    const res = await call("POST", "/v1/me/addresses", {
      token: me.token,
      body: input({ contactPhone: contact.slice(3), label: " 公司 " }),
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      label: "公司",
      text: "上海市黄浦区南京东路 100 号 8 楼",
      ...HOME,
      cell: cellOf(HOME, 5),
      contactName: "王女士",
      contactPhone: contact,
    });
    expect(res.body.id).toMatch(/^adr_/);
    expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
    expect(res.body.updatedAt).toBe(res.body.createdAt);
    expect(await listOf(me)).toEqual([res.body]);
  });

  it("rejects invalid fields with 400 at the field's path, saving nothing", async () => {
    const me = await signIn();
    const cases: [Record<string, unknown>, string, string][] = [
      [{ lat: 90.5 }, "VALIDATION_FAILED", "body.lat"],
      [{ lng: -181 }, "VALIDATION_FAILED", "body.lng"],
      [{ text: "" }, "VALIDATION_FAILED", "body.text"],
      [{ text: "x".repeat(201) }, "VALIDATION_FAILED", "body.text"],
      [{ label: "   " }, "VALIDATION_FAILED", "body.label"],
      [{ label: "x".repeat(31) }, "VALIDATION_FAILED", "body.label"],
      [{ contactName: "x".repeat(41) }, "VALIDATION_FAILED", "body.contactName"],
      [{ contactPhone: "010-1234" }, "INVALID_PHONE", "body.contactPhone"],
      [{ contactPhone: "+8612345678901" }, "INVALID_PHONE", "body.contactPhone"],
      [{ lat: "31.2" }, "VALIDATION_FAILED", "body.lat"],
      [{ accountId: "acc_other" }, "VALIDATION_FAILED", "body"],
    ];
    for (const [overrides, code, path] of cases) {
      const res = await call("POST", "/v1/me/addresses", { token: me.token, body: input(overrides) });
      expectProblem(res, 400, code);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    const { text: _text, ...withoutText } = input();
    const missing = await call("POST", "/v1/me/addresses", { token: me.token, body: withoutText });
    expectProblem(missing, 400, "VALIDATION_FAILED");
    expect(missing.body.errors.map((e: { path: string }) => e.path)).toContain("body.text");
    expect(await listOf(me)).toEqual([]);
  });

  it("keeps at most 50 live addresses (409 ADDRESS_LIMIT), even under concurrent saves; deleting frees a place", async () => {
    const me = await signIn();
    for (let i = 0; i < 45; i += 15) {
      await Promise.all(Array.from({ length: 15 }, (_, j) => save(me, { label: `#${i + j}` })));
    }
    const burst = await Promise.all(Array.from({ length: 10 }, () => call("POST", "/v1/me/addresses", { token: me.token, body: input() })));
    expect(burst.filter((r) => r.status === 201)).toHaveLength(5);
    for (const r of burst.filter((r) => r.status !== 201)) expectProblem(r, 409, "ADDRESS_LIMIT");
    const items = await listOf(me);
    expect(items).toHaveLength(50);
    expect((await call("DELETE", `/v1/me/addresses/${items[0].id}`, { token: me.token })).status).toBe(204);
    expect((await call("POST", "/v1/me/addresses", { token: me.token, body: input() })).status).toBe(201);
    expectProblem(await call("POST", "/v1/me/addresses", { token: me.token, body: input() }), 409, "ADDRESS_LIMIT");
  });

  it("needs a token (401)", async () => {
    expectProblem(await call("POST", "/v1/me/addresses", { body: input() }), 401);
  });
});

describe("GET /v1/me/addresses", () => {
  it("lists only the caller's own live addresses, oldest first", async () => {
    const [a, b] = [await signIn(), await signIn()];
    const first = await save(a, { label: "一" });
    const second = await save(a, { label: "二" });
    await save(b, { label: "别人的" });
    expect((await listOf(a)).map((x: { id: string }) => x.id)).toEqual([first.id, second.id]);
    expect((await listOf(b)).map((x: { label: string }) => x.label)).toEqual(["别人的"]);
  });

  it("needs a token (401)", async () => {
    expectProblem(await call("GET", "/v1/me/addresses"), 401);
  });
});

describe("PATCH /v1/me/addresses/{id}", () => {
  it("changes only the given fields", async () => {
    const me = await signIn();
    const saved = await save(me);
    const contact = uniquePhone();
    const res = await call("PATCH", `/v1/me/addresses/${saved.id}`, {
      token: me.token,
      body: { label: "父母家", contactPhone: contact.slice(3), contactName: "王先生" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...saved, label: "父母家", contactPhone: contact, contactName: "王先生", updatedAt: res.body.updatedAt });
    expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(saved.updatedAt));
    expect(await listOf(me)).toEqual([res.body]);
  });

  it("moves the cell when lat and lng change together", async () => {
    const me = await signIn();
    const saved = await save(me);
    const moved = { lat: 39.9042, lng: 116.4074 };
    const res = await call("PATCH", `/v1/me/addresses/${saved.id}`, { token: me.token, body: { ...moved, text: "北京市东城区 1 号" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ...moved, cell: cellOf(moved, 5), text: "北京市东城区 1 号", label: saved.label });
    expect(res.body.cell).not.toBe(saved.cell);
  });

  it("rejects an empty change, a lone coordinate and invalid values with 400, changing nothing", async () => {
    const me = await signIn();
    const saved = await save(me);
    const cases: [Record<string, unknown>, string, string][] = [
      [{}, "VALIDATION_FAILED", "body"],
      [{ lat: 30 }, "VALIDATION_FAILED", "body.lng"],
      [{ lng: 120 }, "VALIDATION_FAILED", "body.lat"],
      [{ lat: 100, lng: 120 }, "VALIDATION_FAILED", "body.lat"],
      [{ text: "" }, "VALIDATION_FAILED", "body.text"],
      [{ label: "x".repeat(31) }, "VALIDATION_FAILED", "body.label"],
      [{ contactPhone: "12345" }, "INVALID_PHONE", "body.contactPhone"],
      [{ cell: "85283473fffffff" }, "VALIDATION_FAILED", "body"],
    ];
    for (const [patch, code, path] of cases) {
      const res = await call("PATCH", `/v1/me/addresses/${saved.id}`, { token: me.token, body: patch });
      expectProblem(res, 400, code);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    expect(await listOf(me)).toEqual([saved]);
  });

  it("answers 404 for another account's address and leaves it untouched", async () => {
    const [a, b] = [await signIn(), await signIn()];
    const ofA = await save(a);
    const res = await call("PATCH", `/v1/me/addresses/${ofA.id}`, { token: b.token, body: { label: "mine now" } });
    expectProblem(res, 404);
    expect(JSON.stringify(res.body)).not.toContain(ofA.text);
    expect(await listOf(a)).toEqual([ofA]);
    expectProblem(await call("PATCH", "/v1/me/addresses/adr_missing", { token: a.token, body: { label: "x" } }), 404);
  });

  it("needs a token (401)", async () => {
    expectProblem(await call("PATCH", "/v1/me/addresses/adr_missing", { body: { label: "x" } }), 401);
  });
});

describe("DELETE /v1/me/addresses/{id}", () => {
  it("soft-deletes: 204, then gone from every answer while the row stays marked deleted", async () => {
    const me = await signIn();
    const kept = await save(me);
    const gone = await save(me);
    const res = await call("DELETE", `/v1/me/addresses/${gone.id}`, { token: me.token });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    expect(await listOf(me)).toEqual([kept]);
    expectProblem(await call("PATCH", `/v1/me/addresses/${gone.id}`, { token: me.token, body: { label: "x" } }), 404);
    expectProblem(await call("DELETE", `/v1/me/addresses/${gone.id}`, { token: me.token }), 404);
    const row = await env.DB.prepare("SELECT deleted_at FROM addresses WHERE id = ?").bind(gone.id).first<{ deleted_at: number | null }>();
    expect(row?.deleted_at).toBeGreaterThan(0);
  });

  it("answers 404 for another account's address and leaves it in place", async () => {
    const [a, b] = [await signIn(), await signIn()];
    const ofA = await save(a);
    expectProblem(await call("DELETE", `/v1/me/addresses/${ofA.id}`, { token: b.token }), 404);
    expect(await listOf(a)).toEqual([ofA]);
    expectProblem(await call("DELETE", "/v1/me/addresses/adr_missing", { token: a.token }), 404);
  });

  it("needs a token (401)", async () => {
    expectProblem(await call("DELETE", "/v1/me/addresses/adr_missing"), 401);
  });
});
