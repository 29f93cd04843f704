// npm run screenshots: the main dashboard screens in real Chromium, written to docs/*.png. Starts a
// throw-away local server (port 8801 unless SCREENSHOT_PORT; earnings withdrawable at once), runs
// the demo driver for a while so the city is alive and money moves (sandbox payments, complaints,
// withdrawals), then signs in as the operator and captures each screen.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { openBrowser } from "./browser.mjs";
import { Client } from "./demo-client.mjs";
import { ROOT } from "./dev-env.mjs";
import { startLocalServer } from "./local-server.mjs";
import { simulate } from "./simulate.mjs";

const DOCS = join(ROOT, "docs");
const port = Number(process.env.SCREENSHOT_PORT ?? 8801);

const server = await startLocalServer({ port, vars: { SETTLEMENT_DELAY_HOURS: "0" } });
let browser;
const stopDriver = new AbortController();
try {
  mkdirSync(DOCS, { recursive: true });
  const api = new Client(server.url);
  const operator = await api.signIn("+8613800000001");
  // One order that everybody declines, so the exception queue has something to show.
  const customer = await api.signIn("+8613700000020");
  const queued = await api.declineUntilQueued(operator, await api.bookFirstFree(customer, "svc_demoElectrical", { fromDay: 1 }));
  // A new applicant with qualification documents, for the technicians screen.
  const admin = await api.signIn("+8613800000000");
  const applicant = await api.ok("POST", "/v1/admin/technicians", {
    token: admin.token,
    body: {
      phone: "+8613900000099",
      name: "王磊（新申请）",
      merchantId: "mch_demo01",
      skills: ["cleaning", "deep_cleaning"],
      home: { lat: 31.24, lng: 121.48 },
    },
  });
  const pdf = new TextEncoder().encode("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
  for (const kind of ["id_card", "health", "certificate"]) {
    await api.ok("POST", `/v1/admin/technicians/${applicant.id}/documents?kind=${kind}`, {
      token: admin.token,
      raw: pdf,
      type: "application/pdf",
    });
  }
  const driver = simulate(
    {
      url: server.url,
      durationS: 600,
      technicians: 30,
      customers: 15,
      orders: 30,
      tickS: 1,
      declineRate: 0.1,
      complaintRate: 0.35,
      seed: 7,
      quiet: true,
    },
    { signal: stopDriver.signal },
  );
  await new Promise((r) => setTimeout(r, 40_000));

  browser = await openBrowser({ viewport: { width: 1440, height: 900 } });
  const page = await browser.context.newPage();
  page.setDefaultTimeout(20_000);
  const shot = async (name) => {
    await page.waitForTimeout(600);
    await page.screenshot({ path: join(DOCS, `${name}.png`) });
    console.log(`docs/${name}.png`);
  };
  await page.goto(`${server.url}/dashboard/`);
  await page.fill('input[name="phone"]', "+8613800000001");
  await page.click('[data-testid="send-code"]');
  await page.waitForSelector('[data-testid="dev-code"]');
  await shot("dashboard-sign-in");
  await page.click('[data-testid="submit-code"]');
  await page.waitForSelector("circle.tech");
  await page.waitForTimeout(3000);
  const pin = await page.$("path.order-pin");
  if (pin) await pin.dispatchEvent("click");
  await shot("dashboard-map");
  await page.click('a[data-nav="orders"]');
  await page.waitForSelector('[data-testid="orders-table"]');
  await shot("dashboard-orders");
  await page.click('a[data-nav="exceptions"]');
  await page.click(`tr[data-order-id="${queued.id}"]`);
  await page.waitForSelector('[data-testid="candidates"]');
  await shot("dashboard-exception-assign");
  await page.click('a[data-nav="technicians"]');
  await page.waitForSelector('[data-testid="technicians-table"]');
  await page.selectOption('select[name="techStatus"]', "pending");
  await page.click(`tr[data-technician-id="${applicant.id}"]`);
  await page.waitForSelector("ul.docs li");
  await page.waitForSelector('[data-testid="technician-status"]');
  await shot("dashboard-technicians");
  await page.click('a[data-nav="reports"]');
  await page.waitForSelector('[data-testid="heatmap"]');
  await shot("dashboard-reports");
  await page.click('a[data-nav="catalog"]');
  await page.waitForSelector('[data-testid="services-table"]');
  await shot("dashboard-catalog");
  await page.click(`[data-testid="edit-svc_demoCleaning2h"]`);
  await page.fill('input[name="tier1Hours"]', "48");
  await page.click('[data-testid="save-service"]');
  await page.waitForSelector("[data-error-for]");
  await shot("dashboard-catalog-edit");
  await page.click('a[data-nav="money"]');
  await page.waitForSelector('[data-testid="refunds-table"]');
  await shot("dashboard-money");
  const refunded = await page.getAttribute('[data-testid="refunds-table"] tr[data-order-id]', "data-order-id");
  await page.click('[data-tab="withdrawals"]');
  await page.waitForSelector('[data-testid="withdrawals-table"]');
  await shot("dashboard-money-withdrawals");
  await page.click('[data-tab="reconciliation"]');
  await page.waitForSelector('[data-testid="reconciliation"]');
  await shot("dashboard-money-reconciliation");
  await page.click('[data-tab="revenue"]');
  await page.waitForSelector('[data-testid="ledger-revenue"]');
  await page.selectOption('select[name="groupBy"]', "merchant");
  await page.waitForSelector('[data-testid="ledger-revenue"][data-group="merchant"] ul.bars');
  await shot("dashboard-money-revenue");
  await page.goto(`${server.url}/dashboard/#/orders/${refunded}`);
  await page.waitForSelector('[data-testid="order-refunds"]');
  await shot("dashboard-order-refund");
  await page.click(".drawer header button");
  await page.click('[data-testid="lang"]');
  await page.click('a[data-nav="settings"]');
  await page.waitForSelector('[data-testid="settings"]');
  await shot("dashboard-settings-en");

  const phone = await browser.context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(`${server.url}/dashboard/#/map`);
  await phone.waitForSelector("circle.tech");
  await phone.waitForTimeout(1500);
  await phone.screenshot({ path: join(DOCS, "dashboard-phone-map.png") });
  console.log("docs/dashboard-phone-map.png");
  stopDriver.abort();
  await driver;
} finally {
  stopDriver.abort();
  await browser?.close();
  await server.stop();
}
