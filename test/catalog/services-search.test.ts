import { beforeAll, describe, expect, it } from "vitest";
import { createCategory, createMerchant, serviceBody, uniqueWord } from "../support/catalog";
import { createCity, type TestCity } from "../support/fixtures";
import { call, expectProblem, signInAdmin, type Session } from "../support/http";

let admin: Session;
let cityA: TestCity;
let cityB: TestCity;
let categoryId: string;

beforeAll(async () => {
  admin = await signInAdmin();
  cityA = await createCity(admin.token);
  cityB = await createCity(admin.token);
  categoryId = await createCategory(admin);
});

async function create(overrides: Record<string, unknown> = {}, refs: { categoryId?: string; cityIds?: string[] } = {}) {
  const res = await call("POST", "/v1/admin/services", {
    token: admin.token,
    body: serviceBody({ categoryId: refs.categoryId ?? categoryId, cityIds: refs.cityIds ?? [cityA.id] }, overrides),
  });
  if (res.status !== 201) throw new Error(`service failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string };
}

async function search(query: Record<string, string | number>): Promise<string[]> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  qs.set("limit", "100");
  const res = await call("GET", `/v1/services?${qs}`);
  expect(res.status).toBe(200);
  return res.body.items.map((s: { id: string }) => s.id);
}

describe("public services", () => {
  it("lists active services only; inactive, deleted and inactive merchants' services are hidden", async () => {
    const tag = uniqueWord("vis");
    const name = (en: string) => ({ name: { zh: `服务${tag}${en}`, en: `${tag} ${en}` } });
    const shown = await create(name("shown"));
    const inactive = await create({ ...name("inactive"), active: false });
    const deleted = await create(name("deleted"));
    await call("DELETE", `/v1/admin/services/${deleted.id}`, { token: admin.token });
    const merchantId = await createMerchant(admin);
    const ofClosed = await create({ ...name("closed"), merchantId });
    expect(await search({ q: tag })).toEqual([shown.id, ofClosed.id]);
    await call("PATCH", `/v1/admin/merchants/${merchantId}`, { token: admin.token, body: { active: false } });
    expect(await search({ q: tag })).toEqual([shown.id]);
    expectProblem(await call("GET", `/v1/services/${inactive.id}`), 404);
    expectProblem(await call("GET", `/v1/services/${ofClosed.id}`), 404);
    expect((await call("GET", `/v1/admin/services/${inactive.id}`, { token: admin.token })).status).toBe(200);
    // Reactivating brings it back.
    await call("PATCH", `/v1/admin/services/${inactive.id}`, { token: admin.token, body: { active: true } });
    expect((await call("GET", `/v1/services/${inactive.id}`)).status).toBe(200);
  });

  it("searches names and descriptions in Chinese and English, ignoring case", async () => {
    const tag = uniqueWord("q");
    const cleaning = await create({
      name: { zh: `日常保洁${tag}`, en: `Home Cleaning ${tag}` },
      description: { zh: `适合两居室${tag}`, en: `Fits a two-bedroom flat ${tag}` },
    });
    const aircon = await create({
      name: { zh: `空调清洗${tag}`, en: `Air-con wash ${tag}` },
      description: { zh: `拆洗滤网与蒸发器${tag}`, en: `Filters and evaporator ${tag}` },
    });
    expect(await search({ q: `保洁${tag}` })).toEqual([cleaning.id]);
    expect(await search({ q: `蒸发器${tag}` })).toEqual([aircon.id]);
    expect(await search({ q: `HOME CLEANING ${tag.toUpperCase()}` })).toEqual([cleaning.id]);
    expect(await search({ q: `evaporator ${tag}` })).toEqual([aircon.id]);
    expect(await search({ q: tag })).toEqual([cleaning.id, aircon.id]);
    expect(await search({ q: `${tag}不存在` })).toEqual([]);
  });

  it("matches %, _ and \\ literally", async () => {
    const tag = uniqueWord("lk");
    const percent = await create({ name: { zh: `折扣${tag}100%`, en: `Deal ${tag}100%` } });
    const digits = await create({ name: { zh: `折扣${tag}1000`, en: `Deal ${tag}1000` } });
    const underscore = await create({ name: { zh: `${tag}_x`, en: `${tag}_x` } });
    const letter = await create({ name: { zh: `${tag}ax`, en: `${tag}ax` } });
    const backslash = await create({ name: { zh: `${tag}\\b`, en: `${tag}\\b` } });
    expect(await search({ q: `${tag}100%` })).toEqual([percent.id]);
    expect(await search({ q: `${tag}1000` })).toEqual([digits.id]);
    expect(await search({ q: `${tag}_x` })).toEqual([underscore.id]);
    expect(await search({ q: `${tag}ax` })).toEqual([letter.id]);
    expect(await search({ q: `${tag}\\b` })).toEqual([backslash.id]);
  });

  it("filters by category including every subcategory", async () => {
    const tag = uniqueWord("cat");
    const root = await createCategory(admin);
    const child = await createCategory(admin, root);
    const grandchild = await createCategory(admin, child);
    const sibling = await createCategory(admin);
    const inRoot = await create({ name: { zh: `甲${tag}`, en: `A ${tag}` } }, { categoryId: root });
    const inGrandchild = await create({ name: { zh: `乙${tag}`, en: `B ${tag}` } }, { categoryId: grandchild });
    const inSibling = await create({ name: { zh: `丙${tag}`, en: `C ${tag}` } }, { categoryId: sibling });
    expect(await search({ category: root })).toEqual([inRoot.id, inGrandchild.id]);
    expect(await search({ category: child })).toEqual([inGrandchild.id]);
    expect(await search({ category: sibling })).toEqual([inSibling.id]);
    expect(await search({ category: "cat_missing" })).toEqual([]);
    expect(await search({ category: root, q: `乙${tag}` })).toEqual([inGrandchild.id]);
  });

  it("keeps the services offered in the city at the point; none outside every city", async () => {
    const tag = uniqueWord("geo");
    const inA = await create({ name: { zh: `甲城${tag}`, en: `In A ${tag}` } }, { cityIds: [cityA.id] });
    const inB = await create({ name: { zh: `乙城${tag}`, en: `In B ${tag}` } }, { cityIds: [cityB.id] });
    const inBoth = await create({ name: { zh: `两城${tag}`, en: `In both ${tag}` } }, { cityIds: [cityA.id, cityB.id] });
    expect(await search({ q: tag, lat: cityA.center.lat, lng: cityA.center.lng })).toEqual([inA.id, inBoth.id]);
    expect(await search({ q: tag, lat: cityB.center.lat, lng: cityB.center.lng })).toEqual([inB.id, inBoth.id]);
    expect(await search({ q: tag, lat: 85, lng: 0 })).toEqual([]);
    expect(await search({ q: tag })).toEqual([inA.id, inB.id, inBoth.id]);
  });

  it("needs lat and lng together, within range", async () => {
    const latOnly = await call("GET", "/v1/services?lat=31.2");
    expectProblem(latOnly, 400, "VALIDATION_FAILED");
    expect(latOnly.body.errors[0].path).toBe("query.lng");
    const lngOnly = await call("GET", "/v1/services?lng=121.4");
    expectProblem(lngOnly, 400, "VALIDATION_FAILED");
    expect(lngOnly.body.errors[0].path).toBe("query.lat");
    expectProblem(await call("GET", "/v1/services?lat=91&lng=0"), 400, "VALIDATION_FAILED");
    expectProblem(await call("GET", "/v1/services?lat=abc&lng=0"), 400, "VALIDATION_FAILED");
    expectProblem(await call("GET", "/v1/services?limit=0"), 400, "VALIDATION_FAILED");
    expectProblem(await call("GET", "/v1/services?cursor=%21%21"), 400, "INVALID_CURSOR");
  });

  it("pages with a cursor, every service exactly once", async () => {
    const tag = uniqueWord("pg");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create({ name: { zh: `分页${tag}${i}`, en: `Page ${tag} ${i}` } })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } = await call(
        "GET",
        `/v1/services?q=${tag}&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((s) => s.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  it("the catalog is described in the OpenAPI document", async () => {
    const res = await call("GET", "/openapi.json");
    expect(res.status).toBe(200);
    for (const path of [
      "/v1/services",
      "/v1/services/{id}",
      "/v1/categories",
      "/v1/skills",
      "/v1/admin/services/{id}",
      "/v1/admin/merchants/{id}/admins",
    ]) {
      expect(Object.keys(res.body.paths)).toContain(path);
    }
    expect(res.body.components.schemas.CategoryNode.properties.children.items.$ref).toBe("#/components/schemas/CategoryNode");
  });
});
