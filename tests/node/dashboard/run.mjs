// One dashboard scenario in headless Chromium; prints one JSON line `{ ok, … }` and exits 1 on
// failure. The Rust test `tests/integration/dashboard.rs` runs them in order against a real
// server and does between them what a browser cannot.
//   node run.mjs SCENARIO '{"base": …, "user": {…}, "finance": {…}, "admin": {…}, …}'
import { launch, context, signIn, open, dataShown, api, token, check, switchLanguage, PHONE, DESKTOP } from './browser.mjs';
import { seriousViolations } from './axe.mjs';

const [name, rawArgs] = process.argv.slice(2);
const args = JSON.parse(rawArgs || '{}');
const base = args.base;
const report = { scenario: name, ok: false, steps: [] };
const step = (s) => report.steps.push(s);

/** The digits of a text: `฿1,234.50` and `THB 1,234.50` both give `123450`. */
const digits = (s) => String(s).replace(/\D/g, '');
const thai = /[\u0E00-\u0E7F]/;

async function user(browser) {
  const who = args.user;
  const tok = await token(base, who.username, who.password);
  const { ctx, problems } = await context(browser, base);
  const page = await ctx.newPage();
  await signIn(page, base, who.username, who.password);
  step('signed in');

  // Usage with a filter chosen in the form: the totals are the API's.
  await open(page, base, '/usage');
  await page.selectOption('#f-state', 'COMPLETED');
  await page.click('#usage-apply');
  await page.waitForFunction(() => location.hash.includes('state=COMPLETED'));
  await dataShown(page);
  await page.waitForSelector('tr.job-row');
  const sum = await api(base, tok, '{ usageSummary(groupBy: MONTH, filter: { state: "COMPLETED" }) { jobs cost { minor } } myUsage(filter: { state: "COMPLETED" }, first: 1) { totalCount } }');
  const jobs = sum.usageSummary.reduce((n, r) => n + r.jobs, 0);
  const cost = sum.usageSummary.reduce((n, r) => n + r.cost.minor, 0);
  check(jobs === sum.myUsage.totalCount && jobs > 0, `summary ${jobs} jobs vs ${sum.myUsage.totalCount}`);
  const shownJobs = digits(await page.textContent('#total-jobs'));
  const shownCost = digits(await page.textContent('#total-cost'));
  check(shownJobs === String(jobs), `page shows ${shownJobs} jobs, the API ${jobs}`);
  check(shownCost === String(cost), `page shows cost ${shownCost}, the API ${cost} minor units`);
  const rows = await page.locator('tr.job-row').count();
  check(rows > 0 && rows <= 100, `one page of jobs, not all: ${rows} rows`);
  const csvHref = await page.getAttribute('#usage-csv', 'href');
  check(csvHref.includes('state=COMPLETED'), `CSV link keeps the filter: ${csvHref}`);
  const csv = await (await page.request.get(new URL(csvHref, base).href)).text();
  check(csv.trim().split('\n').length === jobs + 1, `CSV has ${csv.trim().split('\n').length - 1} jobs, expected ${jobs}`);
  step(`usage: ${jobs} completed jobs, ${cost} minor units, ${rows} rows on the first page, CSV matches`);

  // A receipt from every unbilled job up to today, then paid through the dummy gateway while
  // the payment page follows it live.
  await open(page, base, '/receipts');
  await page.click('#new-receipt-form button[type=submit]');
  await page.waitForSelector('#create-receipt:not([disabled])');
  await page.click('#create-receipt');
  await page.waitForFunction(() => /#\/receipts\/\d+/.test(location.hash), null, { timeout: 20000 });
  await dataShown(page);
  const receiptId = (await page.evaluate(() => location.hash)).match(/receipts\/(\d+)/)[1];
  const receipt = (await api(base, tok, 'query($id: ID!) { receipt(id: $id) { user status total { minor } } }', { id: receiptId })).receipt;
  check(receipt.user === who.username && receipt.status === 'PENDING', `new receipt ${JSON.stringify(receipt)}`);
  check(digits(await page.textContent('#receipt-total')) === String(receipt.total.minor), 'receipt total as the API says');
  step(`receipt ${receiptId} created, ${receipt.total.minor} minor units`);

  await page.selectOption('#pay-provider', 'dummy');
  await page.click('#pay-button');
  await page.waitForFunction(() => /#\/payments\//.test(location.hash), null, { timeout: 20000 });
  await page.waitForSelector('#payment-status[data-status="pending"]');
  await page.evaluate(() => { window.__notReloaded = true; });
  const checkout = await page.getAttribute('#checkout-link', 'href');
  const gateway = await ctx.newPage();
  await gateway.goto(new URL(checkout, base).href);
  await gateway.click('#pay');
  // Back from the gateway, a signed-in browser lands on the live payment page too.
  await gateway.waitForURL(/#\/payments\//);
  await gateway.waitForSelector('#payment-status[data-status="succeeded"]', { timeout: 30000 });
  await page.waitForSelector('#payment-status[data-status="succeeded"]', { timeout: 30000 });
  check(await page.evaluate(() => window.__notReloaded === true), 'the payment page reloaded');
  await gateway.close();
  const paid = (await api(base, tok, 'query($id: ID!) { receipt(id: $id) { status } }', { id: receiptId })).receipt;
  check(paid.status === 'PAID', `receipt is ${paid.status} after the gateway confirmed`);
  step('paid with the dummy gateway; the status flipped live, without a reload');

  // Thai: labels and money in Thai.
  await open(page, base, `/receipts/${receiptId}`);
  await switchLanguage(page, 'th');
  const heading = await page.textContent('#main h1');
  const nav = await page.textContent('.main-nav');
  const total = await page.textContent('#receipt-total');
  check(thai.test(heading) && thai.test(nav), `Thai labels: ${heading} / ${nav.slice(0, 60)}`);
  const expected = new Intl.NumberFormat('th-TH', { style: 'currency', currency: 'THB' }).format(receipt.total.minor / 100);
  check(total.includes(expected), `Thai money: ${total} should show ${expected}`);
  step(`Thai: "${heading.trim()}", total ${total.trim()}`);
  await switchLanguage(page, 'en');

  // Someone else's receipt: not found, as if it did not exist.
  await page.goto(`${base}/#/receipts/${args.otherReceipt}`);
  await page.waitForSelector('.not-found h1');
  step('another user\'s receipt URL shows the not-found page');
  check(!problems.length, problems.join('\n'));
}

async function finance(browser) {
  const who = args.finance;
  const tok = await token(base, who.username, who.password);
  const { ctx, problems } = await context(browser, base);
  const page = await ctx.newPage();
  await signIn(page, base, who.username, who.password);
  const id = args.otherReceipt;
  const before = (await api(base, tok, 'query($id: ID!) { receipt(id: $id) { user status total { minor } } }', { id })).receipt;
  check(before.status === 'PENDING', `the receipt to void is ${before.status}`);
  await open(page, base, `/admin/billing?status=PENDING&user=${before.user}`);
  await page.click(`[id="void-${id}"]`);
  await page.fill('#void-reason', 'wrong cut-off date');
  await page.click('#void-submit');
  for (let i = 0; i < 50; i += 1) {
    const r = (await api(base, tok, 'query($id: ID!) { receipt(id: $id) { status } }', { id })).receipt;
    if (r.status === 'VOID') break;
    check(i < 49, 'the receipt was not voided');
    await page.waitForTimeout(100);
  }
  step(`voided receipt ${id} of ${before.user}`);
  // Rebill: the same jobs on a new receipt for the same user.
  await page.fill('#create-user', before.user);
  await page.click('#create-preview');
  await page.waitForSelector('#create-preview-result');
  await page.click('#create-submit');
  await page.waitForSelector('#create-result');
  const after = await api(base, tok, 'query($u: String!) { receipts(filter: { user: $u, status: PENDING }, first: 5) { nodes { id total { minor } } } }', { u: before.user });
  const fresh = after.receipts.nodes.filter((r) => r.id !== id);
  check(fresh.length === 1 && fresh[0].total.minor === before.total.minor, `rebilled: ${JSON.stringify(after)} vs ${before.total.minor}`);
  step(`rebilled as receipt ${fresh[0].id} with the same total`);
  check(!problems.length, problems.join('\n'));
}

async function rates(browser) {
  const who = args.admin;
  const tok = await token(base, who.username, who.password);
  const { ctx, problems } = await context(browser, base);
  const page = await ctx.newPage();
  await signIn(page, base, who.username, who.password);
  const quote = async () => {
    await open(page, base, '/playground');
    await page.fill('#q-cpus', '8');
    await page.fill('#q-gpus', '0');
    await page.fill('#q-mem', '32');
    await page.fill('#q-hours', '10');
    await page.click('#quote-button');
    await page.waitForSelector('#quote-cost');
    return digits(await page.textContent('#quote-cost'));
  };
  const first = await quote();
  const mine = (await api(base, tok, '{ quote(cpus: 8, memGb: "32", hours: "10") { cost { minor } explain { tier } } }')).quote;
  check(first === String(mine.cost.minor), `playground ${first} vs API ${mine.cost.minor}`);
  await open(page, base, '/admin/rates');
  await page.fill('#rate-tier', mine.explain.tier);
  await page.fill('#rate-cpu', '7.5');
  await page.fill('#rate-gpu', '20');
  await page.fill('#rate-mem', '1.25');
  await page.click('#rate-submit');
  await page.waitForSelector('#rates-notice');
  const second = await quote();
  // 8 × 10 × 7.5 + 32 × 10 × 1.25 = 600 + 400 = 1000.00
  check(second === '100000', `after the rate change the playground says ${second}, expected 100000`);
  step(`tier ${mine.explain.tier}: quote ${first} → ${second} minor units after the rate change`);
  check(!problems.length, problems.join('\n'));
}

async function audit(browser, broken) {
  const who = args.admin;
  const { ctx, problems } = await context(browser, base);
  const page = await ctx.newPage();
  await signIn(page, base, who.username, who.password);
  await open(page, base, '/admin/audit');
  await page.click('#audit-verify');
  const result = await page.waitForSelector('#audit-verify-result');
  const ok = await result.getAttribute('data-ok');
  const text = await result.textContent();
  if (broken) {
    check(ok === 'false' && text.includes(String(args.brokenId)), `Verify should name entry ${args.brokenId}: ${text}`);
  } else {
    check(ok === 'true', `Verify should say OK: ${text}`);
  }
  step(`Verify: ${text.trim()}`);
  check(!problems.length, problems.join('\n'));
}

async function lockout(browser) {
  const { ctx } = await context(browser, base);
  const page = await ctx.newPage();
  await page.goto(`${base}/signin`);
  let message = '';
  for (let i = 0; i < 8; i += 1) {
    await page.fill('#username', args.user.username);
    await page.fill('#password', `wrong-${i}`);
    await page.click('#signin-form button[type=submit]');
    await page.waitForFunction((prev) => {
      const m = document.getElementById('message').textContent;
      return m && m !== prev;
    }, message).catch(() => {});
    message = await page.textContent('#message');
    if (/\d+\s*min|minute/i.test(message)) break;
    // Make the next message differ even when it repeats.
    await page.evaluate(() => { document.getElementById('message').textContent = ''; });
    message = '';
  }
  check(/\d+\s*min|minute/i.test(message), `no lockout message with the time left: ${message}`);
  step(`lockout message: ${message}`);
}

// Every route: axe in both languages, screenshots EN/TH × desktop/phone, and a cold load's
// bytes and times (no cache) as the users of a fresh browser see it.
const USER_ROUTES = ['/', '/usage', '/receipts', '/receipts/{receipt}', '/payments/{payment}', '/playground', '/account'];
const ADMIN_ROUTES = ['/admin', '/admin/usage', '/admin/billing', '/admin/payments', '/admin/adjustments', '/admin/rates',
  '/admin/overrides', '/admin/audit', '/admin/sources', '/admin/users'];

async function measure(ctx, route) {
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  let bytes = 0;
  let requests = 0;
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; requests += 1; });
  await page.goto(`${base}/#${route}`);
  const shown = await page.waitForFunction(() => {
    const main = document.getElementById('main');
    return main && main.querySelector('h1') && !main.querySelector('.loading') ? performance.now() : false;
  }, null, { timeout: 20000, polling: 'raf' });
  const dataShownMs = Math.round(await shown.jsonValue());
  await page.waitForLoadState('networkidle');
  const firstPaintMs = Math.round(await page.evaluate(() => {
    const p = performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint');
    return p ? p.startTime : -1;
  }));
  await page.close();
  return { bytes, requests, firstPaintMs, dataShownMs };
}

async function pages(browser) {
  const tok = await token(base, args.user.username, args.user.password);
  // A receipt and a payment of the user to show.
  const created = (await api(base, tok, 'mutation { createReceipt { id } }')).createReceipt;
  const payment = (await api(base, tok, 'mutation($id: ID!) { startPayment(receiptId: $id, provider: "dummy") { id } }', { id: created.id })).startPayment;
  const fill = (r) => r.replace('{receipt}', created.id).replace('{payment}', encodeURIComponent(payment.id));
  report.pages = [];
  report.violations = [];
  const runs = [[args.user, USER_ROUTES], [args.admin, ADMIN_ROUTES]];
  for (const [who, routes] of runs) {
    for (const [vpName, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      const { ctx, problems } = await context(browser, base, { viewport });
      const page = await ctx.newPage();
      await signIn(page, base, who.username, who.password);
      for (const lang of ['en', 'th']) {
        await switchLanguage(page, lang);
        for (const r of routes) {
          const route = fill(r);
          await page.goto(`${base}/#${route}`);
          await dataShown(page);
          await page.waitForLoadState('networkidle');
          const slug = (r === '/' ? 'home' : r.slice(1).replace(/[/{}]+/g, '-').replace(/-$/, ''));
          await page.screenshot({ path: `${args.screenshots}/${slug}.${lang}.${vpName}.png`, fullPage: true });
          if (vpName === 'desktop' || route === '/usage') {
            const found = await seriousViolations(page);
            for (const v of found) report.violations.push({ route, lang, viewport: vpName, ...v });
          }
          if (lang === 'en' && vpName === 'desktop') {
            report.pages.push({ route: r, ...(await measure(ctx, route)) });
          }
        }
      }
      await switchLanguage(page, 'en');
      check(!problems.length, problems.join('\n'));
      await ctx.close();
    }
  }
  step(`${report.pages.length} pages measured, ${report.violations.length} serious or critical accessibility violations`);
  check(!report.violations.length, `accessibility: ${JSON.stringify(report.violations, null, 1)}`);
}

const browser = await launch();
try {
  if (name === 'user') await user(browser);
  else if (name === 'finance') await finance(browser);
  else if (name === 'rates') await rates(browser);
  else if (name === 'audit-ok') await audit(browser, false);
  else if (name === 'audit-broken') await audit(browser, true);
  else if (name === 'lockout') await lockout(browser);
  else if (name === 'pages') await pages(browser);
  else throw new Error(`no scenario ${name}`);
  report.ok = true;
} catch (e) {
  report.error = String(e && e.stack ? e.stack : e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
process.exit(report.ok ? 0 : 1);
