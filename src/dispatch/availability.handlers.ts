import * as availability from "./availability.service";
import { createRouter } from "../http/openapi";
import * as routes from "./availability.routes";

export default createRouter().openapi(routes.getAvailability, async (c) =>
  c.json(await availability.availability(c.env, c.req.valid("query")), 200),
);
