/**
 * A technician's credit score and level (src/domain/credit.ts has the formula): recording the facts
 * that move the score, the history, the level rules (settings row `credit.levels`) and the nightly
 * level recalculation.
 */
import { z } from "@hono/zod-openapi";
import type { Db } from "../db/client";
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import {
  creditFactStatements,
  creditHistory,
  creditStanding,
  levelChangeStatements,
  levelInputs,
  recordCreditFactRow,
  REVIEW_VISIBILITY_SOURCES,
  reviewVisibilityStatements,
  standings,
  type CreditEventRow,
} from "../db/repositories/credit.repo";
import { findSetting, putSetting } from "../db/repositories/settings.repo";
import { outboxRow, runBatch, type Guard } from "../db/repositories/statements";
import {
  CREDIT_REASONS,
  DEFAULT_LEVEL_RULES,
  LEVEL_NAMES,
  LEVELS,
  levelFor,
  levelRank,
  type CreditKind,
  type CreditReason,
  type Level,
  type LevelRules,
} from "../domain/credit";
import { AppError, notFound } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId } from "../lib/ids";
import type { Locale } from "../lib/locale";
import { logger } from "../lib/log";
import { TtlCache } from "../lib/ttl-cache";

/** A fact that moves a technician's score (see recordCreditFact). */
export interface CreditFact {
  technicianId: string;
  kind: CreditKind;
  /** What the fact is about (`review`, `order_event`, `order`, `ticket`, `credit_decision`, …) and its id. */
  sourceType: string;
  sourceId: string;
  /** A code of CREDIT_REASONS (src/domain/credit.ts) of this kind: it fixes the points unless `points` is given. */
  reasonCode: CreditReason;
  actorId?: string | null;
  /** Only for reasons decided case by case (rewards, penalties, appeals): the change asked for. */
  points?: number;
}

function factRow(f: CreditFact, now: number) {
  const reason = CREDIT_REASONS[f.reasonCode];
  if (!reason) throw new Error(`unknown credit reason ${String(f.reasonCode)}`);
  if (reason.kind !== f.kind) throw new Error(`credit reason ${f.reasonCode} is not of kind ${f.kind}`);
  const points = f.points ?? reason.points;
  if (points === null || !Number.isSafeInteger(points)) throw new Error(`credit reason ${f.reasonCode} needs its points`);
  return {
    id: newId("cre", now),
    technicianId: f.technicianId,
    kind: f.kind,
    points,
    sourceType: f.sourceType,
    sourceId: f.sourceId,
    reasonCode: f.reasonCode,
    actorId: f.actorId ?? null,
    createdAt: now,
  };
}

const dbOf = (envOrDb: Env | Db): Db => ("$client" in envOrDb ? envOrDb : getDb(envOrDb));

/**
 * Records one fact and answers the technician's score after it. Idempotent per fact: the same
 * (sourceType, sourceId, kind) again changes nothing and answers the score as it is. Facts recorded
 * at once all count (each is one D1 batch, a transaction). The score stays within 0–1000: the
 * history records the points a fact actually moved. 404 for an unknown technician.
 */
export async function recordCreditFact(envOrDb: Env | Db, fact: CreditFact): Promise<number> {
  const r = await recordCreditFactRow(dbOf(envOrDb), factRow(fact, Date.now()));
  if (!r) throw notFound("Technician");
  return r.score;
}

/** The statements of a fact, for the batch of the change that is the fact (written only if `guard` holds). */
export function creditFactStatementsOf(db: Db, fact: CreditFact, guard?: Guard, now = Date.now()): D1PreparedStatement[] {
  return creditFactStatements(db, factRow(fact, now), guard);
}

/**
 * The statements (for the review's own batch, after its hide or show) that take a hidden review's
 * rating fact out of the score or put it back: one history line per change, explained by
 * RATING_HIDDEN / RATING_RESTORED, whatever the repeats or races.
 */
export function reviewVisibilityStatementsOf(db: Db, reviewId: string, hidden: boolean, actorId: string | null, now = Date.now()) {
  return reviewVisibilityStatements(db, {
    eventId: newId("cre", now),
    reviewId,
    hidden,
    reasonCode: hidden ? "RATING_HIDDEN" : "RATING_RESTORED",
    actorId,
    now,
  });
}

const VISIBILITY_TYPES: readonly string[] = Object.values(REVIEW_VISIBILITY_SOURCES);

// ——— level rules ———

export const LEVELS_KEY = "credit.levels";
const bps = z.number().int().min(0).max(10_000).nullable();
const threshold = z.object({ minScore: z.number().int().min(0).max(1000), minJobs: z.number().int().min(0).max(1_000_000) }).strict();
export const LevelRulesInput = z
  .object({
    thresholds: z.object({ standard: threshold, gold: threshold, diamond: threshold }).strict(),
    technicianShareBps: z.object({ trainee: bps, standard: bps, gold: bps, diamond: bps }).strict(),
  })
  .strict()
  .openapi("CreditLevelRules");

const rulesCache = new TtlCache<string, { rules: LevelRules; updatedAt: string | null; updatedBy: string | null }>(30_000, 2);

async function loadRules(env: Env) {
  const row = await findSetting(getDb(env), LEVELS_KEY);
  const parsed = row ? LevelRulesInput.safeParse(row.value) : undefined;
  if (row && parsed?.success) return { rules: parsed.data, updatedAt: new Date(row.updatedAt).toISOString(), updatedBy: row.updatedBy };
  return { rules: DEFAULT_LEVEL_RULES, updatedAt: null, updatedBy: null };
}

/** The level rules in force (per-isolate cache of 30 s; at once on the isolate that changed them). */
export async function levelRules(env: Env): Promise<LevelRules> {
  return (await rulesCache.get("rules", () => loadRules(env))).rules;
}

export async function levelSettings(env: Env) {
  const r = await rulesCache.get("rules", () => loadRules(env));
  return { ...r, defaults: DEFAULT_LEVEL_RULES };
}

/** Sets the level rules (thresholds rising with the level), audited with before and after. */
export async function setLevelRules(env: Env, actorId: string, next: LevelRules) {
  const t = next.thresholds;
  if (!(
    t.standard.minScore <= t.gold.minScore &&
    t.gold.minScore <= t.diamond.minScore &&
    t.standard.minJobs <= t.gold.minJobs &&
    t.gold.minJobs <= t.diamond.minJobs
  ))
    throw AppError.of(
      "VALIDATION_FAILED",
      {},
      { errors: [{ path: "body.thresholds", message: "thresholds must not fall from one level to the next" }] },
    );
  const before = (await loadRules(env)).rules;
  const db = getDb(env);
  await putSetting(db, LEVELS_KEY, next, actorId);
  rulesCache.delete("rules");
  await appendAudit(db, {
    actorId,
    action: "settings.credit_levels.set",
    targetType: "setting",
    targetId: LEVELS_KEY,
    data: { before, after: next },
  });
  return levelSettings(env);
}

/** The technician's share (basis points) for their level, or null: the commission rules decide. */
export async function levelShareBps(env: Env, technicianId: string): Promise<number | null> {
  const rules = await levelRules(env);
  // No level has a share of its own (the default): nothing to read.
  if (Object.values(rules.technicianShareBps).every((v) => v === null)) return null;
  const level = (await standings(getDb(env), [technicianId])).get(technicianId)?.level;
  return level ? rules.technicianShareBps[level] : null;
}

/** Level and score of candidates (dispatch ranking). */
export function candidateStandings(env: Env, ids: string[]) {
  return standings(getDb(env), ids);
}

// ——— views ———

export function reasonView(code: string, locale: Locale) {
  const r = CREDIT_REASONS[code as CreditReason];
  return { code, text: r ? r.text[locale] : code };
}

export function eventView(e: CreditEventRow, locale: Locale) {
  return {
    id: e.id,
    kind: e.kind,
    points: e.points,
    scoreAfter: e.scoreAfter,
    reason: reasonView(e.reasonCode, locale),
    // A review hidden or shown again is about the review: its source is the review, the reason says what happened.
    source: VISIBILITY_TYPES.includes(e.sourceType)
      ? { type: "review", id: e.sourceId.slice(0, e.sourceId.lastIndexOf("#")) }
      : { type: e.sourceType, id: e.sourceId },
    createdAt: new Date(e.createdAt).toISOString(),
  };
}

/** Score, level and what the next level asks for. 404 for an unknown technician (or one outside `merchantId`). */
export async function creditSummary(env: Env, technicianId: string, locale: Locale, merchantId?: string) {
  const [s, rules] = await Promise.all([creditStanding(getDb(env), technicianId), levelRules(env)]);
  if (!s || (merchantId !== undefined && s.merchantId !== merchantId)) throw notFound("Technician");
  const nextLevel = LEVELS[levelRank(s.level) + 1] as Exclude<Level, "trainee"> | undefined;
  return {
    technicianId: s.id,
    name: s.name,
    score: s.creditScore,
    level: s.level,
    levelName: LEVEL_NAMES[s.level][locale],
    completedJobs: Number(s.completedJobs),
    next: nextLevel ? { level: nextLevel, levelName: LEVEL_NAMES[nextLevel][locale], ...rules.thresholds[nextLevel] } : null,
  };
}

export async function creditHistoryPage(env: Env, technicianId: string, q: { limit: number; cursor?: string }, locale: Locale) {
  const rows = await creditHistory(getDb(env), technicianId, decodeCursor(q.cursor), q.limit);
  const page = toPage(rows, q.limit);
  return { items: page.items.map((e) => eventView(e, locale)), nextCursor: page.nextCursor };
}

// ——— nightly recalculation ———

/**
 * Rebuilds every technician's level from score and completed jobs under the rules in force; a change
 * is written with its history line (0 points, LEVEL_UP / LEVEL_DOWN), once per technician and day.
 */
export async function recalculateLevels(env: Env, now = Date.now()): Promise<{ checked: number; raised: number; lowered: number }> {
  const db = getDb(env);
  const rules = await levelRules(env);
  const day = new Date(now).toISOString().slice(0, 10);
  const changes: D1PreparedStatement[][] = [];
  let raised = 0;
  let lowered = 0;
  const rows = await levelInputs(db);
  for (const t of rows) {
    const to = levelFor(t.creditScore, Number(t.completedJobs), rules);
    if (to === t.level) continue;
    const up = levelRank(to) > levelRank(t.level);
    if (up) raised++;
    else lowered++;
    const eventId = newId("cre", now);
    changes.push([
      ...levelChangeStatements(db, {
        eventId,
        technicianId: t.id,
        from: t.level,
        to,
        reasonCode: up ? "LEVEL_UP" : "LEVEL_DOWN",
        day,
        now,
      }),
      // The technician is told, only if this run wrote the change (once per technician and day).
      outboxRow(db, { id: newId("msg", now), topic: "credit.level_changed", payload: { technicianId: t.id, from: t.level, to } }, now, {
        sql: "EXISTS (SELECT 1 FROM technician_credit_events WHERE id = ?)",
        params: [eventId],
      }),
    ]);
  }
  // Three statements per change; 30 changes per batch.
  for (let i = 0; i < changes.length; i += 30) await runBatch(db, changes.slice(i, i + 30).flat());
  const summary = { checked: rows.length, raised, lowered };
  if (raised || lowered) logger.info("credit.levels", summary);
  return summary;
}
