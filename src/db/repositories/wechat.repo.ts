/** WeChat identities bound to accounts (one openid per app and account; an openid has one account). */
import { and, eq, inArray, ne } from "drizzle-orm";
import type { Db } from "../client";
import { chunked } from "../chunks";
import { wechatBindings } from "../schema";

export type WechatBindingRow = typeof wechatBindings.$inferSelect;

export async function findBinding(db: Db, appid: string, openid: string): Promise<WechatBindingRow | undefined> {
  const [row] = await db
    .select()
    .from(wechatBindings)
    .where(and(eq(wechatBindings.appid, appid), eq(wechatBindings.openid, openid)))
    .limit(1);
  return row;
}

/** A binding of the same person under any app of the open-platform account (same unionid). */
export async function findBindingByUnionid(db: Db, unionid: string): Promise<WechatBindingRow | undefined> {
  const [row] = await db.select().from(wechatBindings).where(eq(wechatBindings.unionid, unionid)).limit(1);
  return row;
}

/** The account's binding under `appid`. */
export async function accountBinding(db: Db, accountId: string, appid: string): Promise<WechatBindingRow | undefined> {
  const [row] = await db
    .select()
    .from(wechatBindings)
    .where(and(eq(wechatBindings.accountId, accountId), eq(wechatBindings.appid, appid)))
    .limit(1);
  return row;
}

/**
 * Binds the openid to the account in one batch: the account's other openid under the app (if any)
 * goes, and the row is written or, when the account already holds it, refreshed. A row another
 * account holds is left alone; the caller reads the row back to see who holds it.
 */
export async function bindAccount(
  db: Db,
  b: { appid: string; openid: string; accountId: string; unionid: string | null; lang: "zh" | "en" },
  now = Date.now(),
): Promise<void> {
  await db.batch([
    db
      .delete(wechatBindings)
      .where(and(eq(wechatBindings.accountId, b.accountId), eq(wechatBindings.appid, b.appid), ne(wechatBindings.openid, b.openid))),
    db
      .insert(wechatBindings)
      .values({ ...b, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: [wechatBindings.appid, wechatBindings.openid],
        set: { unionid: b.unionid, lang: b.lang, updatedAt: now },
        setWhere: eq(wechatBindings.accountId, b.accountId),
      }),
  ]);
}

/** Notes the language (and a unionid WeChat now gives) the person signed in with. */
export async function touchBinding(
  db: Db,
  b: { appid: string; openid: string; unionid: string | null; lang: "zh" | "en" },
  now = Date.now(),
): Promise<void> {
  await db
    .update(wechatBindings)
    .set({ lang: b.lang, updatedAt: now, ...(b.unionid ? { unionid: b.unionid } : {}) })
    .where(and(eq(wechatBindings.appid, b.appid), eq(wechatBindings.openid, b.openid)));
}

/** Removes the account's binding under `appid`; false when there was none. */
export async function deleteAccountBinding(db: Db, accountId: string, appid: string): Promise<boolean> {
  const rows = await db
    .delete(wechatBindings)
    .where(and(eq(wechatBindings.accountId, accountId), eq(wechatBindings.appid, appid)))
    .returning({ openid: wechatBindings.openid });
  return rows.length > 0;
}

/** The bindings under `appid` of some accounts (the recipients of a message). */
export async function bindingsOf(db: Db, appid: string, accountIds: string[]): Promise<WechatBindingRow[]> {
  const out: WechatBindingRow[] = [];
  for (const part of chunked([...new Set(accountIds)])) {
    out.push(
      ...(await db
        .select()
        .from(wechatBindings)
        .where(and(eq(wechatBindings.appid, appid), inArray(wechatBindings.accountId, part)))),
    );
  }
  return out;
}
