import { SignJWT, jwtVerify } from "jose";
import type { Auth } from "../env";
import { ROLES, type Role } from "../domain/roles";
import { utf8 } from "./encoding";

export const JWT_ISSUER = "doorstep";
export const JWT_AUDIENCE = "doorstep-api";
const ALG = "HS256";

interface Claims {
  roles: Role[];
  mid?: string;
  tid?: string;
  /** The account's token version when the token was issued (accounts.token_version). */
  ver?: number;
}

const keys = new Map<string, Promise<CryptoKey>>();

/**
 * The HMAC key of JWT_SECRET, imported once per isolate and secret (importing it on every request
 * costs more than the verification itself).
 */
function keyOf(env: { JWT_SECRET?: string }): Promise<CryptoKey> {
  const secret = env.JWT_SECRET ?? "";
  if (secret.length < 32) throw new Error("JWT_SECRET must be at least 32 characters");
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    key.catch(() => keys.delete(secret));
    keys.set(secret, key);
  }
  return key;
}

/** Signs a short-lived access token (HS256 with JWT_SECRET). */
export async function signAccessToken(env: { JWT_SECRET?: string }, auth: Auth, ttlSeconds: number): Promise<string> {
  const claims: Claims = { roles: auth.roles };
  if (auth.merchantId) claims.mid = auth.merchantId;
  if (auth.technicianId) claims.tid = auth.technicianId;
  if (auth.tokenVersion !== undefined) claims.ver = auth.tokenVersion;
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: ALG, typ: "JWT" })
    .setSubject(auth.accountId)
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(await keyOf(env));
}

/** At most this many verified tokens are remembered per isolate (the oldest goes first). */
const MAX_VERIFIED = 10_000;

/**
 * Tokens this isolate has verified, by secret and then by the token's exact text, with the claims they
 * carry and when they expire. A hit is the very string whose signature, issuer and audience were
 * checked, so it is taken without checking them again until its `exp` (what jose would refuse it
 * for next); a client signs in once and sends the same token on every request, so this spares the
 * HMAC and the JSON decoding on nearly all of them.
 */
const verified = new Map<string, Map<string, { auth: Auth; exp: number }>>();

function remember(secret: string, token: string, auth: Auth, exp: number): void {
  let bySecret = verified.get(secret);
  if (!bySecret) {
    // Tests and key rotations bring other secrets: only the current one's tokens are kept.
    verified.clear();
    bySecret = new Map();
    verified.set(secret, bySecret);
  }
  bySecret.set(token, { auth, exp });
  if (bySecret.size > MAX_VERIFIED) bySecret.delete(bySecret.keys().next().value as string);
}

/**
 * Verifies an access token: algorithm pinned, issuer and audience checked. Null when invalid. Whether
 * its `ver` is still the account's token version is checked by the caller (src/http/token-state.ts).
 * A token verified before by this isolate is taken from `verified` until it expires.
 */
export async function verifyAccessToken(env: { JWT_SECRET?: string }, token: string): Promise<Auth | null> {
  const secret = env.JWT_SECRET ?? "";
  const hit = verified.get(secret)?.get(token);
  if (hit) {
    // jose refuses a token from its `exp` second on.
    if (Math.floor(Date.now() / 1000) < hit.exp) return { ...hit.auth, roles: [...hit.auth.roles] };
    verified.get(secret)!.delete(token);
  }
  try {
    const { payload } = await jwtVerify(token, await keyOf(env), { algorithms: [ALG], issuer: JWT_ISSUER, audience: JWT_AUDIENCE });
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is Role => ROLES.includes(r as Role)) : [];
    if (typeof payload.sub !== "string") return null;
    const auth: Auth = {
      accountId: payload.sub,
      roles,
      merchantId: typeof payload.mid === "string" ? payload.mid : null,
      technicianId: typeof payload.tid === "string" ? payload.tid : null,
    };
    if (typeof payload.ver === "number" && Number.isSafeInteger(payload.ver)) auth.tokenVersion = payload.ver;
    // Only tokens that expire are remembered (every token signed here does).
    if (typeof payload.exp === "number") remember(secret, token, { ...auth, roles: [...roles] }, payload.exp);
    return auth;
  } catch {
    return null;
  }
}
