/**
 * Technicians' payout accounts: where a withdrawal is paid. One current account per technician and
 * provider — a WeChat openid (merchant transfer; with the real name for transfers of ¥2,000 or
 * more) or an Alipay login id / user id with the real name.
 * The account and the name are stored encrypted; every view of them is masked.
 */
import type { PayoutRequest } from "../adapters/payment-provider";
import { getDb } from "../db/client";
import { deletePayee, findPayee, listPayees, upsertPayee, type PayeeProvider, type PayeeRow } from "../db/repositories/payees.repo";
import { findTechnician } from "../db/repositories/technicians.repo";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import { config } from "../config";
import { merchantScope } from "../identity/scope";
import { boundOpenId } from "../identity/wechat.service";
import { Pii } from "../lib/pii";
import { maskAccount, maskName } from "../domain/masking";

export const PAYEE_PROVIDERS = ["wechatpay", "alipay"] as const;

export type PayeeInput =
  | { provider: "wechatpay"; openId?: string; realName?: string }
  | { provider: "alipay"; identity: string; identityType: "ALIPAY_LOGON_ID" | "ALIPAY_USER_ID"; realName: string };

const ACCOUNT = "payee_account";
const NAME = "payee_name";

async function view(pii: Pii, row: PayeeRow) {
  const account = await pii.decrypt(ACCOUNT, row.accountEnc);
  const name = row.nameEnc === null ? null : await pii.decrypt(NAME, row.nameEnc);
  return {
    provider: row.provider,
    account: maskAccount(account),
    accountType: row.provider === "wechatpay" ? ("WECHAT_OPENID" as const) : row.accountType!,
    realName: name === null ? null : maskName(name),
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

async function views(env: Env, technicianId: string) {
  const pii = await Pii.fromEnv(env);
  const rows = await listPayees(getDb(env), technicianId);
  return { items: await Promise.all(rows.map((r) => view(pii, r))) };
}

/** The technician's payout accounts, masked. */
export function ownPayees(env: Env, technicianId: string) {
  return views(env, technicianId);
}

/** A technician's payout accounts, masked, for staff (a merchant_admin: its own technicians only). */
export async function payeesForStaff(env: Env, actor: Auth, technicianId: string) {
  const found = await findTechnician(getDb(env), technicianId, merchantScope(actor));
  if (!found) throw notFound("Technician");
  return views(env, technicianId);
}

/**
 * Sets (or replaces) the technician's account for the input's provider; answers its masked view.
 * A WeChat Pay account without an openid takes the one the technician's account (`accountId`)
 * bound under WECHATPAY_APPID (409 WECHAT_NOT_BOUND when there is none).
 */
export async function setPayee(env: Env, technicianId: string, input: PayeeInput, accountId: string) {
  const pii = await Pii.fromEnv(env);
  const db = getDb(env);
  const openId = input.provider === "wechatpay" ? (input.openId ?? (await boundOpenId(env, accountId, config(env).WECHATPAY_APPID))) : null;
  if (input.provider === "wechatpay" && !openId) throw AppError.of("WECHAT_NOT_BOUND");
  const now = Date.now();
  const existing = await findPayee(db, technicianId, input.provider);
  const row: PayeeRow =
    input.provider === "wechatpay"
      ? {
          technicianId,
          provider: "wechatpay",
          accountEnc: await pii.encrypt(ACCOUNT, openId!),
          accountType: null,
          // WeChat Pay needs the name only for transfers of ¥2,000 or more.
          nameEnc: input.realName ? await pii.encrypt(NAME, input.realName) : null,
          createdAt: existing?.createdAt ?? now,
          updatedAt: now,
        }
      : {
          technicianId,
          provider: "alipay",
          accountEnc: await pii.encrypt(ACCOUNT, input.identity),
          accountType: input.identityType,
          nameEnc: await pii.encrypt(NAME, input.realName),
          createdAt: existing?.createdAt ?? now,
          updatedAt: now,
        };
  await upsertPayee(db, row);
  return view(pii, row);
}

/** Removes the technician's account for the provider (404 when there is none). */
export async function removePayee(env: Env, technicianId: string, provider: PayeeProvider): Promise<void> {
  if (!(await deletePayee(getDb(env), technicianId, provider))) throw notFound({ en: "Payout account", zh: "收款账户" });
}

/**
 * What a payout to `provider` names as its payee, from the technician's stored account: `payeeOpenId`
 * (and `payeeName`, when stored) for WeChat Pay, `payee` for Alipay. Null when the technician has none for that provider (or the
 * provider takes no payee).
 */
export async function payoutPayee(
  env: Env,
  technicianId: string,
  provider: string,
): Promise<Pick<PayoutRequest, "payee" | "payeeOpenId" | "payeeName"> | null> {
  if (provider !== "wechatpay" && provider !== "alipay") return null;
  const row = await findPayee(getDb(env), technicianId, provider);
  if (!row) return null;
  const pii = await Pii.fromEnv(env);
  const account = await pii.decrypt(ACCOUNT, row.accountEnc);
  const name = row.nameEnc === null ? null : await pii.decrypt(NAME, row.nameEnc);
  if (row.provider === "wechatpay") return { payeeOpenId: account, ...(name === null ? {} : { payeeName: name }) };
  return {
    payee: {
      identity: account,
      identityType: row.accountType ?? "ALIPAY_LOGON_ID",
      ...(name === null ? {} : { name }),
    },
  };
}

/** Whether payouts to `provider` need a payee account on file. */
export function needsPayee(provider: string): provider is PayeeProvider {
  return (PAYEE_PROVIDERS as readonly string[]).includes(provider);
}
