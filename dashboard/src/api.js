// @ts-check
// The dashboard's only way to the server: the public /v1 API through the typed SDK (sdk/, generated
// from /openapi.json) with the signed-in account's own token. Access tokens are short-lived; a 401
// trades the refresh token for a new pair once and retries. `npm run typecheck` checks the dashboard
// against the SDK's types (dashboard/tsconfig.json): every path given to `api()` must be a documented one.
import { createDoorstepClient } from "../../sdk/index.ts";

/** @typedef {{ token: string, refreshToken: string, accountId?: string, roles: string[], me?: import("../../sdk/index.ts").Schema<"Me"> }} Session */

const KEY = "doorstep.session";

/** @type {Session | null} */
let session = JSON.parse(localStorage.getItem(KEY) || "null");
let language = "zh";

/** The typed client (`sdk.GET("/v1/me")`): the session's token and the language on every request. */
export const sdk = createDoorstepClient({
  baseUrl: "",
  token: () => session?.token,
  language: () => (language === "zh" ? "zh-CN" : "en"),
});

/** The language of the server's messages (problem details) from now on. */
export function setApiLanguage(lang) {
  language = lang;
}
const listeners = new Set();

export const getSession = () => session;
export function onSession(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
/** @param {Session | null} next */
function setSession(next) {
  session = next;
  if (next) localStorage.setItem(KEY, JSON.stringify(next));
  else localStorage.removeItem(KEY);
  for (const fn of listeners) fn(next);
}

export class ApiError extends Error {
  /** @param {number} status @param {any} body the problem document (or the text of another answer) */
  constructor(status, body) {
    super(body?.detail || body?.title || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.body = body;
  }
}

/** The body of a successful answer: JSON when it says so, else its text. @param {Response} res */
async function parse(res) {
  const type = res.headers.get("Content-Type") || "";
  return type.includes("json") ? await res.json() : await res.text();
}

/** @type {Promise<boolean> | null} */
let refreshing = null;
async function refresh() {
  if (!session?.refreshToken) return false;
  refreshing ??= sdk
    .POST("/v1/auth/token", { body: { grantType: "refresh_token", refreshToken: session.refreshToken } })
    .then(({ data: t, error, response }) => {
      if (!t) throw new ApiError(response.status, error);
      // The roles may have changed (a merchant deactivated, a role taken away): the new token says which.
      setSession({ ...session, token: t.accessToken, refreshToken: t.refreshToken, roles: t.account.roles });
      return true;
    })
    .catch(() => {
      setSession(null);
      return false;
    })
    .finally(() => (refreshing = null));
  return refreshing;
}

/**
 * Calls the API through the SDK; `raw` returns the Response (for files and CSV). A JSON body is sent
 * as JSON, a Blob or ArrayBuffer as it is.
 * @template {string} U
 * @param {import("../../sdk/index.ts").DocumentedUrl<U>} path a documented path with its parameters filled in, maybe with a query
 * @param {{ method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", body?: unknown, raw?: boolean, headers?: Record<string, string> }} [options]
 * @returns {Promise<any>}
 */
export function api(path, options = {}) {
  return call(path, options);
}

/**
 * `api()` for any path, checked or not (links the API handed out).
 * @param {string} path
 * @param {{ method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", body?: unknown, raw?: boolean, headers?: Record<string, string> }} [options]
 */
async function call(path, { method = "GET", body, raw = false, headers = {} } = {}) {
  const binary = body instanceof Blob || body instanceof ArrayBuffer;
  const h =
    binary && !headers["Content-Type"]
      ? { ...headers, "Content-Type": (body instanceof Blob && body.type) || "application/octet-stream" }
      : headers;
  // The path is concrete (ids filled in), so it goes through the untyped `request`; DocumentedUrl above is its check.
  const send = () =>
    sdk.request(/** @type {any} */ (method.toLowerCase()), /** @type {any} */ (path), {
      body: /** @type {any} */ (body),
      headers: h,
      parseAs: "stream",
      ...(binary ? { bodySerializer: (/** @type {any} */ b) => b } : {}),
    });
  let answer = await send();
  if (answer.response.status === 401 && session && (await refresh())) answer = await send();
  const { response, error } = answer;
  if (!response.ok) throw new ApiError(response.status, error);
  return raw ? response : parse(response);
}

/** @param {string} phone */
export async function requestCode(phone) {
  return api("/v1/auth/otp", { method: "POST", body: { phone } });
}

/** @param {string} phone @param {string} code */
export async function signIn(phone, code) {
  const { data: t, error, response } = await sdk.POST("/v1/auth/token", { body: { phone, code } });
  if (!t) throw new ApiError(response.status, error);
  setSession({ token: t.accessToken, refreshToken: t.refreshToken, accountId: t.account.id, roles: t.account.roles });
  const me = await api("/v1/me");
  setSession({ ...session, me });
  return session;
}

export async function signOut() {
  try {
    if (session?.refreshToken) await api("/v1/auth/logout", { method: "POST", body: { refreshToken: session.refreshToken } });
  } catch {
    // signing out locally is what matters
  }
  setSession(null);
}

/**
 * Downloads an authenticated file (a CSV report, a document) through a temporary link.
 * @param {string} path a documented path or a link the API gave (a document's `url`) @param {string} filename
 */
export async function download(path, filename) {
  const res = await call(path, { raw: true });
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
