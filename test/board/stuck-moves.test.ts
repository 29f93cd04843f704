/**
 * A multi-move the repair cannot settle (a clash in its cell) is kept and retried every minute; once
 * it has failed `MOVE_STUCK_NOTICE_ATTEMPTS` runs the operators are told once (never before) and it
 * is listed as stuck for its cells, until it settles.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { settleLapsedMoves } from "../../src/board";
import { call, expectProblem, signInWithRoles } from "../support/http";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { addTechnician, createWorld, type World } from "../support/world";
import { at, book, newCustomer, quote } from "../support/booking";

const HOUR = 3_600_000;
const KIND = "board.move_stuck";
/** Each run takes the intent's lease for two minutes: the next run comes after it. */
const RUN = 130_000;

async function bookAt(w: World, hhmm: string): Promise<{ id: string; technician: { id: string }; start: string }> {
  const c = await newCustomer(w.center);
  const res = await book(c, await quote(w, c, at(w, 2, hhmm)));
  if (res.status !== 201) throw new Error(`book: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const keyOf = async (orderId: string) =>
  (await env.DB.prepare("SELECT hold_key FROM orders WHERE id = ?").bind(orderId).first<{ hold_key: string }>())!.hold_key;

/** The notices of this move in an account's notification centre (through the API). */
async function noticesOf(token: string, moveId: string) {
  const res = await call("GET", "/v1/me/notifications?limit=100", { token });
  expect(res.status).toBe(200);
  return res.body.items.filter((n: { kind: string; data?: { moveId?: string } }) => n.kind === KIND && n.data?.moveId === moveId);
}

const stuck = (token: string, cell: string) => call("GET", `/v1/admin/cells/${cell}/stuck-moves`, { token });

/**
 * Two technicians of one cell with a 10:00 job each; a move of the first job died after the cell had
 * put the second technician's job into its slot: settling the first job back where D1 has it clashes.
 */
async function clashingIntent() {
  const w = await createWorld(freshCenter());
  const t0 = await addTechnician(w, w.center);
  await addTechnician(w, w.center);
  const o0 = await bookAt(w, "10:00");
  const o1 = await bookAt(w, "10:00");
  expect(o1.technician.id).not.toBe(o0.technician.id);
  const cell = t0.homeCell;
  const ten = Date.parse(o0.start);
  const [k0, k1] = [await keyOf(o0.id), await keyOf(o1.id)];
  const A = env.CELL.getByName(cell);
  const applied = await A.applyMoves([
    { orderId: k0, technicianId: o0.technician.id, start: ten + 4 * HOUR, end: ten + 6 * HOUR },
    { orderId: k1, technicianId: o0.technician.id, start: ten, end: ten + 2 * HOUR },
  ]);
  expect(applied, JSON.stringify(applied)).toMatchObject({ ok: true });
  const moveId = `mov_stuck_${crypto.randomUUID().slice(0, 8)}`;
  await env.DB.prepare(
    "INSERT INTO cell_move_intents (id, cell, cells, orders, lease_token, lease_until, attempts, created_at) VALUES (?, ?, ?, ?, 'lse_dead', ?, 0, ?)",
  )
    .bind(moveId, cell, JSON.stringify([cell]), JSON.stringify([{ orderId: o0.id, key: k0 }]), Date.now() - 1, Date.now())
    .run();
  // Puts the second job back on its own technician: the clash is gone.
  const unblock = async () =>
    expect(await A.applyMoves([{ orderId: k1, technicianId: o1.technician.id, start: ten, end: ten + 2 * HOUR }])).toMatchObject({
      ok: true,
    });
  return { w, cell, moveId, o0, o1, unblock };
}

describe("a multi-move the repair cannot settle", () => {
  it("is told to the operators once after N failed runs, never before, listed as stuck, and cleared once it settles", async () => {
    const { w, cell, moveId, o0, o1, unblock } = await clashingIntent();
    const operators = [await signInWithRoles(["operator"]), await signInWithRoles(["operator"])];
    const merchantAdmin = await signInWithRoles(["merchant_admin"], await insertMerchant());
    let now = Date.now();

    // wrangler.toml's MOVE_STUCK_NOTICE_ATTEMPTS is 5: four failed runs tell nobody.
    for (let run = 1; run <= 4; run++) {
      expect(await settleLapsedMoves(env, (now += RUN))).toEqual({ settled: 0, pending: 1 });
      for (const op of operators) expect(await noticesOf(op.token, moveId)).toEqual([]);
      expect((await stuck(w.admin.token, cell)).body).toEqual({ cellId: cell, items: [] });
    }

    // The fifth run, twice at once: one takes the intent, each operator is told once.
    const fifth = await Promise.all([settleLapsedMoves(env, (now += RUN)), settleLapsedMoves(env, now)]);
    expect(fifth.reduce((n, r) => n + r.pending, 0)).toBe(1);
    for (const op of operators) {
      const [n, ...more] = await noticesOf(op.token, moveId);
      expect(more).toEqual([]);
      expect(n.title).toEqual({ zh: "一次多单调整未能收尾", en: "A multi-move could not be settled" });
      for (const text of [n.body.zh, n.body.en]) {
        expect(text).toContain(cell);
        expect(text).toContain(o0.id);
        expect(text).not.toMatch(/1[3-9]\d{9}|路|road/i);
      }
      expect(n.data).toMatchObject({ moveId, cell, orderIds: [o0.id], attempts: 5 });
    }
    // A merchant's admin is not told (the move is the platform's to sort out).
    expect(await noticesOf(merchantAdmin.token, moveId)).toEqual([]);
    const listed = await stuck(w.admin.token, cell);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([
      expect.objectContaining({
        moveId,
        cell,
        cells: [cell],
        orderIds: [o0.id],
        attempts: 5,
        text: expect.objectContaining({ zh: expect.any(String) }),
      }),
    ]);
    // Only the cells the move touches list it.
    expect((await stuck(w.admin.token, "8631aa8a7ffffff")).body.items).toEqual([]);

    // Later failed runs tell nobody again.
    for (let run = 6; run <= 7; run++) expect(await settleLapsedMoves(env, (now += RUN))).toEqual({ settled: 0, pending: 1 });
    for (const op of operators) expect(await noticesOf(op.token, moveId)).toHaveLength(1);
    expect((await stuck(operators[0]!.token, cell)).body.items[0].attempts).toBe(7);

    // The clash goes: the next run settles it, it is listed no more, nobody is told again.
    await unblock();
    expect(await settleLapsedMoves(env, now + RUN)).toEqual({ settled: 1, pending: 0 });
    expect((await stuck(w.admin.token, cell)).body.items).toEqual([]);
    for (const op of operators) expect(await noticesOf(op.token, moveId)).toHaveLength(1);
    const calendar = (await env.CELL.getByName(cell).exportCalendar(Date.parse(o0.start) - 24 * HOUR, Date.parse(o0.start) + 48 * HOUR))
      .items;
    const row = (id: string) =>
      env.DB.prepare("SELECT technician_id, start_at FROM orders WHERE id = ?")
        .bind(id)
        .first<{ technician_id: string; start_at: number }>();
    for (const o of [o0, o1]) {
      const r = (await row(o.id))!;
      expect(calendar.filter((i) => i.orderId.startsWith(`${o.id}:`))).toEqual([
        expect.objectContaining({ technicianId: r.technician_id, start: r.start_at }),
      ]);
    }
  });

  it("nobody is told after one failed run; the list is for operators and admins only", async () => {
    const { w, cell, moveId } = await clashingIntent();
    const operator = await signInWithRoles(["operator"]);
    expect(await settleLapsedMoves(env, Date.now() + RUN)).toEqual({ settled: 0, pending: 1 });
    expect(await noticesOf(operator.token, moveId)).toEqual([]);
    expect((await stuck(operator.token, cell)).body.items).toEqual([]);
    const merchantAdmin = await signInWithRoles(["merchant_admin"], await insertMerchant());
    expectProblem(await stuck(merchantAdmin.token, cell), 403);
    expectProblem(await call("GET", `/v1/admin/cells/${cell}/stuck-moves`, {}), 401);
    expectProblem(await stuck(w.admin.token, "x".repeat(65)), 400);
  });
});
