import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, IdParam, jsonBody, jsonContent } from "../http/openapi";
import { OrderParam } from "../visit/visit.schemas";
import { csvOrJson, SCOPE_NOTE, ScopedReport, ScopedReportQuery } from "../reports";
import { RATING_MAX, TEXT_MAX } from "../domain/surveys";

const customer = requireRole("customer");
const staff = requireRole("operator", "admin", "merchant_admin");
const platform = requireRole("operator", "admin");

const Text = z.object({ zh: z.string().trim().min(1).max(200), en: z.string().trim().min(1).max(200) }).strict();
const Option = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9_-]{1,32}$/)
      .optional()
      .openapi({ description: "Stable id (default o1, o2, … by position)" }),
    zh: z.string().trim().min(1).max(100),
    en: z.string().trim().min(1).max(100),
  })
  .strict();

export const Question = z
  .object({
    id: z.string(),
    kind: z.enum(["choice", "rating", "text"]),
    prompt: z.object({ zh: z.string(), en: z.string() }),
    options: z.array(z.object({ id: z.string(), zh: z.string(), en: z.string() })),
    scale: z.object({ min: z.number().int(), max: z.number().int() }).optional().openapi({ description: "A rating's scores" }),
    required: z.boolean(),
    position: z.number().int(),
    active: z.boolean(),
    updatedAt: z.string(),
  })
  .openapi("SurveyQuestion");

const Answer = z.object({
  questionId: z.string(),
  kind: z.enum(["choice", "rating", "text"]),
  value: z.union([z.string(), z.number()]),
});

const SurveyResponse = z
  .object({ id: z.string(), orderId: z.string(), nps: z.number().int(), answers: z.array(Answer), createdAt: z.string() })
  .openapi("SurveyResponse");

const Survey = z
  .object({
    orderId: z.string(),
    status: z.enum(["open", "answered", "closed"]),
    closesAt: z.string(),
    nps: z.object({ prompt: z.object({ zh: z.string(), en: z.string() }), min: z.number(), max: z.number() }),
    questions: z.array(Question),
    response: SurveyResponse.nullable(),
  })
  .openapi("Survey");

export const get = createRoute({
  operationId: "getOrderSurvey",
  method: "get",
  path: "/v1/orders/{id}/survey",
  tags: ["Surveys"],
  summary: "The satisfaction survey of my completed order (the link of the `survey.invite` notice)",
  description:
    "The NPS question (0–10) and the questions asked now, in both languages; `status` open, answered (with the response) or closed (SURVEY_WINDOW_DAYS after completion). 404 for someone else's order, 409 INVALID_STATE before completion.",
  security: bearer,
  middleware: [customer] as const,
  request: { params: OrderParam },
  responses: { 200: jsonContent(Survey, "The survey"), ...authErrors(404, 409) },
});

export const answer = createRoute({
  operationId: "answerOrderSurvey",
  method: "post",
  path: "/v1/orders/{id}/survey",
  tags: ["Surveys"],
  summary: "Answer the satisfaction survey of my completed order (once)",
  description: `\`nps\` 0–10 and an answer per question asked: a choice's option id, a rating 1–${RATING_MAX}, a text up to ${TEXT_MAX} characters; required questions must be answered. A wrong answer is 400 VALIDATION_FAILED with its path and nothing is stored. Once per order (409 SURVEY_ALREADY_ANSWERED), within SURVEY_WINDOW_DAYS of completion (409 SURVEY_WINDOW_CLOSED), only by the order's customer (404 for anyone else). Separate from the review.`,
  security: bearer,
  middleware: [customer] as const,
  request: {
    params: OrderParam,
    body: jsonBody(
      z
        .object({
          nps: z.number().int().min(0).max(10),
          answers: z
            .array(z.object({ questionId: z.string().min(1).max(64), value: z.union([z.string().max(TEXT_MAX), z.number()]) }).strict())
            .max(50)
            .default([]),
        })
        .strict(),
    ),
  },
  responses: { 201: jsonContent(SurveyResponse, "Answered"), ...authErrors(404, 409, 413, 415) },
});

export const listQuestions = createRoute({
  operationId: "listSurveyQuestions",
  method: "get",
  path: "/v1/admin/survey-questions",
  tags: ["Surveys"],
  summary: "The survey's configured questions, retired ones too (operators)",
  security: bearer,
  middleware: [platform] as const,
  responses: { 200: jsonContent(z.object({ items: z.array(Question) }), "Questions in survey order"), ...authErrors() },
});

export const addQuestion = createRoute({
  operationId: "createSurveyQuestion",
  method: "post",
  path: "/v1/admin/survey-questions",
  tags: ["Surveys"],
  summary: "Add a question to the satisfaction survey (operators; audited)",
  description: `Single choice (2–10 options), rating (1–${RATING_MAX}) or free text, with its prompt in zh-CN and en. Asked in every survey from now on, after the NPS question, by \`position\`.`,
  security: bearer,
  middleware: [platform] as const,
  request: {
    body: jsonBody(
      z
        .object({
          kind: z.enum(["choice", "rating", "text"]),
          prompt: Text,
          options: z.array(Option).max(10).optional(),
          required: z.boolean().optional(),
          position: z.number().int().min(0).max(1000).optional(),
        })
        .strict(),
    ),
  },
  responses: { 201: jsonContent(Question, "Added"), ...authErrors(413, 415) },
});

export const editQuestion = createRoute({
  operationId: "updateSurveyQuestion",
  method: "patch",
  path: "/v1/admin/survey-questions/{id}",
  tags: ["Surveys"],
  summary: "Edit or retire a survey question (operators; audited)",
  description: "`active: false` retires it: no longer asked, its answers stay in the reports. The kind does not change.",
  security: bearer,
  middleware: [platform] as const,
  request: {
    params: IdParam("id", "sq_01JD3"),
    body: jsonBody(
      z
        .object({
          prompt: Text.optional(),
          options: z.array(Option).max(10).optional(),
          required: z.boolean().optional(),
          position: z.number().int().min(0).max(1000).optional(),
          active: z.boolean().optional(),
        })
        .strict(),
    ),
  },
  responses: { 200: jsonContent(Question, "Changed"), ...authErrors(404, 413, 415) },
});

export const report = createRoute({
  operationId: "getSurveyReport",
  method: "get",
  path: "/v1/admin/reports/survey",
  tags: ["Reports"],
  summary: "Satisfaction (NPS) per service, merchant, technician, day or week",
  description: `NPS = % promoters (9–10) − % detractors (0–6), −100…100, with the counts (responses, promoters, passives, detractors) so that a small sample shows; null without responses. Responses are placed on the local date of the visit. ${SCOPE_NOTE}`,
  security: bearer,
  middleware: [staff] as const,
  request: { query: ScopedReportQuery.extend({ by: z.enum(["service", "merchant", "technician", "day", "week"]).default("day") }) },
  responses: csvOrJson(ScopedReport),
});

export const answersReport = createRoute({
  operationId: "getSurveyAnswersReport",
  method: "get",
  path: "/v1/admin/reports/survey-answers",
  tags: ["Reports"],
  summary: "How the configured survey questions were answered",
  description: `Per question and answer (a choice's option, a rating's score): the count, with the question's answered count and mean rating; free texts only counted. ${SCOPE_NOTE}`,
  security: bearer,
  middleware: [staff] as const,
  request: { query: ScopedReportQuery },
  responses: csvOrJson(ScopedReport),
});
