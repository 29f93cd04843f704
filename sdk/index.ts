/**
 * @doorstep/sdk: a typed client of the Doorstep API. The types (`schema.d.ts`) are generated from the
 * API's own /openapi.json by `npm run sdk`; the calls go through openapi-fetch, so every path,
 * parameter, body and answer is checked against the document at compile time.
 *
 *   const api = createDoorstepClient({ baseUrl: "https://api.example.com", token: () => session.accessToken });
 *   const { data, error } = await api.GET("/v1/orders/{id}", { params: { path: { id } } });
 *   await api.POST("/v1/orders", { body, ...withIdempotencyKey() });
 */
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, operations, paths } from "./schema";

export type { components, operations, paths };

/** An RFC 9457 problem as every error answer carries it (`code` is stable, see docs/errors.md). */
export type Problem = components["schemas"]["Problem"];

/** A named schema of the document, e.g. `Schema<"Order">`. */
export type Schema<Name extends keyof components["schemas"]> = components["schemas"][Name];

/** Every documented path, with its `{param}` placeholders. */
export type ApiPath = keyof paths;

/** A value, or a function that gives it when each request is sent (a token that is refreshed, a language switch). */
export type Dynamic<T> = T | (() => T | Promise<T>);

export interface DoorstepClientOptions {
  /** Where the API is, without a trailing slash: `https://api.example.com`, or `""` for the page's own origin. */
  baseUrl: string;
  /** The access token sent as `Authorization: Bearer …`; none (or undefined) sends no header. */
  token?: Dynamic<string | null | undefined>;
  /** The language of problem details (`Accept-Language`): `zh-CN` (default on the server) or `en`. */
  language?: Dynamic<"zh-CN" | "en" | undefined>;
  /** A `fetch` of your own (tests, a runtime without a global fetch). */
  fetch?: typeof globalThis.fetch;
  /** Headers sent with every request (e.g. `X-Request-Id`). */
  headers?: Record<string, string>;
}

export type DoorstepClient = Client<paths>;

const resolve = async <T>(value: Dynamic<T> | undefined): Promise<T | undefined> =>
  typeof value === "function" ? await (value as () => T | Promise<T>)() : value;

/** Adds the bearer token and the language to every request that does not set them itself. */
function sessionHeaders(options: DoorstepClientOptions): Middleware {
  return {
    async onRequest({ request }) {
      const token = await resolve(options.token);
      if (token && !request.headers.has("Authorization")) request.headers.set("Authorization", `Bearer ${token}`);
      const language = await resolve(options.language);
      if (language && !request.headers.has("Accept-Language")) request.headers.set("Accept-Language", language);
      return request;
    },
  };
}

/** A client of the Doorstep API at `baseUrl`, signed in with `token` when given. */
export function createDoorstepClient(options: DoorstepClientOptions): DoorstepClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    headers: options.headers,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  client.use(sessionHeaders(options));
  return client;
}

/** A fresh Idempotency-Key (a random UUID). Keep it to retry the same write safely. */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}

/**
 * The request options that send an `Idempotency-Key` (a fresh one unless given): spread them into a
 * write, `api.POST("/v1/orders", { body, ...withIdempotencyKey(key) })`. A retry with the same key and
 * body answers the stored result (`Idempotent-Replayed: true`); the same key with another body is 422.
 */
export function withIdempotencyKey(key: string = idempotencyKey()): { headers: { "Idempotency-Key": string } } {
  return { headers: { "Idempotency-Key": key } };
}

/** The problem of a failed call, or undefined when the answer was not a problem document. */
export function problemOf(error: unknown): Problem | undefined {
  return error && typeof error === "object" && "code" in error && "status" in error ? (error as Problem) : undefined;
}

type Segments<S extends string> = S extends `${infer Head}/${infer Tail}` ? [Head, ...Segments<Tail>] : [S];
type SegmentsMatch<Concrete extends string[], Template extends string[]> = Concrete extends [
  infer C extends string,
  ...infer CRest extends string[],
]
  ? Template extends [infer T extends string, ...infer TRest extends string[]]
    ? T extends `{${string}}`
      ? C extends ""
        ? false
        : SegmentsMatch<CRest, TRest>
      : C extends T
        ? SegmentsMatch<CRest, TRest>
        : false
    : false
  : Template extends []
    ? true
    : false;

/**
 * The documented path (`/v1/orders/{id}/cancel`) a concrete URL (`/v1/orders/ord_1/cancel?x=1`) calls,
 * segment by segment; `never` when it calls none.
 */
export type TemplateOf<Url extends string> = Url extends string
  ? {
      [P in ApiPath]: SegmentsMatch<Segments<Url extends `${infer Path}?${string}` ? Path : Url>, Segments<P>> extends true ? P : never;
    }[ApiPath]
  : never;

/** `Url` when it calls a documented path (see TemplateOf), else `never`: `function get<U extends string>(url: DocumentedUrl<U>)`. */
export type DocumentedUrl<Url extends string> = Url extends string ? ([TemplateOf<Url>] extends [never] ? never : Url) : never;
