import { createRouter } from "../http/openapi";
import { bootstrapAdmin } from "./bootstrap.service";
import * as routes from "./bootstrap.routes";

export default createRouter().openapi(routes.bootstrap, async (c) =>
  c.json(await bootstrapAdmin(c.env, c.req.valid("header")["bootstrap-token"], c.req.valid("json")), 201),
);
