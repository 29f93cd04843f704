import { auditRoutes } from "../audit";
import { backupsRoutes } from "../backups";
import { basemapRoutes } from "../basemap";
import { boardRoutes } from "../board";
import { catalogRoutes, citiesRoutes } from "../catalog";
import { conversationsRoutes } from "../conversations";
import { couponsRoutes, growthRoutes } from "../coupons";
import { creditRoutes } from "../credit";
import { availabilityRoutes, tasksRoutes } from "../dispatch";
import { accountsAdminRoutes, addressesRoutes, authRoutes, bootstrapRoutes, meRoutes, wechatRoutes } from "../identity";
import { membershipRoutes } from "../membership";
import { merchantsRoutes } from "../merchants";
import { moneyRoutes, paymentsRoutes } from "../money";
import { notificationsRoutes } from "../notifications";
import { observabilityRoutes } from "../observability";
import { dashboardRoutes } from "../operations";
import { adminOrdersRoutes, ordersRoutes } from "../orders";
import { reviewsRoutes } from "../reviews";
import { dayRouteRoutes } from "../routing";
import { routePlansRoutes } from "../route-plans";
import { seriesRoutes } from "../series";
import { growthReportsRoutes } from "../reports";
import { surveysRoutes } from "../surveys";
import { surgeRoutes } from "../surge";
import { privacyRoutes } from "../privacy";
import { lifecycleRoutes, payeesRoutes, presenceRoutes, profilesRoutes, scheduleRoutes, techniciansRoutes } from "../technicians";
import { ticketsRoutes } from "../tickets";
import { trainingRoutes } from "../training";
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
  basemapRoutes,
  merchantsRoutes,
  catalogRoutes,
  techniciansRoutes,
  lifecycleRoutes,
  scheduleRoutes,
  dayRouteRoutes,
  presenceRoutes,
  payeesRoutes,
  creditRoutes,
  profilesRoutes,
  availabilityRoutes,
  ordersRoutes,
  seriesRoutes,
  paymentsRoutes,
  moneyRoutes,
  visitRoutes,
  notificationsRoutes,
  reviewsRoutes,
  surveysRoutes,
  conversationsRoutes,
  ticketsRoutes,
  couponsRoutes,
  growthRoutes,
  membershipRoutes,
  tasksRoutes,
  adminOrdersRoutes,
  boardRoutes,
  routePlansRoutes,
  auditRoutes,
  dashboardRoutes,
  surgeRoutes,
  growthReportsRoutes,
  backupsRoutes,
  webhooksRoutes,
  privacyRoutes,
  trainingRoutes,
];
