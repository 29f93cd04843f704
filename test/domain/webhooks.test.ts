import { describe, expect, it } from "vitest";
import { addressRefusal, checkUrl, eventBody, eventsOf, truncated, webhookRetryDelay } from "../../src/domain/webhooks";
import type { OutboxMessage } from "../../src/domain/outbox";

const refusal = (url: string, allowLocalHttp = false) => {
  const r = checkUrl(url, { allowLocalHttp });
  return r.ok ? null : r.reason;
};

describe("the webhook URL check without DNS", () => {
  it("refuses literal private, loopback, link-local and metadata addresses in every spelling the URL parser takes", () => {
    const cases: [string, string][] = [
      ["https://10.0.0.1/", "private_address"],
      ["https://172.16.5.4/", "private_address"],
      ["https://172.31.255.255/", "private_address"],
      ["https://192.168.1.1/", "private_address"],
      ["https://100.64.0.1/", "private_address"],
      ["https://0.0.0.0/", "private_address"],
      ["https://224.0.0.1/", "private_address"],
      ["https://127.0.0.1/", "loopback_address"],
      ["https://127.1/", "loopback_address"],
      ["https://0x7f000001/", "loopback_address"],
      ["https://2130706433/", "loopback_address"],
      ["https://017700000001/", "loopback_address"],
      ["https://169.254.169.254/", "metadata_address"],
      ["https://169.254.10.1/", "link_local_address"],
      ["https://100.100.100.200/", "metadata_address"],
      ["https://[::1]/", "loopback_address"],
      ["https://[::]/", "private_address"],
      ["https://[::ffff:127.0.0.1]/", "loopback_address"],
      ["https://[::ffff:7f00:1]/", "loopback_address"],
      ["https://[::ffff:169.254.169.254]/", "metadata_address"],
      ["https://[64:ff9b::a00:1]/", "private_address"],
      ["https://[fe80::1]/", "link_local_address"],
      ["https://[fd00:ec2::254]/", "metadata_address"],
      ["https://[fc00::1]/", "private_address"],
      ["https://[ff02::1]/", "private_address"],
      ["https://localhost/", "local_name"],
      ["https://LOCALHOST./", "local_name"],
      ["https://printer.local/", "local_name"],
      ["https://db.internal/", "local_name"],
      ["https://intranet/", "local_name"],
      ["https://metadata.google.internal/", "metadata_address"],
      ["http://hooks.example.com/", "not_https"],
      ["ftp://hooks.example.com/", "not_https"],
      ["https://a:b@hooks.example.com/", "credentials_in_url"],
      ["not a url", "invalid_url"],
    ];
    for (const [url, reason] of cases) expect(refusal(url), url).toBe(reason);
  });

  it("passes public addresses and DNS names, naming the name that is still to resolve", () => {
    expect(checkUrl("https://93.184.216.34/in", { allowLocalHttp: false })).toMatchObject({ ok: true, dnsName: null });
    expect(checkUrl("https://[2606:4700::1111]/in", { allowLocalHttp: false })).toMatchObject({ ok: true, dnsName: null });
    expect(checkUrl("https://Hooks.Example.com:8443/in?x=1", { allowLocalHttp: false })).toMatchObject({
      ok: true,
      dnsName: "hooks.example.com",
    });
    expect(refusal("https://172.32.0.1/")).toBeNull();
    expect(refusal("https://11.0.0.1/")).toBeNull();
  });

  it("takes plain http only to 127.0.0.1 and only when allowed", () => {
    expect(refusal("http://127.0.0.1:8788/in")).toBe("not_https");
    expect(refusal("http://127.0.0.1:8788/in", true)).toBeNull();
    expect(refusal("http://localhost:8788/in", true)).toBe("not_https");
    expect(refusal("http://10.0.0.1/in", true)).toBe("not_https");
    expect(refusal("https://127.0.0.1/in", true)).toBe("loopback_address");
  });

  it("judges resolved addresses the same way", () => {
    expect(addressRefusal("10.1.1.1")).toBe("private_address");
    expect(addressRefusal("::1")).toBe("loopback_address");
    expect(addressRefusal("8.8.8.8")).toBeNull();
    expect(addressRefusal("2001:4860:4860::8888")).toBeNull();
  });
});

describe("webhook events", () => {
  const status = (from: string | null, to: string): OutboxMessage => ({
    id: "msg_01ABC",
    topic: "order.status",
    payload: { orderId: "ord_1", customerId: "acc_1", technicianId: null, from, to, reason: "r" },
  });

  it("maps outbox messages to the event types integrators subscribe to, with stable ids", () => {
    expect(eventsOf(status(null, "pending_payment")).map((e) => e.type)).toEqual(["order.created"]);
    expect(eventsOf(status(null, "assigned")).map((e) => e.type)).toEqual(["order.created", "order.assigned"]);
    expect(eventsOf(status("pending_payment", "confirmed")).map((e) => e.type)).toEqual(["order.confirmed"]);
    expect(eventsOf(status("dispatching", "assigned")).map((e) => e.type)).toEqual(["order.assigned"]);
    expect(eventsOf(status("in_service", "completed")).map((e) => e.type)).toEqual(["order.completed"]);
    expect(eventsOf(status("confirmed", "cancelled")).map((e) => e.type)).toEqual(["order.cancelled"]);
    expect(eventsOf(status("assigned", "accepted"))).toEqual([]);
    const [a] = eventsOf(status(null, "pending_payment"));
    const [b] = eventsOf(status(null, "pending_payment"));
    expect(a!.id).toBe(b!.id);
    expect(eventsOf(status(null, "assigned"))[1]!.id).not.toBe(a!.id);
    const review: OutboxMessage = {
      id: "msg_2",
      topic: "review.created",
      payload: { orderId: "ord_1", customerId: "acc_1", technicianId: "tch_1", reviewId: "rev_1", overall: 4 },
    };
    expect(eventsOf(review)).toMatchObject([{ type: "review.posted", data: { reviewId: "rev_1", overall: 4 } }]);
    const withdrawal: OutboxMessage = {
      id: "msg_3",
      topic: "withdrawal.paid",
      payload: { withdrawalId: "wd_1", technicianId: "t", amount: 1 },
    };
    expect(eventsOf(withdrawal)).toEqual([]);
  });

  it("writes the body integrators receive, without the customer's id", () => {
    const [e] = eventsOf(status(null, "pending_payment"));
    const body = JSON.parse(eventBody(e!, "mch_1", Date.UTC(2026, 0, 2)));
    expect(body).toEqual({
      id: e!.id,
      type: "order.created",
      createdAt: "2026-01-02T00:00:00.000Z",
      data: { orderId: "ord_1", status: "pending_payment", previousStatus: null, technicianId: null, reason: "r", merchantId: "mch_1" },
    });
  });

  it("retries after the base delay, doubling, never longer than an hour", () => {
    expect([1, 2, 3, 4].map((n) => webhookRetryDelay(30, n))).toEqual([30, 60, 120, 240]);
    expect(webhookRetryDelay(30, 12)).toBe(3600);
    expect(webhookRetryDelay(0, 5)).toBe(0);
  });

  it("cuts logged bodies and says how much was left out", () => {
    expect(truncated("abc", 5)).toBe("abc");
    expect(truncated("abcdefgh", 5)).toBe("abcde…[3 more]");
  });
});
