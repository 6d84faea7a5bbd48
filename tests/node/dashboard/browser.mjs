// Headless Chromium for the dashboard tests: one browser, pages that fail the test on any
// script error or request off this server, and the steps every scenario shares.
import { chromium } from 'playwright-core';

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--font-render-hinting=none'],
  });
}

/**
 * A browser context for `base` with its problems collected: script errors, failed requests to
 * this server, and any request elsewhere (refused: the dashboard must need nothing else).
 */
export async function context(browser, base, { viewport = DESKTOP, locale = 'en-GB' } = {}) {
  const ctx = await browser.newContext({ viewport, locale, reducedMotion: 'reduce' });
  const origin = new URL(base).origin;
  const problems = [];
  await ctx.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    problems.push(`request off this server: ${url}`);
    return route.abort('internetdisconnected');
  });
  ctx.on('page', (page) => watch(page, problems));
  return { ctx, problems };
}

function watch(page, problems) {
  page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e}`));
  page.on('console', (m) => {
    // A 4xx the page handles (a wrong password, a receipt that is not yours) is logged by
    // Chromium as a failed resource; everything else logged as an error is a defect.
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) {
      problems.push(`console error on ${page.url()}: ${m.text()}`);
    }
  });
}

/** Signs in through the sign-in page and waits for the dashboard. */
export async function signIn(page, base, username, password, next = '/') {
  await page.goto(`${base}/signin?next=${encodeURIComponent(next)}`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/signin'), { timeout: 20000 }),
    page.click('#signin-form button[type=submit]'),
  ]);
  await dataShown(page);
}

/** Waits until the page has its heading and nothing in `main` is still loading. */
export async function dataShown(page, timeout = 20000) {
  await page.waitForFunction(
    () => {
      const main = document.getElementById('main');
      return main && main.querySelector('h1') && !main.querySelector('.loading');
    },
    null,
    { timeout },
  );
}

/** Opens a dashboard route (`/usage?from=…`) and waits for its data. */
export async function open(page, base, route) {
  await page.goto(`${base}/#${route}`);
  await dataShown(page);
}

/** Calls the API with a bearer token, as an independent check of what the page shows. */
export async function api(base, token, query, variables = {}) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(`${query.slice(0, 60)}…: ${JSON.stringify(body.errors)}`);
  return body.data;
}

export async function token(base, username, password) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
      variables: { u: username, p: password },
    }),
  });
  const body = await res.json();
  if (!body.data) throw new Error(`login ${username}: ${JSON.stringify(body.errors)}`);
  return body.data.login.token;
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Switches the language with the header's selector and waits for the page to re-render. */
export async function switchLanguage(page, lang) {
  await page.selectOption('.lang-switch select', lang);
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
  await dataShown(page);
}
