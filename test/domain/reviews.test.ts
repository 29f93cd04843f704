import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nextRating, overallX100, publicName, REVIEW_DIMENSIONS } from "../../src/domain/reviews";

const score = fc.integer({ min: 1, max: 5 });
const ratings = fc.record({ quality: score, punctuality: score, attitude: score, value: score });

describe("review scores", () => {
  it("the overall score is the exact mean of the four dimensions × 100", () => {
    expect(overallX100({ quality: 5, punctuality: 5, attitude: 4, value: 4 })).toBe(450);
    expect(overallX100({ quality: 1, punctuality: 2, attitude: 2, value: 2 })).toBe(175);
    fc.assert(
      fc.property(ratings, (r) => {
        const o = overallX100(r);
        expect(Number.isInteger(o)).toBe(true);
        expect(o * REVIEW_DIMENSIONS.length).toBe(REVIEW_DIMENSIONS.reduce((s, d) => s + r[d], 0) * 100);
      }),
    );
  });

  it("a rating stays within 1–5, counts each review, and taking a review back undoes it within rounding", () => {
    fc.assert(
      fc.property(fc.array(ratings.map(overallX100), { minLength: 1, maxLength: 40 }), fc.nat(), (scores, pick) => {
        let r = { rating: 500, count: 0 };
        for (const s of scores) r = nextRating(r.rating, r.count, s, 1);
        expect(r.count).toBe(scores.length);
        expect(r.rating).toBeGreaterThanOrEqual(100);
        expect(r.rating).toBeLessThanOrEqual(500);
        // the running average stays within a point of the true mean per review taken
        const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
        expect(Math.abs(r.rating - mean)).toBeLessThanOrEqual(scores.length);
        const back = nextRating(r.rating, r.count, scores[pick % scores.length]!, -1);
        expect(back.count).toBe(scores.length - 1);
        if (back.count === 0) expect(back.rating).toBe(500);
      }),
    );
    expect(nextRating(400, 2, 350, -1)).toEqual({ rating: 450, count: 1 });
    expect(nextRating(450, 1, 450, -1)).toEqual({ rating: 500, count: 0 });
  });

  it("shows only the first character of a customer's name", () => {
    expect(publicName("张三丰")).toBe("张**");
    expect(publicName("  ")).toBe("匿名用户");
    expect(publicName(null)).toBe("匿名用户");
  });
});
