// Technician credit: the score stays within 0–1000 and adds up to its history, facts count once each
// even in parallel, rewards/penalties/appeals keep the ledger balanced, levels are recalculated, and
// dispatch ranks a higher level first all else equal.
import { env } from "cloudflare:test";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { recordCreditFact, recalculateLevels, type CreditFact } from "../../src/credit";
import { CREDIT_REASONS, type CreditReason } from "../../src/domain/credit";
import { DEFAULT_WEIGHTS, candidateFacts, rank } from "../../src/domain/dispatch";
import { noticesFor } from "../../src/domain/notifications";
import { call, signInWithRoles, type Session } from "../support/http";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { addTechnician, createWorld, type TestTechnician, type World } from "../support/world";
import { expectBalanced, ledgerOf } from "../support/payments";

const FIXED = (Object.keys(CREDIT_REASONS) as CreditReason[]).filter(
  (r) => CREDIT_REASONS[r].points !== null && CREDIT_REASONS[r].points !== 0,
);

async function scoreOf(id: string): Promise<number> {
  return (await env.DB.prepare("SELECT credit_score AS s FROM technicians WHERE id = ?").bind(id).first<{ s: number }>())!.s;
}
/** The outbox messages about a technician of a credit topic, oldest first. */
async function creditMessages(technicianId: string) {
  const rows = await env.DB.prepare("SELECT id, topic, payload FROM outbox WHERE topic LIKE 'credit.%' ORDER BY rowid").all<{
    id: string;
    topic: string;
    payload: string;
  }>();
  return rows.results
    .map((r) => ({ id: r.id, topic: r.topic, payload: JSON.parse(r.payload) as Record<string, unknown> }))
    .filter((m) => m.payload.technicianId === technicianId);
}

async function historyOf(id: string) {
  return (
    await env.DB.prepare(
      "SELECT points, score_after, kind, reason_code FROM technician_credit_events WHERE technician_id = ? ORDER BY rowid",
    )
      .bind(id)
      .all<{ points: number; score_after: number; kind: string; reason_code: string }>()
  ).results;
}
const fact = (technicianId: string, reasonCode: CreditReason, sourceId: string, points?: number): CreditFact => ({
  technicianId,
  kind: CREDIT_REASONS[reasonCode].kind,
  sourceType: "test",
  sourceId,
  reasonCode,
  points,
});

let w: World;
let tech: TestTechnician;
let operator: Session;
let operator2: Session;
beforeAll(async () => {
  w = await createWorld(freshCenter());
  [tech, operator, operator2] = await Promise.all([
    addTechnician(w, w.center),
    signInWithRoles(["operator"]),
    signInWithRoles(["operator"]),
  ]);
});

describe("credit score", () => {
  it("stays within 0–1000 and equals 600 plus the sum of the history's points under random facts (property)", async () => {
    const t = await addTechnician(w, w.center);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.constantFrom(...FIXED).map((r) => ({ r, points: undefined as number | undefined })),
            fc.integer({ min: 1, max: 400 }).map((p) => ({ r: "REWARD_PRAISE" as CreditReason, points: p })),
            fc.integer({ min: 1, max: 400 }).map((p) => ({ r: "PENALTY_MISCONDUCT" as CreditReason, points: -p })),
          ),
          { minLength: 1, maxLength: 12 },
        ),
        async (facts) => {
          for (const f of facts) {
            const score = await recordCreditFact(env, fact(t.id, f.r, `p${n++}`, f.points));
            expect(score).toBeGreaterThanOrEqual(0);
            expect(score).toBeLessThanOrEqual(1000);
          }
          const history = await historyOf(t.id);
          const score = await scoreOf(t.id);
          expect(score).toBe(600 + history.reduce((s, e) => s + e.points, 0));
          for (const e of history) expect(e.score_after >= 0 && e.score_after <= 1000).toBe(true);
          expect(history.at(-1)!.score_after).toBe(score);
        },
      ),
      { numRuns: 15 },
    );
  });

  it("counts many facts at once each exactly once, and the same fact twice once", async () => {
    const t = await addTechnician(w, w.center);
    const before = await scoreOf(t.id);
    await Promise.all(Array.from({ length: 25 }, (_, i) => recordCreditFact(env, fact(t.id, "RATING_5", `many${i}`))));
    expect(await scoreOf(t.id)).toBe(before + 25 * 2);
    const same = await Promise.all(Array.from({ length: 6 }, () => recordCreditFact(env, fact(t.id, "NO_SHOW", "once"))));
    expect(await scoreOf(t.id)).toBe(before + 50 - 40);
    expect(same.every((s) => s === before + 10)).toBe(true);
    expect((await historyOf(t.id)).length).toBe(26);
  });

  it("refuses an unknown technician with 404 and records nothing", async () => {
    await expect(recordCreditFact(env, fact("tch_nobody", "RATING_1", "x"))).rejects.toMatchObject({ status: 404 });
  });

  it("shows the technician their score, level and paged history with texts in their language", async () => {
    const t = await addTechnician(w, w.center);
    for (let i = 0; i < 3; i++) await recordCreditFact(env, fact(t.id, "OFFER_DECLINED", `h${i}`));
    const s = await t.session();
    const mine = await call("GET", "/v1/technician/credit", { token: s.token });
    expect(mine.body).toMatchObject({ score: 594, level: "trainee", levelName: "见习" });
    const p1 = await call("GET", "/v1/technician/credit/history?limit=2", { token: s.token, headers: { "Accept-Language": "en" } });
    expect(p1.body.items).toHaveLength(2);
    expect(p1.body.items[0].reason).toEqual({ code: "OFFER_DECLINED", text: "Declined an offered order" });
    const p2 = await call("GET", `/v1/technician/credit/history?limit=2&cursor=${p1.body.nextCursor}`, { token: s.token });
    expect(p2.body.items).toHaveLength(1);
    expect(p2.body.items[0].reason.text).toBe("拒绝派单");
    expect(p2.body.nextCursor).toBeNull();
  });
});

describe("rewards, penalties and appeals", () => {
  const decide = (body: Record<string, unknown>, s = operator) =>
    call("POST", `/v1/admin/technicians/${tech.id}/credit/decisions`, { token: s.token, body });
  const balance = async () =>
    Number(
      (await env.DB.prepare("SELECT coalesce(sum(amount), 0) AS s FROM ledger_entries WHERE account = ?")
        .bind(`technician_payable:${tech.id}`)
        .first<{ s: number }>())!.s,
    );

  it("moves money through balanced ledger transactions; a granted appeal gives money and points back", async () => {
    const start = await scoreOf(tech.id);
    const reward = await decide({ kind: "reward", reasonCode: "REWARD_PRAISE", amount: 5000, points: 10 });
    expect(reward.status).toBe(201);
    expect(await balance()).toBe(-5000); // a liability: the platform owes the technician ¥50
    const penalty = await decide({ kind: "penalty", reasonCode: "PENALTY_DAMAGE", amount: 8000, points: 20, note: "打碎花瓶" });
    expect(penalty.status).toBe(201);
    // The deduction may exceed the balance: the technician owes ¥30, offset against later earnings.
    expect(await balance()).toBe(3000);
    expect(await scoreOf(tech.id)).toBe(start - 10);

    const s = await tech.session();
    const appeal = await call("POST", `/v1/technician/credit/decisions/${penalty.body.id}/appeal`, {
      token: s.token,
      body: { reason: "不是我" },
    });
    expect(appeal.status).toBe(201);
    const again = await call("POST", `/v1/technician/credit/decisions/${penalty.body.id}/appeal`, {
      token: s.token,
      body: { reason: "再次" },
    });
    expect(again.body.code).toBe("CREDIT_APPEAL_OPEN");
    const onReward = await call("POST", `/v1/technician/credit/decisions/${reward.body.id}/appeal`, {
      token: s.token,
      body: { reason: "x" },
    });
    expect(onReward.body.code).toBe("CREDIT_NOT_APPEALABLE");

    const queue = await call("GET", "/v1/admin/credit/appeals", { token: operator.token });
    expect(queue.body.items.map((a: { id: string }) => a.id)).toContain(appeal.body.id);

    // Two staff decide at once: exactly one wins.
    const [a, b] = await Promise.all([
      call("POST", `/v1/admin/credit/appeals/${appeal.body.id}/decision`, { token: operator.token, body: { outcome: "granted" } }),
      call("POST", `/v1/admin/credit/appeals/${appeal.body.id}/decision`, {
        token: operator2.token,
        body: { outcome: "granted", note: "同意" },
      }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect([a, b].find((r) => r.status === 409)!.body.code).toBe("CREDIT_APPEAL_DECIDED");
    expect(await balance()).toBe(-5000);
    expect(await scoreOf(tech.id)).toBe(start + 10);

    const txs = (await ledgerOf()).filter((t) => [reward.body.id, penalty.body.id].includes(t.ref));
    expect(txs.map((t) => t.kind).sort()).toEqual(["credit_penalty", "credit_reversal", "credit_reward"]);
    expectBalanced(txs);
    expectBalanced(await ledgerOf());

    const decisions = await call("GET", `/v1/admin/technicians/${tech.id}/credit/decisions`, { token: operator.token });
    const reversed = decisions.body.items.find((d: { id: string }) => d.id === penalty.body.id);
    expect(reversed).toMatchObject({ status: "reversed", appeals: [{ status: "granted" }] });
    const audit = await env.DB.prepare("SELECT action FROM audit_log WHERE action LIKE 'credit.%' ORDER BY seq").all<{ action: string }>();
    expect(audit.results.map((r) => r.action)).toEqual(
      expect.arrayContaining(["credit.reward", "credit.penalty", "credit.appeal", "credit.appeal.granted"]),
    );
    const denyLate = await call("POST", `/v1/admin/credit/appeals/${appeal.body.id}/decision`, {
      token: operator.token,
      body: { outcome: "denied" },
    });
    expect(denyLate.body.code).toBe("CREDIT_APPEAL_DECIDED");

    // The technician is told of each decision and of the appeal's outcome once (the losing decider tells nobody).
    const told = await creditMessages(tech.id);
    expect(told.map((m) => m.topic)).toEqual(["credit.decision", "credit.decision", "credit.appeal_decided"]);
    const notices = told.flatMap((m) => noticesFor(m));
    expect(notices.map((n) => [n.audience, n.kind])).toEqual([
      ["technician", "credit.reward"],
      ["technician", "credit.penalty"],
      ["technician", "credit.appeal.granted"],
    ]);
    expect(notices[0]!.body).toEqual({
      zh: "奖励：客户表扬：信用分 +10，奖励 ¥50.00。",
      en: "Reward: praised by a customer: credit score +10, bonus ¥50.00.",
    });
    expect(notices[1]!.body.zh).toContain("处罚：损坏客户财物：信用分 -20，扣款 ¥80.00");
    expect(notices[1]!.channels).toContain("sms");
  });

  it("refuses an empty decision and a reason of the other kind, changing nothing", async () => {
    const before = await balance();
    expect((await decide({ kind: "penalty", reasonCode: "PENALTY_DAMAGE", amount: 0, points: 0 })).body.code).toBe("CREDIT_DECISION_EMPTY");
    const wrong = await decide({ kind: "reward", reasonCode: "PENALTY_DAMAGE", amount: 100, points: 0 });
    expect(wrong.status).toBe(400);
    expect(await balance()).toBe(before);
  });

  it("is for platform staff only", async () => {
    const merchantAdmin = await signInWithRoles(["merchant_admin"], await insertMerchant("Credit M"));
    expect((await decide({ kind: "reward", reasonCode: "REWARD_PRAISE", amount: 1, points: 0 }, merchantAdmin)).status).toBe(403);
  });
});

describe("levels", () => {
  it("are recalculated nightly from score and completed jobs under the configured thresholds, each change on the history", async () => {
    const t = await addTechnician(w, w.center);
    const rules = {
      thresholds: { standard: { minScore: 600, minJobs: 0 }, gold: { minScore: 700, minJobs: 0 }, diamond: { minScore: 990, minJobs: 5 } },
      technicianShareBps: { trainee: null, standard: null, gold: 9000, diamond: null },
    };
    const falling = { ...rules, thresholds: { ...rules.thresholds, gold: { minScore: 500, minJobs: 0 } } };
    expect((await call("PUT", "/v1/admin/settings/credit", { token: operator.token, body: falling })).status).toBe(400);
    expect((await call("PUT", "/v1/admin/settings/credit", { token: operator.token, body: rules })).status).toBe(200);
    const now = Date.now();
    await recalculateLevels(env, now);
    expect((await call("GET", `/v1/admin/technicians/${t.id}/credit`, { token: operator.token })).body.level).toBe("standard");
    await recordCreditFact(env, fact(t.id, "REWARD_PRAISE", "lvl", 150));
    await recalculateLevels(env, now + 86_400_000);
    await recalculateLevels(env, now + 86_400_000);
    const lines = (await historyOf(t.id)).filter((e) => e.kind === "recalculated");
    expect(lines.map((e) => e.reason_code)).toEqual(["LEVEL_UP", "LEVEL_UP"]);
    expect((await call("GET", `/v1/admin/technicians/${t.id}/credit`, { token: operator.token })).body).toMatchObject({
      level: "gold",
      score: 750,
    });
    // 1000 points but no completed jobs: never diamond.
    await recordCreditFact(env, fact(t.id, "REWARD_PRAISE", "lvl2", 400));
    await recalculateLevels(env, now + 2 * 86_400_000);
    expect((await call("GET", `/v1/admin/technicians/${t.id}/credit`, { token: operator.token })).body.level).toBe("gold");
    // A penalty below the gold threshold lowers the level at the next recalculation.
    await recordCreditFact(env, fact(t.id, "PENALTY_MISCONDUCT", "lvl3", -350));
    await recalculateLevels(env, now + 3 * 86_400_000);
    expect((await historyOf(t.id)).filter((e) => e.kind === "recalculated").at(-1)!.reason_code).toBe("LEVEL_DOWN");
    // each change told once, with the level names in both languages
    const told = (await creditMessages(t.id)).filter((m) => m.topic === "credit.level_changed");
    expect(told.map((m) => [m.payload.from, m.payload.to])).toEqual([
      ["trainee", "standard"],
      ["standard", "gold"],
      ["gold", "standard"],
    ]);
    const last = noticesFor(told[2]!)[0]!;
    expect(last).toMatchObject({
      audience: "technician",
      kind: "credit.level.down",
      title: { zh: "等级调整为标准", en: "Your level is now Standard" },
    });
    await recalculateLevels(env, now + 3 * 86_400_000);
    expect((await creditMessages(t.id)).filter((m) => m.topic === "credit.level_changed")).toHaveLength(3);
  });
});

describe("dispatch ranking", () => {
  it("prefers the higher level, all else equal, and weighs it by the level weight", () => {
    const base = { travelKm: 3, ratingX100: 480, jobsThatDay: 1 };
    const standing = new Map([
      ["tch_a", { level: "trainee" as const, creditScore: 600 }],
      ["tch_b", { level: "gold" as const, creditScore: 600 }],
    ]);
    const known = { earnings: () => 0, acceptance: () => 0.9, favourite: () => false, standing: (id: string) => standing.get(id) };
    const facts = ["tch_a", "tch_b"].map((id) => candidateFacts({ technicianId: id, ...base }, known));
    const ranked = rank(facts, DEFAULT_WEIGHTS);
    expect(ranked.map((c) => c.technicianId)).toEqual(["tch_b", "tch_a"]);
    expect(ranked[0]!.breakdown.level).toBeGreaterThan(ranked[1]!.breakdown.level);
    // With the level weight at 0 the tie is broken by id.
    expect(rank(facts, { ...DEFAULT_WEIGHTS, level: 0 }).map((c) => c.technicianId)).toEqual(["tch_a", "tch_b"]);
  });
});
