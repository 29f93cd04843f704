import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import websocketsDoc from "../../docs/websockets.md?raw";
import { StreamClientMessage, StreamServerMessage, TrackServerMessage } from "../../src/domain/socket-messages";
import { websocketsMarkdown } from "../../src/http/docs/websockets.markdown";
import { freshCenter } from "../support/fixtures";
import { call } from "../support/http";
import { listen, openTracking, visitTo } from "../support/visit";
import { addTechnician, createWorld } from "../support/world";

/** Every message parses with the documented schema, exactly (the schemas are strict: an extra field fails). */
function expectDocumented(schema: z.ZodType, messages: unknown[]) {
  for (const m of messages) {
    const parsed = schema.safeParse(m);
    expect(parsed.success ? "documented" : `${JSON.stringify(m)}: ${parsed.error.message}`).toBe("documented");
    expect(parsed.data).toEqual(m);
  }
}

describe("docs/websockets.md", () => {
  it("is what the schemas say (npm run docs:websockets rewrites it)", () => {
    expect(websocketsDoc).toBe(websocketsMarkdown());
  });

  it("the schemas refuse what the server does not send", () => {
    const position = {
      type: "position",
      technicianId: "tch_1",
      status: "online",
      lat: 31.2,
      lng: 121.4,
      heading: null,
      etaSeconds: 60,
      at: 1,
    };
    expect(TrackServerMessage.safeParse(position).success).toBe(true);
    expect(TrackServerMessage.safeParse({ ...position, extra: 1 }).success).toBe(false);
    expect(TrackServerMessage.safeParse({ ...position, status: "busy" }).success).toBe(false);
    expect(StreamServerMessage.safeParse({ type: "error", code: "SOMETHING_ELSE" }).success).toBe(false);
    expect(StreamServerMessage.safeParse({ type: "ack" }).success).toBe(false);
  });
});

describe("what real sockets send", () => {
  it("the tracking socket: the first position at once, then every status and position change", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const tech = await t.session();
    const { customer, order } = await visitTo(w, tech, "en_route");
    const res = await openTracking(customer.session.token, order.id);
    expect(res.status).toBe(101);
    const socket = listen(res.webSocket!);
    await socket.nth(1);
    await call("POST", "/v1/technician/status", { token: tech.token, body: { online: true } });
    await socket.nth(2);
    await call("POST", "/v1/technician/presence", {
      token: tech.token,
      body: { lat: w.center.lat + 0.02, lng: w.center.lng, heading: 90 },
    });
    await socket.nth(3);
    expect(socket.messages).toHaveLength(3);
    expectDocumented(TrackServerMessage, socket.messages);
    // The cases the schema allows for: nothing reported yet (nulls), then a position with an ETA.
    expect(socket.messages[0]).toMatchObject({ status: "offline", etaSeconds: null });
    expect(socket.messages[2]).toMatchObject({ status: "online", heading: 90 });
    expect(socket.messages[2].etaSeconds).toBeGreaterThan(0);
    res.webSocket!.close(1000, "done");
  });

  it("the technician stream: ack, pong and each kind of refusal", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    const ticket = await call("POST", "/v1/technician/stream/ticket", { token: tech.token });
    expect(ticket.status).toBe(201);
    const res = await exports.default.fetch(
      new Request(`http://doorstep.test/v1/technician/stream?ticket=${encodeURIComponent(ticket.body.ticket)}`, {
        headers: { Upgrade: "websocket" },
      }),
    );
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    const replies = listen(ws);
    const position = { type: "position", lat: w.center.lat, lng: w.center.lng, accuracy: 12, heading: 45, battery: 80 };
    expectDocumented(StreamClientMessage, [position, { type: "ping" }]);

    ws.send(JSON.stringify(position)); // off duty
    expect(await replies.nth(1)).toEqual({ type: "error", code: "OFF_DUTY" });
    await call("POST", "/v1/technician/status", { token: tech.token, body: { online: true } });
    ws.send(JSON.stringify(position));
    expect((await replies.nth(2)).type).toBe("ack");
    ws.send(JSON.stringify({ type: "ping" }));
    expect((await replies.nth(3)).type).toBe("pong");
    ws.send("not json");
    expect(await replies.nth(4)).toEqual({ type: "error", code: "MALFORMED_JSON" });
    ws.send(JSON.stringify({ type: "position", lat: 91, lng: 0 }));
    expect(await replies.nth(5)).toEqual({ type: "error", code: "VALIDATION_FAILED" });
    expect(StreamClientMessage.safeParse({ type: "position", lat: 91, lng: 0 }).success).toBe(false);

    expect(replies.messages).toHaveLength(5);
    expectDocumented(StreamServerMessage, replies.messages);
    expect(replies.messages[1].at).toBeGreaterThan(Date.now() - 60_000);
    ws.close(1000, "done");
  });
});
