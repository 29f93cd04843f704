/**
 * Share links: a signed link (`/s/<token>`) to a service or a technician's public profile, made by
 * a signed-in account and carrying its share code. The Worker serves the link as a small HTML page
 * with Open Graph tags (the preview card chat apps show: title, description, image) in zh-CN or en,
 * and the same card as JSON. An altered token is 404 SHARE_LINK_INVALID; a target that is gone (a
 * service switched off, a technician no longer approved) is too.
 */
import { getDb } from "../db/client";
import { serviceCard, technicianCard } from "../db/repositories/growth.repo";
import { maskName } from "../domain/masking";
import { AppError, notFound } from "../errors";
import { sign, verify } from "../lib/signed";
import { myReferral } from "./referrals.service";

const PURPOSE = "share-link";
const PREFIX = "sl_";

interface ShareLinkPayload {
  v: 1;
  t: "service" | "technician";
  id: string;
  /** The sharer's share code (a new customer who follows the link can accept it). */
  ref: string;
}

const invalidLink = () => AppError.of("SHARE_LINK_INVALID");

async function cardOf(env: Env, p: ShareLinkPayload, origin: string, token: string) {
  const db = getDb(env);
  if (p.t === "service") {
    const s = await serviceCard(db, p.id);
    if (!s || !s.active) throw invalidLink();
    return {
      type: p.t,
      id: p.id,
      title: { zh: s.nameZh, en: s.nameEn },
      description: { zh: s.descriptionZh, en: s.descriptionEn },
      image: null as string | null,
      referralCode: p.ref,
    };
  }
  const t = await technicianCard(db, p.id);
  if (!t || t.status !== "approved") throw invalidLink();
  const name = maskName(t.name);
  return {
    type: p.t,
    id: p.id,
    title: { zh: `技师 ${name}`, en: `Technician ${name}` },
    description: {
      zh: `查看${name}的评价、等级和作品，一键预约上门服务。`,
      en: `See ${name}'s reviews, level and work, and book a home visit.`,
    },
    image: t.hasPhoto ? `${origin}/s/${token}/image` : null,
    referralCode: p.ref,
  };
}

/** A signed link to a service or an approved technician (404 for neither), with its card. */
export async function createShareLink(env: Env, accountId: string, target: { type: "service" | "technician"; id: string }, origin: string) {
  const { code } = await myReferral(env, accountId);
  const payload: ShareLinkPayload = { v: 1, t: target.type, id: target.id, ref: code };
  const token = await sign(env.JWT_SECRET, PURPOSE, PREFIX, payload);
  const card = await cardOf(env, payload, origin, token).catch((err: unknown) => {
    throw err instanceof AppError && err.code === "SHARE_LINK_INVALID"
      ? notFound(target.type === "service" ? "Service" : "Technician")
      : err;
  });
  return { token, url: `${origin}/s/${token}`, card };
}

async function payloadOf(env: Env, token: string): Promise<ShareLinkPayload> {
  const p = await verify<ShareLinkPayload>(env.JWT_SECRET, PURPOSE, PREFIX, token);
  if (!p || p.v !== 1) throw invalidLink();
  return p;
}

/** The card of a link (404 SHARE_LINK_INVALID when altered or its target is gone). */
export async function shareCard(env: Env, token: string, origin: string) {
  return cardOf(env, await payloadOf(env, token), origin, token);
}

/** The technician whose photo a link's card shows (404 SHARE_LINK_INVALID for a service's link). */
export async function sharedTechnician(env: Env, token: string): Promise<string> {
  const p = await payloadOf(env, token);
  if (p.t !== "technician") throw invalidLink();
  return p.id;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The link's page: Open Graph tags for the preview card, and a line for people, in `lang`. */
export async function sharePage(env: Env, token: string, origin: string, lang: "zh" | "en"): Promise<string> {
  const card = await shareCard(env, token, origin);
  const title = escape(card.title[lang]);
  const description = escape(card.description[lang]);
  const url = escape(`${origin}/s/${token}`);
  const open = lang === "zh" ? "在 App 中打开" : "Open in the app";
  const code = lang === "zh" ? `邀请码：${escape(card.referralCode)}` : `Invitation code: ${escape(card.referralCode)}`;
  return `<!doctype html>
<html lang="${lang === "zh" ? "zh-CN" : "en"}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<meta name="description" content="${description}">
<meta property="og:type" content="website">
<meta property="og:title" content="${title}">
<meta property="og:description" content="${description}">
<meta property="og:url" content="${url}">
<meta property="og:locale" content="${lang === "zh" ? "zh_CN" : "en_US"}">
${card.image ? `<meta property="og:image" content="${escape(card.image)}">\n` : ""}</head>
<body>
<h1>${title}</h1>
<p>${description}</p>
<p>${code}</p>
<p><a href="doorstep://${card.type}/${escape(card.id)}?ref=${escape(card.referralCode)}">${open}</a></p>
</body>
</html>`;
}
