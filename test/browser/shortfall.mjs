// A shortfall of technicians in the next hours of the demo city, made through the API whatever the
// time of day (the demo has no order history): every technician on shift all day, a customer books a
// visit in one of the next hours, and the technicians homed in that visit's cell take that day off.
// Shared by the pre-position browser tests.
import assert from "node:assert/strict";
import { latLngToCell } from "h3-js";

const CUSTOMER = "+8613700000001";
const CITY = "cty_demoShanghai";
const TIME_ZONE = "Asia/Shanghai";
const SERVICE = "svc_demoAcRepair"; // 60 minutes' lead time: bookable within the card's six hours
const HOUR = 3_600_000;
const ALL_DAY = Object.fromEntries(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [{ start: "00:00", end: "24:00" }]]));

const localDate = (ms) =>
  new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(ms));

/**
 * A shortfall in the next hours, through the API: every technician on shift all day, one visit
 * booked in the card's hours, and the technicians homed in the visit's cell off that day. Answers
 * the visit's cell and start.
 */
export async function makeShortfall(api, operator) {
  const token = operator.token;
  const techs = await api.ok("GET", `/v1/admin/technicians?city=${CITY}&status=approved&limit=100`, { token });
  assert.ok(techs.items.length > 10, "the demo's technicians");
  const putShifts = (id, exceptions = []) =>
    api.ok("PUT", `/v1/admin/technicians/${id}/shifts`, { token, body: { weekly: ALL_DAY, exceptions } });
  for (let i = 0; i < techs.items.length; i += 10) await Promise.all(techs.items.slice(i, i + 10).map((t) => putShifts(t.id)));

  // a visit starting in one of the card's hours after the next one begins (the forecast starts there)
  const customer = await api.signIn(CUSTOMER);
  const address = (await api.ok("GET", "/v1/me/addresses", { token: customer.token })).items[0];
  const now = Date.now();
  const first = Math.floor(now / HOUR) * HOUR + HOUR;
  const last = Math.floor(now / HOUR) * HOUR + 5 * HOUR; // the card's last hour starts here
  let order = null;
  for (const date of [...new Set([localDate(first), localDate(last)])]) {
    const q = new URLSearchParams({ serviceId: SERVICE, lat: String(address.lat), lng: String(address.lng), date });
    const avail = await api.ok("GET", `/v1/availability?${q}`, { token: customer.token });
    const slot = avail.slots.find((s) => s.available > 0 && Date.parse(s.start) >= first && Date.parse(s.start) < last + HOUR);
    if (!slot) continue;
    const quote = await api.ok("POST", "/v1/quotes", {
      token: customer.token,
      body: { serviceId: SERVICE, lat: address.lat, lng: address.lng, start: slot.start },
    });
    order = await api.ok("POST", "/v1/orders", {
      token: customer.token,
      key: `preposition-${now}`,
      body: { quoteId: quote.id, addressId: address.id, start: slot.start, paymentPlan: "after_service" },
    });
    break;
  }
  assert.ok(order, "a visit bookable in the card's hours");
  const start = Date.parse(order.start);

  // the visit's cell loses its own technicians that day: demand there, nobody on shift
  const { h3Resolution } = await api.ok("GET", "/v1/admin/settings/dispatch", { token });
  const cell = latLngToCell(address.lat, address.lng, h3Resolution);
  const homed = techs.items.filter((t) => t.homeCell === cell);
  await Promise.all(homed.map((t) => putShifts(t.id, [{ date: localDate(start), intervals: [] }])));
  assert.ok(
    techs.items.some((t) => t.homeCell !== cell),
    "technicians homed in other cells",
  );
  return { cell, start };
}
