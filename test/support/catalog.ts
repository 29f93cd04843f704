/** Catalog fixtures for integration tests, made through the admin API: skills, categories, merchants and their admins. */
import { call, signIn, uniquePhone, type Session } from "./http";

/** A short token no other test uses, for names, codes and search text. */
export function uniqueWord(prefix = "w"): string {
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

export async function createSkill(admin: Session): Promise<string> {
  const code = uniqueWord("sk_").toLowerCase().slice(0, 32);
  const res = await call("POST", "/v1/admin/skills", {
    token: admin.token,
    body: { code, name: { zh: "技能" + code, en: "Skill " + code } },
  });
  if (res.status !== 201) throw new Error(`skill failed: ${res.status} ${JSON.stringify(res.body)}`);
  return code;
}

export async function createCategory(admin: Session, parentId?: string, sort?: number): Promise<string> {
  const word = uniqueWord("c");
  const res = await call("POST", "/v1/admin/categories", {
    token: admin.token,
    body: { parentId, name: { zh: "分类" + word, en: "Category " + word }, sort },
  });
  if (res.status !== 201) throw new Error(`category failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

export async function createMerchant(admin: Session): Promise<string> {
  const res = await call("POST", "/v1/admin/merchants", { token: admin.token, body: { name: uniqueWord("Merchant ") } });
  if (res.status !== 201) throw new Error(`merchant failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/** Makes a new phone an administrator of the merchant through the API, then signs it in. */
export async function signInMerchantAdmin(admin: Session, merchantId: string): Promise<Session> {
  const phone = uniquePhone();
  const res = await call("POST", `/v1/admin/merchants/${merchantId}/admins`, { token: admin.token, body: { phone } });
  if (res.status !== 201) throw new Error(`merchant admin failed: ${res.status} ${JSON.stringify(res.body)}`);
  return signIn(phone);
}

/** A valid service body; override any field. */
export function serviceBody(
  refs: { categoryId: string; cityIds: string[]; requiredSkills?: string[] },
  overrides: Record<string, unknown> = {},
) {
  const word = uniqueWord("s");
  return {
    categoryId: refs.categoryId,
    name: { zh: `日常保洁${word}`, en: `Home cleaning ${word}` },
    description: { zh: "专业保洁师上门打扫。", en: "A professional cleaner comes to your home." },
    price: { base: 5000, perUnit: 4000, unit: "hour", minUnits: 2 },
    durationMinutes: 120,
    perUnitMinutes: 60,
    requiredSkills: refs.requiredSkills ?? [],
    extras: [{ code: "fridge", name: { zh: "清洁冰箱", en: "Fridge cleaning" }, price: 3000, durationMinutes: 30 }],
    cancellationPolicy: {
      tiers: [
        { hoursBefore: 24, refundPercent: 100 },
        { hoursBefore: 2, refundPercent: 50 },
        { hoursBefore: 0, refundPercent: 0 },
      ],
      visitFee: 2000,
    },
    dispatchMode: "auto",
    paymentOptions: { full: true, depositPercent: 30, afterService: false },
    rushFee: 1500,
    cityIds: refs.cityIds,
    ...overrides,
  };
}
