import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectProblem, signIn, signInWithRoles, type Session } from "../support/http";
import { insertMerchant } from "../support/fixtures";
import { addTechnician, insertService, localDay, merchantWorld } from "../support/world";
import { at, newCustomer, waitFor } from "../support/booking";
import { visitTo } from "../support/visit";
import { cloneOrder } from "../support/clone";
import { zonedToUtc } from "../../src/domain/zoned";

/**
 * One world per file: a merchant's city with two technicians and two services, the survey's
 * questions (a choice, a required rating, a free text) configured by an operator, and one
 * completed visit whose orders the tests copy.
 */
async function build() {
  const { w, merchantId, merchantAdmin, tech, techSession } = await merchantWorld();
  const tech2 = await addTechnician(w, w.center, { merchantId });
  const service2 = await insertService({
    skills: [w.skill],
    cityId: w.cityId,
    leadTimeMinutes: 60,
    horizonDays: 14,
    durationMinutes: 60,
    merchantId,
  });
  const otherMerchant = await insertMerchant("Other");
  const operator = await signInWithRoles(["operator"]);
  const q = (body: unknown) => call("POST", "/v1/admin/survey-questions", { token: operator.token, body });
  const choice = await q({
    kind: "choice",
    prompt: { zh: "房间打扫得怎么样？", en: "How clean was it?" },
    options: [
      { id: "spotless", zh: "一尘不染", en: "Spotless" },
      { id: "fine", zh: "还可以", en: "Fine" },
      { id: "dirty", zh: "不干净", en: "Not clean" },
    ],
    position: 1,
  });
  const rating = await q({
    kind: "rating",
    prompt: { zh: "师傅准时吗？", en: "Was the technician on time?" },
    required: true,
    position: 2,
  });
  const text = await q({ kind: "text", prompt: { zh: "还有什么建议？", en: "Anything else?" }, position: 3 });
  for (const r of [choice, rating, text]) expect(r.status, JSON.stringify(r.body)).toBe(201);
  const visit = await visitTo(w, techSession, "completed", { start: at(w, 2, "10:00") });
  return {
    w,
    merchantId,
    merchantAdmin,
    operator,
    tech,
    tech2,
    service2,
    otherMerchant,
    visit,
    ids: { choice: choice.body.id as string, rating: rating.body.id as string, text: text.body.id as string },
  };
}
let shared: ReturnType<typeof build> | undefined;
const world = () => (shared ??= build());

/** A completed copy of the world's visit (same customer) with other columns changed. */
async function completedCopy(s: Awaited<ReturnType<typeof build>>, changes: Record<string, string | number | null> = {}) {
  return cloneOrder(s.visit.order.id, { status: "completed", completed_at: Date.now(), ...changes });
}

const survey = (token: string, orderId: string) => call("GET", `/v1/orders/${orderId}/survey`, { token });
const answer = (token: string, orderId: string, body: unknown) => call("POST", `/v1/orders/${orderId}/survey`, { token, body });
const stored = async (orderId: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM survey_responses WHERE order_id = ?").bind(orderId).first<{ n: number }>())!.n;

describe("configuring the survey", () => {
  it("lets operators add, edit and retire questions in both languages, and refuses bad questions and other roles", async () => {
    const s = await world();
    const token = s.operator.token;
    const list = await call("GET", "/v1/admin/survey-questions", { token });
    expect(list.status).toBe(200);
    const choice = list.body.items.find((x: { id: string }) => x.id === s.ids.choice);
    expect(choice).toMatchObject({ kind: "choice", prompt: { zh: "房间打扫得怎么样？", en: "How clean was it?" }, active: true });
    expect(choice.options.map((o: { id: string }) => o.id)).toEqual(["spotless", "fine", "dirty"]);
    expect(list.body.items.find((x: { id: string }) => x.id === s.ids.rating)).toMatchObject({ required: true, scale: { min: 1, max: 5 } });

    const before = list.body.items.length;
    const bad = [
      { kind: "choice", prompt: { zh: "一", en: "One" }, options: [{ zh: "只有一个", en: "Only one" }] },
      {
        kind: "rating",
        prompt: { zh: "一", en: "One" },
        options: [
          { zh: "甲", en: "A" },
          { zh: "乙", en: "B" },
        ],
      },
      {
        kind: "choice",
        prompt: { zh: "一", en: "One" },
        options: [
          { id: "a", zh: "甲", en: "A" },
          { id: "a", zh: "乙", en: "B" },
        ],
      },
      { kind: "text", prompt: { zh: "只有中文" } },
      { kind: "text", prompt: { zh: "一", en: "One" }, weight: 3 },
      { kind: "stars", prompt: { zh: "一", en: "One" } },
    ];
    for (const body of bad) expectProblem(await call("POST", "/v1/admin/survey-questions", { token, body }), 400, "VALIDATION_FAILED");
    expect((await call("GET", "/v1/admin/survey-questions", { token })).body.items).toHaveLength(before);
    const add = { kind: "text", prompt: { zh: "一", en: "One" } };
    expectProblem(await call("POST", "/v1/admin/survey-questions", { token: s.merchantAdmin.token, body: add }), 403);
    expectProblem(await call("POST", "/v1/admin/survey-questions", { token: s.visit.customer.session.token, body: add }), 403);

    // a question added then retired: asked in between, not after
    const extra = await call("POST", "/v1/admin/survey-questions", {
      token,
      body: { kind: "rating", prompt: { zh: "价格合理吗？", en: "Fair price?" }, position: 9 },
    });
    expect(extra.status).toBe(201);
    const asked = async () =>
      (await survey(s.visit.customer.session.token, s.visit.order.id)).body.questions.map((x: { id: string }) => x.id) as string[];
    expect(await asked()).toEqual([s.ids.choice, s.ids.rating, s.ids.text, extra.body.id]);
    const edited = await call("PATCH", `/v1/admin/survey-questions/${extra.body.id}`, {
      token,
      body: { prompt: { zh: "价格公道吗？", en: "Was the price fair?" }, active: false },
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ prompt: { zh: "价格公道吗？", en: "Was the price fair?" }, active: false });
    expect(await asked()).toEqual([s.ids.choice, s.ids.rating, s.ids.text]);
    expectProblem(
      await call("PATCH", `/v1/admin/survey-questions/${extra.body.id}`, {
        token,
        body: {
          options: [
            { zh: "甲", en: "A" },
            { zh: "乙", en: "B" },
          ],
        },
      }),
      400,
      "VALIDATION_FAILED",
    );
    expectProblem(await call("PATCH", "/v1/admin/survey-questions/sq_nope", { token, body: { active: false } }), 404, "NOT_FOUND");
  });
});

describe("answering the survey", () => {
  it("invites the customer with a link after completion and takes one answer per order: 409 the second time, also when racing", async () => {
    const s = await world();
    const customer = s.visit.customer.session;
    const inbox = await waitFor(
      () => call("GET", "/v1/me/notifications", { token: customer.token }),
      (r) =>
        r.body.items.some(
          (n: { kind: string; data: { orderId?: string } }) => n.kind === "survey.invite" && n.data.orderId === s.visit.order.id,
        ),
      15_000,
    );
    const invite = inbox.body.items.find((n: { kind: string }) => n.kind === "survey.invite");
    expect(invite.data.link).toBe(`/v1/orders/${s.visit.order.id}/survey`);
    expect(invite.title).toEqual({ zh: "邀请您参与满意度调查", en: "A short satisfaction survey" });

    const open = await survey(customer.token, s.visit.order.id);
    expect(open.status).toBe(200);
    expect(open.body).toMatchObject({ orderId: s.visit.order.id, status: "open", response: null, nps: { min: 0, max: 10 } });
    expect(open.body.nps.prompt.en).toContain("recommend");

    const body = {
      nps: 10,
      answers: [
        { questionId: s.ids.choice, value: "spotless" },
        { questionId: s.ids.rating, value: 5 },
        { questionId: s.ids.text, value: "  很好  " },
      ],
    };
    const first = await answer(customer.token, s.visit.order.id, body);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.answers).toEqual([
      { questionId: s.ids.choice, kind: "choice", value: "spotless" },
      { questionId: s.ids.rating, kind: "rating", value: 5 },
      { questionId: s.ids.text, kind: "text", value: "很好" },
    ]);
    expectProblem(await answer(customer.token, s.visit.order.id, { ...body, nps: 3 }), 409, "SURVEY_ALREADY_ANSWERED");
    expect(await stored(s.visit.order.id)).toBe(1);
    const answered = await survey(customer.token, s.visit.order.id);
    expect(answered.body).toMatchObject({ status: "answered", response: { id: first.body.id, nps: 10 } });
    // separate from the review: the order can still be reviewed
    const review = await call("GET", `/v1/orders/${s.visit.order.id}/review`, { token: customer.token });
    expect(review.status).toBe(404);

    const raced = await completedCopy(s);
    const both = await Promise.all(
      [0, 1].map(() => answer(customer.token, raced, { nps: 7, answers: [{ questionId: s.ids.rating, value: 3 }] })),
    );
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(await stored(raced)).toBe(1);
  });

  it("refuses strangers, technicians and staff, orders not completed and answers after the window", async () => {
    const s = await world();
    const body = { nps: 8, answers: [{ questionId: s.ids.rating, value: 4 }] };
    const order = await completedCopy(s);
    const stranger = (await newCustomer(s.w.center)).session;
    expectProblem(await survey(stranger.token, order), 404, "NOT_FOUND");
    expectProblem(await answer(stranger.token, order, body), 404, "NOT_FOUND");
    // the order's technician (an account that may book too) does not reach it either
    expectProblem(await answer((await s.tech.session()).token, order, body), 404);
    expectProblem(await answer(s.operator.token, order, body), 403);
    expectProblem(await answer(s.visit.customer.session.token, "ord_nope", body), 404);
    expectProblem(await call("POST", `/v1/orders/${order}/survey`, { body }), 401);
    expect(await stored(order)).toBe(0);

    const running = await completedCopy(s, { status: "in_service", completed_at: null });
    expectProblem(await survey(s.visit.customer.session.token, running), 409, "INVALID_STATE");
    expectProblem(await answer(s.visit.customer.session.token, running, body), 409, "INVALID_STATE");

    const late = await completedCopy(s, { completed_at: Date.now() - 31 * 86_400_000 });
    expect((await survey(s.visit.customer.session.token, late)).body.status).toBe("closed");
    const closed = await answer(s.visit.customer.session.token, late, body);
    expectProblem(closed, 409, "SURVEY_WINDOW_CLOSED");
    expect(closed.body.detail).toContain("30");
    expect(await stored(late)).toBe(0);

    // the window is the configured one: 29 days after completion is still open
    const inTime = await completedCopy(s, { completed_at: Date.now() - 29 * 86_400_000 });
    expect((await answer(s.visit.customer.session.token, inTime, body)).status).toBe(201);
  });

  it("answers 400 problem+json with the path for each bad answer and stores nothing", async () => {
    const s = await world();
    const token = s.visit.customer.session.token;
    const order = await completedCopy(s);
    const ok = { questionId: s.ids.rating, value: 4 };
    const cases: [unknown, string][] = [
      [{ nps: 11, answers: [ok] }, "body.nps"],
      [{ nps: -1, answers: [ok] }, "body.nps"],
      [{ nps: 7.5, answers: [ok] }, "body.nps"],
      [{ answers: [ok] }, "body.nps"],
      [{ nps: 8, answers: [] }, "body.answers"],
      [{ nps: 8, answers: [ok, { questionId: s.ids.choice, value: "sparkling" }] }, "body.answers.1.value"],
      [{ nps: 8, answers: [ok, { questionId: s.ids.choice, value: 1 }] }, "body.answers.1.value"],
      [{ nps: 8, answers: [{ questionId: s.ids.rating, value: 6 }] }, "body.answers.0.value"],
      [{ nps: 8, answers: [{ questionId: s.ids.rating, value: 0 }] }, "body.answers.0.value"],
      [{ nps: 8, answers: [{ questionId: s.ids.rating, value: "5" }] }, "body.answers.0.value"],
      [{ nps: 8, answers: [ok, { questionId: s.ids.text, value: "   " }] }, "body.answers.1.value"],
      [{ nps: 8, answers: [ok, { questionId: "sq_unknown", value: "x" }] }, "body.answers.1.questionId"],
      [{ nps: 8, answers: [ok, ok] }, "body.answers.1.questionId"],
      [{ nps: 8, answers: [ok], extra: true }, ""],
    ];
    for (const [body, path] of cases) {
      const res = await answer(token, order, body);
      expectProblem(res, 400, "VALIDATION_FAILED");
      expect(res.headers.get("Content-Type")).toContain("application/problem+json");
      if (path)
        expect(
          res.body.errors.map((e: { path: string }) => e.path),
          JSON.stringify(body),
        ).toContain(path);
    }
    expect(await stored(order)).toBe(0);
    expect((await answer(token, order, { nps: 8, answers: [ok] })).status).toBe(201);
  });
});

describe("survey reports", () => {
  it("give the NPS with its counts by day, technician, service and merchant, per merchant for its admin, empty periods included", async () => {
    const base = await world();
    // A city of its own so the figures are exactly this dataset's.
    const { w, merchantId, merchantAdmin, tech, techSession } = await merchantWorld();
    const tech2 = await addTechnician(w, w.center, { merchantId });
    const service2 = await insertService({
      skills: [w.skill],
      cityId: w.cityId,
      leadTimeMinutes: 60,
      horizonDays: 14,
      durationMinutes: 60,
      merchantId,
    });
    const visit = await visitTo(w, techSession, "completed", { start: at(w, 2, "10:00") });
    const token = visit.customer.session.token;
    const start = (days: number, hhmm: string) => zonedToUtc(localDay(w.timeZone, days), Number(hhmm.slice(0, 2)) * 60, w.timeZone);
    const copy = (c: Record<string, string | number | null>) =>
      cloneOrder(visit.order.id, { status: "completed", completed_at: Date.now(), ...c });
    const o1 = await copy({ start_at: start(2, "11:00"), end_at: start(2, "13:00") });
    const o2 = await copy({ technician_id: tech2.id, service_id: service2, start_at: start(4, "10:00"), end_at: start(4, "11:00") });
    const o3 = await copy({ technician_id: tech2.id, start_at: start(4, "12:00"), end_at: start(4, "14:00") });
    const o4 = await copy({
      service_id: service2,
      merchant_id: base.otherMerchant,
      start_at: start(4, "14:00"),
      end_at: start(4, "15:00"),
    });
    const o5 = await copy({ start_at: start(5, "10:00"), end_at: start(5, "12:00") });
    const rate = (v: number, choice?: string) => [
      { questionId: base.ids.rating, value: v },
      ...(choice ? [{ questionId: base.ids.choice, value: choice }] : []),
    ];
    for (const [order, nps, answers] of [
      [visit.order.id, 10, rate(5, "spotless")],
      [o1, 9, rate(4, "spotless")],
      [o2, 6, rate(2, "dirty")],
      [o3, 9, rate(5)],
      [o4, 0, rate(1, "dirty")],
      [o5, 7, rate(3, "fine")],
    ] as const) {
      const res = await answer(token, order, { nps, answers });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    // By hand: promoters 10, 9, 9; passive 7; detractors 6, 0 → (3 − 2) / 6 = 16.7
    const range = `city=${w.cityId}&from=${localDay(w.timeZone, 0)}&to=${localDay(w.timeZone, 6)}`;
    const report = async (query: string, session: Session = base.operator) => {
      const res = await call("GET", `/v1/admin/reports/survey?${query}`, { token: session.token });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    };
    const byDay = await report(`${range}&by=day`);
    expect(byDay.totals).toEqual({ responses: 6, promoters: 3, passives: 1, detractors: 2, nps: 16.7 });
    expect(byDay.columns).toEqual(["key", "label", "responses", "promoters", "passives", "detractors", "nps"]);
    expect(byDay.rows.map((r: { key: string; responses: number; nps: number | null }) => [r.key, r.responses, r.nps])).toEqual([
      [localDay(w.timeZone, 0), 0, null],
      [localDay(w.timeZone, 1), 0, null],
      [localDay(w.timeZone, 2), 2, 100],
      [localDay(w.timeZone, 3), 0, null],
      [localDay(w.timeZone, 4), 3, -33.3],
      [localDay(w.timeZone, 5), 1, 0],
      [localDay(w.timeZone, 6), 0, null],
    ]);
    const byTech = await report(`${range}&by=technician`);
    expect(
      byTech.rows.map((r: Record<string, unknown>) => [r.key, r.label, r.responses, r.promoters, r.passives, r.detractors, r.nps]),
    ).toEqual([
      [tech.id, expect.stringMatching(/^Tech /), 4, 2, 1, 1, 25],
      [tech2.id, expect.stringMatching(/^Tech /), 2, 1, 0, 1, 0],
    ]);
    const byService = await report(`${range}&by=service`);
    expect(byService.rows.map((r: Record<string, unknown>) => [r.key, r.responses, r.nps])).toEqual([
      [w.serviceId, 4, 75],
      [service2, 2, -100],
    ]);
    const byMerchant = await report(`${range}&by=merchant`);
    expect(byMerchant.rows.map((r: Record<string, unknown>) => [r.key, r.label, r.responses, r.nps])).toEqual([
      [merchantId, "Test Merchant", 5, 40],
      [base.otherMerchant, "Other", 1, -100],
    ]);
    const byWeek = await report(`${range}&by=week`);
    expect(byWeek.rows.reduce((a: number, r: { responses: number }) => a + r.responses, 0)).toBe(6);
    expect(byWeek.rows.every((r: { key: string }) => new Date(`${r.key}T00:00:00Z`).getUTCDay() === 1)).toBe(true);

    // the merchant's admin sees its own merchant's responses only, whatever city it asks for
    const own = await report(`${range}&by=merchant`, merchantAdmin);
    expect(own.rows.map((r: Record<string, unknown>) => [r.key, r.responses, r.nps])).toEqual([[merchantId, 5, 40]]);
    expect(own.totals).toMatchObject({ responses: 5, nps: 40 });
    const stranger = await signInWithRoles(["merchant_admin"], await insertMerchant("Nobody"));
    expect((await report(`${range}&by=day`, stranger)).totals).toEqual({
      responses: 0,
      promoters: 0,
      passives: 0,
      detractors: 0,
      nps: null,
    });

    // an empty period: zero counts and no score
    const empty = await report(`city=${w.cityId}&from=${localDay(w.timeZone, 8)}&to=${localDay(w.timeZone, 9)}&by=day`);
    expect(empty.totals).toEqual({ responses: 0, promoters: 0, passives: 0, detractors: 0, nps: null });
    expect(empty.rows.map((r: { responses: number; nps: number | null }) => [r.responses, r.nps])).toEqual([
      [0, null],
      [0, null],
    ]);

    // every city for operators: this city's six and the other city's answered ones
    const all = await report(`from=${localDay(w.timeZone, 0)}&to=${localDay(w.timeZone, 6)}&by=merchant`);
    expect(all.cityId).toBeNull();
    expect(all.totals.responses).toBeGreaterThanOrEqual(7);

    // the configured questions' answers: ratings' mean and counts, choices by option
    const answers = await call("GET", `/v1/admin/reports/survey-answers?${range}`, { token: base.operator.token });
    expect(answers.status).toBe(200);
    const row = (q: string, a: string) =>
      answers.body.rows.find((r: { questionId: string; answer: string }) => r.questionId === q && r.answer === a);
    expect(row(base.ids.rating, "5")).toMatchObject({ answered: 6, meanRating: 3.33, count: 2, prompt: "师傅准时吗？" });
    expect(row(base.ids.choice, "dirty")).toMatchObject({ answered: 5, count: 2, label: "不干净" });
    expect(row(base.ids.choice, "fine")).toMatchObject({ count: 1, label: "还可以" });

    // CSV like the other reports
    const csv = await call("GET", `/v1/admin/reports/survey?${range}&by=technician&format=csv`, { token: base.operator.token });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("Content-Disposition")).toMatch(new RegExp(`^attachment; filename="survey-by-technician-${w.cityId}-`));
    const lines = (csv.body as string).trimEnd().split("\r\n");
    expect(lines[0]).toBe("key,label,responses,promoters,passives,detractors,nps");
    expect(lines[1]).toBe(`"${tech.id}","${byTech.rows[0].label}","4","2","1","1","25"`);

    expectProblem(
      await call("GET", `/v1/admin/reports/survey?${range}&by=customer`, { token: base.operator.token }),
      400,
      "VALIDATION_FAILED",
    );
    expectProblem(await call("GET", `/v1/admin/reports/survey?city=cty_nope`, { token: base.operator.token }), 404);
    expectProblem(await call("GET", `/v1/admin/reports/survey?${range}`, { token: (await signIn()).token }), 403);
  });
});
