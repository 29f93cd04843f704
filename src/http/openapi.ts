/** Shared OpenAPI pieces: the problem schema, error responses, pagination, the router factory. */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { invalid } from "../errors";

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ example: "VALIDATION_FAILED" }),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

const DESCRIPTIONS: Record<number, string> = {
  400: "Malformed or invalid input (VALIDATION_FAILED, MALFORMED_JSON, …)",
  401: "No or invalid access token",
  403: "Authenticated, but this role may not do it",
  404: "Not found, or belongs to someone else",
  409: "Conflict with the current state",
  413: "Request body too large",
  415: "Body is not application/json",
  416: "The Range header asks for no byte range of the file (RANGE_NOT_SATISFIABLE; `Content-Range: bytes */<size>`)",
  422: "Cannot be processed: an Idempotency-Key reused with a different body, or a value this service does not take (PHONE_COUNTRY_NOT_SUPPORTED, …)",
  429: "Rate limited; see Retry-After",
  500: "Unexpected fault (no internals disclosed)",
  502: "An outside service (a payment provider) refused the request (PROVIDER_REFUSED)",
  503: "An outside service (a payment or SMS provider) did not answer. PROVIDER_UNAVAILABLE: nothing was recorded, try again (see Retry-After); PAYOUT_DELAYED / REFUND_DELAYED: the decision is recorded and the money is sent automatically once the provider answers",
};

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 416 | 422 | 429 | 500 | 502 | 503;

/** Problem responses for a route: 400 and 500 always, plus the statuses given. */
export function errorResponses(...statuses: ErrorStatus[]) {
  const all = new Set<ErrorStatus>([400, 500, ...statuses]);
  const out: Partial<
    Record<ErrorStatus, { description: string; content: { "application/problem+json": { schema: typeof ProblemSchema } } }>
  > = {};
  for (const s of [...all].sort()) {
    out[s] = { description: DESCRIPTIONS[s]!, content: { "application/problem+json": { schema: ProblemSchema } } };
  }
  return out;
}

/** Error responses of an authenticated route. */
export function authErrors(...statuses: ErrorStatus[]) {
  return errorResponses(401, 403, ...statuses);
}

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { "application/json": { schema } } };
}

export const bearer = [{ bearerAuth: [] }];

/** A path parameter object `{ [name]: string }` with a typed key. */
export function IdParam<K extends string>(name: K, example: string) {
  const shape = {
    [name]: z
      .string()
      .min(1)
      .max(64)
      .openapi({ param: { name, in: "path" }, example }),
  } as Record<K, z.ZodString>;
  return z.object(shape);
}

export const LimitQuery = z.coerce.number().int().min(1).max(100).default(20).openapi({ description: "Page size (1–100)" });
export const CursorQuery = z.string().max(200).optional().openapi({ description: "Opaque cursor from nextCursor" });

export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const MoneySchema = z
  .object({ amount: z.number().int().openapi({ description: "Integer minor units (分)" }), currency: z.string().length(3) })
  .openapi("Money");

export const LocalizedSchema = z
  .object({ zh: z.string().min(1).max(200), en: z.string().min(1).max(200) })
  .strict()
  .openapi("Localized");

/** A router whose validation failures render as problem+json like every other error. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const where = result.target === "json" ? "body" : result.target;
        throw invalid(
          result.error.issues.map((issue) => ({
            path: [where, ...issue.path.map(String)].join("."),
            message: issue.message,
          })),
        );
      }
    },
  });
}

/** A stored file (R2 object) as the response body, with its type, length, ETag and caching. */
export interface StoredFile {
  body: ReadableStream;
  contentType: string;
  size: number;
  etag: string;
}

export function fileHeaders(file: Omit<StoredFile, "body">, cacheControl: string): Record<string, string> {
  return { "Content-Type": file.contentType, "Content-Length": String(file.size), ETag: file.etag, "Cache-Control": cacheControl };
}
