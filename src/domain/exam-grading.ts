/**
 * Grading an exam attempt (pure): a question counts as right when the set of chosen options equals
 * the set of right options exactly (order and repeats do not matter; nothing chosen is wrong). The
 * attempt passes when right × 100 ≥ passPercent × questions.
 */

export interface GradedQuestion {
  id: string;
  /** Indexes of the right options. */
  correct: readonly number[];
}

export interface Grade {
  score: number;
  total: number;
  passed: boolean;
  /** Per question id: answered right or not. */
  results: Record<string, boolean>;
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  if (x.size !== y.size) return false;
  for (const v of x) if (!y.has(v)) return false;
  return true;
}

export function gradeAttempt(
  questions: readonly GradedQuestion[],
  answers: Readonly<Record<string, readonly number[]>>,
  passPercent: number,
): Grade {
  const results: Record<string, boolean> = {};
  let score = 0;
  for (const q of questions) {
    const given = Object.hasOwn(answers, q.id) ? answers[q.id]! : [];
    const right = given.length > 0 && sameSet(given, q.correct);
    results[q.id] = right;
    if (right) score += 1;
  }
  const total = questions.length;
  return { score, total, passed: total > 0 && score * 100 >= passPercent * total, results };
}

/** `n` distinct items of `items` in random order (all of them when fewer), drawn with `random` ∈ [0, 1). */
export function drawQuestions<T>(items: readonly T[], n: number, random: () => number): T[] {
  const pool = [...items];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, Math.min(n, pool.length));
}
