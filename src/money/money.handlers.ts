import { authOf } from "../http/auth";
import { managedOrder } from "../orders/admin-orders.service";
import { idempotent, parseIdempotencyKey } from "../orders/idempotency.service";
import { cashView, recordCash, waiveDue } from "./collection.service";
import { listCommission, putCommission } from "./commission.service";
import { approveRefund, refundByOperator, rejectRefund } from "./complaints.service";
import { refundView } from "./payments.service";
import { reconcilePendingPayments } from "./reconcile.service";
import { refundsForStaff } from "./refunds-admin.service";
import * as reports from "./revenue.service";
import * as withdrawals from "./withdrawals.service";
import { ownTechnicianId } from "../technicians/shifts.service";
import { createRouter } from "../http/openapi";
import * as routes from "./money.routes";
import * as reportRoutes from "./revenue.routes";
import { runStatementsNow, statementsOfDay } from "./statements.service";
import * as statementRoutes from "./statements.routes";

export default createRouter()
  .openapi(routes.earnings, async (c) => c.json(await withdrawals.earnings(c.env, ownTechnicianId(authOf(c)), c.req.valid("query")), 200))
  .openapi(routes.requestWithdrawal, async (c) => {
    const auth = authOf(c);
    const technicianId = ownTechnicianId(auth);
    const body = c.req.valid("json");
    const key = parseIdempotencyKey(c.req.header("Idempotency-Key"), true)!;
    const outcome = await idempotent(c.env, auth.accountId, key, { withdrawal: body }, async () => ({
      status: 201,
      body: await withdrawals.requestWithdrawal(c.env, technicianId, body.amount),
    }));
    if (outcome.replayed) c.header("Idempotent-Replayed", "true");
    return c.json(outcome.body as ReturnType<typeof withdrawals.withdrawalView>, 201);
  })
  .openapi(routes.recordCash, async (c) => {
    const auth = authOf(c);
    const technicianId = ownTechnicianId(auth);
    const { amount } = c.req.valid("json");
    const orderId = c.req.valid("param").id;
    const key = parseIdempotencyKey(c.req.header("Idempotency-Key"), true)!;
    const outcome = await idempotent(c.env, auth.accountId, key, { cash: { orderId, amount } }, async () => ({
      status: 201,
      body: await recordCash(c.env, technicianId, auth.accountId, orderId, amount),
    }));
    if (outcome.replayed) c.header("Idempotent-Replayed", "true");
    return c.json(outcome.body as ReturnType<typeof cashView>, 201);
  })
  .openapi(routes.listOwnWithdrawals, async (c) =>
    c.json(await withdrawals.ownWithdrawals(c.env, ownTechnicianId(authOf(c)), c.req.valid("query")), 200),
  )
  .openapi(routes.listRefunds, async (c) => c.json(await refundsForStaff(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.approveRefund, async (c) =>
    c.json(await approveRefund(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(routes.rejectRefund, async (c) =>
    c.json(await rejectRefund(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json").reason), 200),
  )
  .openapi(routes.refundOrder, async (c) => {
    const auth = authOf(c);
    const id = c.req.valid("param").id;
    const body = c.req.valid("json");
    const key = parseIdempotencyKey(c.req.header("Idempotency-Key"), true)!;
    const outcome = await idempotent(c.env, auth.accountId, key, { refundOrder: id, ...body }, async () => ({
      status: 201,
      body: { items: await refundByOperator(c.env, auth, await managedOrder(c.env, auth, id), body) },
    }));
    if (outcome.replayed) c.header("Idempotent-Replayed", "true");
    return c.json(outcome.body as { items: ReturnType<typeof refundView>[] }, 201);
  })
  .openapi(routes.waiveDue, async (c) => c.json(await waiveDue(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json").reason), 200))
  .openapi(routes.listWithdrawals, async (c) => c.json(await withdrawals.withdrawalsForStaff(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.approveWithdrawal, async (c) =>
    c.json(await withdrawals.approveWithdrawal(c.env, authOf(c), c.req.valid("param").id, new URL(c.req.url).origin), 200),
  )
  .openapi(routes.rejectWithdrawal, async (c) =>
    c.json(await withdrawals.rejectWithdrawal(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json").reason), 200),
  )
  .openapi(reportRoutes.reconciliation, async (c) => c.json(await reports.reconciliation(c.env, c.req.valid("query")), 200))
  .openapi(reportRoutes.reconcileNow, async (c) => c.json(await reconcilePendingPayments(c.env), 200))
  .openapi(statementRoutes.statements, async (c) => c.json(await statementsOfDay(c.env, c.req.valid("query").date), 200))
  .openapi(statementRoutes.runStatements, async (c) => c.json(await runStatementsNow(c.env, authOf(c).accountId, c.req.valid("json")), 200))
  .openapi(reportRoutes.revenue, async (c) => c.json(await reports.revenue(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(reportRoutes.ledger, async (c) => c.json(await reports.ledgerPage(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(reportRoutes.ledgerAccounts, async (c) => c.json(await reports.accounts(c.env, authOf(c)), 200))
  .openapi(reportRoutes.ledgerCsv, async (c) => {
    const csv = await reports.ledgerCsv(c.env, authOf(c), c.req.valid("query"));
    return c.body(csv, 200, { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="ledger.csv"' });
  })
  .openapi(reportRoutes.listCommission, async (c) => c.json(await listCommission(c.env), 200))
  .openapi(reportRoutes.putCommission, async (c) => c.json(await putCommission(c.env, authOf(c).accountId, c.req.valid("json")), 200));
