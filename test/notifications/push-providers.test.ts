/**
 * The push device registry and live push through JPush and FCM, against local fakes of their HTTP
 * contracts (test/support/push-fakes.ts): the JPush fake checks HTTP Basic credentials, the OAuth token endpoint verifies the
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
import { routeFetch } from "../support/fetch-routes";
import { call, expectProblem, signIn, type Session } from "../support/http";
import {
  APP_KEY,
  FCM_BASE,
  googleFake,
  JPUSH_BASE,
  jpushFake,
  keyPair,
  MASTER_SECRET,
  PROJECT,
  pushRoutes,
  TOKEN_URI,
  type GoogleFake,
  type JPushFake,
} from "../support/push-fakes";

let account: { publicKey: CryptoKey; privatePem: string };
let other: { publicKey: CryptoKey; privatePem: string };
const accounts = new Map<string, CryptoKey>();
let jp: JPushFake;
let google: GoogleFake;

beforeAll(async () => {
  account = await keyPair();
  other = await keyPair();
});

beforeEach(() => {
  jp = jpushFake();
  google = googleFake(accounts);
  routeFetch(pushRoutes(jp, google));
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

  it("reports a push every device refused for good as a failure not worth retrying; one device reached is enough", async () => {
    const s = await signIn();
    await register(s, { platform: "android", provider: "jpush", token: token("jp"), appVersion: "2.3.0" });
    await register(s, { platform: "ios", provider: "fcm", token: token("fcm"), appVersion: "2.3.0" });
    jp.mode = "refused";
    // FCM took it: delivered, the JPush refusal only logged
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    await pushSender(liveConfig(), registry).send({ accountId: s.accountId, ...NOTICE });
    expect(google.received).toHaveLength(1);
    google.mode = "refused";
    const err = await pushSender(liveConfig(), registry)
      .send({ accountId: s.accountId, ...NOTICE })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PushError);
    expect((err as PushError).retryable).toBe(false);
    expect((err as PushError).message).toContain("JPush refused the push (400, code 1003)");
    expect((err as PushError).message).toContain("FCM refused the message (400, INVALID_ARGUMENT)");
    // refused is not stale: the devices stay
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
