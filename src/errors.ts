import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./env";
import { pickLocale, type Localized } from "./lib/locale";

/** A human-readable message: one string, or one per supported locale. */
export type Message = string | Localized;

export interface FieldError {
  path: string;
  message: string;
}

interface AppErrorOptions {
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Extra machine-readable members added to the problem body. */
  extra?: Record<string, unknown>;
}

/**
 * The one error hierarchy: each class fixes the HTTP status and a stable machine `code`.
 * Everything thrown as an AppError is safe to show; anything else becomes a bare 500.
 */
export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    readonly detail: Message,
    readonly options: AppErrorOptions = {},
  ) {
    super(typeof detail === "string" ? detail : detail.en);
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  constructor(code: string, detail: Message, options?: AppErrorOptions) {
    super(400, code, detail, options);
  }
}
export class ValidationError extends AppError {
  constructor(errors: FieldError[], detail: Message = { en: "The request is not valid.", zh: "请求参数不合法。" }) {
    super(400, "VALIDATION_FAILED", detail, { errors });
  }
}
export class UnauthorizedError extends AppError {
  constructor(detail: Message = { en: "Sign in first.", zh: "请先登录。" }, code = "UNAUTHENTICATED") {
    super(401, code, detail, { headers: { "WWW-Authenticate": "Bearer" } });
  }
}
export class ForbiddenError extends AppError {
  constructor(detail: Message = { en: "This account may not do that.", zh: "当前账号无权执行此操作。" }) {
    super(403, "FORBIDDEN", detail);
  }
}
const NOUNS_ZH: Record<string, string> = {
  Account: "账号",
  Address: "地址",
  Booking: "预约",
  Category: "类目",
  City: "城市",
  Merchant: "商户",
  "Merchant administrator": "商户管理员",
  Order: "订单",
  Service: "服务",
  "Service at this location": "该地点的服务",
  Skill: "技能",
  Technician: "技师",
};

export class NotFoundError extends AppError {
  /** `what` names the missing thing in English (known nouns are translated) or in both languages. */
  constructor(what: string | Localized, code = "NOT_FOUND") {
    const noun = typeof what === "string" ? { en: what, zh: NOUNS_ZH[what] ?? what } : what;
    super(404, code, { en: `${noun.en} not found.`, zh: `未找到${noun.zh}。` });
  }
}
export class ConflictError extends AppError {
  constructor(code: string, detail: Message, options?: AppErrorOptions) {
    super(409, code, detail, options);
  }
}
export class TooManyRequestsError extends AppError {
  constructor(retryAfterSeconds: number, detail: Message = { en: "Too many requests.", zh: "请求过于频繁。" }) {
    const retryAfter = String(Math.max(1, Math.ceil(retryAfterSeconds)));
    super(429, "RATE_LIMITED", detail, { headers: { "Retry-After": retryAfter }, extra: { retryAfter: Number(retryAfter) } });
  }
}

const TITLES: Record<number, Localized> = {
  400: { en: "Bad Request", zh: "请求无效" },
  401: { en: "Unauthorized", zh: "未登录" },
  403: { en: "Forbidden", zh: "禁止访问" },
  404: { en: "Not Found", zh: "未找到" },
  405: { en: "Method Not Allowed", zh: "方法不允许" },
  409: { en: "Conflict", zh: "冲突" },
  413: { en: "Payload Too Large", zh: "请求体过大" },
  415: { en: "Unsupported Media Type", zh: "不支持的内容类型" },
  422: { en: "Unprocessable Content", zh: "无法处理的请求" },
  429: { en: "Too Many Requests", zh: "请求过于频繁" },
  500: { en: "Internal Server Error", zh: "服务器内部错误" },
  503: { en: "Service Unavailable", zh: "服务暂不可用" },
};

const CODES_BY_STATUS: Record<number, string> = {
  400: "BAD_REQUEST",
  401: "UNAUTHENTICATED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  422: "UNPROCESSABLE",
  429: "RATE_LIMITED",
  500: "INTERNAL",
};

/** What a request for a route that does not exist gets. */
export function routeNotFound(method: string, path: string): AppError {
  return new AppError(404, "ROUTE_NOT_FOUND", { en: `No route for ${method} ${path}.`, zh: `没有 ${method} ${path} 这个接口。` });
}

/** Renders an RFC 9457 problem document for `err`, localised by Accept-Language. */
export function problem(c: Context<AppEnv>, err: AppError): Response {
  const locale = pickLocale(c.req.header("Accept-Language"));
  const title = TITLES[err.status] ?? { en: "Error", zh: "错误" };
  const body: Record<string, unknown> = {
    type: `https://doorstep.dev/problems/${err.code.toLowerCase().replaceAll("_", "-")}`,
    title: title[locale],
    status: err.status,
    detail: typeof err.detail === "string" ? err.detail : err.detail[locale],
    code: err.code,
    requestId: c.get("requestId"),
    ...err.options.extra,
  };
  if (err.options.errors) body.errors = err.options.errors;
  const headers: Record<string, string> = { "Content-Type": "application/problem+json; charset=UTF-8", ...err.options.headers };
  return new Response(JSON.stringify(body), { status: err.status, headers });
}

/** Maps anything thrown to an AppError; unknown faults become a 500 that reveals nothing. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    if (status === 400 && /malformed json/i.test(err.message)) {
      return new BadRequestError("MALFORMED_JSON", { en: "The request body is not valid JSON.", zh: "请求体不是合法的 JSON。" });
    }
    if (status >= 500) return internalError();
    return new AppError(status, CODES_BY_STATUS[status] ?? "BAD_REQUEST", err.message || (TITLES[status]?.en ?? "Error"));
  }
  return internalError();
}

function internalError(): AppError {
  return new AppError(500, "INTERNAL", { en: "Something went wrong on our side.", zh: "服务器开小差了，请稍后重试。" });
}
