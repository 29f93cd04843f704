import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem, signIn, type Session } from "../support/http";
import { POLICY } from "../support/privacy";
import { listen, openTracking, visitTo } from "../support/visit";
import { addTechnician, createWorld } from "../support/world";

const consent = (s: Session, purpose: string, granted: boolean, policyVersion = POLICY, headers: Record<string, string> = {}) =>
  call("PUT", `/v1/me/consents/${purpose}`, { token: s.token, body: { granted, policyVersion }, headers });

const consentRows = async (accountId: string) =>
  (
    await env.DB.prepare("SELECT purpose, granted, policy_version, client FROM consent_events WHERE account_id = ? ORDER BY seq")
      .bind(accountId)
      .all()
  ).results;

describe("consent records", () => {
  it("without a choice each purpose has its documented default; every change is recorded with version, time and client", async () => {
    const s = await signIn();
    const first = await call("GET", "/v1/me/consents", { token: s.token });
    expect(first.status).toBe(200);
    expect(first.body.policyVersion).toBe(POLICY);
    expect(first.body.items).toEqual([
      { purpose: "location_sharing", granted: true, source: "default", policyVersion: null, at: null },
      { purpose: "contact_sharing", granted: true, source: "default", policyVersion: null, at: null },
    ]);

    const off = await consent(s, "contact_sharing", false, POLICY, { "X-Client": "ios/3.2.0" });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ purpose: "contact_sharing", granted: false, source: "recorded", policyVersion: POLICY });
    const on = await consent(s, "contact_sharing", true, POLICY, { "User-Agent": "Doorstep-Android/7" });
    expect(on.body.granted).toBe(true);

    const after = await call("GET", "/v1/me/consents", { token: s.token });
    expect(after.body.items.find((i: { purpose: string }) => i.purpose === "contact_sharing")).toMatchObject({
      granted: true,
      source: "recorded",
    });
    expect(after.body.history.map((h: { granted: boolean; client: string }) => [h.granted, h.client])).toEqual([
      [true, "Doorstep-Android/7"],
      [false, "ios/3.2.0"],
    ]);
    expect(await consentRows(s.accountId)).toEqual([
      { purpose: "contact_sharing", granted: 0, policy_version: POLICY, client: "ios/3.2.0" },
      { purpose: "contact_sharing", granted: 1, policy_version: POLICY, client: "Doorstep-Android/7" },
    ]);
  });

  it("refuses a choice made under another policy version, an unknown purpose or a malformed body, recording nothing", async () => {
    const s = await signIn();
    const stale = await consent(s, "location_sharing", false, "2019-01");
    expectProblem(stale, 409, "POLICY_VERSION_STALE");
    expect(stale.body.current).toBe(POLICY);
    expectProblem(await consent(s, "marketing", true), 400);
    expectProblem(
      await call("PUT", "/v1/me/consents/location_sharing", { token: s.token, body: { granted: "yes", policyVersion: POLICY } }),
      400,
    );
    expectProblem(
      await call("PUT", "/v1/me/consents/location_sharing", { token: s.token, body: { granted: true, policyVersion: POLICY, extra: 1 } }),
      400,
    );
    expectProblem(await call("PUT", "/v1/me/consents/location_sharing", { body: { granted: true, policyVersion: POLICY } }), 401);
    expect(await consentRows(s.accountId)).toEqual([]);
  });
});

describe("location sharing is enforced where the technician's position is shown", () => {
  it("a withdrawal closes the open tracking socket and refuses new ones (409); granting again lets the customer watch", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    const { customer, order } = await visitTo(w, tech, "en_route");

    const open = await openTracking(customer.session.token, order.id);
    expect(open.status).toBe(101);
    const socket = listen(open.webSocket!);
    expect(await socket.nth(1)).toMatchObject({ type: "position" });

    expect((await consent(tech, "location_sharing", false)).status).toBe(200);
    expect(await socket.close()).toMatchObject({ code: 1000 });
    const refused = await openTracking(customer.session.token, order.id);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { code: string }).code).toBe("LOCATION_SHARING_OFF");

    expect((await consent(tech, "location_sharing", true)).status).toBe(200);
    const again = await openTracking(customer.session.token, order.id);
    expect(again.status).toBe(101);
    listen(again.webSocket!);
  });
});

describe("contact sharing is enforced where the customer's phone is shown", () => {
  it("the technician sees the real number only while the customer consents, else the masked one", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    const { customer, order } = await visitTo(w, tech, "accepted");
    const phoneSeen = async () => (await call("GET", `/v1/technician/tasks/${order.id}`, { token: tech.token })).body.address.contactPhone;

    expect(await phoneSeen()).toBe("+8613912345678");
    expect((await consent(customer.session, "contact_sharing", false)).status).toBe(200);
    expect(await phoneSeen()).toBe("+86139****5678");
    expect((await consent(customer.session, "contact_sharing", true)).status).toBe(200);
    expect(await phoneSeen()).toBe("+8613912345678");
  });
});
