/** The reads of a technician's task in one round trip (src/dispatch/tasks.service.ts). */
import { and, desc, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client";
import { consentEvents, orderEvents, orders, technicians } from "../db/schema";

/**
 * One D1 batch: the order, its timeline (oldest first), the technician as an order view shows them
 * (with their home cell) and the newest contact-sharing choice of the order's customer (none recorded: undefined).
 */
export async function taskFacts(db: Db, orderId: string, technicianId: string) {
  const [order, events, technician, consent] = await db.batch([
    db.select().from(orders).where(eq(orders.id, orderId)).limit(1),
    db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(orderEvents.at, orderEvents.id),
    db
      .select({ id: technicians.id, name: technicians.name, ratingX100: technicians.ratingX100, homeCell: technicians.homeCell })
      .from(technicians)
      .where(eq(technicians.id, technicianId))
      .limit(1),
    db
      .select()
      .from(consentEvents)
      .where(
        and(
          inArray(consentEvents.accountId, db.select({ id: orders.customerId }).from(orders).where(eq(orders.id, orderId))),
          eq(consentEvents.purpose, "contact_sharing"),
        ),
      )
      .orderBy(desc(consentEvents.seq))
      .limit(1),
  ]);
  return { order: order[0], events, technician: technician[0], contactConsent: consent[0] };
}
