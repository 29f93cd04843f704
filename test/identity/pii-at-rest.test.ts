import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { maskPhone } from "../../src/domain/phone";
import { Pii } from "../../src/lib/pii";
import { createCity, freshCenter, insertSkill } from "../support/fixtures";
import { at, book, newCustomer, quote } from "../support/booking";
import { call, signIn, signInAdmin, uniquePhone } from "../support/http";
import { addTechnician, createWorld } from "../support/world";

type Row = Record<string, unknown>;

async function rowsOf(table: string): Promise<Row[]> {
  return (await env.DB.prepare(`SELECT * FROM ${table}`).all<Row>()).results;
}

/** Every table of the database with its rows (D1's and SQLite's own tables aside). */
async function everyTable(): Promise<Map<string, Row[]>> {
  const { results } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
  ).all<{ name: string }>();
  const tables = new Map<string, Row[]>();
  for (const { name } of results) tables.set(name, await rowsOf(name));
  return tables;
}

/** The table.column cells whose value contains `needle`. */
function cellsContaining(tables: Map<string, Row[]>, needle: string): string[] {
  const hits: string[] = [];
  for (const [table, rows] of tables) {
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        if (value !== null && String(value).includes(needle)) hits.push(`${table}.${column}`);
      }
    }
  }
  return hits;
}

describe("personal data at rest", () => {
  it("stores no phone, address text or contact name in the clear, and the ciphertext decrypts back", async () => {
    const admin = await signInAdmin();
    // This file's cities live in latitudes 45–50.
    const city = await createCity(admin.token);
    const skill = await insertSkill();

    const customer = await signIn();
    const technicianPhone = uniquePhone();
    const contactPhone = uniquePhone();
    const suffix = crypto.randomUUID().slice(0, 8);
    const text = `杭州市西湖区文三路 ${suffix} 号 3 单元 502`;
    const contactName = `联系人${suffix}`;

    const technician = await call("POST", "/v1/admin/technicians", {
      token: admin.token,
      body: { phone: technicianPhone.slice(3), name: "赵师傅", skills: [skill], home: city.center },
    });
    expect(technician.status).toBe(201);
    const address = await call("POST", "/v1/me/addresses", {
      token: customer.token,
      body: { label: "家", text, lat: 30.27, lng: 120.15, contactName, contactPhone: contactPhone.slice(3) },
    });
    expect(address.status).toBe(201);

    const accounts = await rowsOf("accounts");
    const addresses = await rowsOf("addresses");
    const technicians = await rowsOf("technicians");
    const named = new Map([
      ["accounts", accounts],
      ["addresses", addresses],
      ["technicians", technicians],
    ]);
    const all = await everyTable();
    expect([...all.keys()]).toEqual(expect.arrayContaining(["accounts", "addresses", "technicians", "audit_log"]));

    const secrets = [customer.phone, technicianPhone, contactPhone].flatMap((p) => [p, p.slice(3)]).concat([text, contactName, suffix]);
    for (const secret of secrets) {
      expect(cellsContaining(named, secret), secret).toEqual([]);
      expect(cellsContaining(all, secret), secret).toEqual([]);
    }

    const pii = await Pii.fromEnv(env);
    const customerRow = accounts.find((r) => r.id === customer.accountId)!;
    expect(await pii.decrypt("phone", String(customerRow.phone_enc))).toBe(customer.phone);
    expect(customerRow.phone_hash).toBe(await pii.lookupHash(customer.phone));

    const technicianRow = technicians.find((r) => r.id === technician.body.id)!;
    const technicianAccount = accounts.find((r) => r.id === technicianRow.account_id)!;
    expect(await pii.decrypt("phone", String(technicianAccount.phone_enc))).toBe(technicianPhone);

    const addressRow = addresses.find((r) => r.id === address.body.id)!;
    expect(addressRow.account_id).toBe(customer.accountId);
    expect(await pii.decrypt("address", String(addressRow.text_enc))).toBe(text);
    expect(await pii.decrypt("contact_name", String(addressRow.contact_name_enc))).toBe(contactName);
    expect(await pii.decrypt("phone", String(addressRow.contact_phone_enc))).toBe(contactPhone);
    // Each ciphertext is bound to its field: moved to another column it no longer decrypts.
    await expect(pii.decrypt("phone", String(addressRow.text_enc))).rejects.toThrow();
  });

  it("keeps an order's start code only in ciphertext, in its stored idempotent answer too", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const q = await quote(w, customer, at(w, 2, "10:00"));
    const res = await book(customer, q, {}, "pii-key-1");
    expect(res.status).toBe(201);
    const code = String(res.body.startCode);
    const all = await everyTable();
    expect(cellsContaining(all, `"startCode":"${code}"`)).toEqual([]);
    // the replay still answers with it
    const again = await book(customer, q, {}, "pii-key-1");
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body.startCode).toBe(code);
  });

  it("masks a technician's phone for everyone but its owner, who sees it in full", async () => {
    const admin = await signInAdmin();
    const city = await createCity(admin.token);
    const skill = await insertSkill();
    const phone = uniquePhone();
    const created = await call("POST", "/v1/admin/technicians", {
      token: admin.token,
      body: { phone, name: "钱师傅", skills: [skill], home: city.center },
    });
    expect(created.status).toBe(201);
    const masked = `+86159****${phone.slice(-4)}`;
    expect(maskPhone(phone)).toBe(masked);
    expect(created.body.phone).toBe(masked);

    const list = await call("GET", `/v1/admin/technicians?city=${city.id}`, { token: admin.token });
    expect(list.body.items.map((t: { phone: string }) => t.phone)).toEqual([masked]);
    const one = await call("GET", `/v1/admin/technicians/${created.body.id}`, { token: admin.token });
    expect(one.body.phone).toBe(masked);
    for (const res of [created, list, one]) {
      expect(JSON.stringify(res.body)).not.toContain(phone.slice(3));
    }

    const owner = await signIn(phone);
    expect((await call("GET", "/v1/me", { token: owner.token })).body.phone).toBe(phone);
  });

  it("shows an address's contact phone in full to its owner only; anyone else gets 404 and nothing of it", async () => {
    const [owner, other] = [await signIn(), await signIn()];
    const contactPhone = uniquePhone();
    const saved = await call("POST", "/v1/me/addresses", {
      token: owner.token,
      body: { label: "家", text: "成都市武侯区 9 号", lat: 30.65, lng: 104.07, contactName: "孙先生", contactPhone },
    });
    expect(saved.body.contactPhone).toBe(contactPhone);
    expect((await call("GET", "/v1/me/addresses", { token: owner.token })).body.items[0].contactPhone).toBe(contactPhone);

    const foreign = await call("PATCH", `/v1/me/addresses/${saved.body.id}`, { token: other.token, body: { label: "x" } });
    expect(foreign.status).toBe(404);
    const theirs = await call("GET", "/v1/me/addresses", { token: other.token });
    expect(JSON.stringify([foreign.body, theirs.body])).not.toContain(contactPhone.slice(3));
  });
});
