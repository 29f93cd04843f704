import { createApp } from "./app";

export { CellDO } from "../durable/cell.do";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
