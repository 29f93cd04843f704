import { authOf } from "../http/auth";
import { createRouter } from "../http/openapi";
import { reportAnswer } from "../reports";
import * as surveys from "./surveys.service";
import * as routes from "./surveys.routes";

export default createRouter()
  .openapi(routes.get, async (c) => c.json(await surveys.orderSurvey(c.env, authOf(c).accountId, c.req.valid("param").id), 200))
  .openapi(routes.answer, async (c) =>
    c.json(await surveys.answerSurvey(c.env, authOf(c).accountId, c.req.valid("param").id, c.req.valid("json")), 201),
  )
  .openapi(routes.listQuestions, async (c) => c.json(await surveys.questions(c.env), 200))
  .openapi(routes.addQuestion, async (c) => c.json(await surveys.addQuestion(c.env, authOf(c), c.req.valid("json")), 201))
  .openapi(routes.editQuestion, async (c) =>
    c.json(await surveys.editQuestion(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(routes.report, async (c) => {
    const { format, ...q } = c.req.valid("query");
    return reportAnswer(c, `survey-by-${q.by}`, format, await surveys.surveyReport(c.env, authOf(c), q));
  })
  .openapi(routes.answersReport, async (c) => {
    const { format, ...q } = c.req.valid("query");
    return reportAnswer(c, "survey-answers", format, await surveys.surveyAnswersReport(c.env, authOf(c), q));
  });
