// The dashboard's only way to the server: the public /v1 API with the signed-in account's own token.
// Access tokens are short-lived; a 401 trades the refresh token for a new pair once and retries.
const KEY = "doorstep.session";

let session = JSON.parse(localStorage.getItem(KEY) || "null");
let language = "zh";

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
function setSession(next) {
  session = next;
  if (next) localStorage.setItem(KEY, JSON.stringify(next));
  else localStorage.removeItem(KEY);
  for (const fn of listeners) fn(next);
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail || body?.title || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.body = body;
  }
}

async function parse(res) {
  const type = res.headers.get("Content-Type") || "";
  const body = type.includes("json") ? await res.json() : await res.text();
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

let refreshing = null;
async function refresh() {
  if (!session?.refreshToken) return false;
  refreshing ??= fetch("/v1/auth/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ grantType: "refresh_token", refreshToken: session.refreshToken }),
  })
    .then(parse)
    .then((t) => {
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

/** Calls the API; `raw` returns the Response (for files and CSV). */
export async function api(path, { method = "GET", body, raw = false, headers = {} } = {}) {
  const send = () => {
    const h = { ...headers };
    if (session?.token) h.Authorization = `Bearer ${session.token}`;
    h["Accept-Language"] = language === "zh" ? "zh-CN" : "en";
    let payload = body;
    if (body !== undefined && !(body instanceof Blob) && !(body instanceof ArrayBuffer)) {
      h["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    return fetch(path, { method, headers: h, body: payload });
  };
  let res = await send();
  if (res.status === 401 && session && (await refresh())) res = await send();
  if (raw) {
    if (!res.ok) await parse(res);
    return res;
  }
  return parse(res);
}

export async function requestCode(phone) {
  return api("/v1/auth/otp", { method: "POST", body: { phone } });
}

export async function signIn(phone, code) {
  const t = await api("/v1/auth/token", { method: "POST", body: { phone, code } });
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

/** Downloads an authenticated file (a CSV report, a document) through a temporary link. */
export async function download(path, filename) {
  const res = await api(path, { raw: true });
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
