import addresses from "./addresses/addresses.index";
import adminOrders from "./orders/admin-orders.index";
import orders from "./orders/orders.index";
import payments from "./payments/payments.index";
import money from "./money/money.index";
import tasks from "./tasks/tasks.index";
import availability from "./availability/availability.index";
import bench from "./bench/bench.index";
import audit from "./audit/audit.index";
import auth from "./auth/auth.index";
import catalog from "./catalog/catalog.index";
import coupons from "./coupons/coupons.index";
import cities from "./cities/cities.index";
import dashboard from "./dashboard/dashboard.index";
import docs from "./docs/docs.index";
import health from "./health/health.index";
import me from "./me/me.index";
import merchants from "./merchants/merchants.index";
import notifications from "./notifications/notifications.index";
import presence from "./presence/presence.index";
import reviews from "./reviews/reviews.index";
import schedule from "./schedule/schedule.index";
import technicians from "./technicians/technicians.index";
import visit from "./visit/visit.index";

/** Every route module, mounted at the root by createApp. */
export const routes = [
  health,
  docs,
  auth,
  me,
  addresses,
  cities,
  merchants,
  catalog,
  technicians,
  schedule,
  presence,
  availability,
  orders,
  payments,
  money,
  visit,
  notifications,
  reviews,
  coupons,
  tasks,
  adminOrders,
  audit,
  dashboard,
  bench,
];
