/**
 * Multi-moves across cells: an order given to a technician homed in a neighbouring cell, swaps
 * between cells, refusals in any cell, parallel moves onto one slot, and the repair of a move that
 * died between its steps. After each, every cell's calendar is what D1 says.
 */
import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { settleLapsedMoves } from "../../src/board";
import { runScheduled } from "../../src/scheduled";
import { call, expectProblem, signInWithRoles } from "../support/http";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { addTechnician, createWorld, neighbourPoint, type TestTechnician, type World } from "../support/world";
import { at, book, newCustomer, quote } from "../support/booking";

const HOUR = 3_600_000;

type Booked = { id: string; technician: { id: string }; start: string; end: string };

async function bookAt(w: World, hhmm: string, days = 2): Promise<Booked> {
  const c = await newCustomer(w.center);
  const res = await book(c, await quote(w, c, at(w, days, hhmm)));
  if (res.status !== 201) throw new Error(`book: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Booked;
}

interface Row {
  technician_id: string | null;
  hold_key: string | null;
  start_at: number;
  end_at: number;
  status: string;
  version: number;
}

const row = (orderId: string) =>
  env.DB.prepare("SELECT technician_id, hold_key, start_at, end_at, status, version FROM orders WHERE id = ?").bind(orderId).first<Row>();

const moveOf = (orderId: string, technicianId: string, start: number, hours = 2) => ({
  orderId,
  technicianId,
  start: new Date(start).toISOString(),
  end: new Date(start + hours * HOUR).toISOString(),
});

const moves = (token: string, cellId: string, list: unknown[]) =>
  call("POST", `/v1/admin/cells/${cellId}/moves`, { token, body: { moves: list } });

/** The cell's live intervals around `day` (keys of every order, ours or not). */
async function calendar(cell: string, day: number) {
  return (await env.CELL.getByName(cell).exportCalendar(day - 24 * HOUR, day + 48 * HOUR)).items;
}

/**
 * Every cell's calendar is what D1 says of `orders`: each order's key is in exactly the home cell of
 * its technician at D1's times, in no other cell, nothing else of the order anywhere (no orphan, no
 * missing interval), and no technician's intervals overlap in any cell.
 */
async function expectCellsAgree(cells: string[], homes: Map<string, string>, orders: string[], day: number) {
  const items = new Map<string, Awaited<ReturnType<typeof calendar>>>();
  for (const cell of cells) items.set(cell, await calendar(cell, day));
  for (const id of orders) {
    const r = (await row(id))!;
    for (const cell of cells) {
      const mine = items.get(cell)!.filter((i) => i.orderId.startsWith(`${id}:`));
      if (cell === homes.get(r.technician_id!))
        expect(mine, `${id} in ${cell}`).toEqual([
          expect.objectContaining({ orderId: r.hold_key, technicianId: r.technician_id, start: r.start_at, end: r.end_at }),
        ]);
      else expect(mine, `${id} not in ${cell}`).toEqual([]);
    }
  }
  for (const cell of cells) {
    const byTech = new Map<string, { start: number; end: number }[]>();
    for (const i of items.get(cell)!) byTech.set(i.technicianId, [...(byTech.get(i.technicianId) ?? []), i]);
    for (const list of byTech.values()) {
      list.sort((a, b) => a.start - b.start);
      for (let k = 1; k < list.length; k++) expect(list[k]!.start).toBeGreaterThanOrEqual(list[k - 1]!.end);
    }
  }
}

/**
 * Cell A (the world's centre) with `inA` technicians and cell B (a neighbour) with `inB`; one 10:00
 * order two days ahead per technician of A, then one per technician of B (booked after B's
 * technicians arrive, while A's are busy, so they go to B's).
 */
async function twoCells(inA = 1, inB = 1) {
  const w = await createWorld(freshCenter());
  const a: TestTechnician[] = [];
  for (let i = 0; i < inA; i++) a.push(await addTechnician(w, w.center));
  const cellA = a[0]!.homeCell;
  const ordersA: Booked[] = [];
  for (let i = 0; i < inA; i++) ordersA.push(await bookAt(w, "10:00"));
  const b: TestTechnician[] = [];
  for (let i = 0; i < inB; i++) b.push(await addTechnician(w, neighbourPoint(cellA)));
  const cellB = b[0]!.homeCell;
  expect(cellB).not.toBe(cellA);
  const ordersB: Booked[] = [];
  for (let i = 0; i < inB; i++) ordersB.push(await bookAt(w, "10:00"));
  for (const o of ordersB) expect(b.map((t) => t.id)).toContain(o.technician.id);
  const homes = new Map([...a, ...b].map((t) => [t.id, t.homeCell]));
  const ten = Date.parse(ordersA[0]!.start);
  return { w, a, b, cellA, cellB, ordersA, ordersB, homes, ten, all: [...ordersA, ...ordersB].map((o) => o.id) };
}

describe("multi-moves across cells", () => {
  it("the board lists the technicians of the neighbouring cells when asked, with their home cell and jobs", async () => {
    const { w, a, b, cellA, cellB, ordersB } = await twoCells();
    const day = ordersB[0]!.start.slice(0, 10);
    const plain = await call("GET", `/v1/admin/board?cellId=${cellA}&date=${day}`, { token: w.admin.token });
    expect(plain.status).toBe(200);
    expect(plain.body.neighbours).toBeUndefined();
    expect(plain.body.technicians.map((t: { id: string }) => t.id)).toEqual([a[0]!.id]);
    const res = await call("GET", `/v1/admin/board?cellId=${cellA}&date=${day}&neighbours=true`, { token: w.admin.token });
    expect(res.status).toBe(200);
    expect(res.body.technicians.map((t: { id: string }) => t.id)).toEqual([a[0]!.id]);
    const row = res.body.neighbours.find((t: { id: string }) => t.id === b[0]!.id);
    expect(row).toMatchObject({ homeCell: cellB, jobs: [expect.objectContaining({ orderId: ordersB[0]!.id })] });
    expect(row.shifts.length).toBeGreaterThan(0);
    expectProblem(await call("GET", `/v1/admin/board?cellId=${cellA}&date=${day}&neighbours=maybe`, { token: w.admin.token }), 400);
  });

  it("gives an order to a technician of a neighbouring cell: D1 and both cells follow", async () => {
    const { w, a, b, cellA, cellB, ordersA, homes, ten, all } = await twoCells();
    const o = ordersA[0]!;
    const key = (await row(o.id))!.hold_key;
    const res = await moves(w.admin.token, cellA, [moveOf(o.id, b[0]!.id, ten + 3 * HOUR)]);
    expect(res.status).toBe(200);
    expect(res.body.orders).toMatchObject([{ id: o.id, technicianId: b[0]!.id, status: "assigned" }]);
    expect(await row(o.id)).toMatchObject({ technician_id: b[0]!.id, hold_key: key, start_at: ten + 3 * HOUR });
    await expectCellsAgree([cellA, cellB], homes, all, ten);
    // The job left A: A's technician is free at 10:00 again.
    expect((await calendar(cellA, ten)).filter((i) => i.technicianId === a[0]!.id)).toEqual([]);
    // Settled: nothing is left for the repair.
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM cell_move_intents WHERE id = ?").bind(res.body.moveId).first("n")).toBe(0);
    const record = await env.DB.prepare("SELECT cell FROM cell_moves WHERE id = ?").bind(res.body.moveId).first<{ cell: string }>();
    expect(record?.cell).toBe(cellA);
  });

  it("swaps two jobs at the same time between technicians of two cells", async () => {
    const { w, a, b, cellA, cellB, ordersA, ordersB, homes, ten, all } = await twoCells();
    const res = await moves(w.admin.token, cellB, [moveOf(ordersA[0]!.id, b[0]!.id, ten), moveOf(ordersB[0]!.id, a[0]!.id, ten)]);
    expect(res.status).toBe(200);
    expect((await row(ordersA[0]!.id))!.technician_id).toBe(b[0]!.id);
    expect((await row(ordersB[0]!.id))!.technician_id).toBe(a[0]!.id);
    await expectCellsAgree([cellA, cellB], homes, all, ten);
  });

  it("a refusal in the second cell leaves the first cell and D1 as they were", async () => {
    const { w, a, b, cellA, cellB, ordersA, ordersB, homes, ten, all } = await twoCells(2, 1);
    const before = await Promise.all(all.map(row));
    const calA = await calendar(cellA, ten);
    const calB = await calendar(cellB, ten);
    // A's first job moves later within A (fine), A's second goes onto B's technician at B's job: clash in B.
    const res = await moves(w.admin.token, cellA, [
      moveOf(ordersA[0]!.id, ordersA[0]!.technician.id, ten + 3 * HOUR),
      moveOf(ordersA[1]!.id, b[0]!.id, ten),
    ]);
    expectProblem(res, 409, "MOVE_REFUSED");
    expect(res.body.failure).toMatchObject({ index: 1, orderId: ordersA[1]!.id, reason: "SLOT_UNAVAILABLE", clashWith: ordersB[0]!.id });
    expect(res.body.failure.message).toEqual({ zh: expect.any(String), en: expect.any(String) });
    expect(await Promise.all(all.map(row))).toEqual(before);
    expect(await calendar(cellA, ten)).toEqual(calA);
    expect(await calendar(cellB, ten)).toEqual(calB);
    await expectCellsAgree([cellA, cellB], homes, all, ten);
    expect(a).toHaveLength(2);
  });

  it("of many parallel moves of different jobs onto one slot of another cell, exactly one wins", async () => {
    const { w, b, cellA, cellB, ordersA, homes, ten, all } = await twoCells(4, 1);
    const slot = ten + 4 * HOUR;
    const results = await Promise.all(ordersA.map((o) => moves(w.admin.token, cellA, [moveOf(o.id, b[0]!.id, slot)])));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expectProblem(r, 409);
    const there = (await Promise.all(ordersA.map((o) => row(o.id)))).filter((r) => r!.technician_id === b[0]!.id && r!.start_at === slot);
    expect(there).toHaveLength(1);
    await expectCellsAgree([cellA, cellB], homes, all, ten);
  });

  it("after random sequences of moves across two cells, each cell's calendar is what D1 says", async () => {
    const { w, a, b, cellA, cellB, homes, ten, all } = await twoCells(2, 2);
    const techs = [...a, ...b].map((t) => t.id);
    const starts = [ten, ten + 3 * HOUR, ten + 6 * HOUR];
    const move = fc.record({ order: fc.nat(all.length - 1), tech: fc.nat(techs.length - 1), slot: fc.nat(starts.length - 1) });
    const change = fc.uniqueArray(move, { minLength: 1, maxLength: 3, selector: (m) => m.order });
    await fc.assert(
      fc.asyncProperty(fc.array(change, { minLength: 1, maxLength: 4 }), fc.boolean(), async (changes, fromB) => {
        for (const list of changes) {
          const res = await moves(
            w.admin.token,
            fromB ? cellB : cellA,
            list.map((m) => moveOf(all[m.order]!, techs[m.tech]!, starts[m.slot]!)),
          );
          expect([200, 409]).toContain(res.status);
          await expectCellsAgree([cellA, cellB], homes, all, ten);
        }
      }),
      { numRuns: 6 },
    );
  });

  it("a move that died between its steps is settled by the cron once its lease lapsed", async () => {
    const { w, b, cellA, cellB, ordersA, homes, ten, all } = await twoCells();
    const o = ordersA[0]!;
    const before = (await row(o.id))!;
    const key = before.hold_key!;
    const A = env.CELL.getByName(cellA);
    const B = env.CELL.getByName(cellB);
    const intent = (id: string, leaseUntil: number) =>
      env.DB.prepare(
        "INSERT INTO cell_move_intents (id, cell, cells, orders, lease_token, lease_until, attempts, created_at) VALUES (?, ?, ?, ?, 'lse_dead', ?, 0, ?)",
      )
        .bind(id, cellA, JSON.stringify([cellA, cellB]), JSON.stringify([{ orderId: o.id, key }]), leaseUntil, Date.now())
        .run();

    // 1. Died after the cells' first step, before D1: B holds the arriving interval, A still the old one.
    const place = { lat: w.center.lat, lng: w.center.lng };
    expect(await B.applyMoves([{ orderId: key, technicianId: b[0]!.id, start: ten + 3 * HOUR, end: ten + 5 * HOUR, place }])).toMatchObject(
      {
        ok: true,
      },
    );
    expect(await A.applyMoves([], { leaving: [key] })).toMatchObject({ ok: true });
    await intent("mov_dead1", Date.now() + 60_000);
    // Its lease still runs: the repair leaves it alone.
    expect(await settleLapsedMoves(env, Date.now())).toMatchObject({ settled: 0 });
    expect((await calendar(cellB, ten)).some((i) => i.orderId === key)).toBe(true);
    // Once it lapsed, B lets the interval go; A keeps it where D1 says.
    expect(await settleLapsedMoves(env, Date.now() + 120_000)).toMatchObject({ settled: 1, pending: 0 });
    expect(await row(o.id)).toEqual(before);
    await expectCellsAgree([cellA, cellB], homes, all, ten);

    // 2. Died after D1, before the old cell let go: a real move, then the old interval back in A.
    const res = await moves(w.admin.token, cellA, [moveOf(o.id, b[0]!.id, ten + 3 * HOUR)]);
    expect(res.status).toBe(200);
    expect(
      await A.settleMoves([{ orderId: key, technicianId: before.technician_id!, start: before.start_at, end: before.end_at, place }], []),
    ).toEqual({ ok: true });
    await intent("mov_dead2", Date.now() - 1);
    expect(await settleLapsedMoves(env)).toMatchObject({ settled: 1 });
    await expectCellsAgree([cellA, cellB], homes, all, ten);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM cell_move_intents").first("n")).toBe(0);
  });

  it("a move whose intent was taken over by the repair does not count in D1", async () => {
    const { w, b, cellA, cellB, ordersA, homes, ten, all } = await twoCells();
    const o = ordersA[0]!;
    const before = (await row(o.id))!;
    // Every intent's lease is taken as soon as it is written: the move's batch must fail and its cells go back.
    await env.DB.prepare(
      `CREATE TRIGGER steal_intent AFTER INSERT ON cell_move_intents BEGIN
         UPDATE cell_move_intents SET lease_token = 'lse_repair' WHERE id = NEW.id;
       END`,
    ).run();
    try {
      const res = await moves(w.admin.token, cellA, [moveOf(o.id, b[0]!.id, ten + 3 * HOUR)]);
      expectProblem(res, 409, "CONCURRENT_UPDATE");
    } finally {
      await env.DB.prepare("DROP TRIGGER steal_intent").run();
    }
    expect(await row(o.id)).toEqual(before);
    await expectCellsAgree([cellA, cellB], homes, all, ten);
  });

  it("a move within one cell holds an intent too: one that died after the cell moved is settled back to D1", async () => {
    const { w, a, cellA, cellB, ordersA, homes, ten, all } = await twoCells(2, 1);
    const o = ordersA[0]!;
    const before = (await row(o.id))!;
    const key = before.hold_key!;
    const other = a.find((t) => t.id !== before.technician_id)!;
    // A move that went through leaves no intent behind.
    const res = await moves(w.admin.token, cellA, [moveOf(ordersA[1]!.id, ordersA[1]!.technician.id, ten + 4 * HOUR)]);
    expect(res.status).toBe(200);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM cell_move_intents WHERE cell = ?").bind(cellA).first("n")).toBe(0);
    // Died after the cell moved the interval to the other technician (at 10:00, freed above), before D1 followed.
    const applied = await env.CELL.getByName(cellA).applyMoves([{ orderId: key, technicianId: other.id, start: ten, end: ten + 2 * HOUR }]);
    expect(applied, JSON.stringify(applied)).toMatchObject({ ok: true });
    await env.DB.prepare(
      "INSERT INTO cell_move_intents (id, cell, cells, orders, lease_token, lease_until, attempts, created_at) VALUES ('mov_dead_one', ?, ?, ?, 'lse_dead', ?, 0, ?)",
    )
      .bind(cellA, JSON.stringify([cellA]), JSON.stringify([{ orderId: o.id, key }]), Date.now() - 1, Date.now())
      .run();
    expect(await settleLapsedMoves(env)).toMatchObject({ settled: 1, pending: 0 });
    expect(await row(o.id)).toEqual(before);
    await expectCellsAgree([cellA, cellB], homes, all, ten);
  });

  it("a move within one cell whose intent was taken over does not count in D1, and the cell goes back", async () => {
    const { w, a, cellA, cellB, ordersA, homes, ten, all } = await twoCells(2, 1);
    const o = ordersA[0]!;
    const before = (await row(o.id))!;
    const other = a.find((t) => t.id !== before.technician_id)!;
    await env.DB.prepare(
      `CREATE TRIGGER steal_intent_one AFTER INSERT ON cell_move_intents BEGIN
         UPDATE cell_move_intents SET lease_token = 'lse_repair' WHERE id = NEW.id;
       END`,
    ).run();
    try {
      expectProblem(await moves(w.admin.token, cellA, [moveOf(o.id, other.id, ten + 6 * HOUR)]), 409, "CONCURRENT_UPDATE");
    } finally {
      await env.DB.prepare("DROP TRIGGER steal_intent_one").run();
    }
    expect(await row(o.id)).toEqual(before);
    await expectCellsAgree([cellA, cellB], homes, all, ten);
  });

  it("the every-minute cron settles a move left half-way", async () => {
    const { w, b, cellA, cellB, ordersA, homes, ten, all } = await twoCells();
    const o = ordersA[0]!;
    const key = (await row(o.id))!.hold_key!;
    const place = { lat: w.center.lat, lng: w.center.lng };
    await env.CELL.getByName(cellB).applyMoves([{ orderId: key, technicianId: b[0]!.id, start: ten, end: ten + 2 * HOUR, place }]);
    await env.DB.prepare(
      "INSERT INTO cell_move_intents (id, cell, cells, orders, lease_token, lease_until, attempts, created_at) VALUES ('mov_cron', ?, ?, ?, 'lse_dead', ?, 0, ?)",
    )
      .bind(cellA, JSON.stringify([cellA, cellB]), JSON.stringify([{ orderId: o.id, key }]), Date.now() - 1, Date.now())
      .run();
    await runScheduled(env);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM cell_move_intents WHERE id = 'mov_cron'").first("n")).toBe(0);
    await expectCellsAgree([cellA, cellB], homes, all, ten);
  });

  it("lets a merchant_admin move across cells only its merchant's orders and technicians", async () => {
    const merchantId = await insertMerchant();
    const w = await createWorld(freshCenter(), { merchantId });
    const mineA = await addTechnician(w, w.center, { merchantId });
    const o = await bookAt(w, "10:00");
    const mineB = await addTechnician(w, neighbourPoint(mineA.homeCell), { merchantId });
    const strangerB = await addTechnician(w, neighbourPoint(mineA.homeCell));
    expect(mineB.homeCell).not.toBe(mineA.homeCell);
    const mine = await signInWithRoles(["merchant_admin"], merchantId);
    const other = await signInWithRoles(["merchant_admin"], await insertMerchant());
    const start = Date.parse(o.start) + 3 * HOUR;
    const before = await row(o.id);
    expectProblem(await moves(other.token, mineA.homeCell, [moveOf(o.id, mineB.id, start)]), 404);
    expectProblem(await moves(mine.token, mineA.homeCell, [moveOf(o.id, strangerB.id, start)]), 404);
    expect(await row(o.id)).toEqual(before);
    expect((await moves(mine.token, mineA.homeCell, [moveOf(o.id, mineB.id, start)])).status).toBe(200);
    expect((await row(o.id))!.technician_id).toBe(mineB.id);
  });
});
