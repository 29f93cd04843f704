// A small client of the public API for the demo driver, the browser tests and the screenshots:
// sign-in with the dev-echoed code, booking at the first free time, paying through the sandbox
// provider, the technician's steps. Every request goes through the SDK (sdk/, @doorstep/sdk).
import { createDoorstepClient, withIdempotencyKey } from "../sdk/index.ts";

/** Smallest JPEG signature: the visit photos the technician must take (arrival, completion). */
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);

export class Client {
  constructor(base) {
    this.base = base;
    // Each call names its own account (token), so the client carries none; every request times out after 30 s.
    this.sdk = createDoorstepClient({ baseUrl: base, fetch: (request) => fetch(request, { signal: AbortSignal.timeout(30_000) }) });
  }

  /**
   * One request. A 429 (the rate limits of wrangler.toml, README "Security" → "Limits") is waited
   * out as its Retry-After says and tried again, as a real app would, up to three times.
   */
  async call(method, path, opts = {}) {
    for (let attempt = 0; ; attempt++) {
      const r = await this.once(method, path, opts);
      if (r.status !== 429 || attempt === 3) return r;
      const seconds = Math.min(60, Math.max(1, Number(r.retryAfter) || 1));
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    }
  }

  /** `path` is concrete (ids and query filled in), so it goes through the SDK's `request`. */
  async once(method, path, { token, body, raw, type, key } = {}) {
    const headers = { ...(key ? withIdempotencyKey(key).headers : {}) };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (raw) headers["Content-Type"] = type;
    const { data, error, response } = await this.sdk.request(method.toLowerCase(), path, {
      headers,
      body: raw ?? body,
      parseAs: "text",
      ...(raw ? { bodySerializer: (bytes) => bytes } : {}),
    });
    let parsed = (response.ok ? data : error) ?? null;
    try {
      parsed = typeof parsed === "string" ? (parsed ? JSON.parse(parsed) : null) : parsed;
    } catch {
      // not JSON
    }
    return { status: response.status, body: parsed, retryAfter: response.headers.get("Retry-After") };
  }

  async ok(method, path, opts) {
    const r = await this.call(method, path, opts);
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** Signs in by OTP (needs OTP_DEV_ECHO=1 on the server). */
  async signIn(phone) {
    const otp = await this.ok("POST", "/v1/auth/otp", { body: { phone } });
    if (!otp.devCode) throw new Error("the server does not echo sign-in codes (OTP_DEV_ECHO=1 is needed)");
    const t = await this.ok("POST", "/v1/auth/token", { body: { phone, code: otp.devCode } });
    const me = await this.ok("GET", "/v1/me", { token: t.accessToken });
    return { phone, token: t.accessToken, refreshToken: t.refreshToken, me, expiresAt: Date.now() + t.expiresIn * 1000 };
  }

  /** Keeps a session's access token fresh (rotating the refresh token). */
  async fresh(session) {
    if (session.expiresAt - Date.now() > 60_000) return session;
    const t = await this.ok("POST", "/v1/auth/token", { body: { grantType: "refresh_token", refreshToken: session.refreshToken } });
    return Object.assign(session, { token: t.accessToken, refreshToken: t.refreshToken, expiresAt: Date.now() + t.expiresIn * 1000 });
  }

  /**
   * Books `serviceId` for the customer at their first saved address, at the first free time within
   * `days` local days from `fromDay` (0 = today). Returns the order, or null when nothing is free.
   */
  async bookFirstFree(
    customer,
    serviceId,
    { fromDay = 0, days = 4, timeZone = "Asia/Shanghai", pick = (slots) => slots[0], technicianId, paymentPlan = "after_service" } = {},
  ) {
    const addresses = await this.ok("GET", "/v1/me/addresses", { token: customer.token });
    const address = addresses.items[0];
    for (let d = fromDay; d < fromDay + days; d++) {
      const date = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(
        new Date(Date.now() + d * 86_400_000),
      );
      const q = new URLSearchParams({ serviceId, lat: String(address.lat), lng: String(address.lng), date });
      if (technicianId) q.set("technicianId", technicianId);
      const avail = await this.call("GET", `/v1/availability?${q}`, { token: customer.token });
      const free = avail.status === 200 ? avail.body.slots.filter((s) => s.available > 0) : [];
      if (free.length === 0) continue;
      const slot = pick(free);
      const quote = await this.ok("POST", "/v1/quotes", {
        token: customer.token,
        body: { serviceId, lat: address.lat, lng: address.lng, start: slot.start },
      });
      const r = await this.call("POST", "/v1/orders", {
        token: customer.token,
        key: `demo-${Date.now()}-${Math.random()}`,
        body: {
          quoteId: quote.id,
          addressId: address.id,
          start: slot.start,
          paymentPlan,
          ...(technicianId ? { technicianId } : {}),
        },
      });
      if (r.status === 201) return r.body;
      // Someone else took that time meanwhile: try the next day; anything else is a real failure.
      if (r.status !== 409) throw new Error(`POST /v1/orders → ${r.status} ${JSON.stringify(r.body)}`);
    }
    return null;
  }

  /**
   * Pays what is due on the order through the sandbox provider, as the customer's app would: the
   * payment, then the sandbox's signed notification through the verifying webhook code. Returns
   * the order afterwards (a paid booking is confirmed and dispatched).
   */
  async payWithSandbox(customer, orderId) {
    const payment = await this.ok("POST", `/v1/orders/${orderId}/payments`, {
      token: customer.token,
      key: `sandbox-${orderId}-${Date.now()}`,
      body: { provider: "sandbox" },
    });
    await this.ok("POST", `/v1/sandbox/payments/${payment.id}/pay`, { token: customer.token, body: {} });
    return this.ok("GET", `/v1/orders/${orderId}`, { token: customer.token });
  }

  /**
   * Walks an order assigned to `tech` through the whole visit in one go: accept, depart, arrive at
   * the address with a photo, start with the customer's code, complete with a photo.
   */
  async completeVisit(tech, orderId, startCode) {
    const step = async (action, body) => {
      const r = await this.act(tech, orderId, action, body);
      if (r.status !== 200) throw new Error(`${action} ${orderId} → ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const accepted = await step("accept");
    await step("depart");
    await this.photo(tech, orderId, "arrive");
    await step("arrive", accepted.location);
    await step("start", { code: startCode });
    await this.photo(tech, orderId, "complete");
    return step("complete");
  }

  online(tech, online = true) {
    return this.ok("POST", "/v1/technician/status", { token: tech.token, body: { online } });
  }

  position(tech, p) {
    return this.ok("POST", "/v1/technician/presence", { token: tech.token, body: { lat: p.lat, lng: p.lng, heading: p.heading } });
  }

  tasks(tech) {
    return this.ok("GET", "/v1/technician/tasks?limit=50", { token: tech.token });
  }

  act(tech, orderId, action, body = {}) {
    return this.call("POST", `/v1/technician/tasks/${orderId}/${action}`, { token: tech.token, body });
  }

  photo(tech, orderId, kind) {
    return this.call("POST", `/v1/technician/tasks/${orderId}/photos?kind=${kind}`, { token: tech.token, raw: JPEG, type: "image/jpeg" });
  }

  /**
   * Has every technician the order is offered to decline it until dispatch gives up and the order
   * waits in the operators' exception queue. Demo technicians sign in by their phone pattern.
   */
  async declineUntilQueued(operator, order) {
    let current = order;
    for (let i = 0; i < 8 && !current.exception; i++) {
      if (!current.technician) throw new Error(`order ${order.id} is offered to nobody and not queued`);
      const tech = await this.signIn(`+86139000000${current.technician.id.slice(-2)}`);
      const r = await this.act(tech, order.id, "decline");
      if (r.status !== 200) throw new Error(`decline → ${r.status} ${JSON.stringify(r.body)}`);
      current = await this.ok("GET", `/v1/admin/orders/${order.id}`, { token: operator.token });
    }
    return current;
  }
}
