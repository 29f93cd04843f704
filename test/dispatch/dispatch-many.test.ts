import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { cellToLatLng, latLngToCell } from "h3-js";
import { describe, expect, it } from "vitest";
import * as schema from "../../src/db/schema";
import { placeOrder } from "../../src/orders/booking.service";
import { batchFacts } from "../../src/dispatch/batch-dispatch.service";
import { at, book, newCustomer, quote } from "../support/booking";
import { runBatch } from "../support/cell";
import { freshCenter } from "../support/fixtures";
import { call } from "../support/http";
import { Pii } from "../../src/lib/pii";
import { createWorld, type World } from "../support/world";

/** D1 binds at most 100 parameters per statement; a real city has hundreds of technicians in reach of one job. */
const MANY = 300;

/** Approved technicians with the world's skill, homed within ~1 km of its centre (written to D1; cells sync their rosters from it). */
let worlds = 0;

async function insertTechnicians(w: World, count: number): Promise<string[]> {
  const db = drizzle(env.DB, { schema });
  const now = Date.now();
  const cell = latLngToCell(w.center.lat, w.center.lng, 5);
  worlds += 1;
  const pii = await Pii.fromEnv(env);
  const ids: string[] = [];
  for (let i = 0; i < count; i += 6) {
    const part = Array.from({ length: Math.min(6, count - i) }, (_, j) => {
      const n = i + j;
      const tag = `${w.cityId.slice(-6)}${String(n).padStart(4, "0")}`;
      return { n, account: `acc_many${tag}`, technician: `tch_many${tag}` };
    });
    await db.batch([
      db.insert(schema.accounts).values(
        await Promise.all(
          part.map(async (p) => {
            const phone = `+86157${String(worlds * 1000 + p.n).padStart(8, "0")}`;
            return {
              id: p.account,
              phoneEnc: await pii.encrypt("phone", phone),
              phoneHash: await pii.lookupHash(phone),
              name: `Tech ${p.n}`,
              roles: ["technician" as const],
              createdAt: now,
              updatedAt: now,
            };
          }),
        ),
      ),
      db.insert(schema.technicians).values(
        part.map((p) => ({
          id: p.technician,
          accountId: p.account,
          merchantId: null,
          name: `Tech ${p.n}`,
          skills: [w.skill],
          homeLat: w.center.lat + ((p.n % 17) - 8) * 0.0005,
          homeLng: w.center.lng + ((p.n % 13) - 6) * 0.0005,
          homeCell: cell,
          cityId: w.cityId,
          serviceRadiusKm: 30,
          status: "approved" as const,
          ratingX100: 400 + (p.n % 100),
          createdAt: now,
          updatedAt: now,
        })),
      ),
    ]);
    ids.push(...part.map((p) => p.technician));
  }
  return ids;
}

async function manyWorld(): Promise<{ w: World; ids: string[] }> {
  const p = freshCenter();
  const [lat, lng] = cellToLatLng(latLngToCell(p.lat, p.lng, 5));
  const w = await createWorld({ lat, lng });
  return { w, ids: await insertTechnicians(w, MANY) };
}

describe(`dispatch with ${MANY} technicians in reach of one job`, () => {
  it("books an auto-dispatched order and offers it to one of them", async () => {
    const { w, ids } = await manyWorld();
    const customer = await newCustomer(w.center);
    const res = await book(customer, await quote(w, customer, at(w, 2, "10:00")));
    expect(res.status).toBe(201);
    expect(res.body.status).toBe("assigned");
    expect(ids).toContain(res.body.technician.id);
  });

  it("matches a batch tick over all of them and offers the job", async () => {
    const { w, ids } = await manyWorld();
    const customer = await newCustomer(w.center);
    const q = await quote(w, customer, at(w, 2, "11:00"));
    const batch = { ...env, DISPATCH_STRATEGY: "batch", BATCH_INTERVAL_SECONDS: "3600" };
    const placed = await placeOrder(batch, customer.session.accountId, {
      quoteId: q.id,
      addressId: customer.addressId,
      start: q.start,
      paymentPlan: "after_service",
    });
    expect(placed.status).toBe("dispatching");
    await runBatch(latLngToCell(w.center.lat, w.center.lng, 5));
    const view = await call("GET", `/v1/orders/${placed.id}`, { token: customer.session.token });
    expect(view.body.status).toBe("assigned");
    expect(ids).toContain(view.body.technician.id);
    expect(view.body.timeline.at(-1).reason).toMatch(/^offered by a batch of 1/);
  });

  it("gathers the scoring history of every one of them for a batch tick", async () => {
    const { w, ids } = await manyWorld();
    const customers = await Promise.all(Array.from({ length: 3 }, () => newCustomer(w.center)));
    // a completed order for the last technician: its earnings must be found past the first hundred ids
    const last = ids.at(-1)!;
    const c = customers[0]!;
    const q = await quote(w, c, at(w, 3, "10:00"));
    const placed = await placeOrder(env, c.session.accountId, {
      quoteId: q.id,
      addressId: c.addressId,
      start: q.start,
      paymentPlan: "after_service",
    });
    await env.DB.prepare("UPDATE orders SET technician_id = ?, status = 'completed', updated_at = ? WHERE id = ?")
      .bind(last, Date.now(), placed.id)
      .run();
    const facts = await batchFacts(
      env,
      ids,
      customers.map((x) => x.session.accountId),
    );
    expect(facts.earnings[last]).toBeGreaterThan(0);
  });
});
