import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./env";
import { pickLocale, type Locale, type Localized } from "./lib/locale";

/** A human-readable message: one string, or one per supported locale. */
export type Message = string | Localized;

export interface FieldError {
  path: string;
  message: string;
}

interface AppErrorOptions {
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Extra machine-readable members added to the problem body. */
  extra?: Record<string, unknown>;
}

/** The title of each status, as problem documents show it. */
const TITLES: Record<number, Localized> = {
  400: { en: "Bad Request", zh: "请求无效" },
  401: { en: "Unauthorized", zh: "未登录" },
  403: { en: "Forbidden", zh: "禁止访问" },
  404: { en: "Not Found", zh: "未找到" },
  405: { en: "Method Not Allowed", zh: "方法不允许" },
  409: { en: "Conflict", zh: "冲突" },
  413: { en: "Payload Too Large", zh: "请求体过大" },
  415: { en: "Unsupported Media Type", zh: "不支持的内容类型" },
  416: { en: "Range Not Satisfiable", zh: "请求范围无法满足" },
  422: { en: "Unprocessable Content", zh: "无法处理的请求" },
  429: { en: "Too Many Requests", zh: "请求过于频繁" },
  500: { en: "Internal Server Error", zh: "服务器内部错误" },
  502: { en: "Bad Gateway", zh: "上游服务错误" },
  503: { en: "Service Unavailable", zh: "服务暂不可用" },
};

interface ErrorSpec {
  status: ContentfulStatusCode;
  /** The detail in both languages; `{name}` is filled from the parameters given when it is raised. */
  detail: Localized;
}

/**
 * The error catalogue: every code the API answers, with its status and its one message. Raise an
 * error with `AppError.of(code, params)`; a code that is not here does not type-check. Published
 * in /openapi.json (`x-error-codes`) and in docs/errors.md.
 */
export const ERRORS = {
  // Generic answers
  BAD_REQUEST: { status: 400, detail: { en: "The request is not valid.", zh: "请求无效。" } },
  VALIDATION_FAILED: { status: 400, detail: { en: "The request is not valid.", zh: "请求参数不合法。" } },
  MALFORMED_JSON: { status: 400, detail: { en: "The request body is not valid JSON.", zh: "请求体不是合法的 JSON。" } },
  INVALID_CURSOR: { status: 400, detail: { en: "The cursor is not valid.", zh: "分页游标无效。" } },
  INVALID_RANGE: { status: 400, detail: { en: "The date range is not valid.", zh: "日期范围无效。" } },
  UNAUTHENTICATED: { status: 401, detail: { en: "Sign in first.", zh: "请先登录。" } },
  INVALID_TOKEN: { status: 401, detail: { en: "The access token is invalid or expired.", zh: "访问令牌无效或已过期。" } },
  FORBIDDEN: { status: 403, detail: { en: "This account may not do that.", zh: "当前账号无权执行此操作。" } },
  NOT_FOUND: { status: 404, detail: { en: "{what} not found.", zh: "未找到{what}。" } },
  ROUTE_NOT_FOUND: { status: 404, detail: { en: "No route for {method} {path}.", zh: "没有 {method} {path} 这个接口。" } },
  METHOD_NOT_ALLOWED: { status: 405, detail: { en: "This method is not allowed here.", zh: "此接口不支持该方法。" } },
  CONFLICT: { status: 409, detail: { en: "The request conflicts with the current state.", zh: "请求与当前状态冲突。" } },
  CONCURRENT_UPDATE: { status: 409, detail: { en: "It changed meanwhile; reload and try again.", zh: "数据已被更新，请刷新后重试。" } },
  INVALID_TRANSITION: {
    status: 409,
    detail: { en: "Not possible while the status is {status}.", zh: "当前状态为 {status}，不能执行此操作。" },
  },
  INVALID_STATE: {
    status: 409,
    detail: { en: "Not possible while the order is {status}: {what}.", zh: "订单当前状态为 {status}，不能{what}。" },
  },
  UPGRADE_REQUIRED: { status: 409, detail: { en: "Open this URL as a WebSocket.", zh: "请以 WebSocket 方式连接。" } },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    detail: { en: "The request body is larger than this endpoint accepts.", zh: "请求体超过此接口的大小上限。" },
  },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, detail: { en: "This content type is not accepted here.", zh: "此接口不接受该内容类型。" } },
  UNPROCESSABLE: { status: 422, detail: { en: "The request cannot be processed.", zh: "无法处理该请求。" } },
  RATE_LIMITED: { status: 429, detail: { en: "Too many requests; try again later.", zh: "请求过于频繁，请稍后再试。" } },
  INTERNAL: { status: 500, detail: { en: "Something went wrong on our side.", zh: "服务器开小差了，请稍后重试。" } },
  MISCONFIGURED: {
    status: 503,
    detail: {
      en: "This deployment refuses to serve until its configuration is fixed: {variables}.",
      zh: "本部署的配置有误，修正前暂停服务：{variables}。",
    },
  },
  // Accounts
  INVALID_PHONE: {
    status: 400,
    detail: {
      en: "Give the phone as E.164 (+8613800000000) or an 11-digit mainland number.",
      zh: "手机号格式不正确，请使用 +86 开头或 11 位大陆手机号。",
    },
  },
  PHONE_COUNTRY_NOT_SUPPORTED: {
    status: 422,
    detail: {
      en: "Sign-in codes can only be sent to numbers with the country code {countries}.",
      zh: "验证码仅支持发送至以下国家/地区代码的手机号：{countries}。",
    },
  },
  OTP_INVALID: { status: 400, detail: { en: "The code is wrong.", zh: "验证码错误。" } },
  OTP_ATTEMPTS_EXCEEDED: {
    status: 400,
    detail: { en: "Too many wrong codes; request a new one.", zh: "错误次数过多，请重新获取验证码。" },
  },
  OTP_EXPIRED: {
    status: 400,
    detail: { en: "The code has expired or was never sent; request a new one.", zh: "验证码已过期，请重新获取。" },
  },
  SMS_UNAVAILABLE: {
    status: 503,
    detail: { en: "The code could not be sent by SMS; try again shortly.", zh: "验证码短信发送失败，请稍后重试。" },
  },
  INVALID_REFRESH_TOKEN: { status: 401, detail: { en: "The refresh token is invalid or expired.", zh: "刷新令牌无效或已过期。" } },
  REFRESH_TOKEN_REUSED: {
    status: 401,
    detail: { en: "This refresh token was already used; sign in again.", zh: "刷新令牌已被使用，请重新登录。" },
  },
  TOKEN_REVOKED: {
    status: 401,
    detail: {
      en: "This access token was revoked (signed out everywhere, or the account's roles changed); refresh it or sign in again.",
      zh: "访问令牌已失效（已在所有设备退出登录，或账号权限已变更），请刷新令牌或重新登录。",
    },
  },
  ACCOUNT_DISABLED: {
    status: 403,
    detail: {
      en: "This account has been disabled by the platform: {reason}. Contact customer service.",
      zh: "该账号已被平台停用，原因：{reason}。如有疑问请联系客服。",
    },
  },
  ACCOUNT_DISABLE_SELF: {
    status: 409,
    detail: { en: "Staff cannot disable their own account.", zh: "不能停用自己的账号。" },
  },
  INVALID_TICKET: {
    status: 401,
    detail: {
      en: "The socket ticket is invalid, expired, or for another route; get a new one.",
      zh: "连接凭证无效、已过期或不属于此接口，请重新获取。",
    },
  },
  TICKET_USED: {
    status: 401,
    detail: { en: "This socket ticket was already used; get a new one.", zh: "该连接凭证已被使用，请重新获取。" },
  },
  WECHAT_NOT_CONFIGURED: {
    status: 409,
    detail: { en: "Signing in with WeChat is not available here.", zh: "当前不支持微信登录。" },
  },
  WECHAT_CODE_INVALID: {
    status: 400,
    detail: {
      en: "The WeChat login code is invalid, expired or already used; call wx.login again and send the new code.",
      zh: "微信登录凭证无效、已过期或已使用，请重新调用 wx.login 获取新的 code。",
    },
  },
  WECHAT_USER_BLOCKED: {
    status: 403,
    detail: { en: "WeChat refused sign-in for this WeChat user.", zh: "微信拒绝了该微信用户的登录。" },
  },
  WECHAT_UNAVAILABLE: {
    status: 503,
    detail: { en: "WeChat did not answer; try again shortly.", zh: "微信服务暂时无响应，请稍后重试。" },
  },
  WECHAT_ALREADY_BOUND: {
    status: 409,
    detail: {
      en: "This WeChat is bound to another account; unbind it there first.",
      zh: "该微信已绑定其他账号，请先在该账号中解绑。",
    },
  },
  WECHAT_NOT_BOUND: {
    status: 409,
    detail: {
      en: "Bind your WeChat first (POST /v1/me/wechat), or give the openid.",
      zh: "请先绑定微信（POST /v1/me/wechat），或提供 openid。",
    },
  },
  ADDRESS_LIMIT: {
    status: 409,
    detail: { en: "An account keeps at most {max} addresses; delete one first.", zh: "每个账号最多保存 {max} 个地址，请先删除一个。" },
  },
  // Catalog and merchants
  UNKNOWN_CATEGORY: { status: 400, detail: { en: "The category does not exist.", zh: "服务分类不存在。" } },
  CATEGORY_CYCLE: {
    status: 400,
    detail: { en: "A category cannot be moved under itself or one of its subcategories.", zh: "不能把分类移到它自身或其子分类之下。" },
  },
  CATEGORY_IN_USE: {
    status: 409,
    detail: {
      en: "The category still has subcategories or services; move or delete them first.",
      zh: "该分类下仍有子分类或服务，请先移走或删除。",
    },
  },
  UNKNOWN_SKILL: { status: 400, detail: { en: "Some skills do not exist.", zh: "部分技能不存在。" } },
  UNKNOWN_CITY: { status: 400, detail: { en: "Some cities do not exist.", zh: "部分城市不存在。" } },
  UNKNOWN_MERCHANT: { status: 400, detail: { en: "The merchant does not exist.", zh: "商户不存在。" } },
  SKILL_EXISTS: { status: 409, detail: { en: "Skill {code} already exists.", zh: "技能 {code} 已存在。" } },
  BACKUP_INCOMPLETE: {
    status: 409,
    detail: {
      en: "The backup of {date} is still being written; try again when it is complete.",
      zh: "{date} 的备份尚未完成，请在完成后再下载。",
    },
  },
  CITY_OVERLAP: { status: 409, detail: { en: "The area overlaps a city that already exists.", zh: "该区域与已有城市重叠。" } },
  BOOTSTRAP_DISABLED: {
    status: 404,
    detail: { en: "Bootstrapping is off on this deployment (no BOOTSTRAP_TOKEN).", zh: "此部署未开启初始化（未设置 BOOTSTRAP_TOKEN）。" },
  },
  BOOTSTRAP_TOKEN_INVALID: { status: 401, detail: { en: "The bootstrap token is wrong.", zh: "初始化令牌不正确。" } },
  BOOTSTRAP_DONE: {
    status: 409,
    detail: {
      en: "This deployment has an administrator already; sign in as them instead.",
      zh: "此部署已有管理员，请以管理员身份登录。",
    },
  },
  CREDIT_DECISION_EMPTY: {
    status: 400,
    detail: { en: "A reward or penalty needs an amount or points.", zh: "奖惩须包含金额或信用分。" },
  },
  CREDIT_NOT_APPEALABLE: {
    status: 409,
    detail: { en: "Only a penalty in force can be appealed.", zh: "只能对生效中的处罚提出申诉。" },
  },
  CREDIT_APPEAL_OPEN: {
    status: 409,
    detail: { en: "This penalty has an appeal waiting for a decision already.", zh: "该处罚已有待处理的申诉。" },
  },
  CREDIT_APPEAL_DECIDED: { status: 409, detail: { en: "This appeal is decided already.", zh: "该申诉已处理。" } },
  DISPATCH_WEIGHTS_EMPTY: {
    status: 400,
    detail: { en: "At least one dispatch weight must be above 0.", zh: "至少有一项派单权重须大于 0。" },
  },
  SURGE_ABOVE_CAP: {
    status: 400,
    detail: {
      en: "Surge pricing may add at most {maxPercent}% and at most {maxAmount} (minor units) to a quote.",
      zh: "高峰加价最多为 {maxPercent}%，且不超过 {maxAmount}（分）。",
    },
  },
  SERVICE_NOT_OFFERED: { status: 404, detail: { en: "This service is not offered at this location.", zh: "该地点不提供此服务。" } },
  MERCHANT_ADMIN_ELSEWHERE: {
    status: 409,
    detail: { en: "This account already administers another merchant.", zh: "该账号已是其他商户的管理员。" },
  },
  // Booking and orders
  QUOTE_INVALID: { status: 400, detail: { en: "The quote is not valid.", zh: "报价无效。" } },
  QUOTE_EXPIRED: { status: 400, detail: { en: "The quote has expired; ask for a new one.", zh: "报价已过期，请重新报价。" } },
  QUOTE_MISMATCH: { status: 400, detail: { en: "The order does not match its quote.", zh: "订单与报价不一致。" } },
  PRICE_CHANGED: {
    status: 409,
    detail: {
      en: "At the new time the order costs {total}; confirm the new price to move it.",
      zh: "改到新时间后订单金额为 {total}，请确认新价格后再改约。",
    },
  },
  RESCHEDULE_QUOTE_STALE: {
    status: 409,
    detail: {
      en: "The order changed since this price was quoted; ask for the new price again.",
      zh: "报价后订单已有变化，请重新获取改约价格。",
    },
  },
  PAYMENT_PLAN_NOT_OFFERED: {
    status: 400,
    detail: { en: "This service does not offer that payment plan.", zh: "该服务不支持此付款方式。" },
  },
  SLOT_UNAVAILABLE: { status: 409, detail: { en: "That time is no longer available.", zh: "该时段已不可预约。" } },
  // Flexible-window orders (docs/flexible-windows.md)
  INVALID_WINDOW: { status: 400, detail: { en: "The time window cannot be booked: {reason}.", zh: "该预约时段无法预约：{reason}。" } },
  WINDOW_FULL: {
    status: 409,
    detail: {
      en: "Your technician has no free start inside that window; nothing was changed.",
      zh: "您的技师在该预约时段内没有可用的开始时间，订单未作更改。",
    },
  },
  // Recurring visits (src/series)
  SERIES_NOT_ACTIVE: {
    status: 409,
    detail: { en: "This series is {status}; that is not possible now.", zh: "该周期预约当前为{status}状态，无法执行此操作。" },
  },
  OCCURRENCE_NOT_CHANGEABLE: {
    status: 409,
    detail: { en: "This visit of the series is {status} and cannot be changed.", zh: "该次上门当前为{status}状态，无法更改。" },
  },
  SERIES_PAYMENT_PLAN: {
    status: 400,
    detail: {
      en: "A series pays per visit after the service; this service does not offer paying after the service.",
      zh: "周期预约按次在服务后付款，该服务不支持服务后付款。",
    },
  },
  TOO_MANY_UNPAID_HOLDS: {
    status: 409,
    detail: {
      en: "You already have {max} bookings waiting for payment; pay or cancel one first.",
      zh: "您已有 {max} 个待支付的预约，请先支付或取消其中一个。",
    },
  },
  TOO_MANY_UNPAID_ORDERS: {
    status: 409,
    detail: {
      en: "You already have {max} pay-after-service orders not yet paid; pay or cancel one first.",
      zh: "您已有 {max} 个服务后付款的订单尚未支付，请先支付或取消其中一个。",
    },
  },
  OUTSIDE_SHIFT: { status: 409, detail: { en: "That time is outside the technician's working hours.", zh: "该时段不在技师工作时间内。" } },
  HOLD_EXPIRED: { status: 409, detail: { en: "The reservation has expired.", zh: "预留已过期。" } },
  ORDER_CONFLICT: { status: 409, detail: { en: "The order already holds a different time.", zh: "该订单已占用其他时段。" } },
  UNKNOWN_ORDER: { status: 404, detail: { en: "Booking not found.", zh: "未找到预约。" } },
  INVALID_INTERVAL: {
    status: 400,
    detail: { en: "The end must be after the start, within one day.", zh: "结束时间须晚于开始时间，且不超过一天。" },
  },
  TECHNICIAN_MOVING: {
    status: 409,
    detail: { en: "The technician's calendar is moving to a new home cell; retry shortly.", zh: "技师日程正在迁移，请稍后重试。" },
  },
  IDEMPOTENCY_KEY_REQUIRED: { status: 400, detail: { en: "Send an Idempotency-Key header.", zh: "请提供 Idempotency-Key 请求头。" } },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    detail: { en: "This Idempotency-Key was used with a different request.", zh: "该 Idempotency-Key 已用于不同的请求。" },
  },
  IDEMPOTENCY_IN_FLIGHT: {
    status: 409,
    detail: { en: "A request with this Idempotency-Key is still running.", zh: "相同 Idempotency-Key 的请求仍在处理中。" },
  },
  // Coupons
  COUPON_NOT_FOUND: { status: 400, detail: { en: "No such coupon.", zh: "优惠券不存在。" } },
  COUPON_NOT_APPLICABLE: { status: 400, detail: { en: "This coupon cannot be used: {why}", zh: "该优惠券无法使用：{why}" } },
  COUPON_USED_UP: {
    status: 409,
    detail: { en: "This coupon has been used up (for you, or in all).", zh: "该优惠券已用完（您的使用次数或总数已满）。" },
  },
  COUPON_CODE_TAKEN: { status: 409, detail: { en: "A coupon with this code exists.", zh: "该优惠码已存在。" } },
  // Campaigns, referrals, share links
  CAMPAIGN_OVER_LIMIT: {
    status: 409,
    detail: {
      en: "This campaign goes beyond what the platform allows your shop: {why}",
      zh: "该活动超出了平台为您的店铺设定的限制：{why}",
    },
  },
  REFERRAL_CODE_NOT_FOUND: { status: 404, detail: { en: "No such invitation code.", zh: "邀请码不存在。" } },
  REFERRAL_NOT_ALLOWED: { status: 409, detail: { en: "This invitation cannot be accepted: {why}", zh: "无法接受该邀请：{why}" } },
  SHARE_LINK_INVALID: { status: 404, detail: { en: "This shared link is not valid.", zh: "该分享链接无效。" } },
  // Packages and membership (src/membership)
  PACKAGE_NOT_USABLE: {
    status: 400,
    detail: {
      en: "This package cannot pay for this booking (not yours, not paid, expired, or for another service).",
      zh: "该套餐不能用于此预约（不属于您、未付款、已过期或不适用于此服务）。",
    },
  },
  PACKAGE_USED_UP: { status: 409, detail: { en: "This package has no visits or credit left.", zh: "该套餐已无剩余次数或额度。" } },
  PACKAGE_NOT_PENDING: { status: 409, detail: { en: "This package is not waiting for payment.", zh: "该套餐不在待付款状态。" } },
  PACKAGE_NOT_ACTIVE: { status: 409, detail: { en: "Only an active package can be refunded.", zh: "只有生效中的套餐可以退款。" } },
  POINTS_NOT_ENOUGH: { status: 409, detail: { en: "You do not have enough points for this.", zh: "您的积分不足。" } },
  // Outbound webhooks
  WEBHOOK_URL_REFUSED: {
    status: 422,
    detail: {
      en: "Webhooks cannot be sent to this URL: {why}",
      zh: "无法向该地址发送 Webhook：{why}",
    },
  },
  // Dispatch, technicians and the visit
  ALREADY_TAKEN: { status: 409, detail: { en: "Someone else took this job.", zh: "该订单已被抢走。" } },
  OUTSIDE_GEOFENCE: {
    status: 409,
    detail: {
      en: "You are {meters} m from the address; arrive within {limit} m.",
      zh: "您距离服务地址 {meters} 米，需在 {limit} 米内签到。",
    },
  },
  START_CODE_INVALID: {
    status: 400,
    detail: { en: "The start code is wrong; ask the customer for the code in their app.", zh: "开工码错误，请向客户索取 App 中的开工码。" },
  },
  START_CODE_LOCKED: {
    status: 409,
    detail: {
      en: "The start code is locked after {max} wrong tries. The customer can issue a new code in their app, or support can unlock it.",
      zh: "开工码已连续输错 {max} 次，已被锁定。客户可在 App 中重新生成开工码，或联系客服解锁。",
    },
  },
  START_CODE_NOT_LOCKED: { status: 409, detail: { en: "The start code is not locked.", zh: "开工码未被锁定。" } },
  TECHNICIAN_NOT_QUALIFIED: {
    status: 409,
    detail: { en: "The technician is not approved or lacks a required skill.", zh: "该技师未通过审核或缺少所需技能。" },
  },
  TECHNICIAN_NOT_APPROVED: { status: 409, detail: { en: "The technician is not approved yet.", zh: "技师尚未通过审核。" } },
  DOCUMENTS_MISSING: {
    status: 409,
    detail: {
      en: "Approved documents are missing for the applied skills: {missing}.",
      zh: "所申请技能缺少已审核通过的证件：{missing}。",
    },
  },
  PROFILE_CHANGE_PENDING: {
    status: 409,
    detail: { en: "A proposed change is already waiting for review.", zh: "已有一项资料变更正在等待审核。" },
  },
  TECHNICIAN_EXISTS: { status: 409, detail: { en: "This phone already belongs to a technician.", zh: "该手机号已注册为技师。" } },
  HOME_OUTSIDE_CITIES: {
    status: 400,
    detail: { en: "The home location is outside every city served.", zh: "常驻地址不在任何已开通城市内。" },
  },
  OFF_DUTY: { status: 409, detail: { en: "Go online before sharing your position.", zh: "请先上线再上报位置。" } },
  NOT_TRACKABLE: {
    status: 409,
    detail: {
      en: "The technician can be watched from departure until arrival; the order is {status}.",
      zh: "技师出发后至到达期间可查看其位置；订单当前状态为 {status}。",
    },
  },
  DOCUMENT_TOO_LARGE: { status: 413, detail: { en: "A document may be at most {mb} MB.", zh: "证件文件不能超过 {mb} MB。" } },
  DOCUMENT_INVALID: { status: 400, detail: { en: "The body is not a {type} file.", zh: "请求体不是 {type} 文件。" } },
  DOCUMENT_LIMIT: { status: 409, detail: { en: "At most {max} documents per technician.", zh: "每位技师最多 {max} 份证件。" } },
  PHOTO_TOO_LARGE: { status: 413, detail: { en: "A photo may be at most {mb} MB.", zh: "照片不能超过 {mb} MB。" } },
  PHOTO_INVALID: { status: 400, detail: { en: "The body is not a {type} image.", zh: "请求体不是 {type} 图片。" } },
  TRAINING_MEDIA_TOO_LARGE: { status: 413, detail: { en: "A lesson file may be at most {mb} MB.", zh: "课程文件不能超过 {mb} MB。" } },
  TRAINING_MEDIA_INVALID: { status: 400, detail: { en: "The body is not a {type} file.", zh: "请求体不是 {type} 文件。" } },
  RANGE_NOT_SATISFIABLE: {
    status: 416,
    detail: {
      en: "The Range header must ask for one byte range within the file's {size} bytes (bytes=a-b, bytes=a- or bytes=-n).",
      zh: "Range 请求头须指定文件 {size} 字节内的一个字节范围（bytes=a-b、bytes=a- 或 bytes=-n）。",
    },
  },
  TRAINING_NOT_ENROLLED: { status: 409, detail: { en: "Enrol in the course first.", zh: "请先报名该课程。" } },
  EXAM_ATTEMPTS_EXHAUSTED: {
    status: 409,
    detail: {
      en: "No attempts left at this exam (at most {max}), or one is still open.",
      zh: "该考试已无剩余次数（最多 {max} 次），或仍有未交卷的考试。",
    },
  },
  EXAM_BANK_TOO_SMALL: {
    status: 409,
    detail: {
      en: "The question bank has {count} questions; the exam draws {draw}.",
      zh: "题库只有 {count} 道题，考试需要抽取 {draw} 道。",
    },
  },
  EXAM_ALREADY_SUBMITTED: { status: 409, detail: { en: "This exam attempt was already submitted.", zh: "本次考试已交卷。" } },
  EXAM_TIME_UP: {
    status: 409,
    detail: { en: "The time for this exam ran out; the attempt counts as failed.", zh: "考试时间已到，本次考试记为不及格。" },
  },
  PHOTO_LIMIT: { status: 409, detail: { en: "At most {max} photos here.", zh: "此处最多 {max} 张照片。" } },
  PHOTO_REQUIRED: { status: 409, detail: { en: "Upload {photo} first.", zh: "请先上传{photo}。" } },
  CHANGE_PENDING: { status: 409, detail: { en: "A change is already waiting for the customer.", zh: "已有变更在等待客户确认。" } },
  CHANGE_NOT_PENDING: { status: 409, detail: { en: "This change is already {status}.", zh: "该变更已是 {status} 状态。" } },
  CHANGE_OUTDATED: {
    status: 409,
    detail: { en: "The technician who asked for this change no longer has the order.", zh: "提出该变更的技师已不再负责此订单。" },
  },
  CHANGE_EXPIRED: {
    status: 409,
    detail: { en: "The proposed time is too close now; the change was rejected.", zh: "提议的时间已过近，变更已被拒绝。" },
  },
  // Reviews
  ALREADY_REVIEWED: { status: 409, detail: { en: "This order has been reviewed already.", zh: "该订单已评价。" } },
  REVIEW_WINDOW_CLOSED: {
    status: 409,
    detail: { en: "Reviews are taken up to {days} days after the visit.", zh: "服务完成 {days} 天内可以评价。" },
  },
  // Satisfaction surveys
  SURVEY_ALREADY_ANSWERED: { status: 409, detail: { en: "This survey has been answered already.", zh: "该问卷已提交。" } },
  SURVEY_WINDOW_CLOSED: {
    status: 409,
    detail: { en: "The survey can be answered up to {days} days after the visit.", zh: "服务完成 {days} 天内可以填写问卷。" },
  },
  ALREADY_HIDDEN: { status: 409, detail: { en: "This review is hidden already.", zh: "该评价已隐藏。" } },
  REVIEW_NOT_HIDDEN: { status: 409, detail: { en: "This review is not hidden.", zh: "该评价未被隐藏。" } },
  // Conversations
  CONVERSATION_CLOSED: {
    status: 409,
    detail: {
      en: "This chat is closed: it opens when a technician accepts the order and closes {hours} hours after completion.",
      zh: "该会话已关闭：师傅接单后开放，服务完成 {hours} 小时后关闭。",
    },
  },
  ALREADY_CLAIMED: { status: 409, detail: { en: "Another staff member has taken this conversation.", zh: "该会话已被其他客服接手。" } },
  NOT_ASSIGNED: { status: 409, detail: { en: "Take this conversation before replying.", zh: "请先接手该会话再回复。" } },
  REASON_REQUIRED: {
    status: 403,
    detail: {
      en: "You are not part of this conversation: state a reason to read it (it is recorded).",
      zh: "您不是该会话的参与者：请说明查看原因（将被记录）。",
    },
  },
  CASE_EXISTS: { status: 409, detail: { en: "This visit is already shown as a case.", zh: "该服务已提交为案例。" } },
  CASE_ALREADY_HIDDEN: { status: 409, detail: { en: "This case is hidden already.", zh: "该案例已隐藏。" } },
  CASE_NOT_HIDDEN: { status: 409, detail: { en: "This case is not hidden.", zh: "该案例未被隐藏。" } },
  // Money
  PROVIDER_NOT_CONFIGURED: {
    status: 409,
    detail: { en: "Payments with {provider} are not available here.", zh: "当前不支持通过{provider}付款。" },
  },
  PROVIDER_UNAVAILABLE: {
    status: 503,
    detail: { en: "{provider} did not answer; try again shortly.", zh: "{provider}暂时无响应，请稍后重试。" },
  },
  PROVIDER_REFUSED: {
    status: 502,
    detail: {
      en: "{provider} refused the payment request; try another payment method.",
      zh: "{provider}拒绝了本次支付请求，请换一种支付方式。",
    },
  },
  REFUND_DELAYED: {
    status: 503,
    detail: {
      en: "The refund is recorded, but {provider} did not answer; it is sent automatically once the provider answers.",
      zh: "退款已记录，但{provider}暂时无响应；恢复后系统将自动发起退款。",
    },
  },
  UNPAID_BALANCE: {
    status: 409,
    detail: {
      en: "Please pay for your completed order {orderId} before booking again.",
      zh: "您有已完成的订单 {orderId} 尚未付款，请先付款再预约。",
    },
  },
  CASH_NOT_ACCEPTED: {
    status: 409,
    detail: { en: "This service is not paid in cash.", zh: "该服务不支持现金支付。" },
  },
  NOTHING_TO_PAY: {
    status: 409,
    detail: { en: "Nothing is due for stage {stage} of an order that is {status}.", zh: "订单当前状态为 {status}，{stage} 阶段无需付款。" },
  },
  PAYMENT_NOT_PENDING: { status: 409, detail: { en: "This payment is not waiting to be paid.", zh: "该笔支付不在待支付状态。" } },
  PAYMENT_DECIDED: { status: 409, detail: { en: "The payment was settled meanwhile.", zh: "该笔支付已被处理。" } },
  WEBHOOK_REJECTED: { status: 400, detail: { en: "Notification rejected: {reason}.", zh: "通知被拒绝：{reason}。" } },
  FAIL: { status: 400, detail: { en: "Notification rejected: {reason}.", zh: "通知被拒绝：{reason}。" } },
  NOTHING_TO_REFUND: { status: 409, detail: { en: "Nothing paid on this order is left to refund.", zh: "该订单没有可退款的金额。" } },
  REFUND_DECIDED: { status: 409, detail: { en: "This refund was decided already.", zh: "该退款已被处理。" } },
  REFUND_IN_PROGRESS: { status: 409, detail: { en: "A refund of this order is still open.", zh: "该订单有尚未完成的退款。" } },
  COMPLAINT_WINDOW_CLOSED: {
    status: 409,
    detail: { en: "The time to complain about this order has passed.", zh: "该订单已超过投诉期限。" },
  },
  TICKET_NOT_OPENABLE: {
    status: 409,
    detail: {
      en: "A {category} ticket cannot be opened on this order now ({why}).",
      zh: "当前无法就该订单提交“{category}”工单（{why}）。",
    },
  },
  TICKET_ALREADY_OPEN: {
    status: 409,
    detail: { en: "This order already has an open ticket of this category.", zh: "该订单已有同类未结工单。" },
  },
  TICKET_DECIDED: {
    status: 409,
    detail: {
      en: "This ticket was decided already (or another staff member is deciding it).",
      zh: "该工单已被处理（或正由其他客服处理）。",
    },
  },
  TICKET_NOT_REOPENABLE: {
    status: 409,
    detail: {
      en: "This ticket cannot be reopened: it is still open, or the reopen window has passed, or it was reopened too often.",
      zh: "该工单无法重新打开：工单仍在处理中、已超过重开期限或重开次数已达上限。",
    },
  },
  TICKET_NOTHING_DECIDED: {
    status: 400,
    detail: {
      en: "A resolution needs at least one of rework, refund, coupon or penalty.",
      zh: "处理结果至少需要返工、退款、优惠券或处罚中的一项。",
    },
  },
  WITHDRAWAL_AMOUNT_OUT_OF_RANGE: {
    status: 400,
    detail: { en: "Withdraw between {min} and {max} fen.", zh: "提现金额须在 {min} 至 {max} 分之间。" },
  },
  WITHDRAWAL_LIMIT: { status: 409, detail: { en: "At most {perDay} withdrawals a day.", zh: "每天最多提现 {perDay} 次。" } },
  INSUFFICIENT_BALANCE: { status: 409, detail: { en: "That is more than your available balance.", zh: "提现金额超过可提现余额。" } },
  STATEMENT_DAY_NOT_OVER: {
    status: 400,
    detail: {
      en: "The statement of {date} exists only once that day is over in Asia/Shanghai.",
      zh: "{date} 的对账单要等该日（北京时间）结束后才有。",
    },
  },
  STATEMENT_UNAVAILABLE: {
    status: 409,
    detail: {
      en: "{provider} gives no daily statement with this deployment's payment client.",
      zh: "当前支付客户端下，{provider}没有可下载的日对账单。",
    },
  },
  PAYEE_ACCOUNT_MISSING: {
    status: 409,
    detail: {
      en: "Add your {provider} payout account (PUT /v1/technician/payee) before withdrawing.",
      zh: "请先添加{provider}收款账户（PUT /v1/technician/payee）再提现。",
    },
  },
  PAYEE_NAME_REQUIRED: {
    status: 409,
    detail: {
      en: "WeChat Pay transfers of ¥{from} or more need your real name: add it to your WeChat payout account (PUT /v1/technician/payee) first.",
      zh: "微信转账 {from} 元及以上需要收款人真实姓名：请先在微信收款账户中填写（PUT /v1/technician/payee）。",
    },
  },
  WITHDRAWAL_DECIDED: { status: 409, detail: { en: "This withdrawal is {status} already.", zh: "该提现已是 {status} 状态。" } },
  PAYOUT_DELAYED: {
    status: 503,
    detail: {
      en: "The withdrawal is approved, but {provider} did not answer; it is paid out automatically once the provider answers.",
      zh: "提现已批准，但{provider}暂时无响应；恢复后系统将自动打款。",
    },
  },
  // Notifications
  ALREADY_REPLAYED: {
    status: 409,
    detail: {
      en: "This message was replayed already; it is back here only if delivery fails again.",
      zh: "该消息已重放；只有再次投递失败才会回到这里。",
    },
  },
  // Personal data (src/privacy)
  LOCATION_SHARING_OFF: {
    status: 409,
    detail: {
      en: "The technician does not share their live position. You will be told when they arrive.",
      zh: "技师未开启实时位置共享，技师到达时会通知您。",
    },
  },
  POLICY_VERSION_STALE: {
    status: 409,
    detail: {
      en: "The privacy policy has changed (now version {current}). Read the new text and choose again.",
      zh: "隐私政策已更新（当前版本 {current}），请阅读新版本后重新选择。",
    },
  },
  EXPORT_IN_PROGRESS: {
    status: 409,
    detail: { en: "An export of your data is already being prepared.", zh: "您的数据导出正在准备中。" },
  },
  EXPORT_LINK_INVALID: {
    status: 403,
    detail: { en: "This download link is not valid.", zh: "下载链接无效。" },
  },
  EXPORT_LINK_EXPIRED: {
    status: 409,
    detail: { en: "This download link has expired. Ask for a new export.", zh: "下载链接已过期，请重新申请导出。" },
  },
  EXPORT_ALREADY_DOWNLOADED: {
    status: 409,
    detail: {
      en: "This export was downloaded already and has been deleted. Ask for a new export.",
      zh: "该导出文件已被下载并删除，请重新申请导出。",
    },
  },
  EXPORT_NOT_READY: {
    status: 409,
    detail: { en: "The export is not ready yet ({status}).", zh: "导出尚未完成（{status}）。" },
  },
  DELETION_OPEN_ORDERS: {
    status: 409,
    detail: {
      en: "The account cannot be deleted while it has open orders ({count}). Finish or cancel them first.",
      zh: "账号仍有进行中的订单（{count} 个），请先完成或取消后再注销。",
    },
  },
  DELETION_UNPAID_BALANCE: {
    status: 409,
    detail: {
      en: "The account cannot be deleted while an order is unpaid ({count}). Pay the balance first.",
      zh: "账号仍有未付清的订单（{count} 个），请先付清后再注销。",
    },
  },
  DELETION_PENDING_WITHDRAWAL: {
    status: 409,
    detail: {
      en: "The account cannot be deleted while a withdrawal is being paid ({count}). Wait until it is paid or rejected.",
      zh: "账号仍有处理中的提现（{count} 笔），请等待到账或被驳回后再注销。",
    },
  },
  DELETION_NOT_PENDING: {
    status: 409,
    detail: {
      en: "There is no account deletion waiting to be carried out.",
      zh: "没有等待执行的账号注销申请。",
    },
  },
  // The dispatcher's board (src/board)
  MOVE_REFUSED: {
    status: 409,
    detail: {
      en: "Move {n} (order {orderId}) was refused: {why}. Nothing was changed.",
      zh: "第 {n} 项调整（订单 {orderId}）被拒绝：{why}。未做任何更改。",
    },
  },
  // Team route plans (src/route-plans)
  PLAN_STALE: {
    status: 409,
    detail: {
      en: "The cell's day changed since this plan was built. Nothing was changed; request a new plan.",
      zh: "方案生成后该网格当天的日程已有变化，未做任何更改，请重新生成方案。",
    },
  },
  PLAN_NOT_READY: {
    status: 409,
    detail: { en: "The plan is {status}; only a ready plan can be accepted.", zh: "方案当前为{status}，只有已就绪的方案可以采纳。" },
  },
  NOTHING_TO_ASK: {
    status: 409,
    detail: {
      en: "This plan has no time proposals left to ask the customers about.",
      zh: "该方案没有需要征询客户的时间调整。",
    },
  },
  PROPOSAL_CLOSED: {
    status: 409,
    detail: { en: "This time proposal is no longer open: {state}.", zh: "该时间调整已不再征询：{state}。" },
  },
  ASK_NOT_WAITING: {
    status: 409,
    detail: {
      en: "These proposed times are no longer waiting for the customers ({state}); only a waiting group can be withdrawn.",
      zh: "这组新时间已不在等待客户答复（{state}），只有等待答复的一组可以撤回。",
    },
  },
  // A technician's day route (src/routing): its proposal applied
  ROUTE_CHANGED: {
    status: 409,
    detail: {
      en: "Your day changed since the route was read. Nothing was changed; read the route again.",
      zh: "读取路线后当天的日程已有变化，未做任何更改，请重新读取路线。",
    },
  },
  ROUTE_NOT_PLANNED: {
    status: 409,
    detail: {
      en: "Your day's route has no plan ready yet (it is being planned, or planning failed and will be tried again). Nothing was changed; read the route again in a moment.",
      zh: "当日路线暂无可用的规划（正在规划中，或规划失败后将重试），未做任何更改，请稍后重新读取路线。",
    },
  },
} as const satisfies Record<string, ErrorSpec>;

/** Every code the API answers. */
export type ErrorCode = keyof typeof ERRORS;

type Placeholders<S extends string> = S extends `${string}{${infer K}}${infer Rest}` ? K | Placeholders<Rest> : never;
/** The parameters a code's detail needs: a value per `{name}`, text in both languages or one. */
export type ErrorParams<C extends ErrorCode> = Record<Placeholders<(typeof ERRORS)[C]["detail"]["en"]>, string | number | Localized>;
type OfArgs<C extends ErrorCode> = [Placeholders<(typeof ERRORS)[C]["detail"]["en"]>] extends [never]
  ? [params?: Record<string, never>, options?: AppErrorOptions]
  : [params: ErrorParams<C>, options?: AppErrorOptions];

/** The codes whose detail takes no parameters. */
type PlainCode = { [C in ErrorCode]: [Placeholders<(typeof ERRORS)[C]["detail"]["en"]>] extends [never] ? C : never }[ErrorCode];

function fill(template: string, params: Record<string, string | number | Localized>, locale: Locale): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = params[k];
    if (v === undefined) return `{${k}}`;
    return typeof v === "object" ? v[locale] : String(v);
  });
}

/** The problem `type` URI of a code. */
export const problemType = (code: string) => `https://doorstep.dev/problems/${code.toLowerCase().replaceAll("_", "-")}`;

/** The catalogue as published (OpenAPI `x-error-codes`, docs/errors.md): one entry per code. */
export function errorCatalogue() {
  return (Object.entries(ERRORS) as [ErrorCode, ErrorSpec][]).map(([code, spec]) => ({
    code,
    status: spec.status,
    type: problemType(code),
    title: TITLES[spec.status] ?? { en: "Error", zh: "错误" },
    detail: { en: spec.detail.en, "zh-CN": spec.detail.zh },
  }));
}

/**
 * The one error class: a catalogued code with its status and message. Everything thrown as an
 * AppError is safe to show; anything else becomes a bare 500.
 */
export class AppError extends Error {
  private constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    readonly detail: Localized,
    readonly options: AppErrorOptions = {},
  ) {
    super(detail.en);
    this.name = "AppError";
  }

  /** The error of catalogued `code`, its detail filled from `params`. */
  static of<C extends ErrorCode>(code: C, ...[params, options]: OfArgs<C>): AppError {
    const spec: ErrorSpec = ERRORS[code];
    const p = (params ?? {}) as Record<string, string | number | Localized>;
    const detail = { en: fill(spec.detail.en, p, "en"), zh: fill(spec.detail.zh, p, "zh") };
    return new AppError(spec.status, code, detail, options);
  }

  /** A problem answered before (an idempotent replay), exactly as it was stored. */
  static replay(status: ContentfulStatusCode, code: string, detail: Message, options?: AppErrorOptions): AppError {
    return new AppError(status, code, typeof detail === "string" ? { en: detail, zh: detail } : detail, options);
  }
}

const NOUNS_ZH: Record<string, string> = {
  Account: "账号",
  Address: "地址",
  Booking: "预约",
  Category: "类目",
  Package: "套餐",
  "Package plan": "套餐方案",
  City: "城市",
  Merchant: "商户",
  "Merchant administrator": "商户管理员",
  Order: "订单",
  "Survey question": "问卷题目",
  Payment: "支付",
  Service: "服务",
  Series: "周期预约",
  "Series visit": "周期预约的单次上门",
  Skill: "技能",
  Technician: "技师",
  "Route plan": "路线方案",
  "Webhook subscription": "Webhook 订阅",
  "Webhook delivery": "Webhook 投递记录",
};

/** 404 NOT_FOUND: `what` names the missing thing in English (known nouns are translated) or in both languages. */
export function notFound(what: string | Localized): AppError {
  return AppError.of("NOT_FOUND", { what: typeof what === "string" ? { en: what, zh: NOUNS_ZH[what] ?? what } : what });
}

/** 400 VALIDATION_FAILED with the fields at fault. */
export function invalid(errors: FieldError[]): AppError {
  return AppError.of("VALIDATION_FAILED", {}, { errors });
}

/** 429 RATE_LIMITED with Retry-After. */
export function rateLimited(retryAfterSeconds: number): AppError {
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  return AppError.of("RATE_LIMITED", {}, { headers: { "Retry-After": String(retryAfter) }, extra: { retryAfter } });
}

const CODES_BY_STATUS: Partial<Record<number, PlainCode>> = {
  400: "BAD_REQUEST",
  401: "UNAUTHENTICATED",
  403: "FORBIDDEN",
  405: "METHOD_NOT_ALLOWED",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  422: "UNPROCESSABLE",
  429: "RATE_LIMITED",
};

/** What a request for a route that does not exist gets. */
export function routeNotFound(method: string, path: string): AppError {
  return AppError.of("ROUTE_NOT_FOUND", { method, path });
}

/** Renders an RFC 9457 problem document for `err`, localised by Accept-Language. */
export function problem(c: Context<AppEnv>, err: AppError): Response {
  const locale = pickLocale(c.req.header("Accept-Language"));
  const title = TITLES[err.status] ?? { en: "Error", zh: "错误" };
  // The problem's own members always win: a resource's status carried along (an order's, a
  // refund's) is given as `currentStatus`, never in place of the HTTP status.
  const { status: currentStatus, ...extra } = err.options.extra ?? {};
  const body: Record<string, unknown> = {
    ...extra,
    ...(currentStatus !== undefined ? { currentStatus } : {}),
    type: problemType(err.code),
    title: title[locale],
    status: err.status,
    detail: err.detail[locale],
    code: err.code,
    requestId: c.get("requestId"),
  };
  if (err.options.errors) body.errors = err.options.errors;
  const headers: Record<string, string> = { "Content-Type": "application/problem+json; charset=UTF-8", ...err.options.headers };
  return new Response(JSON.stringify(body), { status: err.status, headers });
}

/** Maps anything thrown to an AppError; unknown faults become a 500 that reveals nothing. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    if (status === 400 && /malformed json/i.test(err.message)) return AppError.of("MALFORMED_JSON");
    if (status === 404) return notFound("Resource");
    if (status >= 500) return internalError();
    return AppError.of(CODES_BY_STATUS[status] ?? "BAD_REQUEST");
  }
  return internalError();
}

function internalError(): AppError {
  return AppError.of("INTERNAL");
}
