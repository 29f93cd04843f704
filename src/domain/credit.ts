/**
 * A technician's credit: the score (0–1000, START_SCORE for a new technician), the points each fact
 * moves it by, the reason catalogue shown on the history (zh-CN and en), and the levels (见习 / 标准 /
 * 金牌 / 钻石) reached from score and completed jobs. Pure rules; the writes are in src/credit.
 *
 * The score is always START_SCORE plus the sum of the history's points: a fact that would take the
 * score past 0 or 1000 is recorded with the points it actually moved (clamped), so the history adds up.
 */
import type { Localized } from "../lib/locale";

export const START_SCORE = 600;
// The levels, the score's bounds and the ranking's standing part live with the dispatch rules
// (src/domain/dispatch.ts imports nothing, so the benchmarks load it as is).
import { LEVELS, levelRank, MAX_SCORE, MIN_SCORE, clampScore, standingPart, type Level } from "./dispatch";
export { LEVELS, levelRank, MAX_SCORE, MIN_SCORE, clampScore, standingPart, type Level };

export const CREDIT_KINDS = [
  "rating",
  "complaint_upheld",
  "technician_cancelled",
  "no_show",
  "late",
  "offer_missed",
  "reward",
  "penalty",
  "appeal_granted",
  "recalculated",
] as const;
export type CreditKind = (typeof CREDIT_KINDS)[number];

/**
 * Every reason a history line can give, with its points (null: decided case by case — a staff
 * reward or penalty, an appeal granted, a level change) and its text.
 */
export const CREDIT_REASONS = {
  RATING_5: { kind: "rating", points: 2, text: { zh: "获得 5 星评价", en: "Rated 5 stars" } },
  RATING_4: { kind: "rating", points: 1, text: { zh: "获得 4 星评价", en: "Rated 4 stars" } },
  RATING_3: { kind: "rating", points: -2, text: { zh: "获得 3 星评价", en: "Rated 3 stars" } },
  RATING_2: { kind: "rating", points: -5, text: { zh: "获得 2 星评价", en: "Rated 2 stars" } },
  RATING_1: { kind: "rating", points: -10, text: { zh: "获得 1 星评价", en: "Rated 1 star" } },
  RATING_HIDDEN: {
    kind: "rating",
    points: null,
    text: { zh: "评价被隐藏，其评分影响撤回", en: "A review was hidden: its rating no longer counts" },
  },
  RATING_RESTORED: {
    kind: "rating",
    points: null,
    text: { zh: "评价恢复显示，其评分影响恢复", en: "A review is shown again: its rating counts again" },
  },
  COMPLAINT_UPHELD: { kind: "complaint_upheld", points: -30, text: { zh: "投诉经核实成立", en: "A complaint was upheld" } },
  TECHNICIAN_CANCELLED: {
    kind: "technician_cancelled",
    points: -15,
    text: { zh: "接单后由服务者取消", en: "Cancelled an accepted order" },
  },
  NO_SHOW: { kind: "no_show", points: -40, text: { zh: "未按时出发（爽约）", en: "Did not set off in time (no-show)" } },
  LATE_START: { kind: "late", points: -5, text: { zh: "晚于预约时段开始服务", en: "Started the visit after the booked time" } },
  OFFER_DECLINED: { kind: "offer_missed", points: -2, text: { zh: "拒绝派单", en: "Declined an offered order" } },
  OFFER_EXPIRED: { kind: "offer_missed", points: -4, text: { zh: "派单超时未接", en: "Let an offered order expire" } },
  REWARD_PRAISE: { kind: "reward", points: null, text: { zh: "奖励：客户表扬", en: "Reward: praised by a customer" } },
  REWARD_EXCELLENT_SERVICE: { kind: "reward", points: null, text: { zh: "奖励：服务优秀", en: "Reward: excellent service" } },
  REWARD_CAMPAIGN: { kind: "reward", points: null, text: { zh: "奖励：平台活动", en: "Reward: platform campaign" } },
  PENALTY_SERVICE_QUALITY: { kind: "penalty", points: null, text: { zh: "处罚：服务质量问题", en: "Penalty: service quality" } },
  PENALTY_MISCONDUCT: { kind: "penalty", points: null, text: { zh: "处罚：不当行为", en: "Penalty: misconduct" } },
  PENALTY_POLICY_BREACH: { kind: "penalty", points: null, text: { zh: "处罚：违反平台规则", en: "Penalty: breach of platform rules" } },
  PENALTY_DAMAGE: { kind: "penalty", points: null, text: { zh: "处罚：损坏客户财物", en: "Penalty: damage to the customer's property" } },
  APPEAL_GRANTED: {
    kind: "appeal_granted",
    points: null,
    text: { zh: "申诉成立，处罚撤销", en: "Appeal granted: the penalty is reversed" },
  },
  LEVEL_UP: { kind: "recalculated", points: 0, text: { zh: "等级提升", en: "Level raised" } },
  LEVEL_DOWN: { kind: "recalculated", points: 0, text: { zh: "等级下调", en: "Level lowered" } },
} as const satisfies Record<string, { kind: CreditKind; points: number | null; text: Localized }>;
export type CreditReason = keyof typeof CREDIT_REASONS;
export const CREDIT_REASON_CODES = Object.keys(CREDIT_REASONS) as CreditReason[];

export const REWARD_REASONS = ["REWARD_PRAISE", "REWARD_EXCELLENT_SERVICE", "REWARD_CAMPAIGN"] as const;
export const PENALTY_REASONS = ["PENALTY_SERVICE_QUALITY", "PENALTY_MISCONDUCT", "PENALTY_POLICY_BREACH", "PENALTY_DAMAGE"] as const;

export const LEVEL_NAMES: Record<Level, Localized> = {
  trainee: { zh: "见习", en: "Trainee" },
  standard: { zh: "标准", en: "Standard" },
  gold: { zh: "金牌", en: "Gold" },
  diamond: { zh: "钻石", en: "Diamond" },
};

/** The fixed points of a reason (throws for one decided case by case: a programming fault). */
export function pointsOf(reason: CreditReason): number {
  const p = CREDIT_REASONS[reason].points;
  if (p === null) throw new Error(`credit reason ${reason} has no fixed points`);
  return p;
}

/** A review's overall score (× 100) as the rating reason: rounded to whole stars. */
export function ratingReason(overallX100: number): CreditReason {
  const stars = Math.min(5, Math.max(1, Math.round(overallX100 / 100)));
  return `RATING_${stars}` as CreditReason;
}

/** The change a fact of `points` makes to `score`, clamped to 0–1000: what the history records. */
export function appliedPoints(score: number, points: number): number {
  return clampScore(score + points) - score;
}

/**
 * Level rules (the settings row `credit.levels`, changed from the dashboard): the least score and
 * completed jobs for each level above trainee, and an optional technician share (basis points of
 * what is left after the platform's take) per level that replaces the commission rules' share.
 */
export interface LevelRules {
  thresholds: Record<Exclude<Level, "trainee">, { minScore: number; minJobs: number }>;
  technicianShareBps: Record<Level, number | null>;
}

export const DEFAULT_LEVEL_RULES: LevelRules = {
  thresholds: {
    standard: { minScore: 600, minJobs: 10 },
    gold: { minScore: 750, minJobs: 100 },
    diamond: { minScore: 900, minJobs: 300 },
  },
  technicianShareBps: { trainee: null, standard: null, gold: null, diamond: null },
};

/** The highest level whose thresholds the score and completed jobs both reach. */
export function levelFor(score: number, completedJobs: number, rules: LevelRules): Level {
  for (const level of ["diamond", "gold", "standard"] as const) {
    const t = rules.thresholds[level];
    if (score >= t.minScore && completedJobs >= t.minJobs) return level;
  }
  return "trainee";
}

/** A level's rank (trainee 0 … diamond 3). */

/** A visit started this long after the booked start counts as late. */
export const LATE_GRACE_MS = 15 * 60_000;
