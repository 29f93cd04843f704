/**
 * Every console line of real requests (sign-in, a booking, the queue work it starts) is one JSON
 * object with the request's id, route pattern, status and latency, and holds no phone, code,
 * token or address: they all go through the one logger (src/lib/log.ts) and its redaction.
 */
import { describe, expect, it } from "vitest";
import { freshCenter } from "../support/fixtures";
import { book, newCustomer, quote, at } from "../support/booking";
import { call, uniquePhone } from "../support/http";
import { captureConsole } from "../support/log-scan";
import { addTechnician, createWorld } from "../support/world";

const capture = captureConsole();

/** The lines written while `work` runs (kept for the file's leak scan too). */
async function linesOf(work: () => Promise<void>): Promise<string[]> {
  const from = capture.peek().length;
  await work();
  // Let what the requests left running after their answers (queue sends, consumers) write too.
  await new Promise((r) => setTimeout(r, 300));
  return capture.peek().slice(from);
}

describe("structured logs", () => {
  it("sign-in: every line is JSON with the route pattern, and neither the phone nor the code appears", async () => {
    const phone = uniquePhone();
    let devCode = "";
    let token = "";
    const lines = await linesOf(async () => {
      const otp = await call("POST", "/v1/auth/otp", { body: { phone } });
      expect(otp.status).toBe(202);
      devCode = otp.body.devCode;
      const signedIn = await call("POST", "/v1/auth/token", { body: { phone, code: devCode } });
      expect(signedIn.status).toBe(200);
      token = signedIn.body.accessToken;
      expect((await call("GET", "/v1/me", { token })).status).toBe(200);
    });
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const [i, line] of lines.entries()) {
      expect(typeof parsed[i]!.level, line).toBe("string");
      expect(typeof parsed[i]!.msg, line).toBe("string");
      expect(line).not.toContain(phone.slice(3));
      expect(line).not.toContain(devCode);
      expect(line).not.toContain(token.split(".")[2]!);
    }
    const requests = parsed.filter((l) => l.msg === "request");
    expect(requests.map((r) => r.route)).toEqual(["/v1/auth/otp", "/v1/auth/token", "/v1/me"]);
    for (const r of requests) {
      expect(r).toMatchObject({
        method: expect.any(String),
        status: expect.any(Number),
        ms: expect.any(Number),
        requestId: expect.any(String),
      });
      expect(r).not.toHaveProperty("path");
    }
    expect(requests[2]).toMatchObject({ accountId: expect.stringMatching(/^acc_/), roles: ["customer"] });
  });

  it("a booking: the route is the pattern (no order id), and no line holds the address or contact phone", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    let orderId = "";
    const lines = await linesOf(async () => {
      const q = await quote(w, c, at(w, 2, "10:00"));
      const o = await book(c, q, { technicianId: t.id });
      expect(o.status).toBe(201);
      orderId = o.body.id;
      expect((await call("GET", `/v1/orders/${orderId}`, { token: c.session.token })).status).toBe(200);
    });
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const routes = parsed.filter((l) => l.msg === "request").map((l) => l.route);
    expect(routes).toEqual(expect.arrayContaining(["/v1/quotes", "/v1/orders", "/v1/orders/:id"]));
    for (const line of lines) {
      expect(line).not.toContain("测试路 1 号");
      expect(line).not.toContain("13912345678");
      expect(line).not.toContain(c.session.phone.slice(3));
    }
    // The order id is in no request line's route (it is a pattern), though other lines may name the order.
    for (const r of parsed.filter((l) => l.msg === "request")) expect(String(r.route)).not.toContain(orderId);
  });
});
