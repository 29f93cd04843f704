/**
 * Push notices to registered devices through their provider: JPush REST v3 and FCM HTTP v1.
 * A send answers "delivered", or "stale" when the provider no longer knows the device's token (the
 * caller drops the device). Any other failure throws a PushError; `retryable` when the provider may
 * accept it later (a 5xx, a 429, a network failure, an expired access token). Tokens are never
 * logged nor put in error messages.
 */
import type { Config } from "../config";
import { toBase64, toBase64Url, utf8 } from "../lib/encoding";
import { rsaPrivateKey } from "../lib/provider-crypto";
import { configured } from "./sms";

export interface PushDevice {
  id: string;
  provider: "jpush" | "fcm";
  token: string;
}

export interface DevicePushMessage {
  title: string;
  body: string;
  data: Record<string, unknown>;
}

export type PushOutcome = "delivered" | "stale";

export interface DevicePush {
  send(device: PushDevice, message: DevicePushMessage): Promise<PushOutcome>;
}

export class PushError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "PushError";
  }
}

export type PushConfig = Pick<
  Config,
  "JPUSH_API_BASE" | "JPUSH_APP_KEY" | "JPUSH_MASTER_SECRET" | "FCM_API_BASE" | "FCM_PROJECT_ID" | "FCM_SERVICE_ACCOUNT"
>;

const TIMEOUT_MS = 10_000;

async function call(provider: string, url: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw new PushError(`${provider} unreachable (${err instanceof Error ? err.name : "network error"})`, true);
  }
  const text = await res.text().catch(() => "");
  if (res.status >= 500 || res.status === 429) throw new PushError(`${provider} answered ${res.status}`, true);
  let body: unknown = null;
  try {
    body = text === "" ? null : (JSON.parse(text) as unknown);
  } catch {
    // Judged by the status alone below.
  }
  return { status: res.status, body };
}

const base = (url: string) => url.replace(/\/+$/, "");

// ——— JPush ———

/** JPush: "cannot find user by this audience", the registration id is unknown. */
const JPUSH_UNKNOWN_AUDIENCE = 1011;

export function jpush(env: PushConfig): DevicePush {
  return {
    async send(device, m) {
      const key = configured(env.JPUSH_APP_KEY, "JPUSH_APP_KEY");
      const secret = configured(env.JPUSH_MASTER_SECRET, "JPUSH_MASTER_SECRET");
      const { status, body } = await call("JPush", `${base(env.JPUSH_API_BASE)}/v3/push`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Basic ${toBase64(utf8(`${key}:${secret}`))}` },
        body: JSON.stringify({
          platform: "all",
          audience: { registration_id: [device.token] },
          notification: {
            alert: m.body,
            android: { alert: m.body, title: m.title, extras: m.data },
            ios: { alert: { title: m.title, body: m.body }, extras: m.data },
          },
        }),
      });
      if (status >= 200 && status < 300) return "delivered";
      const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      if (error?.code === JPUSH_UNKNOWN_AUDIENCE) return "stale";
      throw new PushError(`JPush refused the push (${status}${typeof error?.code === "number" ? `, code ${error.code}` : ""})`, false);
    },
  };
}

// ——— FCM ———

interface ServiceAccount {
  client_email: string;
  private_key: string;
  token_uri: string;
}

function serviceAccount(env: PushConfig): ServiceAccount {
  const raw = configured(env.FCM_SERVICE_ACCOUNT, "FCM_SERVICE_ACCOUNT");
  let parsed: Partial<ServiceAccount>;
  try {
    parsed = JSON.parse(raw) as Partial<ServiceAccount>;
  } catch {
    throw new Error("FCM_SERVICE_ACCOUNT is not JSON");
  }
  const { client_email, private_key, token_uri } = parsed;
  if (typeof client_email !== "string" || typeof private_key !== "string") {
    throw new Error("FCM_SERVICE_ACCOUNT needs client_email and private_key");
  }
  return { client_email, private_key, token_uri: typeof token_uri === "string" ? token_uri : "https://oauth2.googleapis.com/token" };
}

const SCOPE = "https://www.googleapis.com/auth/firebase.messaging";
/** An access token is renewed this long before it expires. */
const EARLY_MS = 60_000;
/** Access tokens of this isolate, per service account and token endpoint. */
const tokens = new Map<string, { token: Promise<{ value: string; expiresAt: number }> }>();

const json64 = (v: unknown) => toBase64Url(utf8(JSON.stringify(v)));

async function fetchAccessToken(sa: ServiceAccount): Promise<{ value: string; expiresAt: number }> {
  const key = await rsaPrivateKey(sa.private_key);
  if (!key) throw new Error("FCM_SERVICE_ACCOUNT private_key is not a PKCS#8 RSA key");
  const iat = Math.floor(Date.now() / 1000);
  const unsigned = `${json64({ alg: "RS256", typ: "JWT" })}.${json64({ iss: sa.client_email, scope: SCOPE, aud: sa.token_uri, iat, exp: iat + 3600 })}`;
  const signature = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, utf8(unsigned)));
  const { status, body } = await call("FCM token endpoint", sa.token_uri, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion: `${unsigned}.${toBase64Url(signature)}`,
    }).toString(),
  });
  const answer = body as { access_token?: unknown; expires_in?: unknown } | null;
  if (status !== 200 || typeof answer?.access_token !== "string") {
    throw new PushError(`FCM token endpoint refused the service account (${status})`, false);
  }
  const seconds = typeof answer.expires_in === "number" ? answer.expires_in : 3600;
  return { value: answer.access_token, expiresAt: Date.now() + seconds * 1000 };
}

/** The cached access token, fetched again shortly before it expires (one fetch for concurrent callers). */
async function accessToken(sa: ServiceAccount): Promise<string> {
  const id = `${sa.client_email}|${sa.token_uri}`;
  const entry = tokens.get(id);
  if (entry) {
    const t = await entry.token.catch(() => null);
    if (t && t.expiresAt - EARLY_MS > Date.now()) return t.value;
    if (tokens.get(id) !== entry) return accessToken(sa);
  }
  const token = fetchAccessToken(sa);
  tokens.set(id, { token });
  try {
    return (await token).value;
  } catch (err) {
    tokens.delete(id);
    throw err;
  }
}

/** FCM data values are strings: texts as they are, anything else as JSON. */
function fcmData(data: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) {
    if (v === undefined) continue;
    out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}

interface FcmErrorBody {
  error?: {
    status?: string;
    message?: string;
    details?: { "@type"?: string; errorCode?: string; fieldViolations?: { field?: string }[] }[];
  };
}

/** Whether FCM's refusal says the registration token is unknown or not a token. */
function staleToken(status: number, body: unknown): boolean {
  const error = (body as FcmErrorBody | null)?.error;
  const details = error?.details ?? [];
  const codes = details.map((d) => d.errorCode);
  if (status === 404 && (codes.includes("UNREGISTERED") || error?.status === "NOT_FOUND")) return true;
  if (status === 400 && (codes.includes("INVALID_ARGUMENT") || error?.status === "INVALID_ARGUMENT")) {
    const onToken =
      details.some((d) => d.fieldViolations?.some((f) => f.field === "message.token")) || /registration token/i.test(error?.message ?? "");
    return onToken;
  }
  return false;
}

export function fcm(env: PushConfig): DevicePush {
  return {
    async send(device, m) {
      const project = configured(env.FCM_PROJECT_ID, "FCM_PROJECT_ID");
      const sa = serviceAccount(env);
      const bearer = await accessToken(sa);
      const { status, body } = await call("FCM", `${base(env.FCM_API_BASE)}/v1/projects/${encodeURIComponent(project)}/messages:send`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${bearer}` },
        body: JSON.stringify({
          message: { token: device.token, notification: { title: m.title, body: m.body }, data: fcmData(m.data) },
        }),
      });
      if (status >= 200 && status < 300) return "delivered";
      if (status === 401) {
        // The access token was revoked or expired early: the next attempt fetches a new one.
        tokens.delete(`${sa.client_email}|${sa.token_uri}`);
        throw new PushError("FCM refused the access token (401)", true);
      }
      if (staleToken(status, body)) return "stale";
      const reason = (body as FcmErrorBody | null)?.error?.status;
      throw new PushError(`FCM refused the message (${status}${reason ? `, ${reason}` : ""})`, false);
    },
  };
}

/** Sends through the device's own provider. */
export function devicePush(env: PushConfig): DevicePush {
  const byProvider = { jpush: jpush(env), fcm: fcm(env) };
  return { send: (device, m) => byProvider[device.provider].send(device, m) };
}
