/**
 * Local fakes of JPush REST v3 (/v3/push with HTTP Basic app key : master secret), Google's OAuth
 * token endpoint (the JWT bearer grant: the service account's RS256 assertion is verified with the
 * account's public key) and FCM HTTP v1 messages:send (only access tokens the endpoint issued are
 * accepted). Each answers in the provider's shape.
 */
import type { FetchRoute } from "./fetch-routes";

export const JPUSH_BASE = "https://api.jpush.fake.test";
export const FCM_BASE = "https://fcm.fake.test";
export const TOKEN_URI = "https://oauth2.fake.test/token";
export const APP_KEY = "7d431e42dfa6a6d693ac2d04";
export const MASTER_SECRET = "5e987ac6d2e04d95a9d8f0d1";
export const PROJECT = "doorstep-test";

const enc = new TextEncoder();
const fromB64url = (s: string) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const pem = (der: ArrayBuffer) =>
  `-----BEGIN PRIVATE KEY-----\n${btoa(String.fromCharCode(...new Uint8Array(der)))
    .match(/.{1,64}/g)!
    .join("\n")}\n-----END PRIVATE KEY-----\n`;

/** A fresh RSA key pair: the public key for the fake, the PKCS#8 PEM for the service account. */
export async function keyPair(): Promise<{ publicKey: CryptoKey; privatePem: string }> {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  return { publicKey: pair.publicKey, privatePem: pem((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer) };
}

/** How a fake answers: accepts, does not know the token, refuses the push itself for good, or fails with a 5xx. */
export type PushMode = "ok" | "stale" | "refused" | "unavailable";

/** JPush REST v3 /v3/push with HTTP Basic app key : master secret. */
export function jpushFake() {
  const received: Record<string, any>[] = [];
  let mode: PushMode = "ok";
  async function handle(req: Request): Promise<Response> {
    if (new URL(req.url).pathname !== "/v3/push" || req.method !== "POST") return new Response("not found", { status: 404 });
    if (req.headers.get("Authorization") !== `Basic ${btoa(`${APP_KEY}:${MASTER_SECRET}`)}`) {
      return Response.json({ error: { code: 1004, message: "Authen failed" } }, { status: 401 });
    }
    if (mode === "unavailable") return new Response("Service Unavailable", { status: 503 });
    const body = (await req.json()) as Record<string, any>;
    received.push(body);
    if (mode === "stale") return Response.json({ error: { code: 1011, message: "cannot find user by this audience" } }, { status: 400 });
    if (mode === "refused") return Response.json({ error: { code: 1003, message: "Parameter value is invalid" } }, { status: 400 });
    return Response.json({ sendno: "0", msg_id: "54043195528424452" });
  }
  return {
    handle,
    received,
    set mode(m: PushMode) {
      mode = m;
    },
  };
}

/** Google's OAuth token endpoint (JWT bearer grant) and FCM HTTP v1 messages:send. */
export function googleFake(accounts: Map<string, CryptoKey>) {
  const issued = new Set<string>();
  const received: Record<string, any>[] = [];
  let tokenRequests = 0;
  let mode: PushMode = "ok";
  async function token(req: Request): Promise<Response> {
    tokenRequests += 1;
    const form = new URLSearchParams(new TextDecoder().decode(await req.arrayBuffer()));
    const refuse = (d: string) => Response.json({ error: "invalid_grant", error_description: d }, { status: 400 });
    if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") return refuse("grant_type");
    const [h, c, s] = (form.get("assertion") ?? "").split(".");
    if (!h || !c || !s) return refuse("malformed");
    const header = JSON.parse(new TextDecoder().decode(fromB64url(h))) as Record<string, unknown>;
    const claims = JSON.parse(new TextDecoder().decode(fromB64url(c))) as Record<string, any>;
    const key = accounts.get(String(claims.iss));
    if (header.alg !== "RS256" || !key) return refuse("unknown account");
    const ok = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, fromB64url(s), enc.encode(`${h}.${c}`));
    if (!ok) return refuse("Invalid JWT Signature.");
    const now = Math.floor(Date.now() / 1000);
    if (claims.aud !== TOKEN_URI || claims.scope !== "https://www.googleapis.com/auth/firebase.messaging") return refuse("claims");
    if (!(claims.iat <= now + 5 && claims.exp > now && claims.exp - claims.iat <= 3600)) return refuse("times");
    const access = `ya29.${crypto.randomUUID()}`;
    issued.add(access);
    return Response.json({ access_token: access, expires_in: 3599, token_type: "Bearer" });
  }
  async function send(req: Request): Promise<Response> {
    if (new URL(req.url).pathname !== `/v1/projects/${PROJECT}/messages:send`) return new Response("not found", { status: 404 });
    const bearer = /^Bearer (.+)$/.exec(req.headers.get("Authorization") ?? "")?.[1];
    if (!bearer || !issued.has(bearer)) {
      return Response.json({ error: { code: 401, status: "UNAUTHENTICATED", message: "invalid credentials" } }, { status: 401 });
    }
    if (mode === "unavailable") return Response.json({ error: { code: 503, status: "UNAVAILABLE" } }, { status: 503 });
    const body = (await req.json()) as Record<string, any>;
    received.push(body);
    if (mode === "refused") {
      return Response.json(
        { error: { code: 400, status: "INVALID_ARGUMENT", message: "Invalid value at 'message.data'" } },
        { status: 400 },
      );
    }
    if (mode === "stale") {
      return Response.json(
        {
          error: {
            code: 404,
            status: "NOT_FOUND",
            message: "Requested entity was not found.",
            details: [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode: "UNREGISTERED" }],
          },
        },
        { status: 404 },
      );
    }
    return Response.json({ name: `projects/${PROJECT}/messages/0:1500415314455276%31bd1c9631bd1c96` });
  }
  return {
    token,
    send,
    received,
    get tokenRequests() {
      return tokenRequests;
    },
    set mode(m: PushMode) {
      mode = m;
    },
  };
}

export type JPushFake = ReturnType<typeof jpushFake>;
export type GoogleFake = ReturnType<typeof googleFake>;

/** The fakes' `fetch` routes: JPush's base, the token endpoint and FCM's base. */
export function pushRoutes(jp: JPushFake, google: GoogleFake): FetchRoute[] {
  return [
    [JPUSH_BASE, (req) => jp.handle(req)],
    [TOKEN_URI, (req) => google.token(req)],
    [FCM_BASE, (req) => google.send(req)],
  ];
}
