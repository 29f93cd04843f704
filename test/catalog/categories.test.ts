import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client";
import { updateCategory } from "../../src/db/repositories/catalog.repo";
import { createCategory, createSkill, serviceBody, uniqueWord } from "../support/catalog";
import { createCity } from "../support/fixtures";
import { call, expectProblem, signIn, signInAdmin, signInWithRoles } from "../support/http";

interface Node {
  id: string;
  name: { zh: string; en: string };
  sort: number;
  children: Node[];
}

function findNode(nodes: Node[], id: string): Node | undefined {
  for (const n of nodes) {
    if (n.id === id) return n;
    const inner = findNode(n.children, id);
    if (inner) return inner;
  }
  return undefined;
}

async function tree(): Promise<Node[]> {
  const res = await call("GET", "/v1/categories");
  expect(res.status).toBe(200);
  return res.body.items;
}

describe("skills", () => {
  it("an operator adds a skill; anyone lists skills", async () => {
    const admin = await signInAdmin();
    const code = uniqueWord("sk_").slice(0, 32);
    const res = await call("POST", "/v1/admin/skills", {
      token: admin.token,
      body: { code, name: { zh: "深度保洁", en: "Deep cleaning" } },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ code, name: { zh: "深度保洁", en: "Deep cleaning" } });
    const list = await call("GET", "/v1/skills");
    expect(list.status).toBe(200);
    expect(list.body.items).toContainEqual({ code, name: { zh: "深度保洁", en: "Deep cleaning" } });
    const codes = list.body.items.map((s: { code: string }) => s.code);
    expect(codes).toEqual([...codes].sort());
  });

  it("refuses a taken code with 409 SKILL_EXISTS, keeping the first name", async () => {
    const admin = await signInAdmin();
    const code = await createSkill(admin);
    const res = await call("POST", "/v1/admin/skills", { token: admin.token, body: { code, name: { zh: "别的", en: "Other" } } });
    expectProblem(res, 409, "SKILL_EXISTS");
    const skill = (await call("GET", "/v1/skills")).body.items.find((s: { code: string }) => s.code === code);
    expect(skill.name.en).toBe(`Skill ${code}`);
  });

  it("rejects malformed codes and names, adding nothing", async () => {
    const admin = await signInAdmin();
    const before = (await call("GET", "/v1/skills")).body.items.length;
    for (const code of ["A_upper", "x", "has-dash", "a".repeat(33), "空格 code"]) {
      const res = await call("POST", "/v1/admin/skills", { token: admin.token, body: { code, name: { zh: "技能", en: "Skill" } } });
      expectProblem(res, 400, "VALIDATION_FAILED");
      expect(res.body.errors[0].path).toBe("body.code");
    }
    const noEn = await call("POST", "/v1/admin/skills", { token: admin.token, body: { code: uniqueWord("sk_"), name: { zh: "技能" } } });
    expectProblem(noEn, 400, "VALIDATION_FAILED");
    expect(noEn.body.errors[0].path).toBe("body.name.en");
    expectProblem(
      await call("POST", "/v1/admin/skills", { token: admin.token, body: { code: uniqueWord("sk_"), name: { zh: "a", en: "b" }, x: 1 } }),
      400,
      "VALIDATION_FAILED",
    );
    expect((await call("GET", "/v1/skills")).body.items.length).toBe(before);
  });

  it("needs a token (401) and an operator (403)", async () => {
    const body = { code: uniqueWord("sk_"), name: { zh: "技能", en: "Skill" } };
    expectProblem(await call("POST", "/v1/admin/skills", { body }), 401);
    expectProblem(await call("POST", "/v1/admin/skills", { token: (await signIn()).token, body }), 403, "FORBIDDEN");
    expectProblem(
      await call("POST", "/v1/admin/skills", { token: (await signInWithRoles(["merchant_admin"])).token, body }),
      403,
      "FORBIDDEN",
    );
    expect((await call("GET", "/v1/skills")).body.items.map((s: { code: string }) => s.code)).not.toContain(body.code);
  });
});

describe("categories", () => {
  it("builds a nested tree ordered by sort", async () => {
    const admin = await signInAdmin();
    const root = await createCategory(admin);
    const second = await createCategory(admin, root, 2);
    const first = await createCategory(admin, root, 1);
    const grandchild = await createCategory(admin, first);
    const node = findNode(await tree(), root)!;
    expect(node.children.map((c) => c.id)).toEqual([first, second]);
    expect(node.children[0]!.children.map((c) => c.id)).toEqual([grandchild]);
    expect(node.children[0]!.sort).toBe(1);
    expect(Object.keys(node).sort()).toEqual(["children", "id", "name", "sort"]);
  });

  it("creates a category and answers it with its parent", async () => {
    const admin = await signInAdmin();
    const parentId = await createCategory(admin);
    const res = await call("POST", "/v1/admin/categories", {
      token: admin.token,
      body: { parentId, name: { zh: "空调维修", en: "Air-con repair" }, sort: 5 },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ parentId, name: { zh: "空调维修", en: "Air-con repair" }, sort: 5 });
    expect(res.body.id).toMatch(/^cat_/);
    const top = await call("POST", "/v1/admin/categories", { token: admin.token, body: { name: { zh: "顶层", en: "Top" } } });
    expect(top.body).toMatchObject({ parentId: null, sort: 0 });
  });

  it("refuses an unknown parent with 400 UNKNOWN_CATEGORY and bad bodies with VALIDATION_FAILED, creating nothing", async () => {
    const admin = await signInAdmin();
    const count = async () => JSON.stringify(await tree()).split('"id"').length;
    const before = await count();
    const res = await call("POST", "/v1/admin/categories", {
      token: admin.token,
      body: { parentId: "cat_missing", name: { zh: "甲", en: "A" } },
    });
    expectProblem(res, 400, "UNKNOWN_CATEGORY");
    expect(res.body.errors[0].path).toBe("body.parentId");
    expectProblem(
      await call("POST", "/v1/admin/categories", { token: admin.token, body: { name: { zh: "甲", en: "" } } }),
      400,
      "VALIDATION_FAILED",
    );
    expectProblem(
      await call("POST", "/v1/admin/categories", { token: admin.token, body: { name: { zh: "甲", en: "A" }, sort: 1.5 } }),
      400,
      "VALIDATION_FAILED",
    );
    expect(await count()).toBe(before);
  });

  it("renames, re-sorts and moves a category, also to the top", async () => {
    const admin = await signInAdmin();
    const a = await createCategory(admin);
    const b = await createCategory(admin);
    const child = await createCategory(admin, a);
    const moved = await call("PATCH", `/v1/admin/categories/${child}`, {
      token: admin.token,
      body: { parentId: b, name: { en: "Moved" }, sort: 7 },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ id: child, parentId: b, sort: 7, name: { en: "Moved" } });
    expect(moved.body.name.zh).toMatch(/^分类/);
    const t = await tree();
    expect(findNode(t, a)!.children).toEqual([]);
    expect(findNode(t, b)!.children.map((c) => c.id)).toEqual([child]);
    const top = await call("PATCH", `/v1/admin/categories/${child}`, { token: admin.token, body: { parentId: null } });
    expect(top.body.parentId).toBeNull();
    expect((await tree()).map((n) => n.id)).toContain(child);
  });

  it("refuses moving a category under itself or a descendant with 400 CATEGORY_CYCLE", async () => {
    const admin = await signInAdmin();
    const a = await createCategory(admin);
    const b = await createCategory(admin, a);
    const c = await createCategory(admin, b);
    for (const parentId of [a, b, c]) {
      const res = await call("PATCH", `/v1/admin/categories/${a}`, { token: admin.token, body: { parentId } });
      expectProblem(res, 400, "CATEGORY_CYCLE");
      expect(res.body.errors[0].path).toBe("body.parentId");
    }
    expectProblem(
      await call("PATCH", `/v1/admin/categories/${a}`, { token: admin.token, body: { parentId: "cat_missing" } }),
      400,
      "UNKNOWN_CATEGORY",
    );
    const node = findNode(await tree(), a)!;
    expect(node.children[0]!.id).toBe(b);
    expect(node.children[0]!.children[0]!.id).toBe(c);
  });

  it("never closes a loop under concurrent crossing moves", async () => {
    const admin = await signInAdmin();
    const a = await createCategory(admin);
    const b = await createCategory(admin);
    const [ab, ba] = await Promise.all([
      call("PATCH", `/v1/admin/categories/${a}`, { token: admin.token, body: { parentId: b } }),
      call("PATCH", `/v1/admin/categories/${b}`, { token: admin.token, body: { parentId: a } }),
    ]);
    expect([ab.status, ba.status].sort()).toEqual([200, 400]);
    const t = await tree();
    const top = findNode(t, ab.status === 200 ? b : a)!;
    expect(t.map((n) => n.id)).toContain(top.id);
    expect(top.children.map((n) => n.id)).toEqual([ab.status === 200 ? a : b]);
  });

  it("the stored move itself refuses a loop or a missing parent, whatever the caller checked", async () => {
    const admin = await signInAdmin();
    const a = await createCategory(admin);
    const b = await createCategory(admin, a);
    const c = await createCategory(admin, b);
    const db = getDb(env);
    expect(await updateCategory(db, a, { parentId: c })).toBeUndefined();
    expect(await updateCategory(db, a, { parentId: a })).toBeUndefined();
    expect(await updateCategory(db, a, { parentId: "cat_missing" })).toBeUndefined();
    expect((await updateCategory(db, c, { parentId: a }))?.parentId).toBe(a);
    expect(
      findNode(await tree(), a)!
        .children.map((n) => n.id)
        .sort(),
    ).toEqual([b, c].sort());
  });

  it("deletes an unused category (204); one with children or services is 409 CATEGORY_IN_USE", async () => {
    const admin = await signInAdmin();
    const parent = await createCategory(admin);
    const child = await createCategory(admin, parent);
    const inUse = await call("DELETE", `/v1/admin/categories/${parent}`, { token: admin.token });
    expectProblem(inUse, 409, "CATEGORY_IN_USE");
    expect(inUse.body.children).toBe(1);

    const city = await createCity(admin.token);
    const skill = await createSkill(admin);
    const svc = await call("POST", "/v1/admin/services", {
      token: admin.token,
      body: serviceBody({ categoryId: child, cityIds: [city.id], requiredSkills: [skill] }),
    });
    expect(svc.status).toBe(201);
    const withService = await call("DELETE", `/v1/admin/categories/${child}`, { token: admin.token });
    expectProblem(withService, 409, "CATEGORY_IN_USE");
    expect(withService.body.services).toBe(1);
    expect(findNode(await tree(), child)).toBeDefined();

    const lone = await createCategory(admin, parent);
    expect((await call("DELETE", `/v1/admin/categories/${lone}`, { token: admin.token })).status).toBe(204);
    expect(findNode(await tree(), lone)).toBeUndefined();
    expectProblem(await call("DELETE", `/v1/admin/categories/${lone}`, { token: admin.token }), 404);
  });

  it("answers 404 for a missing category and 401/403 without an operator", async () => {
    const admin = await signInAdmin();
    const id = await createCategory(admin);
    expectProblem(await call("PATCH", "/v1/admin/categories/cat_missing", { token: admin.token, body: { sort: 1 } }), 404);
    expectProblem(await call("DELETE", "/v1/admin/categories/cat_missing", { token: admin.token }), 404);
    const body = { name: { zh: "甲", en: "A" } };
    expectProblem(await call("POST", "/v1/admin/categories", { body }), 401);
    expectProblem(await call("PATCH", `/v1/admin/categories/${id}`, { body: { sort: 3 } }), 401);
    expectProblem(await call("DELETE", `/v1/admin/categories/${id}`), 401);
    const customer = await signIn();
    expectProblem(await call("POST", "/v1/admin/categories", { token: customer.token, body }), 403, "FORBIDDEN");
    expectProblem(await call("PATCH", `/v1/admin/categories/${id}`, { token: customer.token, body: { sort: 3 } }), 403, "FORBIDDEN");
    expectProblem(await call("DELETE", `/v1/admin/categories/${id}`, { token: customer.token }), 403, "FORBIDDEN");
    expect(findNode(await tree(), id)!.sort).toBe(0);
  });
});
