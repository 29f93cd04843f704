/**
 * The person's tickets for src/privacy: their part of the data export, and what their account
 * deletion erases (see tickets.repo.ts `erasureStatements` for exactly which texts and photos).
 */
import { getDb } from "../db/client";
import { CATEGORY_TEXT } from "../domain/tickets";
import {
  entriesByAuthorElsewhere,
  entriesOfTickets,
  erasedEvidenceKeys,
  erasureStatements,
  ticketsOfPerson,
  type TicketEntryRow,
} from "./tickets.repo";

const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());

const entryData = (e: TicketEntryRow) => ({
  id: e.id,
  ticketId: e.ticketId,
  authorType: e.authorType,
  kind: e.kind,
  body: e.body,
  photo: e.r2Key ? { contentType: e.contentType, size: e.size } : null,
  createdAt: iso(e.createdAt),
});

/**
 * The export's `tickets` part: the tickets the person is the customer of, with their log as the
 * customer sees it (no staff notes); the tickets they opened on someone else's order (a technician's
 * safety ticket: what they wrote, not the customer's side); and what they wrote on other tickets (a
 * technician's appeals and evidence).
 */
export async function ticketsOfAccount(env: Env, accountId: string) {
  const db = getDb(env);
  const rows = await ticketsOfPerson(db, accountId);
  const mine = rows.filter((t) => t.customerId === accountId);
  const entries = await entriesOfTickets(
    db,
    mine.map((t) => t.id),
  );
  return {
    tickets: mine.map((t) => ({
      id: t.id,
      orderId: t.orderId,
      category: t.category,
      categoryText: CATEGORY_TEXT[t.category],
      status: t.status,
      description: t.description,
      openedByRole: t.openedByRole,
      conversationId: t.conversationId,
      resolution: t.resolution ?? null,
      createdAt: iso(t.createdAt),
      decidedAt: iso(t.decidedAt),
      entries: entries.filter((e) => e.ticketId === t.id).map(entryData),
    })),
    opened: rows
      .filter((t) => t.customerId !== accountId)
      .map((t) => ({ id: t.id, orderId: t.orderId, category: t.category, description: t.description, createdAt: iso(t.createdAt) })),
    written: (await entriesByAuthorElsewhere(db, accountId)).map(entryData),
  };
}

/** The account deletion's part (src/privacy): statements for its one batch, and the R2 photos to delete after it. */
export async function ticketErasure(env: Env, accountId: string): Promise<{ statements: D1PreparedStatement[]; keys: string[] }> {
  const db = getDb(env);
  return { keys: await erasedEvidenceKeys(db, accountId), statements: erasureStatements(db, accountId) };
}
