import { authOf } from "../http/auth";
import * as cities from "./cities.service";
import { createRouter } from "../http/openapi";
import * as routes from "./cities.routes";

export default createRouter()
  .openapi(routes.listCities, async (c) => c.json({ items: await cities.getCities(c.env) }, 200))
  .openapi(routes.createCity, async (c) => c.json(await cities.createCity(c.env, authOf(c).accountId, c.req.valid("json")), 201))
  .openapi(routes.patchCity, async (c) =>
    c.json(await cities.renameCity(c.env, authOf(c).accountId, c.req.valid("param").id, c.req.valid("json").name), 200),
  );
