/**
 * The satisfaction survey's rules, pure: checking a customer's answers against the questions asked,
 * and the Net Promoter Score of a set of responses (NPS = % promoters − % detractors, with the
 * counts, so a small sample shows as small).
 */

export type QuestionKind = "choice" | "rating" | "text";

/** The highest score of a `rating` question (1…RATING_MAX). */
export const RATING_MAX = 5;
/** The longest free-text answer. */
export const TEXT_MAX = 1000;

export interface SurveyQuestion {
  id: string;
  kind: QuestionKind;
  options: { id: string; zh: string; en: string }[];
  required: boolean;
}

export interface StoredAnswer {
  questionId: string;
  kind: QuestionKind;
  value: string | number;
}

export interface AnswerProblem {
  path: string;
  message: string;
}

/**
 * The answers as stored, or the problems (each with its path) when any answer does not fit its
 * question: an unknown or repeated question, a value of the wrong type, a choice not offered, a
 * rating outside 1…RATING_MAX, an empty or too long text, a required question left out.
 */
export function checkAnswers(
  questions: readonly SurveyQuestion[],
  answers: readonly { questionId: string; value: unknown }[],
): { ok: true; answers: StoredAnswer[] } | { ok: false; problems: AnswerProblem[] } {
  const byId = new Map(questions.map((q) => [q.id, q]));
  const problems: AnswerProblem[] = [];
  const seen = new Set<string>();
  const out: StoredAnswer[] = [];
  answers.forEach((a, i) => {
    const path = `body.answers.${i}`;
    const q = byId.get(a.questionId);
    if (!q) return problems.push({ path: `${path}.questionId`, message: "not a question of this survey" });
    if (seen.has(q.id)) return problems.push({ path: `${path}.questionId`, message: "answered twice" });
    seen.add(q.id);
    const v = a.value;
    if (q.kind === "choice") {
      if (typeof v !== "string" || !q.options.some((o) => o.id === v)) {
        return problems.push({ path: `${path}.value`, message: `one of: ${q.options.map((o) => o.id).join(", ")}` });
      }
    } else if (q.kind === "rating") {
      if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > RATING_MAX) {
        return problems.push({ path: `${path}.value`, message: `an integer from 1 to ${RATING_MAX}` });
      }
    } else if (typeof v !== "string" || v.trim() === "" || v.length > TEXT_MAX) {
      return problems.push({ path: `${path}.value`, message: `text of 1 to ${TEXT_MAX} characters` });
    }
    out.push({ questionId: q.id, kind: q.kind, value: typeof v === "string" ? v.trim() : (v as number) });
  });
  questions.forEach((q) => {
    if (q.required && !seen.has(q.id)) problems.push({ path: "body.answers", message: `question ${q.id} is required` });
  });
  return problems.length ? { ok: false, problems } : { ok: true, answers: out };
}

/** Promoter (9–10), passive (7–8) or detractor (0–6). */
export function npsClass(score: number): "promoter" | "passive" | "detractor" {
  return score >= 9 ? "promoter" : score >= 7 ? "passive" : "detractor";
}

export interface NpsSummary {
  responses: number;
  promoters: number;
  passives: number;
  detractors: number;
  /** % promoters − % detractors, −100…100 rounded to one decimal; null without responses. */
  nps: number | null;
}

/** The NPS of a set of scores, with the counts behind it. */
export function npsOf(scores: readonly number[]): NpsSummary {
  let promoters = 0;
  let passives = 0;
  let detractors = 0;
  for (const s of scores) {
    const c = npsClass(s);
    if (c === "promoter") promoters += 1;
    else if (c === "passive") passives += 1;
    else detractors += 1;
  }
  const n = scores.length;
  const nps = n === 0 ? null : Math.round(((promoters - detractors) / n) * 1000) / 10;
  return { responses: n, promoters, passives, detractors, nps };
}

/** Groups scores by key and gives each group's NPS (groups in first-seen order unless `keys` fixes them). */
export function npsBy<T>(items: readonly T[], key: (t: T) => string, score: (t: T) => number, keys?: readonly string[]) {
  const groups = new Map<string, number[]>((keys ?? []).map((k) => [k, []]));
  for (const it of items) {
    const k = key(it);
    const g = groups.get(k);
    if (g) g.push(score(it));
    else if (!keys) groups.set(k, [score(it)]);
  }
  return [...groups.entries()].map(([k, scores]) => ({ key: k, ...npsOf(scores) }));
}

/** Counts of each answer value per question (choices by option id, ratings by score) and the mean rating. */
export function answerCounts(answers: readonly StoredAnswer[]) {
  const by = new Map<string, { questionId: string; kind: QuestionKind; answered: number; counts: Map<string, number>; sum: number }>();
  for (const a of answers) {
    const row = by.get(a.questionId) ?? { questionId: a.questionId, kind: a.kind, answered: 0, counts: new Map(), sum: 0 };
    row.answered += 1;
    if (a.kind !== "text") row.counts.set(String(a.value), (row.counts.get(String(a.value)) ?? 0) + 1);
    if (a.kind === "rating") row.sum += a.value as number;
    by.set(a.questionId, row);
  }
  return [...by.values()].map((r) => ({
    questionId: r.questionId,
    kind: r.kind,
    answered: r.answered,
    counts: Object.fromEntries(r.counts),
    meanRating: r.kind === "rating" && r.answered > 0 ? Math.round((r.sum / r.answered) * 100) / 100 : null,
  }));
}
