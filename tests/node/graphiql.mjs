// GraphiQL in headless Chromium with every request off this machine refused (an air-gapped
// site): the page must render from the server's own files, load the schema through
// introspection under the default limits, and after a `login` typed into GraphiQL run the
// next mutation (which needs the new session's CSRF token) without a reload.
// Prints one JSON line with what happened; exits 1 when a step fails.
//   node graphiql.mjs BASE_URL USERNAME PASSWORD
import { chromium } from 'playwright-core';

const [base, username, password] = process.argv.slice(2);
const report = { offsite: [], rendered: false, types: 0, login: null, mutation: null, consoleErrors: [] };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = null;
try {
  const context = await browser.newContext();
  const origin = new URL(base).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:')) return route.continue();
    report.offsite.push(url);
    return route.abort('internetdisconnected');
  });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') report.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => report.consoleErrors.push(String(e)));
  const graphqlAnswer = (pred) => page.waitForResponse(
    (r) => r.url() === `${base}/graphql` && r.request().method() === 'POST' && pred(r.request().postData() || ''),
    { timeout: 20000 },
  );
  const introspection = graphqlAnswer((body) => body.includes('__schema'));
  await page.goto(`${base}/graphql`);
  await page.waitForSelector('.graphiql-container', { timeout: 20000 });
  report.rendered = true;
  const schema = await (await introspection).json();
  report.types = schema.data && schema.data.__schema ? schema.data.__schema.types.length : 0;
  if (!report.types) throw new Error(`introspection failed: ${JSON.stringify(schema.errors)}`);

  const run = async (query, marker) => {
    await page.evaluate((q) => {
      document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(q);
    }, query);
    const answer = graphqlAnswer((body) => body.includes(marker));
    await page.click('.graphiql-execute-button');
    return (await answer).json();
  };
  report.login = await run(
    `mutation { login(username: "${username}", password: "${password}") { token } }`,
    'login(',
  );
  // A cookie-authenticated mutation: refused with FORBIDDEN unless X-CSRF-Token is sent.
  report.mutation = await run('mutation { logout }', 'logout');
  if (!(report.login.data && report.login.data.login)) throw new Error('login failed');
  if (!(report.mutation.data && report.mutation.data.logout === true)) throw new Error('mutation after login failed');
  if (report.offsite.length) throw new Error('the page asked for files off this server');
} catch (e) {
  failed = String(e);
}
await browser.close();
report.failed = failed;
console.log(JSON.stringify(report));
process.exit(failed ? 1 : 0);
