/**
 * Whether an access token still counts: its `ver` must be the account's token version, and the
 * account must be active. Read through a per-isolate cache: an entry is trusted for
 * TOKEN_VERSION_CACHE_SECONDS from its read (a hit costs no D1 statement); a change made through this
 * isolate replaces it at once. So a token revoked elsewhere works at most TOKEN_VERSION_CACHE_SECONDS
 * longer on an isolate that had just checked it. A miss reads the primary (never a lagging replica).
 */
import { config } from "../config";
import { tokenStateOf, type TokenState } from "../db/repositories/account-access.repo";
import { primaryDb } from "../db/sessions";
import { DISABLE_REASON_TEXT } from "../domain/account-status";
import type { Auth } from "../env";
import { AppError } from "../errors";

/** At most this many accounts are remembered per isolate (the oldest read goes first). */
const MAX_ENTRIES = 10_000;

interface Entry {
  state: Promise<TokenState | undefined>;
  readAt: number;
}

const entries = new Map<string, Entry>();

function put(accountId: string, entry: Entry): void {
  entries.delete(accountId);
  entries.set(accountId, entry);
  while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
}

function load(env: Env, accountId: string): Promise<TokenState | undefined> {
  const entry: Entry = { state: tokenStateOf(primaryDb(env), accountId), readAt: Date.now() };
  put(accountId, entry);
  entry.state.catch(() => {
    if (entries.get(accountId) === entry) entries.delete(accountId);
  });
  return entry.state;
}

/**
 * The account's token state as this isolate knows it, read again when the copy is older than
 * TOKEN_VERSION_CACHE_SECONDS or older than the token (a token issued elsewhere after a bump).
 */
async function stateOf(env: Env, accountId: string, tokenVersion: number): Promise<TokenState | undefined> {
  const hit = entries.get(accountId);
  if (hit && Date.now() - hit.readAt < config(env).TOKEN_VERSION_CACHE_SECONDS * 1000) {
    const state = await hit.state.catch(() => undefined);
    if (state && state.tokenVersion >= tokenVersion) return state;
  }
  return load(env, accountId);
}

/** What this isolate just wrote or read for the account (sign-in, a bump): later checks here see it at once. */
export function rememberTokenState(accountId: string, state: TokenState): void {
  put(accountId, { state: Promise.resolve(state), readAt: Date.now() });
}

/** Drops the account's copy (its next check reads D1). */
export function forgetTokenState(accountId: string): void {
  entries.delete(accountId);
}

/** 403 ACCOUNT_DISABLED with the reason code and its text. */
export function accountDisabled(reason: TokenState["disabledReason"]): AppError {
  const code = reason ?? "other";
  return AppError.of("ACCOUNT_DISABLED", { reason: DISABLE_REASON_TEXT[code] }, { extra: { reason: code } });
}

/**
 * Throws unless the token's account exists, is active and still has the token's version:
 * 401 INVALID_TOKEN (no such account), 403 ACCOUNT_DISABLED, 401 TOKEN_REVOKED.
 */
export async function assertTokenCurrent(env: Env, auth: Auth): Promise<void> {
  const version = auth.tokenVersion ?? 0;
  const state = await stateOf(env, auth.accountId, version);
  if (!state) throw AppError.of("INVALID_TOKEN");
  if (state.status !== "active") throw accountDisabled(state.disabledReason);
  if (state.tokenVersion !== version) throw AppError.of("TOKEN_REVOKED");
}
