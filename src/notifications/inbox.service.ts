/** The in-app notification centre: an account's notices, unread first to count, marked read by the account. */
import { getDb } from "../db/client";
import { listNotifications, markAllRead, markRead, unreadCount, type NotificationRow } from "../db/repositories/notifications.repo";
import { notFound } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";

function view(row: NotificationRow) {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    body: row.body,
    data: row.data,
    read: row.readAt !== null,
    readAt: row.readAt === null ? null : new Date(row.readAt).toISOString(),
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

/** A page of the account's notices, newest first, with how many are unread in all. */
export async function myNotifications(env: Env, accountId: string, q: { limit: number; cursor?: string; unread?: boolean }) {
  const db = getDb(env);
  const [rows, unread] = await Promise.all([
    listNotifications(db, accountId, { beforeId: decodeCursor(q.cursor), unread: q.unread }, q.limit + 1),
    unreadCount(db, accountId),
  ]);
  const page = toPage(rows, q.limit);
  return { items: page.items.map(view), nextCursor: page.nextCursor, unread };
}

/** Marks one of the account's notices read (idempotent); 404 for anyone else's. */
export async function readNotification(env: Env, accountId: string, id: string) {
  const row = await markRead(getDb(env), accountId, id);
  if (!row) throw notFound({ en: "Notification", zh: "通知" });
  return view(row);
}

/** Marks every notice of the account read. */
export async function readAllNotifications(env: Env, accountId: string) {
  return { updated: await markAllRead(getDb(env), accountId) };
}
