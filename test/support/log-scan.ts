/**
 * The whole-suite log scan: every console line written inside workerd while a test file runs (the
 * Worker, its queue consumers and cells, the tests themselves) is kept, and after the file's last
 * test none may hold a full phone number, a sign-in code, a token, a configured secret or an address
 * the fixtures use. `test/setup.ts` installs it for every file.
 *
 * Capturing survives `vi.spyOn(console, …)`: `globalThis.console` becomes a proxy whose methods
 * record the line and then call whatever the real console object holds at that moment (the real
 * method, or a test's spy, which then sees the call as before).
 */
import { CUSTOMER_HOMES } from "../../scripts/seed-demo";
import { MASTER_SECRET } from "./push-fakes";
import { ALIYUN_SECRET, TENCENT_SECRET_KEY } from "./sms-fakes";

const METHODS = new Set(["log", "info", "warn", "error", "debug"]);
const INSTALLED = Symbol.for("doorstep.logScan");

/** One console call as text: strings as they are, errors with their stack, anything else as JSON. */
export function lineOf(args: unknown[]): string {
  return args
    .map((a) => {
      if (typeof a === "string") return a;
      if (a instanceof Error) return `${String(a)}\n${a.stack ?? ""}`;
      try {
        return JSON.stringify(a) ?? String(a);
      } catch {
        return String(a);
      }
    })
    .join(" ");
}

export interface Capture {
  /** The lines written since the last `take`, which forgets them. */
  take(): string[];
  /** The lines written so far, kept. */
  peek(): readonly string[];
}

/** Wraps `globalThis.console` once per isolate; later calls answer the same capture. */
export function captureConsole(): Capture {
  const g = globalThis as unknown as Record<symbol, Capture | undefined> & { console: Console };
  const existing = g[INSTALLED];
  if (existing) return existing;
  let lines: string[] = [];
  const real = g.console;
  const wrappers = new Map<string, (...args: unknown[]) => unknown>();
  g.console = new Proxy(real, {
    get(target, prop, receiver) {
      if (typeof prop !== "string" || !METHODS.has(prop)) return Reflect.get(target, prop, receiver) as unknown;
      let wrapper = wrappers.get(prop);
      if (!wrapper) {
        wrapper = (...args: unknown[]) => {
          lines.push(lineOf(args));
          // Whatever the console holds now: the real method, or a test's spy on it.
          return (Reflect.get(target, prop) as (...a: unknown[]) => unknown).apply(target, args);
        };
        wrappers.set(prop, wrapper);
      }
      return wrapper;
    },
  });
  const capture: Capture = {
    take() {
      const taken = lines;
      lines = [];
      return taken;
    },
    peek: () => lines,
  };
  g[INSTALLED] = capture;
  return capture;
}

/** What no log line may hold, besides the fixed patterns below. */
export interface Forbidden {
  /** Secret values (keys, webhook secrets, tokens): found anywhere in a line. */
  secrets: string[];
  /** Address texts the fixtures and the demo data use. */
  addresses: string[];
}

/** Variables whose values are secrets (the test bindings set some of them). */
const SECRET_BINDINGS = [
  "JWT_SECRET",
  "PII_KEY",
  "PII_LOOKUP_KEY",
  "STRIPE_WEBHOOK_SECRET",
  "SANDBOX_WEBHOOK_SECRET",
  "STRIPE_SECRET_KEY",
  "WECHATPAY_APIV3_KEY",
  "WECHATPAY_MERCHANT_PRIVATE_KEY",
  "ALIPAY_APP_PRIVATE_KEY",
  "ALIYUN_ACCESS_KEY_SECRET",
  "TENCENTCLOUD_SECRET_KEY",
  "JPUSH_MASTER_SECRET",
  "FCM_SERVICE_ACCOUNT",
  "SMS_WEBHOOK_TOKEN",
  "PUSH_WEBHOOK_TOKEN",
  "TEST_WECHATPAY_PLATFORM_KEYS",
  "TEST_ALIPAY_PRIVATE_KEY",
];

/** Addresses the test fixtures type in (test/support/booking.ts and the address tests). */
export const FIXTURE_ADDRESSES = ["测试路 1 号 101 室", "上海市黄浦区南京东路 100 号 8 楼", "北京市东城区 1 号", "成都市武侯区 9 号"];

/**
 * A PEM's body is matched by a slice of its first base64 line (a log line may hold the key with its
 * line breaks escaped, or without its markers); any other secret by its whole value.
 */
function needlesOf(secret: string): string[] {
  if (!secret.includes("-----BEGIN")) return [secret];
  const bodies = secret.match(/-----BEGIN [^-]+-----([\s\S]*?)-----END/g) ?? [];
  return bodies.map((b) => b.replace(/-----(BEGIN|END)[^-]*-----|\\n|\s/g, "").slice(4, 52)).filter((s) => s.length >= 32);
}

/** The forbidden values of a test run: the secret bindings of `env`, the fakes' secrets, the fixtures' addresses. */
export function forbiddenFrom(env: Record<string, unknown>): Forbidden {
  const values = [...SECRET_BINDINGS.map((name) => env[name]), ALIYUN_SECRET, TENCENT_SECRET_KEY, MASTER_SECRET];
  const secrets = values
    .filter((v): v is string => typeof v === "string" && v.length >= 8)
    .flatMap(needlesOf)
    .filter((v, i, all) => all.indexOf(v) === i);
  return { secrets, addresses: [...FIXTURE_ADDRESSES, ...CUSTOMER_HOMES.map((h) => h.text)] };
}

/** Fixed patterns: what any phone, code, token or private key looks like. */
const PATTERNS: [kind: string, pattern: RegExp][] = [
  ["phone number", /\+86\d{11}(?!\d)/],
  ["phone number", /(?<![0-9A-Za-z_])1[3-9]\d{9}(?![0-9A-Za-z_])/],
  ["sign-in code", /(?:\b(?:code|otp|devCode)\b|验证码)["']?\s*[:=]?\s*["']?\d{6}(?!\d)/i],
  ["token (JWT)", /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/],
  ["bearer token", /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/],
  ["private key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ["street address", /[\u4e00-\u9fa5]{2,}(?:路|街|道|巷|弄)\s*\d+\s*(?:号|弄)/],
];

export interface Finding {
  /** What was found: "phone number", "sign-in code", "token (JWT)", "secret", "address", … */
  kinds: string[];
  /** The line with what was found blanked out, so the report does not repeat the leak. */
  line: string;
}

/** Every line that holds something no log may hold, with what it is. */
export function scanLogLines(lines: readonly string[], forbidden: Forbidden): Finding[] {
  const findings: Finding[] = [];
  for (const line of lines) {
    const found: [kind: string, text: string][] = [];
    for (const [kind, pattern] of PATTERNS) {
      const m = pattern.exec(line);
      if (m) found.push([kind, m[0]]);
    }
    for (const s of forbidden.secrets) if (line.includes(s)) found.push(["secret", s]);
    for (const a of forbidden.addresses) if (line.includes(a)) found.push(["address", a]);
    if (found.length === 0) continue;
    let shown = line;
    for (const [kind, text] of found) shown = shown.split(text).join(`«${kind}»`);
    findings.push({ kinds: [...new Set(found.map(([k]) => k))], line: shown.slice(0, 400) });
  }
  return findings;
}

/** Throws, listing them, when any of the lines leaks. */
export function assertNoLeaks(lines: readonly string[], forbidden: Forbidden): void {
  const findings = scanLogLines(lines, forbidden);
  if (findings.length === 0) return;
  throw new Error(
    `${findings.length} log line(s) hold what no log may hold:\n${findings.map((f) => `  [${f.kinds.join(", ")}] ${f.line}`).join("\n")}`,
  );
}
