import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { enforceLimit } from "../lib/rate-limit";
import { errorResponses } from "./openapi";

/** The classes of request that are rate limited, each with its own binding (wrangler.toml `[[ratelimits]]`). */
export const LIMIT_BINDINGS = {
  /** Writes: counted per account when signed in, per IP otherwise. */
  write: "RATE_LIMIT_WRITE",
  /** Reads that cost many statements or cells: availability, list pages, admin reads, exports. */
  expensive: "RATE_LIMIT_EXPENSIVE",
  /** Sign-in (code sends, code and refresh exchanges, WeChat): always per IP. */
  signIn: "RATE_LIMIT_SIGNIN",
} as const satisfies Record<string, keyof Env>;

export type LimitClass = keyof typeof LIMIT_BINDINGS;

const WRITES = ["POST", "PUT", "PATCH", "DELETE"] as const;

export interface LimitRule {
  methods: readonly string[];
  path: RegExp;
  /** The limiter, or null: never limited. */
  limit: LimitClass | null;
  /** Why (shown in README "Security" → "Limits"). */
  why: string;
}

/**
 * Which requests fall in which class: the first rule whose method and path match decides; a
 * request no rule matches (ordinary reads, /healthz, the docs) is not limited.
 */
export const LIMIT_RULES: readonly LimitRule[] = [
  {
    methods: WRITES,
    path: /^\/v1\/webhooks\//,
    limit: null,
    why: "payment providers' notifications: signed, and a refused one only delays a payment",
  },
  {
    methods: ["POST"],
    path: /^\/v1\/auth\/(otp|token|wechat)$/,
    limit: "signIn",
    why: "sign-in: per IP whoever is signed in; codes are also limited per phone and per sender (README)",
  },
  {
    methods: ["POST"],
    path: /^\/v1\/bootstrap$/,
    limit: "signIn",
    why: "the first administrator: a secret is checked, so per IP like sign-in",
  },
  {
    methods: WRITES,
    path: /^\/v1\/series(\/|$)/,
    limit: "write",
    why: "recurring visits: a create, resume or change books a horizon of visits through the cells, counted as one write",
  },
  { methods: WRITES, path: /^\/v1\//, limit: "write", why: "every other write" },
  { methods: ["GET"], path: /^\/v1\/availability$/, limit: "expensive", why: "fans out to the cells of the ring" },
  { methods: ["GET"], path: /^\/v1\/technicians\/search$/, limit: "expensive", why: "fans out to the cells of the ring" },
  {
    methods: ["GET"],
    path: /^\/v1\/technicians\/[^/]+\/profile$/,
    limit: "expensive",
    why: "a public profile: several queries (breakdown, reviews, cases)",
  },
  { methods: ["GET"], path: /^\/v1\/admin\//, limit: "expensive", why: "dashboard lists, reports and exports" },
  {
    methods: ["GET"],
    path: /^\/(s\/|v1\/share-links\/)/,
    limit: "expensive",
    why: "share links: public pages and cards, per IP (no account), so guessing tokens costs",
  },
  {
    methods: ["GET"],
    path: /^\/v1\/data-exports\/download$/,
    limit: "expensive",
    why: "a person's data export: signed links, per IP (no account), so guessing costs",
  },
  {
    methods: ["GET"],
    path: /^\/v1\/(orders|series|me\/notifications|technician\/(pool|tasks|earnings|withdrawals|credit\/history)|technicians\/[^/]+\/reviews)$/,
    limit: "expensive",
    why: "list pages",
  },
];

/** The class of a request, or null when it is not limited. */
export function limitClassOf(method: string, path: string): LimitClass | null {
  const rule = LIMIT_RULES.find((r) => r.methods.includes(method) && r.path.test(path));
  return rule?.limit ?? null;
}

/**
 * Rate limits by the table above, after authentication (a signed-in caller is counted per account,
 * anyone else per IP) and before anything reads the body or the database: a refused request costs
 * no D1 statement, writes nothing and answers 429 RATE_LIMITED with Retry-After.
 */
export const rateLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const limit = limitClassOf(c.req.method, c.req.path);
  if (limit) {
    const accountId = limit === "signIn" ? undefined : c.get("auth")?.accountId;
    const key = accountId ? `${limit}:acc:${accountId}` : `${limit}:ip:${clientIp(c.req.header("CF-Connecting-IP"))}`;
    await enforceLimit(c.env[LIMIT_BINDINGS[limit]], key);
  }
  await next();
};

/** The caller's IP as Cloudflare saw it; "unknown" only outside Cloudflare (local tools). */
export function clientIp(header: string | undefined): string {
  return header?.trim() || "unknown";
}

const PER: Record<LimitClass, string> = {
  write: "per account when signed in, per IP otherwise",
  expensive: "per account when signed in, per IP otherwise",
  signIn: "per IP",
};

/** Adds the 429 answer, with its limiter, to every limited operation of the OpenAPI document. */
export function documentLimits(registry: OpenAPIHono["openAPIRegistry"]): void {
  for (const def of registry.definitions) {
    if (def.type !== "route") continue;
    const limit = limitClassOf(def.route.method.toUpperCase(), def.route.path);
    if (!limit) continue;
    def.route.responses[429] = {
      ...errorResponses(429)[429]!,
      description: `Rate limited (${LIMIT_BINDINGS[limit]}, ${PER[limit]}); see Retry-After`,
    };
  }
}
