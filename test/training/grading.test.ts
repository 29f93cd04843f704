import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { drawQuestions, gradeAttempt } from "../../src/domain/exam-grading";

const question = fc.record({
  id: fc.uuid(),
  options: fc.integer({ min: 2, max: 6 }),
});
const exam = fc
  .uniqueArray(question, { minLength: 1, maxLength: 20, selector: (q) => q.id })
  .chain((qs) =>
    fc.tuple(
      fc.constant(qs),
      fc.tuple(...qs.map((q) => fc.uniqueArray(fc.integer({ min: 0, max: q.options - 1 }), { minLength: 1, maxLength: q.options }))),
      fc.tuple(...qs.map((q) => fc.array(fc.integer({ min: 0, max: q.options - 1 }), { maxLength: q.options + 2 }))),
      fc.integer({ min: 0, max: 100 }),
    ),
  );

const sameSet = (a: readonly number[], b: readonly number[]) => new Set(a).size === new Set(b).size && a.every((x) => b.includes(x));

describe("gradeAttempt", () => {
  it("counts a question right exactly when the chosen set equals the right set, and passes at right × 100 ≥ mark × total", () => {
    fc.assert(
      fc.property(exam, ([qs, correct, given, mark]) => {
        const questions = qs.map((q, i) => ({ id: q.id, correct: correct[i]! }));
        const answers = Object.fromEntries(qs.map((q, i) => [q.id, given[i]!]));
        const g = gradeAttempt(questions, answers, mark);
        const expected = questions.filter((q, i) => given[i]!.length > 0 && sameSet(given[i]!, q.correct)).length;
        expect(g.score).toBe(expected);
        expect(g.total).toBe(qs.length);
        expect(g.passed).toBe(expected * 100 >= mark * qs.length);
        expect(Object.values(g.results).filter(Boolean)).toHaveLength(expected);
      }),
    );
  });

  it("gives full marks for the right answers in any order and with repeats, and none for empty or unknown answers", () => {
    fc.assert(
      fc.property(exam, ([qs, correct]) => {
        const questions = qs.map((q, i) => ({ id: q.id, correct: correct[i]! }));
        const shuffled = Object.fromEntries(questions.map((q) => [q.id, [...q.correct].reverse().concat(q.correct)]));
        expect(gradeAttempt(questions, shuffled, 100)).toMatchObject({ score: qs.length, passed: true });
        const empty = Object.fromEntries(questions.map((q) => [q.id, []]));
        expect(gradeAttempt(questions, empty, 0).score).toBe(0);
        // answers to questions that were not drawn do not count
        expect(gradeAttempt(questions, { "not-drawn": [0], ["__proto__"]: [0] }, 1)).toMatchObject({ score: 0, passed: false });
      }),
    );
  });

  it("is monotone: answering one more question right never lowers the score or turns a pass into a fail", () => {
    fc.assert(
      fc.property(exam, fc.nat(), ([qs, correct, given, mark], k) => {
        const questions = qs.map((q, i) => ({ id: q.id, correct: correct[i]! }));
        const answers = Object.fromEntries(qs.map((q, i) => [q.id, given[i]!]));
        const before = gradeAttempt(questions, answers, mark);
        const fix = questions[k % questions.length]!;
        const after = gradeAttempt(questions, { ...answers, [fix.id]: fix.correct }, mark);
        expect(after.score).toBeGreaterThanOrEqual(before.score);
        if (before.passed) expect(after.passed).toBe(true);
      }),
    );
  });
});

describe("drawQuestions", () => {
  it("draws min(n, pool) distinct items of the pool", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer(), { maxLength: 50 }),
        fc.nat(60),
        fc.array(fc.double({ min: 0, max: 0.999999, noNaN: true }), { minLength: 60, maxLength: 60 }),
        (pool, n, rolls) => {
          let i = 0;
          const drawn = drawQuestions(pool, n, () => rolls[i++ % rolls.length]!);
          expect(drawn).toHaveLength(Math.min(n, pool.length));
          expect(new Set(drawn).size).toBe(drawn.length);
          for (const d of drawn) expect(pool).toContain(d);
        },
      ),
    );
  });
});
