/** Reviews: the overall score of a review and how it moves a technician's rating. */

export const REVIEW_DIMENSIONS = ["quality", "punctuality", "attitude", "value"] as const;
export type ReviewDimension = (typeof REVIEW_DIMENSIONS)[number];
export type Ratings = Record<ReviewDimension, number>;

/** The mean of the dimensions (each 1–5) × 100, rounded half up: 4, 5, 5, 4 → 450. */
export function overallX100(r: Ratings): number {
  const sum = REVIEW_DIMENSIONS.reduce((s, d) => s + r[d], 0);
  // sum × 100 / 4 = sum × 25: exact in integers, no rounding needed for four dimensions.
  return (sum * 100) / REVIEW_DIMENSIONS.length;
}

/**
 * A running average of `count` scores (× 100) with one score added (`sign` 1) or taken back
 * (`sign` −1), rounded to the nearest integer. With nothing left the rating returns to `prior`.
 */
export function nextRating(rating: number, count: number, score: number, sign: 1 | -1, prior = 500): { rating: number; count: number } {
  const n = count + sign;
  if (n <= 0) return { rating: prior, count: 0 };
  const total = rating * count + sign * score;
  return { rating: Math.min(500, Math.max(100, Math.round(total / n))), count: n };
}

/** A customer's name as the public sees it next to a review: the first character, then stars. */
export function publicName(name: string | null): string {
  const first = name?.trim().slice(0, 1);
  return first ? `${first}**` : "匿名用户";
}
