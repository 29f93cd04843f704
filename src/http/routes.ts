import addresses from "../identity/addresses.handlers";
import adminOrders from "../orders/admin-orders.handlers";
import orders from "../orders/orders.handlers";
import payments from "../money/payments.handlers";
import money from "../money/money.handlers";
import tasks from "../dispatch/tasks.handlers";
import availability from "../dispatch/availability.handlers";
import audit from "../audit/audit.handlers";
import auth from "../identity/auth.handlers";
import catalog from "../catalog/catalog.handlers";
import coupons from "../coupons/coupons.handlers";
import cities from "../catalog/cities.handlers";
import dashboard from "../operations/operations.handlers";
import docs from "./docs/docs.handlers";
import health from "./health.handlers";
import me from "../identity/me.handlers";
import merchants from "../merchants/merchants.handlers";
import notifications from "../notifications/notifications.handlers";
import presence from "../technicians/presence.handlers";
import reviews from "../reviews/reviews.handlers";
import schedule from "../technicians/schedule.handlers";
import technicians from "../technicians/technicians.handlers";
import visit from "../visit/visit.handlers";

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
];
