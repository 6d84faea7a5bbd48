// Signs in through the `login` mutation (which sets the session and CSRF cookies) and returns
// to the page that sent the browser here (`?next=/path` or `?next=/#/receipts/5`, same site
// only). The page paints in English from the HTML; once the catalogs are in, its text is
// replaced in the visitor's language (`?lang=`, their last choice here, else the browser's).
import { graphql } from './api.js';
import { loadCatalogs, browserLanguage, setCurrentLanguage, lang, t, LANGUAGES } from './app/i18n.js';

const form = document.getElementById('signin-form');
const message = document.getElementById('message');
const STORE = 'hpcb.signin.lang';

// English, for when the catalogs cannot be loaded (the text of the HTML stays as it is).
const FALLBACK = {
  'user.signin.empty': 'Enter your user name and password.',
  'user.signin.network': 'The server did not answer; try again.',
  'user.signin.wrong': 'Wrong user name or password.',
  'user.signin.lockedMinute': 'Too many failed attempts: this sign-in is locked. Try again in about a minute.',
  'user.signin.lockedMinutes': 'Too many failed attempts: this sign-in is locked. Try again in {minutes} minutes.',
  'user.signin.failed': 'Sign-in failed.',
};

let catalogsReady = false;

function text(key, vars) {
  if (catalogsReady) return t(key, vars);
  const s = FALLBACK[key] || key;
  return vars ? s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m)) : s;
}

/** Where to go after signing in: a path on this site only, never `//host` or `https://…`. */
function nextPage() {
  const raw = new URLSearchParams(location.search).get('next') || '/';
  // Browsers drop tabs and newlines inside URLs (`/\t/evil` would become `//evil`) and read
  // `\` as `/`: refuse all of them, then make sure the result stays on this origin.
  if (!raw.startsWith('/') || raw.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(raw)) return '/';
  try {
    const url = new URL(raw, location.origin);
    if (url.origin !== location.origin) return '/';
    return url.pathname + url.search + url.hash;
  } catch {
    return '/';
  }
}

function chosenLanguage() {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  if (LANGUAGES.includes(fromUrl)) return fromUrl;
  let stored = null;
  try {
    stored = localStorage.getItem(STORE);
  } catch {
    // Storage may be off; the browser's language decides.
  }
  return LANGUAGES.includes(stored) ? stored : browserLanguage();
}

function setText(id, key) {
  const el = document.getElementById(id);
  if (el) el.textContent = t(key);
}

/** Puts the page's text in the current language. */
function translate() {
  document.title = t('user.signin.pageTitle');
  setText('signin-title', 'user.signin.title');
  setText('signin-intro', 'user.signin.intro');
  setText('username-label', 'user.signin.username');
  setText('password-label', 'user.signin.password');
  setText('signin-submit', 'user.signin.submit');
  setText('signin-home', 'user.signin.home');
  setText('signin-lang-label', 'common.language');
  for (const b of document.querySelectorAll('#signin-lang [data-lang]')) {
    b.setAttribute('aria-pressed', b.dataset.lang === lang() ? 'true' : 'false');
  }
  message.textContent = '';
}

const ready = loadCatalogs().then(
  () => {
    catalogsReady = true;
    setCurrentLanguage(chosenLanguage());
    translate();
    const switcher = document.getElementById('signin-lang');
    switcher.hidden = false;
    switcher.addEventListener('click', (e) => {
      const b = e.target.closest('[data-lang]');
      if (!b) return;
      setCurrentLanguage(b.dataset.lang);
      try {
        localStorage.setItem(STORE, b.dataset.lang);
      } catch {
        // Not remembered; fine.
      }
      translate();
    });
  },
  () => {
    // No catalogs: the page stays in English, as the HTML has it.
  },
);

function lockedText(seconds) {
  const m = Math.ceil(Number(seconds || 60) / 60);
  return m <= 1 ? text('user.signin.lockedMinute') : text('user.signin.lockedMinutes', { minutes: m });
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  message.textContent = '';
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!username || !password) {
    await ready;
    message.textContent = text('user.signin.empty');
    return;
  }
  let r;
  try {
    r = await graphql(
      'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
      { u: username, p: password },
    );
  } catch {
    await ready;
    message.textContent = text('user.signin.network');
    return;
  }
  if (r.data && r.data.login) {
    location.assign(nextPage());
    return;
  }
  await ready;
  const err = (r.errors && r.errors[0]) || {};
  const ext = err.extensions || {};
  if (ext.code === 'RATE_LIMITED') {
    message.textContent = lockedText(ext.retryAfter);
  } else if (ext.code === 'UNAUTHENTICATED') {
    message.textContent = text('user.signin.wrong');
  } else {
    message.textContent = err.message || text('user.signin.failed');
  }
  form.password.select();
});
