// Every string the dashboard shows comes from the catalogs in `ui/i18n/<area>.json`, each
// holding the same keys in English (`en`) and Thai (`th`); a test fails when a key lacks a
// language or a page uses a key no catalog has. Numbers, dates and money are formatted by the
// browser's Intl for the chosen language (Thai dates use the Buddhist calendar, as Thai
// readers expect).
//
// The language is the signed-in user's choice (kept on the server, so it follows them), else
// what they picked last in this browser, else the browser's language.

export const LANGUAGES = ['en', 'th'];
const AREAS = ['common', 'user', 'admin'];
const LOCALES = { en: 'en-GB', th: 'th-TH' };

let catalogs = { en: {}, th: {} };
let current = 'en';

/** Loads every catalog (both languages: switching needs no further request). */
export async function loadCatalogs() {
  const parts = await Promise.all(
    AREAS.map((a) =>
      fetch(`/assets/i18n/${a}.json`, { credentials: 'same-origin' }).then((r) => {
        if (!r.ok) throw new Error(`catalog ${a}: ${r.status}`);
        return r.json();
      }),
    ),
  );
  const merged = { en: {}, th: {} };
  for (const part of parts) for (const l of LANGUAGES) Object.assign(merged[l], part[l] || {});
  catalogs = merged;
}

/** The language a visitor gets before choosing: their browser's, if we have it. */
export function browserLanguage() {
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = String(l).slice(0, 2).toLowerCase();
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

export function lang() {
  return current;
}

export function setCurrentLanguage(l) {
  current = LANGUAGES.includes(l) ? l : 'en';
  document.documentElement.lang = current;
}

export function locale() {
  return LOCALES[current];
}

/** The text of `key` with `{name}` placeholders filled from `vars`. */
export function t(key, vars) {
  let s = catalogs[current][key];
  if (s === undefined) s = catalogs.en[key];
  if (s === undefined) {
    console.warn(`i18n: no text for ${key}`);
    s = key;
  }
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  return s;
}

/** Money from the API (`{ amount: "123.45", currency: "THB" }`), exact: Intl formats the decimal string. */
export function money(m) {
  if (!m) return '';
  return new Intl.NumberFormat(locale(), { style: 'currency', currency: m.currency }).format(m.amount);
}

/** A number (or decimal string) with at most `digits` fraction digits. */
export function number(x, digits = 2) {
  if (x === null || x === undefined || x === '') return '';
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(x);
}

export function date(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium' }).format(new Date(iso));
}

export function dateTime(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** A `YYYY-MM` month as the locale names it. */
export function month(ym) {
  const [y, m] = ym.split('-').map(Number);
  return new Intl.DateTimeFormat(locale(), { year: 'numeric', month: 'short', timeZone: 'UTC' }).format(
    new Date(Date.UTC(y, m - 1, 1)),
  );
}
