import { authOf } from "../http/auth";
import { createRouter } from "../http/openapi";
import * as routes from "./series.routes";
import * as series from "./series.service";
import { listUnbookable } from "./unbookable.service";

export default createRouter()
  .openapi(routes.listUnbookableVisits, async (c) => c.json(await listUnbookable(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.createSeries, async (c) => c.json(await series.createSeries(c.env, authOf(c), c.req.valid("json")), 201))
  .openapi(routes.listSeries, async (c) => {
    const q = c.req.valid("query");
    return c.json(await series.listSeries(c.env, authOf(c), { limit: q.limit, mine: q.mine === "true" }), 200);
  })
  .openapi(routes.getSeries, async (c) => c.json(await series.getSeries(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(routes.skipSeriesVisit, async (c) => {
    const { id, date } = c.req.valid("param");
    return c.json(await series.skipSeriesVisit(c.env, authOf(c), id, date, c.req.valid("json").reason), 200);
  })
  .openapi(routes.rescheduleSeriesVisit, async (c) => {
    const { id, date } = c.req.valid("param");
    return c.json(await series.rescheduleSeriesVisit(c.env, authOf(c), id, date, c.req.valid("json")), 200);
  })
  .openapi(routes.pauseSeries, async (c) =>
    c.json(await series.pauseSeries(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(routes.resumeSeries, async (c) => c.json(await series.resumeSeries(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(routes.changeSeries, async (c) =>
    c.json(await series.changeSeriesFrom(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 201),
  )
  .openapi(routes.cancelSeries, async (c) =>
    c.json(await series.cancelSeries(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  );
