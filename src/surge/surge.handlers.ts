import { authOf } from "../http/auth";
import { createRouter } from "../http/openapi";
import * as routes from "./surge.routes";
import { setSurgeSettings, surgeCaps, surgeOverview, surgeSettings } from "./surge.service";
import { getDb } from "../db/client";
import { findCity } from "../db/repositories/cities.repo";
import { notFound } from "../errors";
import { toCsv } from "../domain/reports";
import { forecastAccuracy } from "./forecast.service";
import { prepositions } from "./preposition.service";
import { isPlatform } from "../domain/roles";

export default createRouter()
  .openapi(routes.surgeOverview, async (c) => c.json(await surgeOverview(c.env, c.req.valid("query").cityId), 200))
  .openapi(routes.getSurgeSettings, async (c) => {
    const id = c.req.valid("param").id;
    if (!(await findCity(getDb(c.env), id))) throw notFound("City");
    return c.json({ ...(await surgeSettings(c.env, id)), caps: surgeCaps(c.env) }, 200);
  })
  .openapi(routes.putSurgeSettings, async (c) =>
    c.json(await setSurgeSettings(c.env, c.req.valid("param").id, authOf(c).accountId, c.req.valid("json")), 200),
  )
  .openapi(routes.prepositions, async (c) => {
    const auth = authOf(c);
    // A merchant admin's suggestions move only its own technicians (docs/surge-forecasts.md).
    const merchantId = isPlatform(auth.roles) ? undefined : (auth.merchantId ?? "__none__");
    return c.json(await prepositions(c.env, c.req.valid("param").id, c.req.valid("query").hours, Date.now(), merchantId), 200);
  })
  .openapi(routes.forecastAccuracy, async (c) => {
    const { format, ...q } = c.req.valid("query");
    const r = await forecastAccuracy(c.env, q);
    if (format === "json") return c.json(r, 200);
    return c.body(toCsv(r.columns, r.rows), 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="forecast-accuracy-${r.cityId}-${r.from.slice(0, 10)}-${r.to.slice(0, 10)}.csv"`,
    });
  });
