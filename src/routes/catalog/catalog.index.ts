import { createRouter } from "../openapi";

export default createRouter();
