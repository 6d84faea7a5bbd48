// The dashboard: loads who is signed in and the text catalogs, then shows the page the URL's
// hash names (`#/usage?from=…`). Pages are loaded on first use, so the first load carries only
// the shell; filters live in the hash so links, reloads and Back keep them.
import { html, render, useState, useEffect } from './html.js';
import { gql, signIn, closeLive, ApiError } from './api.js';
import { t, loadCatalogs, lang, setCurrentLanguage, browserLanguage, LANGUAGES } from './i18n.js';
import { NotFound, ErrorBox, Loading } from './components.js';

const FINANCE = ['ADMIN', 'FINANCE'];
const ADMIN = ['ADMIN'];

// Route pattern → page module, who may open it, and the nav label key (pages without one are
// reached from other pages).
export const ROUTES = [
  { path: '/', module: './pages/home.js', nav: 'nav.home' },
  { path: '/usage', module: './pages/usage.js', nav: 'nav.usage' },
  { path: '/receipts', module: './pages/receipts.js', nav: 'nav.receipts' },
  { path: '/receipts/:id', module: './pages/receipt.js' },
  { path: '/payments/:id', module: './pages/payment.js' },
  { path: '/playground', module: './pages/playground.js', nav: 'nav.playground' },
  { path: '/account', module: './pages/account.js' },
  { path: '/admin', module: './pages/admin/overview.js', roles: FINANCE, nav: 'nav.admin.overview', section: 'admin' },
  { path: '/admin/usage', module: './pages/usage.js', roles: FINANCE, nav: 'nav.admin.usage', section: 'admin', props: { all: true } },
  { path: '/admin/billing', module: './pages/admin/billing.js', roles: FINANCE, nav: 'nav.admin.billing', section: 'admin' },
  { path: '/admin/payments', module: './pages/admin/payments.js', roles: FINANCE, nav: 'nav.admin.payments', section: 'admin' },
  { path: '/admin/adjustments', module: './pages/admin/adjustments.js', roles: FINANCE, nav: 'nav.admin.adjustments', section: 'admin' },
  { path: '/admin/rates', module: './pages/admin/rates.js', roles: FINANCE, nav: 'nav.admin.rates', section: 'admin' },
  { path: '/admin/overrides', module: './pages/admin/overrides.js', roles: FINANCE, nav: 'nav.admin.overrides', section: 'admin' },
  { path: '/admin/audit', module: './pages/admin/audit.js', roles: FINANCE, nav: 'nav.admin.audit', section: 'admin' },
  { path: '/admin/sources', module: './pages/admin/sources.js', roles: FINANCE, nav: 'nav.admin.sources', section: 'admin' },
  { path: '/admin/users', module: './pages/admin/users.js', roles: ADMIN, nav: 'nav.admin.users', section: 'admin' },
];

/** The current hash as `{ path, query }`. */
function location_() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  return { path: path || '/', query: Object.fromEntries(new URLSearchParams(qs || '')) };
}

/** Goes to `path` with `query` (empty values dropped). */
export function navigate(path, query = {}) {
  const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '' && v !== null && v !== undefined)).toString();
  location.hash = '#' + path + (qs ? '?' + qs : '');
}

function match(path) {
  for (const route of ROUTES) {
    const want = route.path.split('/');
    const got = path.split('/');
    if (want.length !== got.length) continue;
    const params = {};
    if (want.every((w, i) => (w.startsWith(':') ? ((params[w.slice(1)] = decodeURIComponent(got[i])), true) : w === got[i]))) {
      return { route, params };
    }
  }
  return null;
}

const loaded = new Map();

function usePage(route) {
  const [mod, setMod] = useState(() => (route ? loaded.get(route.module) : null));
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!route) return;
    if (loaded.has(route.module)) {
      setMod(loaded.get(route.module));
      return;
    }
    setMod(null);
    import(route.module).then(
      (m) => {
        loaded.set(route.module, m);
        setMod(m);
      },
      (e) => setError(e),
    );
  }, [route && route.module]);
  return { mod, error };
}

function Nav({ me, path }) {
  const visible = ROUTES.filter((r) => r.nav && (!r.roles || r.roles.includes(me.role)));
  const link = (r) => html`<li><a href=${'#' + r.path} aria-current=${path === r.path ? 'page' : null}>${t(r.nav)}</a></li>`;
  const mine = visible.filter((r) => !r.section);
  const admin = visible.filter((r) => r.section === 'admin');
  return html`<nav class="main-nav" aria-label=${t('nav.label')}>
    <ul>${mine.map(link)}</ul>
    ${admin.length ? html`<p class="nav-section">${t('nav.admin.section')}</p><ul>${admin.map(link)}</ul>` : null}
  </nav>`;
}

function LanguageSwitch({ onChange }) {
  return html`<label class="lang-switch"><span class="visually-hidden">${t('common.language')}</span>
    <select value=${lang()} onChange=${(e) => onChange(e.target.value)}>
      ${LANGUAGES.map((l) => html`<option value=${l} lang=${l}>${t('common.language.' + l)}</option>`)}
    </select></label>`;
}

function App({ initialMe }) {
  const [me, setMe] = useState(initialMe);
  const [where, setWhere] = useState(location_());
  const [, setLangTick] = useState(0);
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => {
    const on = () => {
      setWhere(location_());
      setMenuOpen(false);
    };
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  const found = match(where.path);
  const allowed = found && (!found.route.roles || found.route.roles.includes(me.role));
  const { mod, error } = usePage(allowed ? found.route : null);
  useEffect(() => {
    window.scrollTo(0, 0);
  }, [where.path]);
  useEffect(() => {
    // Move focus to the new page's content, so keyboard and screen-reader users land there.
    const main = document.getElementById('main');
    if (main) main.focus({ preventScroll: true });
    document.title = (found && found.route.nav ? t(found.route.nav) + ' · ' : '') + 'hpc-billing';
  }, [where.path, mod]);

  async function changeLanguage(l) {
    setCurrentLanguage(l);
    localStorage.setItem('hpcb.lang.' + me.username, l);
    setLangTick((n) => n + 1);
    try {
      await gql('mutation($l: Language!) { setLanguage(language: $l) }', { l: l.toUpperCase() });
    } catch {
      // The choice still holds in this browser; the server copy is a convenience.
    }
  }

  async function signOut() {
    closeLive();
    try {
      await gql('mutation { logout }');
    } finally {
      location.assign('/signin');
    }
  }

  let page;
  if (!found || !allowed) page = html`<${NotFound} />`;
  else if (error) page = html`<${ErrorBox} error=${error} />`;
  else if (!mod) page = html`<${Loading} />`;
  else {
    const Page = mod.default;
    page = html`<${Page} me=${me} params=${found.params} query=${where.query} path=${where.path}
      navigate=${navigate} setMe=${setMe} ...${found.route.props || {}} />`;
  }
  return html`
    <header class="top">
      <a class="brand" href="#/">hpc-billing</a>
      <button type="button" class="menu-toggle secondary" aria-expanded=${menuOpen} aria-controls="side"
        onClick=${() => setMenuOpen(!menuOpen)}>${t('nav.menu')}</button>
      <div class="top-right">
        <${LanguageSwitch} onChange=${changeLanguage} />
        <a href="#/account" class="who">${me.username}</a>
        <span class="badge role">${t('common.role.' + me.role.toLowerCase())}</span>
        <button type="button" class="secondary" onClick=${signOut}>${t('nav.signOut')}</button>
      </div>
    </header>
    <div class="layout">
      <aside id="side" class=${menuOpen ? 'open' : ''}><${Nav} me=${me} path=${where.path} /></aside>
      <main id="main" tabindex="-1">${page}</main>
    </div>`;
}

async function boot() {
  const root = document.getElementById('app');
  let me;
  try {
    const [data] = await Promise.all([gql('{ me { username role language } }'), loadCatalogs()]);
    me = data.me;
  } catch (e) {
    if (e instanceof ApiError && e.code === 'UNAUTHENTICATED') {
      signIn();
      return;
    }
    root.querySelector('.loading').textContent = e.message;
    return;
  }
  setCurrentLanguage((me.language && me.language.toLowerCase()) || localStorage.getItem('hpcb.lang.' + me.username) || browserLanguage());
  root.textContent = '';
  render(html`<${App} initialMe=${me} />`, root);
}

boot();
