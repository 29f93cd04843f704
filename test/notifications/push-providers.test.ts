/**
 * The push device registry and live push through JPush and FCM, against local fakes of their HTTP
 * contracts: the JPush fake checks HTTP Basic credentials, the OAuth token endpoint verifies the
 * service account's RS256 assertion with the account's public key, and the FCM fake accepts only
 * the access token the endpoint issued. `fetch` is replaced for the test: the fakes' hosts go to
 * the fakes, anything else to the real `fetch`.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { pushSender, PushError, type DeviceRegistry } from "../../src/adapters/channels";
import { fcm } from "../../src/adapters/push";
import { parseConfig } from "../../src/config";
import { getDb } from "../../src/db/client";
import { deleteDevicesById, listDevices } from "../../src/db/repositories/devices.repo";
import { call, expectProblem, signIn, type Session } from "../support/http";

const JPUSH_BASE = "https://api.jpush.fake.test";
const FCM_BASE = "https://fcm.fake.test";
const TOKEN_URI = "https://oauth2.fake.test/token";
const APP_KEY = "7d431e42dfa6a6d693ac2d04";
const MASTER_SECRET = "5e987ac6d2e04d95a9d8f0d1";
const PROJECT = "doorstep-test";

const enc = new TextEncoder();
const fromB64url = (s: string) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const pem = (der: ArrayBuffer) =>
  `-----BEGIN PRIVATE KEY-----\n${btoa(String.fromCharCode(...new Uint8Array(der)))
    .match(/.{1,64}/g)!
    .join("\n")}\n-----END PRIVATE KEY-----\n`;

async function keyPair(): Promise<{ publicKey: CryptoKey; privatePem: string }> {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  return { publicKey: pair.publicKey, privatePem: pem((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer) };
}

type Mode = "ok" | "stale" | "unavailable";

/** JPush REST v3 /v3/push with HTTP Basic app key : master secret. */
function jpushFake() {
  const received: Record<string, any>[] = [];
  let mode: Mode = "ok";
  async function handle(req: Request): Promise<Response> {
    if (new URL(req.url).pathname !== "/v3/push" || req.method !== "POST") return new Response("not found", { status: 404 });
    if (req.headers.get("Authorization") !== `Basic ${btoa(`${APP_KEY}:${MASTER_SECRET}`)}`) {
      return Response.json({ error: { code: 1004, message: "Authen failed" } }, { status: 401 });
    }
    if (mode === "unavailable") return new Response("Service Unavailable", { status: 503 });
    const body = (await req.json()) as Record<string, any>;
    received.push(body);
    if (mode === "stale") return Response.json({ error: { code: 1011, message: "cannot find user by this audience" } }, { status: 400 });
    return Response.json({ sendno: "0", msg_id: "54043195528424452" });
  }
  return {
    handle,
    received,
    set mode(m: Mode) {
      mode = m;
    },
  };
}

/** Google's OAuth token endpoint (JWT bearer grant) and FCM HTTP v1 messages:send. */
function googleFake(accounts: Map<string, CryptoKey>) {
  const issued = new Set<string>();
  const received: Record<string, any>[] = [];
  let tokenRequests = 0;
  let mode: Mode = "ok";
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
    set mode(m: Mode) {
      mode = m;
    },
  };
}

let account: { publicKey: CryptoKey; privatePem: string };
let other: { publicKey: CryptoKey; privatePem: string };
const accounts = new Map<string, CryptoKey>();
let jp: ReturnType<typeof jpushFake>;
let google: ReturnType<typeof googleFake>;

beforeAll(async () => {
  account = await keyPair();
  other = await keyPair();
});

beforeEach(() => {
  jp = jpushFake();
  google = googleFake(accounts);
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (url.origin === JPUSH_BASE) return jp.handle(req);
    if (url.href === TOKEN_URI) return google.token(req);
    if (url.origin === FCM_BASE) return google.send(req);
    return realFetch(input, init);
  });
});

afterEach(() => vi.restoreAllMocks());

/** A service account of its own per test: the access token cache is per isolate. */
function serviceAccount(privatePem = account.privatePem) {
  const email = `push-${crypto.randomUUID().slice(0, 8)}@${PROJECT}.iam.gserviceaccount.com`;
  accounts.set(email, account.publicKey);
  return JSON.stringify({ type: "service_account", client_email: email, private_key: privatePem, token_uri: TOKEN_URI });
}

function liveConfig(sa = serviceAccount()) {
  return parseConfig({
    ENVIRONMENT: "development",
    JWT_SECRET: "x".repeat(32),
    PUSH_PROVIDER: "live",
    JPUSH_API_BASE: JPUSH_BASE,
    JPUSH_APP_KEY: APP_KEY,
    JPUSH_MASTER_SECRET: MASTER_SECRET,
    FCM_API_BASE: FCM_BASE,
    FCM_PROJECT_ID: PROJECT,
    FCM_SERVICE_ACCOUNT: sa,
  });
}

/** The registry notification delivery uses: the account's devices in D1. */
const registry: DeviceRegistry = {
  devices: (accountId) => listDevices(getDb(env), accountId),
  dropStale: (ids) => deleteDevicesById(getDb(env), ids),
};

const NOTICE = { title: "订单已接单", body: "技术员已接单", data: { kind: "order.accepted", orderId: "ord_01JD3", lead: 60 } };

async function register(s: Session, body: Record<string, unknown>) {
  return call("POST", "/v1/me/devices", { token: s.token, body });
}
async function devicesOf(s: Session) {
  const res = await call("GET", "/v1/me/devices", { token: s.token });
  expect(res.status).toBe(200);
  return res.body.items as { id: string; provider: string; platform: string; appVersion: string }[];
}
const token = (p: string) => `${p}-${crypto.randomUUID()}`;

describe("the device registry", () => {
  it("registers several devices per account, lists them without their tokens, and deletes one", async () => {
    const s = await signIn();
    const a = await register(s, { platform: "android", provider: "jpush", token: token("jp"), appVersion: "2.3.0" });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ platform: "android", provider: "jpush", appVersion: "2.3.0" });
    expect(a.body.token).toBeUndefined();
    const b = await register(s, { platform: "ios", provider: "fcm", token: token("fcm"), appVersion: "2.3.0" });
    expect((await devicesOf(s)).map((d) => d.id)).toEqual([a.body.id, b.body.id].sort());
    expect(JSON.stringify(await devicesOf(s))).not.toContain("jp-");
    const del = await call("DELETE", `/v1/me/devices/${a.body.id}`, { token: s.token });
    expect(del.status).toBe(204);
    expect((await devicesOf(s)).map((d) => d.id)).toEqual([b.body.id]);
  });

  it("is idempotent per token: registering again refreshes the device, another account takes it over", async () => {
    const s = await signIn();
    const t = token("jp");
    const first = await register(s, { platform: "android", provider: "jpush", token: t, appVersion: "2.3.0" });
    const again = await register(s, { platform: "android", provider: "jpush", token: t, appVersion: "2.4.0" });
    expect(again.body.id).toBe(first.body.id);
    expect((await devicesOf(s)).map((d) => d.appVersion)).toEqual(["2.4.0"]);
    const o = await signIn();
    const moved = await register(o, { platform: "android", provider: "jpush", token: t, appVersion: "2.4.1" });
    expect(moved.body.id).toBe(first.body.id);
    expect(await devicesOf(s)).toEqual([]);
    expect((await devicesOf(o)).map((d) => d.id)).toEqual([first.body.id]);
  });

  it("refuses a malformed registration with a 400 problem and changes nothing", async () => {
    const s = await signIn();
    for (const body of [
      { platform: "symbian", provider: "jpush", token: token("jp"), appVersion: "1" },
      { platform: "ios", provider: "apns", token: token("x"), appVersion: "1" },
      { platform: "ios", provider: "fcm", token: "", appVersion: "1" },
      { platform: "ios", provider: "fcm", appVersion: "1" },
      { platform: "ios", provider: "fcm", token: token("fcm"), appVersion: "1", extra: true },
    ]) {
      expectProblem(await register(s, body), 400);
    }
    expect(await devicesOf(s)).toEqual([]);
  });

  it("answers 404 for another account's device and leaves it in place", async () => {
    const s = await signIn();
    const o = await signIn();
    const d = await register(o, { platform: "web", provider: "fcm", token: token("fcm"), appVersion: "1.0.0" });
    expectProblem(await call("DELETE", `/v1/me/devices/${d.body.id}`, { token: s.token }), 404, "NOT_FOUND");
    expect((await devicesOf(o)).map((x) => x.id)).toEqual([d.body.id]);
  });

  it("needs a signed-in account", async () => {
    expectProblem(await call("GET", "/v1/me/devices"), 401);
  });
});

describe("live push", () => {
  it("reaches each of the account's devices through its provider", async () => {
    const s = await signIn();
    const jt = token("jp");
    const ft = token("fcm");
    await register(s, { platform: "android", provider: "jpush", token: jt, appVersion: "2.3.0" });
    await register(s, { platform: "ios", provider: "fcm", token: ft, appVersion: "2.3.0" });
    await pushSender(liveConfig(), registry).send({ accountId: s.accountId, ...NOTICE });

    expect(jp.received).toHaveLength(1);
    expect(jp.received[0]).toMatchObject({
      platform: "all",
      audience: { registration_id: [jt] },
      notification: { alert: NOTICE.body, android: { title: NOTICE.title, extras: NOTICE.data }, ios: { extras: NOTICE.data } },
    });
    expect(google.received).toHaveLength(1);
    expect(google.received[0]).toEqual({
      message: {
        token: ft,
        notification: { title: NOTICE.title, body: NOTICE.body },
        data: { kind: "order.accepted", orderId: "ord_01JD3", lead: "60" },
      },
    });
    expect(await devicesOf(s)).toHaveLength(2);
  });

  it("fetches the FCM access token once for two sends", async () => {
    const s = await signIn();
    await register(s, { platform: "android", provider: "fcm", token: token("fcm"), appVersion: "2.3.0" });
    const push = pushSender(liveConfig(), registry);
    await push.send({ accountId: s.accountId, ...NOTICE });
    await push.send({ accountId: s.accountId, ...NOTICE });
    expect(google.received).toHaveLength(2);
    expect(google.tokenRequests).toBe(1);
  });

  it("drops devices whose tokens the provider no longer knows", async () => {
    const s = await signIn();
    const gone = await register(s, { platform: "android", provider: "jpush", token: token("jp"), appVersion: "2.3.0" });
    const kept = await register(s, { platform: "web", provider: "fcm", token: token("fcm"), appVersion: "2.3.0" });
    jp.mode = "stale";
    await pushSender(liveConfig(), registry).send({ accountId: s.accountId, ...NOTICE });
    expect((await devicesOf(s)).map((d) => d.id)).toEqual([kept.body.id]);
    expect(gone.body.id).not.toBe(kept.body.id);

    google.mode = "stale";
    await pushSender(liveConfig(), registry).send({ accountId: s.accountId, ...NOTICE });
    expect(await devicesOf(s)).toEqual([]);
  });

  it("reports a 5xx as a retryable failure and keeps the devices", async () => {
    const s = await signIn();
    await register(s, { platform: "android", provider: "jpush", token: token("jp"), appVersion: "2.3.0" });
    await register(s, { platform: "ios", provider: "fcm", token: token("fcm"), appVersion: "2.3.0" });
    jp.mode = "unavailable";
    const err = await pushSender(liveConfig(), registry)
      .send({ accountId: s.accountId, ...NOTICE })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PushError);
    expect((err as PushError).retryable).toBe(true);
    // The other device was still reached.
    expect(google.received).toHaveLength(1);
    google.mode = "unavailable";
    const fcmErr = await pushSender(liveConfig(), registry)
      .send({ accountId: s.accountId, ...NOTICE })
      .catch((e: unknown) => e);
    expect((fcmErr as PushError).retryable).toBe(true);
    expect(await devicesOf(s)).toHaveLength(2);
  });

  it("is refused by the token endpoint when the assertion is signed with another key", async () => {
    const sa = serviceAccount(other.privatePem);
    const err = await fcm(liveConfig(sa))
      .send({ id: "dev_x", provider: "fcm", token: token("fcm") }, NOTICE)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PushError);
    expect((err as PushError).retryable).toBe(false);
    expect(google.tokenRequests).toBe(1);
    expect(google.received).toEqual([]);
  });

  it("never logs a device token", async () => {
    const s = await signIn();
    const t = token("fcm");
    await register(s, { platform: "ios", provider: "fcm", token: t, appVersion: "2.3.0" });
    const logs = [vi.spyOn(console, "log"), vi.spyOn(console, "error"), vi.spyOn(console, "warn")];
    google.mode = "unavailable";
    await pushSender(liveConfig(), registry)
      .send({ accountId: s.accountId, ...NOTICE })
      .catch(() => undefined);
    for (const l of logs) expect(JSON.stringify(l.mock.calls)).not.toContain(t);
  });
});
