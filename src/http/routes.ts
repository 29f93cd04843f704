import { auditRoutes } from "../audit";
import { backupsRoutes } from "../backups";
import { catalogRoutes, citiesRoutes } from "../catalog";
import { couponsRoutes } from "../coupons";
import { availabilityRoutes, tasksRoutes } from "../dispatch";
import { accountsAdminRoutes, addressesRoutes, authRoutes, bootstrapRoutes, meRoutes, wechatRoutes } from "../identity";
import { merchantsRoutes } from "../merchants";
import { moneyRoutes, paymentsRoutes } from "../money";
import { notificationsRoutes } from "../notifications";
import { observabilityRoutes } from "../observability";
import { dashboardRoutes } from "../operations";
import { adminOrdersRoutes, ordersRoutes } from "../orders";
import { reviewsRoutes } from "../reviews";
import { lifecycleRoutes, payeesRoutes, presenceRoutes, scheduleRoutes, techniciansRoutes } from "../technicians";
import { visitRoutes } from "../visit";
import { webhooksRoutes } from "../webhooks";
import docs from "./docs/docs.handlers";
import health from "./health.handlers";

/** Every route module, mounted at the root by createApp. */
export const routes = [
  health,
  observabilityRoutes,
  docs,
  authRoutes,
  meRoutes,
  wechatRoutes,
  accountsAdminRoutes,
  bootstrapRoutes,
  addressesRoutes,
  citiesRoutes,
  merchantsRoutes,
  catalogRoutes,
  techniciansRoutes,
  lifecycleRoutes,
  scheduleRoutes,
  presenceRoutes,
  payeesRoutes,
  availabilityRoutes,
  ordersRoutes,
  paymentsRoutes,
  moneyRoutes,
  visitRoutes,
  notificationsRoutes,
  reviewsRoutes,
  couponsRoutes,
  tasksRoutes,
  adminOrdersRoutes,
  auditRoutes,
  dashboardRoutes,
  backupsRoutes,
  webhooksRoutes,
];
