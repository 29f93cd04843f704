import { authOf } from "../http/auth";
import { createRouter } from "../http/openapi";
import { campaignReturn } from "./campaign-return.service";
import * as growth from "./growth.service";
import * as routes from "./growth.routes";
import { reportAnswer } from "./report-answer";

export default createRouter()
  .openapi(routes.customerGrowth, async (c) => {
    const { format, ...q } = c.req.valid("query");
    return reportAnswer(c, `customer-growth-by-${q.period}`, format, await growth.customerGrowth(c.env, authOf(c), q));
  })
  .openapi(routes.revenueLines, async (c) => {
    const { format, ...q } = c.req.valid("query");
    return reportAnswer(c, "revenue-lines", format, await growth.revenueLines(c.env, authOf(c), q));
  })
  .openapi(routes.cohorts, async (c) => {
    const { format, ...q } = c.req.valid("query");
    return reportAnswer(c, "cohorts", format, await growth.cohortRetention(c.env, authOf(c), q));
  })
  .openapi(routes.campaignReturn, async (c) => {
    const { format, ...q } = c.req.valid("query");
    return reportAnswer(c, "campaign-return", format, await campaignReturn(c.env, authOf(c), q));
  });
