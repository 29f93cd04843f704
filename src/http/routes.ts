import { auditRoutes } from "../audit";
import { catalogRoutes, citiesRoutes } from "../catalog";
import { couponsRoutes } from "../coupons";
import { availabilityRoutes, tasksRoutes } from "../dispatch";
import { accountsAdminRoutes, addressesRoutes, authRoutes, meRoutes, wechatRoutes } from "../identity";
import { merchantsRoutes } from "../merchants";
import { moneyRoutes, paymentsRoutes } from "../money";
import { notificationsRoutes } from "../notifications";
import { observabilityRoutes } from "../observability";
import { dashboardRoutes } from "../operations";
import { adminOrdersRoutes, ordersRoutes } from "../orders";
import { reviewsRoutes } from "../reviews";
import { payeesRoutes, presenceRoutes, scheduleRoutes, techniciansRoutes } from "../technicians";
import { visitRoutes } from "../visit";
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
  addressesRoutes,
  citiesRoutes,
  merchantsRoutes,
  catalogRoutes,
  techniciansRoutes,
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
];
