/**
 * WebSocket upgrades from browsers use short-lived single-use tickets (src/http/socket-ticket.ts),
 * never an access token in the URL: a ticket names its route and its caller, expires, opens one
 * socket (the cell that takes the socket records it), and dies with a sign-out everywhere.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sign } from "../../src/lib/signed";
import { freshCenter } from "../support/fixtures";
import { at } from "../support/booking";
import { call, expectProblem, readAnswer, signIn, signInWithRoles } from "../support/http";
import { captureConsole } from "../support/log-scan";
import { listen, openTracking, trackTicket, visitTo } from "../support/visit";
import { addTechnician, createWorld } from "../support/world";

const refused = async (res: Response, status: number, code: string) => {
  expect(res.webSocket).toBeNull();
  expectProblem(await readAnswer(res), status, code);
};

describe("socket tickets", () => {
  it("open one socket of one route for the caller, within their lifetime; the URL never holds a token and the log never the ticket", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    const a = await visitTo(w, tech, "en_route");
    const b = await visitTo(w, tech, "en_route", { customer: a.customer, start: at(w, 3, "10:00") });

    const issued = await call("POST", `/v1/orders/${a.order.id}/track/ticket`, { token: a.customer.session.token });
    expect(issued.status).toBe(201);
    expect(issued.body.expiresIn).toBe(30);
    const ticket: string = issued.body.ticket;
    expect(ticket).not.toContain(a.customer.session.token);

    const logged = captureConsole().peek().length;
    // A ticket for order A does not open order B's socket (and is not spent by trying).
    await refused(await openTracking(null, b.order.id, { ticket }), 401, "INVALID_TICKET");
    const res = await openTracking(null, a.order.id, { ticket });
    expect(res.status).toBe(101);
    const socket = listen(res.webSocket!);
    expect((await socket.nth(1)).type).toBe("position");
    res.webSocket!.close(1000, "done");
    await refused(await openTracking(null, a.order.id, { ticket }), 401, "TICKET_USED");
    const lines = captureConsole().peek().slice(logged);
    expect(lines.some((l) => l.includes('"msg":"request"') && l.includes("/track"))).toBe(true);
    expect(lines.filter((l) => l.includes(ticket.slice(4, 40)))).toEqual([]);

    // Altered, or signed for another purpose (an access token), or expired: refused.
    await refused(await openTracking(null, a.order.id, { ticket: `${ticket.slice(0, -2)}xx` }), 401, "INVALID_TICKET");
    await refused(await openTracking(null, a.order.id, { ticket: a.customer.session.token }), 401, "INVALID_TICKET");
    const expired = await sign(env.JWT_SECRET, "socket-ticket", "wst_", {
      jti: "wst_expired",
      route: `/v1/orders/${a.order.id}/track`,
      exp: Date.now() - 1,
      sub: a.customer.session.accountId,
      roles: ["customer"],
      mid: null,
      tid: null,
      ver: 0,
    });
    await refused(await openTracking(null, a.order.id, { ticket: expired }), 401, "INVALID_TICKET");
    // The same claims, still valid, open it: so the refusal above was the expiry.
    const valid = await sign(env.JWT_SECRET, "socket-ticket", "wst_", {
      jti: "wst_valid",
      route: `/v1/orders/${a.order.id}/track`,
      exp: Date.now() + 10_000,
      sub: a.customer.session.accountId,
      roles: ["customer"],
      mid: null,
      tid: null,
      ver: 0,
    });
    const opened = await openTracking(null, a.order.id, { ticket: valid });
    expect(opened.status).toBe(101);
    opened.webSocket!.accept();
    opened.webSocket!.close(1000, "done");
  });

  it("are given only to the order's customer, and die with a sign-out everywhere", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    const { customer, order } = await visitTo(w, tech, "en_route");
    expectProblem(await call("POST", `/v1/orders/${order.id}/track/ticket`, { token: (await signIn()).token }), 404);
    expectProblem(await call("POST", `/v1/orders/${order.id}/track/ticket`, { token: (await signInWithRoles(["operator"])).token }), 403);
    expectProblem(await call("POST", `/v1/orders/${order.id}/track/ticket`, {}), 401);

    const ticket = await trackTicket(customer.session.token, order.id);
    expect((await call("POST", "/v1/auth/logout-all", { token: customer.session.token })).status).toBe(204);
    await refused(await openTracking(null, order.id, { ticket }), 401, "TOKEN_REVOKED");
  });
});
