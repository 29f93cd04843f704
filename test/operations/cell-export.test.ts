import { describe, expect, it } from "vitest";
import { call, expectProblem, signIn, signInWithRoles, uniquePhone } from "../support/http";
import { auditActions, freshCenter, insertMerchant } from "../support/fixtures";
import { addTechnician, cellAt, createWorld, type World } from "../support/world";
import { at, book, newCustomer, quote } from "../support/booking";

async function bookAt(w: World, days: number, hhmm = "10:00") {
  const customer = await newCustomer(w.center);
  const res = await book(customer, await quote(w, customer, at(w, days, hhmm)));
  expect(res.status).toBe(201);
  return res.body;
}

/** Parses RFC 4180 CSV (quoted cells with doubled quotes, CRLF lines) into records by the header's names. */
function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  const endCell = () => {
    row.push(cell);
    cell = "";
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") endCell();
    else if (ch === "\r" && text[i + 1] === "\n") {
      endCell();
      rows.push(row);
      row = [];
      i++;
    } else cell += ch;
  }
  const [names = [], ...records] = rows;
  return records.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i] ?? ""])));
}

describe("GET /v1/admin/cells/{cell}/export", () => {
  it("exports the cell's bookings, holds and presence as JSON, times in UTC and the city's zone", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const s = await tech.session();
    expect((await call("POST", "/v1/technician/status", { token: s.token, body: { online: true } })).status).toBe(200);
    const pos = { lat: w.center.lat + 0.002, lng: w.center.lng + 0.003 };
    expect((await call("POST", "/v1/technician/presence", { token: s.token, body: pos })).status).toBe(200);
    const order = await bookAt(w, 2, "10:00");
    const cell = cellAt(w.center);
    const operator = await signInWithRoles(["operator"]);

    const res = await call("GET", `/v1/admin/cells/${cell}/export`, { token: operator.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ cell, cityId: w.cityId, timeZone: "Asia/Shanghai" });
    expect(res.body.technicians).toContainEqual(expect.objectContaining({ id: tech.id, state: "active" }));
    const interval = res.body.intervals.find((i: { orderId: string }) => i.orderId === order.id);
    expect(interval).toMatchObject({ technicianId: tech.id, state: "booked", expiresAt: { utc: null, local: null } });
    expect(interval.start.local).toBe(at(w, 2, "10:00"));
    expect(Date.parse(interval.start.utc)).toBe(Date.parse(at(w, 2, "10:00")));
    expect(interval.start.utc).toMatch(/Z$/);
    // The job's exact place (the customer's address) is not exported.
    expect(JSON.stringify(res.body.intervals)).not.toContain(String(w.center.lat));
    expect(res.body.presence).toContainEqual(expect.objectContaining({ technicianId: tech.id, online: true, lat: pos.lat, lng: pos.lng }));
    expect(await auditActions(cell)).toContain("cell.export");

    // A window that leaves the booking out.
    const later = await call(
      "GET",
      `/v1/admin/cells/${cell}/export?from=${encodeURIComponent(at(w, 5, "00:00"))}&to=${encodeURIComponent(at(w, 6, "00:00"))}`,
      {
        token: operator.token,
      },
    );
    expect(later.status).toBe(200);
    expect(later.body.intervals.map((i: { orderId: string }) => i.orderId)).not.toContain(order.id);
  });

  it("exports the same as CSV with cells neutralised", async () => {
    const w = await createWorld(freshCenter());
    // A technician whose name a spreadsheet would run as a formula.
    const created = await call("POST", "/v1/admin/technicians", {
      token: w.admin.token,
      body: { phone: uniquePhone(), name: '=HYPERLINK("http://evil","x")', skills: [w.skill], home: w.center, serviceRadiusKm: 30 },
    });
    expect(created.status).toBe(201);
    expect((await call("POST", `/v1/admin/technicians/${created.body.id}/approve`, { token: w.admin.token, body: {} })).status).toBe(200);
    const tech = { id: created.body.id as string };
    const order = await bookAt(w, 1, "14:00");
    const cell = cellAt(w.center);
    const res = await call("GET", `/v1/admin/cells/${cell}/export?format=csv`, { token: w.admin.token });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("text/csv");
    const text = res.body as string;
    expect(text.split("\r\n")[0]).toBe(
      "record,technicianId,technicianName,orderId,state,startUtc,startLocal,endUtc,endLocal,expiresAtUtc,online,lat,lng,lastSeenUtc,lastSeenLocal,timeZone",
    );
    const rows = parseCsv(text);
    const line = rows.find((r) => r.orderId === order.id);
    expect(line).toMatchObject({
      record: "interval",
      technicianId: tech.id,
      technicianName: `'=HYPERLINK("http://evil","x")`,
      state: "booked",
      startLocal: at(w, 1, "14:00"),
      timeZone: "Asia/Shanghai",
    });
    expect(Date.parse(line!.startUtc ?? "")).toBe(Date.parse(at(w, 1, "14:00")));
    // No cell starts with a formula character unquoted: a value starting with = + - @ is prefixed with '.
    for (const r of rows) for (const v of Object.values(r)) expect(v).not.toMatch(/^[=+@]/);
  });

  it("operators only; unknown cells 404; bad windows 400", async () => {
    const w = await createWorld(freshCenter());
    const cell = cellAt(w.center);
    const customer = await signIn();
    expectProblem(await call("GET", `/v1/admin/cells/${cell}/export`, { token: customer.token }), 403);
    const merchantAdmin = await signInWithRoles(["merchant_admin"], await insertMerchant());
    expectProblem(await call("GET", `/v1/admin/cells/${cell}/export`, { token: merchantAdmin.token }), 403);
    expectProblem(await call("GET", `/v1/admin/cells/${cell}/export`), 401);
    expectProblem(await call("GET", "/v1/admin/cells/85283473fffffff/export", { token: w.admin.token }), 404, "NOT_FOUND");
    expectProblem(await call("GET", "/v1/admin/cells/not-a-cell/export", { token: w.admin.token }), 400);
    const q = (from: string, to: string) => `/v1/admin/cells/${cell}/export?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    expectProblem(await call("GET", q("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"), { token: w.admin.token }), 400, "VALIDATION_FAILED");
    expectProblem(await call("GET", q("2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"), { token: w.admin.token }), 400, "VALIDATION_FAILED");
  });
});
