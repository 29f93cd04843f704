/**
 * The satisfaction survey after a completed visit, separate from the review: the NPS question
 * (0–10) and the questions operators configured (single choice, rating 1–5, free text; texts in
 * zh-CN and en). The completion notice links to it (src/domain/notifications.ts, `survey.invite`).
 * One response per order, by the order's customer, within SURVEY_WINDOW_DAYS of completion; the
 * reports give the NPS by service, merchant, technician and over time, with the counts behind it.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { findOrder, type OrderRow } from "../db/repositories/orders.repo";
import { REVIEWABLE } from "../db/repositories/reviews.repo";
import { catalogNames } from "../db/repositories/dashboard.repo";
import { appendAudit } from "../db/repositories/audit.repo";
import * as S from "../domain/surveys";
import { weekOf } from "../domain/growth";
import { localDate } from "../domain/zoned";
import type { Auth } from "../env";
import { AppError, invalid, notFound } from "../errors";
import { newId } from "../lib/ids";
import { scopedRange } from "../reports";
import * as repo from "./surveys.repo";

/** The NPS question, asked first in every survey. */
export const NPS_PROMPT = {
  zh: "您有多大可能向亲友推荐我们？（0–10 分）",
  en: "How likely are you to recommend us to a friend or family member? (0–10)",
};

const DAY_MS = 86_400_000;
const windowDays = (env: Env) => config(env).SURVEY_WINDOW_DAYS;
const completedAt = (o: OrderRow) => o.completedAt ?? o.updatedAt;

export interface QuestionInput {
  kind: S.QuestionKind;
  prompt: { zh: string; en: string };
  options?: { id?: string; zh: string; en: string }[];
  required?: boolean;
  position?: number;
}

function questionView(q: repo.QuestionRow) {
  return {
    id: q.id,
    kind: q.kind,
    prompt: { zh: q.promptZh, en: q.promptEn },
    options: q.options,
    ...(q.kind === "rating" ? { scale: { min: 1, max: S.RATING_MAX } } : {}),
    required: q.required,
    position: q.position,
    active: q.active,
    updatedAt: new Date(q.updatedAt).toISOString(),
  };
}

/** A choice question's options with their ids (given, or o1, o2, … by position); 400 when the kind and options do not fit. */
function optionsFor(kind: S.QuestionKind, options: QuestionInput["options"], path = "body.options") {
  if (kind !== "choice") {
    if (options && options.length > 0) throw invalid([{ path, message: "only a choice question has options" }]);
    return [];
  }
  if (!options || options.length < 2) throw invalid([{ path, message: "a choice question needs 2 to 10 options" }]);
  const withIds = options.map((o, i) => ({ id: o.id ?? `o${i + 1}`, zh: o.zh.trim(), en: o.en.trim() }));
  if (new Set(withIds.map((o) => o.id)).size !== withIds.length) throw invalid([{ path, message: "option ids must differ" }]);
  return withIds;
}

/** Every configured question, the retired ones too (operators). */
export async function questions(env: Env) {
  return { items: (await repo.listQuestions(getDb(env), false)).map(questionView) };
}

/** Adds a question to the survey (asked from now on); audited. */
export async function addQuestion(env: Env, actor: Auth, input: QuestionInput) {
  const now = Date.now();
  const row: repo.QuestionRow = {
    id: newId("sq", now),
    kind: input.kind,
    promptZh: input.prompt.zh.trim(),
    promptEn: input.prompt.en.trim(),
    options: optionsFor(input.kind, input.options),
    required: input.required ?? false,
    position: input.position ?? 0,
    active: true,
    createdBy: actor.accountId,
    createdAt: now,
    updatedAt: now,
  };
  const db = getDb(env);
  await repo.insertQuestion(db, row);
  await appendAudit(db, {
    actorId: actor.accountId,
    action: "survey.question_added",
    targetType: "survey_question",
    targetId: row.id,
    data: { kind: row.kind },
  });
  return questionView(row);
}

/** Edits a question's texts, options, order, whether it is required, or retires it (active: false); audited. */
export async function editQuestion(env: Env, actor: Auth, id: string, patch: Partial<Omit<QuestionInput, "kind">> & { active?: boolean }) {
  const db = getDb(env);
  const q = await repo.findQuestion(db, id);
  if (!q) throw notFound("Survey question");
  const next: Partial<repo.QuestionRow> = { updatedAt: Date.now() };
  if (patch.prompt) Object.assign(next, { promptZh: patch.prompt.zh.trim(), promptEn: patch.prompt.en.trim() });
  if (patch.options !== undefined) next.options = optionsFor(q.kind, patch.options);
  if (patch.required !== undefined) next.required = patch.required;
  if (patch.position !== undefined) next.position = patch.position;
  if (patch.active !== undefined) next.active = patch.active;
  await repo.updateQuestion(db, id, next);
  await appendAudit(db, {
    actorId: actor.accountId,
    action: "survey.question_changed",
    targetType: "survey_question",
    targetId: id,
    data: { fields: Object.keys(patch) },
  });
  return questionView({ ...q, ...next });
}

/** The customer's completed order (404 when not theirs, 409 INVALID_STATE before completion). */
async function surveyedOrder(env: Env, customerId: string, orderId: string): Promise<OrderRow> {
  const order = await findOrder(getDb(env), orderId);
  if (!order || order.customerId !== customerId) throw notFound("Order");
  if (!(REVIEWABLE as readonly string[]).includes(order.status)) {
    throw AppError.of(
      "INVALID_STATE",
      { status: order.status, what: { en: "answer the survey", zh: "填写问卷" } },
      { extra: { status: order.status } },
    );
  }
  return order;
}

function responseView(r: repo.ResponseRow) {
  return { id: r.id, orderId: r.orderId, nps: r.nps, answers: r.answers, createdAt: new Date(r.createdAt).toISOString() };
}

/** The survey of the caller's completed order: the questions asked now, until when, and the answer once given. */
export async function orderSurvey(env: Env, customerId: string, orderId: string) {
  const order = await surveyedOrder(env, customerId, orderId);
  const db = getDb(env);
  const [asked, answer] = await Promise.all([repo.listQuestions(db, true), repo.findResponse(db, order.id)]);
  const closesAt = completedAt(order) + windowDays(env) * DAY_MS;
  return {
    orderId: order.id,
    status: answer ? ("answered" as const) : closesAt < Date.now() ? ("closed" as const) : ("open" as const),
    closesAt: new Date(closesAt).toISOString(),
    nps: { prompt: NPS_PROMPT, min: 0, max: 10 },
    questions: asked.map(questionView),
    response: answer ? responseView(answer) : null,
  };
}

/**
 * The customer answers the survey of their completed order: the NPS score and the answers to the
 * questions asked now (each checked against its question: 400 with the paths at fault, nothing
 * stored). Once per order: a second answer, also a racing one, is 409 SURVEY_ALREADY_ANSWERED;
 * after the window 409 SURVEY_WINDOW_CLOSED.
 */
export async function answerSurvey(
  env: Env,
  customerId: string,
  orderId: string,
  input: { nps: number; answers: { questionId: string; value: unknown }[] },
) {
  const now = Date.now();
  const order = await surveyedOrder(env, customerId, orderId);
  const db = getDb(env);
  if (await repo.findResponse(db, order.id)) throw AppError.of("SURVEY_ALREADY_ANSWERED");
  if (completedAt(order) + windowDays(env) * DAY_MS < now) throw AppError.of("SURVEY_WINDOW_CLOSED", { days: windowDays(env) });
  const checked = S.checkAnswers(await repo.listQuestions(db, true), input.answers);
  if (!checked.ok) throw invalid(checked.problems);
  const row: repo.ResponseRow = {
    id: newId("svy", now),
    orderId: order.id,
    customerId,
    cityId: order.cityId,
    merchantId: order.merchantId,
    serviceId: order.serviceId,
    technicianId: order.technicianId,
    startAt: order.startAt,
    nps: input.nps,
    answers: checked.answers,
    createdAt: now,
  };
  if (!(await repo.insertResponse(db, row))) throw AppError.of("SURVEY_ALREADY_ANSWERED");
  return responseView(row);
}

export type SurveyBy = "service" | "merchant" | "technician" | "day" | "week";

/**
 * The NPS of the responses to visits in the range, per service, merchant, technician, local day or
 * ISO week (days and weeks without responses listed with zero counts and a null NPS), with the
 * counts behind each score and the overall NPS in `totals`.
 */
export async function surveyReport(env: Env, actor: Auth, q: { city?: string; from?: string; to?: string; by: SurveyBy }) {
  const r = await scopedRange(env, actor, q);
  const db = getDb(env);
  const responses = await repo.responsesBetween(db, { cityId: r.cityId, merchantId: r.scope, fromMs: r.fromMs, toMs: r.toMs });
  const day = (x: repo.ResponseRow) => localDate(x.startAt, r.timeZone);
  const keyOf: Record<SurveyBy, (x: repo.ResponseRow) => string> = {
    service: (x) => x.serviceId,
    merchant: (x) => x.merchantId ?? "platform",
    technician: (x) => x.technicianId ?? "none",
    day,
    week: (x) => weekOf(day(x)),
  };
  const fixed = q.by === "day" ? r.days : q.by === "week" ? [...new Set(r.days.map(weekOf))] : undefined;
  const groups = S.npsBy(responses, keyOf[q.by], (x) => x.nps, fixed);
  if (!fixed) groups.sort((a, b) => b.responses - a.responses || a.key.localeCompare(b.key));
  const keys = groups.map((g) => g.key);
  const names =
    q.by === "technician"
      ? new Map([...(await repo.technicianNames(db, keys))].map(([k, v]) => [k, { zh: v, en: v }]))
      : q.by === "service" || q.by === "merchant"
        ? await catalogNames(db, q.by === "service" ? keys : [], q.by === "merchant" ? keys : [])
        : new Map<string, { zh: string; en: string }>();
  const all = S.npsOf(responses.map((x) => x.nps));
  return {
    cityId: r.cityId,
    timeZone: r.timeZone,
    from: r.from,
    to: r.to,
    columns: ["key", "label", "responses", "promoters", "passives", "detractors", "nps"],
    rows: groups.map((g) => ({ ...g, label: names.get(g.key)?.zh ?? g.key })),
    totals: { ...all },
  };
}

/**
 * How the configured questions were answered in the range: per question and answer (a choice's
 * option, a rating's score) the count; ratings also their mean; free texts only their count.
 */
export async function surveyAnswersReport(env: Env, actor: Auth, q: { city?: string; from?: string; to?: string }) {
  const r = await scopedRange(env, actor, q);
  const db = getDb(env);
  const [responses, asked] = await Promise.all([
    repo.responsesBetween(db, { cityId: r.cityId, merchantId: r.scope, fromMs: r.fromMs, toMs: r.toMs }),
    repo.listQuestions(db, false),
  ]);
  const prompts = new Map(asked.map((x) => [x.id, x]));
  const rows = S.answerCounts(responses.flatMap((x) => x.answers)).flatMap((c): Record<string, string | number | null>[] => {
    const qn = prompts.get(c.questionId);
    const base = {
      questionId: c.questionId,
      kind: c.kind,
      prompt: qn?.promptZh ?? c.questionId,
      answered: c.answered,
      meanRating: c.meanRating,
    };
    const values = Object.entries(c.counts);
    if (values.length === 0) return [{ ...base, answer: null, label: null, count: c.answered }];
    return values.map(([answer, count]) => ({
      ...base,
      answer,
      label: qn?.options.find((o) => o.id === answer)?.zh ?? answer,
      count,
    }));
  });
  return {
    cityId: r.cityId,
    timeZone: r.timeZone,
    from: r.from,
    to: r.to,
    columns: ["questionId", "kind", "prompt", "answered", "meanRating", "answer", "label", "count"],
    rows,
    totals: { responses: responses.length },
  };
}
