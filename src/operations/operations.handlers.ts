import type { Context } from "hono";
import type { AppEnv } from "../env";
import { authOf } from "../http/auth";
import * as documents from "../technicians/documents.service";
import { cityLive } from "./live.service";
import * as reports from "../reports/reports.service";
import { dispatchSettings } from "./settings.service";
import { setDispatchWeights } from "../dispatch";
import { reportAnswer } from "../reports/report-answer";
import { createRouter, fileHeaders } from "../http/openapi";
import * as docRoutes from "../technicians/documents.routes";
import * as liveRoutes from "./live.routes";
import * as reportRoutes from "../reports/reports.routes";
import * as cellExportRoutes from "./cell-export.routes";
import { cellExport, cellExportCsv } from "./cell-export.service";
import * as liveSocketRoutes from "./live-socket.routes";
import { cellLiveTicket, openCellLive } from "./live-socket.service";
import * as searchRoutes from "./search.routes";
import { search } from "./search.service";

const upload = async (
  c: Context<AppEnv>,
  { kind, expiresOn }: { kind: documents.DocumentUpload["kind"]; expiresOn?: string },
): Promise<documents.DocumentUpload> => ({
  kind,
  ...(expiresOn === undefined ? {} : { expiresOn }),
  contentType: c.req.header("Content-Type"),
  body: await c.req.arrayBuffer(),
});

export default createRouter()
  .openapi(liveRoutes.live, async (c) => c.json(await cityLive(c.env, authOf(c), c.req.valid("param").id, c.req.valid("query")), 200))
  .openapi(cellExportRoutes.cellExport, async (c) => {
    const { format, ...window } = c.req.valid("query");
    const cell = c.req.valid("param").cell;
    const e = await cellExport(c.env, authOf(c), cell, window);
    if (format === "json") return c.json(e, 200);
    return c.body(cellExportCsv(e), 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="cell-${cell}-${e.from.utc!.slice(0, 10)}.csv"`,
    });
  })
  .openapi(liveSocketRoutes.cellLive, async (c) =>
    openCellLive(c.env, c.req.raw, c.get("auth"), c.req.valid("param").cell, c.req.valid("query").ticket),
  )
  .openapi(liveSocketRoutes.cellLiveTicket, async (c) => c.json(await cellLiveTicket(c.env, authOf(c), c.req.valid("param").cell), 201))
  .openapi(searchRoutes.search, async (c) => c.json(await search(c.env, authOf(c), c.req.valid("query").q), 200))
  .openapi(liveRoutes.dispatchSettings, async (c) => c.json(await dispatchSettings(c.env), 200))
  .openapi(liveRoutes.putDispatchWeights, async (c) =>
    c.json(await setDispatchWeights(c.env, authOf(c).accountId, c.req.valid("json")), 200),
  )
  .openapi(liveRoutes.clearDispatchWeights, async (c) => c.json(await setDispatchWeights(c.env, authOf(c).accountId, null), 200))
  .openapi(reportRoutes.ordersByHour, async (c) => {
    const q = c.req.valid("query");
    return reportAnswer(c, "orders-by-hour", q.format, await reports.ordersByHour(c.env, authOf(c), q));
  })
  .openapi(reportRoutes.hotCells, async (c) => {
    const q = c.req.valid("query");
    return reportAnswer(c, "hot-cells", q.format, await reports.hotCells(c.env, authOf(c), q));
  })
  .openapi(reportRoutes.sales, async (c) => {
    const q = c.req.valid("query");
    return reportAnswer(c, `sales-by-${q.by}`, q.format, await reports.sales(c.env, authOf(c), q));
  })
  .openapi(reportRoutes.acceptTime, async (c) => {
    const q = c.req.valid("query");
    return reportAnswer(c, "accept-time", q.format, await reports.acceptTime(c.env, authOf(c), q));
  })
  .openapi(reportRoutes.rates, async (c) => {
    const q = c.req.valid("query");
    return reportAnswer(c, "rates", q.format, await reports.rates(c.env, authOf(c), q));
  })
  .openapi(reportRoutes.utilisation, async (c) => {
    const q = c.req.valid("query");
    return reportAnswer(c, "utilisation", q.format, await reports.utilisation(c.env, authOf(c), q));
  })
  .openapi(docRoutes.uploadForTechnician, async (c) =>
    c.json(await documents.uploadForTechnician(c.env, authOf(c), c.req.valid("param").id, await upload(c, c.req.valid("query"))), 201),
  )
  .openapi(docRoutes.listForTechnician, async (c) =>
    c.json(await documents.technicianDocuments(c.env, authOf(c), c.req.valid("param").id, c.req.valid("query")), 200),
  )
  .openapi(docRoutes.download, async (c) => {
    const { id, documentId } = c.req.valid("param");
    const file = await documents.documentFile(c.env, authOf(c), id, documentId);
    return c.body(file.body, 200, fileHeaders(file, "private, no-store"));
  })
  .openapi(docRoutes.uploadOwn, async (c) =>
    c.json(await documents.uploadOwn(c.env, authOf(c), await upload(c, c.req.valid("query"))), 201),
  )
  .openapi(docRoutes.listOwn, async (c) => c.json(await documents.ownDocuments(c.env, authOf(c), c.req.valid("query")), 200));
