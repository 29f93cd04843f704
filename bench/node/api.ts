/** A small JSON client for Doorstep's HTTP API (and the PostgreSQL peer's), over loopback. */
import { assertLoopback } from "./load.ts";

export interface Reply<T = unknown> {
  status: number;
  body: T;
}

export interface Call {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One client of one base URL. */
export class Client {
  readonly base: string;

  constructor(base: string) {
    assertLoopback(base);
    this.base = base;
  }

  async request<T = unknown>(method: string, path: string, opts: Call = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(this.base + path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    return { status: res.status, body: body as T };
  }

  /** Like `request`, but anything other than `expected` is an error with the answer in its message. */
  async must<T = unknown>(expected: number, method: string, path: string, opts: Call = {}): Promise<T> {
    const r = await this.request<T>(method, path, opts);
    if (r.status !== expected) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 400)}`);
    return r.body;
  }
}

export interface Session {
  token: string;
  accountId: string;
}

/** Signs in by OTP; the bench's runtime echoes the code (OTP_DEV_ECHO=1). */
export async function signIn(api: Client, phone: string): Promise<Session> {
  const otp = await api.must<{ devCode: string }>(202, "POST", "/v1/auth/otp", { body: { phone } });
  const t = await api.must<{ accessToken: string; account: { id: string } }>(200, "POST", "/v1/auth/token", {
    body: { phone, code: otp.devCode },
  });
  return { token: t.accessToken, accountId: t.account.id };
}

/** Runs `fn` over `items` with at most `parallel` in flight; results in input order. */
export async function inParallel<T, R>(items: T[], parallel: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}
