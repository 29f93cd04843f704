/** Test helpers that talk to the Worker through its real fetch handler. */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import worker from "../../src/index";
import type { Role } from "../../src/domain/roles";

export interface CallOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
  /** Raw body string (sent as is). */
  raw?: string;
}

export interface Called<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** The request `call` sends. */
export function requestOf(method: string, path: string, opts: CallOptions = {}): Request {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["Content-Type"] ??= "application/json";
  }
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  return new Request(`http://doorstep.test${path}`, { method, headers, body });
}

/** Calls the Worker and parses the JSON (or problem+json) answer. */
export async function call<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<Called<T>> {
  return readAnswer<T>(await exports.default.fetch(requestOf(method, path, opts)));
}

/**
 * Calls the Worker's fetch handler with `bindings` in place of the configured ones (a variable
 * changed, bindings that count), waiting for what the request left running after the answer.
 */
export async function callWith<T = any>(bindings: Env, method: string, path: string, opts: CallOptions = {}): Promise<Called<T>> {
  const ctx = createExecutionContext();
  const answer = await readAnswer<T>(await worker.fetch(requestOf(method, path, opts), bindings, ctx));
  await waitOnExecutionContext(ctx);
  return answer;
}

/** A Worker answer with its body parsed as JSON when it is JSON, else kept as text. */
export async function readAnswer<T = any>(res: Response): Promise<Called<T>> {
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON; keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

/** Sends raw bytes (an upload) with the given Content-Type and parses the JSON answer. */
export async function callBytes<T = any>(
  method: string,
  path: string,
  opts: { token?: string | null; type: string; bytes: Uint8Array },
): Promise<Called<T>> {
  const headers: Record<string, string> = { "Content-Type": opts.type };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  return readAnswer<T>(await exports.default.fetch(new Request(`http://doorstep.test${path}`, { method, headers, body: opts.bytes })));
}

const issued = new Set<string>();
/** A mainland mobile number no other test of this file uses (random, never repeated here). */
export function uniquePhone(): string {
  for (;;) {
    const n = crypto.getRandomValues(new Uint32Array(1))[0]! % 100_000_000;
    const phone = `+86159${String(n).padStart(8, "0")}`;
    if (!issued.has(phone)) {
      issued.add(phone);
      return phone;
    }
  }
}

export interface Session {
  token: string;
  refreshToken: string;
  accountId: string;
  phone: string;
  roles: Role[];
}

/** Signs in by OTP (dev echo) and returns the tokens. */
export async function signIn(phone = uniquePhone()): Promise<Session> {
  const otp = await call("POST", "/v1/auth/otp", {
    body: { phone },
    headers: { "CF-Connecting-IP": `10.9.${issued.size % 250}.${Math.floor(Math.random() * 250)}` },
  });
  if (otp.status !== 202) throw new Error(`otp failed: ${otp.status} ${JSON.stringify(otp.body)}`);
  const res = await call("POST", "/v1/auth/token", { body: { phone, code: otp.body.devCode } });
  if (res.status !== 200) throw new Error(`token failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    token: res.body.accessToken,
    refreshToken: res.body.refreshToken,
    accountId: res.body.account.id,
    phone,
    roles: res.body.account.roles,
  };
}

/** The bootstrap administrator (admin + operator), as configured for tests. */
export const ADMIN_PHONE = "+8613800000000";

let adminSession: Promise<Session> | undefined;
/** Signed in once per test file (OTP sends per phone are rate limited); tokens outlive a file's run. */
export function signInAdmin(): Promise<Session> {
  adminSession ??= signIn(ADMIN_PHONE);
  return adminSession;
}

/**
 * Sets an account's roles and merchant directly in D1 (test set-up only), then signs in again so
 * the token carries them.
 */
export async function signInWithRoles(roles: Role[], merchantId: string | null = null, phone = uniquePhone()): Promise<Session> {
  const first = await signIn(phone);
  await env.DB.prepare("UPDATE accounts SET roles = ?, merchant_id = ? WHERE id = ?")
    .bind(JSON.stringify(roles), merchantId, first.accountId)
    .run();
  return signIn(phone);
}

export function expectProblem(res: Called, status: number, code?: string) {
  if (
    res.status !== status ||
    !String(res.headers.get("Content-Type")).startsWith("application/problem+json") ||
    (code && res.body?.code !== code)
  ) {
    throw new Error(
      `expected problem ${status} ${code ?? ""}, got ${res.status} ${res.headers.get("Content-Type")} ${JSON.stringify(res.body)}`,
    );
  }
  if (typeof res.body.requestId !== "string" || typeof res.body.title !== "string" || typeof res.body.detail !== "string") {
    throw new Error(`problem body incomplete: ${JSON.stringify(res.body)}`);
  }
  if (JSON.stringify(res.body).includes("    at ")) throw new Error("stack trace leaked");
}
