import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, IdParam, jsonBody, jsonContent, LimitQuery, page } from "../http/openapi";
import { CREDIT_KINDS, LEVELS, PENALTY_REASONS, REWARD_REASONS } from "../domain/credit";
import { LevelRulesInput } from "./credit.service";

const Reason = z
  .object({
    code: z.string(),
    text: z.string().openapi({ description: "The reason in the request's language (Accept-Language: zh-CN or en)" }),
  })
  .openapi("CreditReason");

const Threshold = z.object({ minScore: z.number().int(), minJobs: z.number().int() });

export const CreditSummary = z
  .object({
    technicianId: z.string(),
    name: z.string(),
    score: z.number().int().openapi({ description: "0–1000; a new technician starts at 600" }),
    level: z.enum(LEVELS),
    levelName: z.string(),
    completedJobs: z.number().int(),
    next: Threshold.extend({ level: z.enum(LEVELS), levelName: z.string() })
      .nullable()
      .openapi({ description: "What the next level asks for (null at diamond)" }),
  })
  .openapi("CreditSummary");

export const CreditEvent = z
  .object({
    id: z.string(),
    kind: z.enum(CREDIT_KINDS),
    points: z.number().int().openapi({ description: "What the fact moved the score by (clamped so the score stays within 0–1000)" }),
    scoreAfter: z.number().int(),
    reason: Reason,
    source: z.object({ type: z.string(), id: z.string() }),
    createdAt: z.string(),
  })
  .openapi("CreditEvent");

const Appeal = z
  .object({
    id: z.string(),
    decisionId: z.string(),
    reason: z.string(),
    status: z.enum(["open", "granted", "denied"]),
    decidedBy: z.string().nullable(),
    decisionNote: z.string().nullable(),
    decidedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("CreditAppeal");

export const Decision = z
  .object({
    id: z.string(),
    technicianId: z.string(),
    kind: z.enum(["reward", "penalty"]),
    amount: z.number().int().openapi({ description: "Minor units moved through the ledger (0: points only)" }),
    currency: z.string(),
    points: z.number().int().openapi({ description: "Points asked for: positive for a reward, negative for a penalty" }),
    reason: Reason,
    note: z.string().nullable(),
    status: z.enum(["in_force", "reversed"]),
    decidedBy: z.string(),
    createdAt: z.string(),
    appeals: z.array(Appeal),
  })
  .openapi("CreditDecision");

const Decisions = z.object({ items: z.array(Decision) }).openapi("CreditDecisions");
const History = page(CreditEvent).openapi("CreditHistory");
const HistoryQuery = z.object({ limit: LimitQuery, cursor: CursorQuery });

const Note = z.string().trim().min(1).max(500);

export const DecisionInput = z
  .object({
    kind: z.enum(["reward", "penalty"]),
    reasonCode: z
      .enum([...REWARD_REASONS, ...PENALTY_REASONS])
      .openapi({ description: "A reward reason for a reward, a penalty reason for a penalty" }),
    amount: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .openapi({ description: "Bonus or deduction in minor units (分), up to ¥10,000; 0: points only" }),
    points: z.number().int().min(0).max(200).openapi({ description: "Credit points to add (reward) or take off (penalty); 0: money only" }),
    note: Note.optional(),
  })
  .strict()
  .openapi("CreditDecisionInput");

const AppealInput = z.object({ reason: Note }).strict().openapi("CreditAppealInput");
const AppealDecisionInput = z
  .object({ outcome: z.enum(["granted", "denied"]), note: Note.optional() })
  .strict()
  .openapi("CreditAppealDecisionInput");

const QueueItem = Appeal.extend({ technicianId: z.string(), technicianName: z.string(), decision: Decision });
const Queue = z.object({ items: z.array(QueueItem) }).openapi("CreditAppealQueue");

const Settings = z
  .object({
    rules: LevelRulesInput,
    defaults: LevelRulesInput,
    updatedAt: z.string().nullable(),
    updatedBy: z.string().nullable(),
  })
  .openapi("CreditLevelSettings");

const technician = requireRole("technician");
const staff = requireRole("operator", "admin", "merchant_admin");
const platform = requireRole("operator", "admin");
const TechParam = IdParam("id", "tch_demo001");
const tags = ["Credit"];
const formula =
  'The score (0–1000, 600 to start) moves with each fact: ratings (5★ +2, 4★ +1, 3★ −2, 2★ −5, 1★ −10), an upheld complaint −30, a cancellation by the technician −15, a no-show −40, a late start −5, an offer declined −2 or left to expire −4, rewards and penalties by staff; README "Technician credit".';

export const ownSummary = createRoute({
  operationId: "getOwnCredit",
  method: "get",
  path: "/v1/technician/credit",
  tags,
  summary: "My credit score and level (technician)",
  description: formula,
  security: bearer,
  middleware: [technician] as const,
  responses: { 200: jsonContent(CreditSummary, "Score, level, the next level's thresholds"), ...authErrors(404) },
});

export const ownHistory = createRoute({
  operationId: "getOwnCreditHistory",
  method: "get",
  path: "/v1/technician/credit/history",
  tags,
  summary: "My credit history, newest first (technician)",
  description: "Each fact that moved the score, with its points, the score after it and its reason.",
  security: bearer,
  middleware: [technician] as const,
  request: { query: HistoryQuery },
  responses: { 200: jsonContent(History, "A page of the history"), ...authErrors(404) },
});

export const ownDecisions = createRoute({
  operationId: "listOwnCreditDecisions",
  method: "get",
  path: "/v1/technician/credit/decisions",
  tags,
  summary: "My rewards and penalties with their appeals (technician)",
  security: bearer,
  middleware: [technician] as const,
  responses: { 200: jsonContent(Decisions, "Newest first"), ...authErrors(404) },
});

export const appealDecision = createRoute({
  operationId: "appealCreditDecision",
  method: "post",
  path: "/v1/technician/credit/decisions/{id}/appeal",
  tags,
  summary: "Appeal a penalty (technician)",
  description: "One open appeal per penalty (409 CREDIT_APPEAL_OPEN); only a penalty in force (409 CREDIT_NOT_APPEALABLE).",
  security: bearer,
  middleware: [technician] as const,
  request: { params: IdParam("id", "ccd_01JD3"), body: jsonBody(AppealInput) },
  responses: { 201: jsonContent(Appeal, "The appeal, open"), ...authErrors(404, 409, 413, 415) },
});

export const staffSummary = createRoute({
  operationId: "getTechnicianCredit",
  method: "get",
  path: "/v1/admin/technicians/{id}/credit",
  tags,
  summary: "A technician's credit score and level (staff)",
  description: formula,
  security: bearer,
  middleware: [staff] as const,
  request: { params: TechParam },
  responses: { 200: jsonContent(CreditSummary, "Score, level, the next level's thresholds"), ...authErrors(404) },
});

export const staffHistory = createRoute({
  operationId: "getTechnicianCreditHistory",
  method: "get",
  path: "/v1/admin/technicians/{id}/credit/history",
  tags,
  summary: "A technician's credit history, newest first (staff)",
  security: bearer,
  middleware: [staff] as const,
  request: { params: TechParam, query: HistoryQuery },
  responses: { 200: jsonContent(History, "A page of the history"), ...authErrors(404) },
});

export const staffDecisions = createRoute({
  operationId: "listTechnicianCreditDecisions",
  method: "get",
  path: "/v1/admin/technicians/{id}/credit/decisions",
  tags,
  summary: "A technician's rewards and penalties (staff)",
  security: bearer,
  middleware: [staff] as const,
  request: { params: TechParam },
  responses: { 200: jsonContent(Decisions, "Newest first, with their appeals"), ...authErrors(404) },
});

export const createDecision = createRoute({
  operationId: "createCreditDecision",
  method: "post",
  path: "/v1/admin/technicians/{id}/credit/decisions",
  tags,
  summary: "Reward or penalise a technician (platform staff)",
  description:
    "A bonus (ledger credit_reward: Dr reward_expense, Cr technician_payable) or a deduction (credit_penalty: Dr technician_payable, Cr penalty_revenue) and/or credit points, one batch, audited. A deduction may take the balance below zero (offset against later earnings). 400 CREDIT_DECISION_EMPTY without amount and points.",
  security: bearer,
  middleware: [platform] as const,
  request: { params: TechParam, body: jsonBody(DecisionInput) },
  responses: { 201: jsonContent(Decision, "The decision, in force"), ...authErrors(404, 413, 415) },
});

export const appealQueue = createRoute({
  operationId: "listCreditAppeals",
  method: "get",
  path: "/v1/admin/credit/appeals",
  tags,
  summary: "Appeals against penalties: open ones oldest first (platform staff)",
  security: bearer,
  middleware: [platform] as const,
  request: { query: z.object({ status: z.enum(["open", "granted", "denied"]).default("open"), limit: LimitQuery }) },
  responses: { 200: jsonContent(Queue, "The queue"), ...authErrors() },
});

export const decideAppeal = createRoute({
  operationId: "decideCreditAppeal",
  method: "post",
  path: "/v1/admin/credit/appeals/{id}/decision",
  tags,
  summary: "Grant or deny an appeal (platform staff)",
  description:
    "Granted: the penalty's money (ledger credit_reversal) and points come back and it is reversed, in one batch. Of two decisions at once exactly one counts; the other gets 409 CREDIT_APPEAL_DECIDED. Audited.",
  security: bearer,
  middleware: [platform] as const,
  request: { params: IdParam("id", "cap_01JD3"), body: jsonBody(AppealDecisionInput) },
  responses: { 200: jsonContent(Appeal, "The appeal, decided"), ...authErrors(404, 409, 413, 415) },
});

export const getSettings = createRoute({
  operationId: "getCreditLevelSettings",
  method: "get",
  path: "/v1/admin/settings/credit",
  tags,
  summary: "Level thresholds and commission share per level (staff)",
  security: bearer,
  middleware: [staff] as const,
  responses: { 200: jsonContent(Settings, "The rules in force and the defaults"), ...authErrors() },
});

export const putSettings = createRoute({
  operationId: "putCreditLevelSettings",
  method: "put",
  path: "/v1/admin/settings/credit",
  tags,
  summary: "Set level thresholds and commission share per level (platform staff)",
  description:
    "Thresholds (least score and completed jobs) for standard, gold and diamond, not falling from one level to the next; a technician share in basis points per level (null: the commission rules decide). The nightly recalculation applies thresholds; shares apply to the next split. Audited.",
  security: bearer,
  middleware: [platform] as const,
  request: { body: jsonBody(LevelRulesInput) },
  responses: { 200: jsonContent(Settings, "The rules now in force"), ...authErrors(413, 415) },
});
