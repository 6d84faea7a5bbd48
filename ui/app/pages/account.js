// My account (`#/account`): who I am, changing my password, and where the language is chosen.
import { html, useState, useRef } from '../html.js';
import { t, dateTime, lang } from '../i18n.js';
import { useQuery, useMutation, Loaded, Field, ErrorBox } from '../components.js';

const ME = `query Account { me { username role authSource createdAt } }`;
const CHANGE = `mutation ChangePassword($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new)
}`;

function minutes(seconds) {
  return Math.max(1, Math.ceil(Number(seconds || 60) / 60));
}

/** A sentence saying what went wrong, in the chosen language, above the API's own message. */
function explain(error) {
  if (!error) return '';
  const field = error.extensions && error.extensions.field;
  if (error.code === 'BAD_USER_INPUT' && field === 'currentPassword') return t('user.account.password.wrongCurrent');
  if (error.code === 'BAD_USER_INPUT' && field === 'newPassword') return t('user.account.password.badNew');
  if (error.code === 'RATE_LIMITED') return t('user.account.password.locked', { minutes: minutes(error.extensions && error.extensions.retryAfter) });
  if (error.code === 'CONFLICT') return t('user.account.password.external');
  return '';
}

function PasswordForm({ authSource }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const [done, setDone] = useState(false);
  const [showApi, setShowApi] = useState(true);
  const [change, state] = useMutation(CHANGE);
  const currentRef = useRef(null);
  if (authSource !== 'local') {
    return html`<p class="muted" id="password-external">${t('user.account.password.externalSource', { source: authSource })}</p>`;
  }
  async function onSubmit(e) {
    e.preventDefault();
    setDone(false);
    if (next !== again) {
      setMismatch(true);
      setShowApi(false);
      return;
    }
    setMismatch(false);
    setShowApi(true);
    const r = await change({ current, new: next });
    if (r && r.changePassword) {
      setDone(true);
      setCurrent('');
      setNext('');
      setAgain('');
    } else if (currentRef.current) {
      currentRef.current.focus();
    }
  }
  const apiError = showApi ? state.error : null;
  const why = explain(apiError);
  return html`<form id="password-form" onSubmit=${onSubmit}>
    <${Field} label=${t('user.account.password.current')}>
      <input id="current-password" type="password" autocomplete="current-password" required value=${current} ref=${currentRef}
        aria-invalid=${apiError && apiError.extensions && apiError.extensions.field === 'currentPassword' ? 'true' : null}
        onInput=${(e) => setCurrent(e.target.value)} /><//>
    <${Field} label=${t('user.account.password.new')} hint=${t('user.account.password.newHint')}>
      <input id="new-password" type="password" autocomplete="new-password" required value=${next}
        aria-invalid=${apiError && apiError.extensions && apiError.extensions.field === 'newPassword' ? 'true' : null}
        onInput=${(e) => setNext(e.target.value)} /><//>
    <${Field} label=${t('user.account.password.again')}>
      <input id="new-password-again" type="password" autocomplete="new-password" required value=${again}
        aria-invalid=${mismatch ? 'true' : null} onInput=${(e) => setAgain(e.target.value)} /><//>
    <button type="submit" id="password-submit" disabled=${state.busy}>${t('user.account.password.submit')}</button>
    <div aria-live="polite" id="password-message">
      ${mismatch ? html`<p class="error" role="alert">${t('user.account.password.mismatch')}</p>` : null}
      ${why ? html`<p class="error" id="password-why">${why}</p>` : null}
      <${ErrorBox} error=${apiError} />
      ${done ? html`<p class="notice" role="status" id="password-done">${t('user.account.password.done')}</p>` : null}
    </div>
  </form>`;
}

export default function Account({ me }) {
  const q = useQuery(ME, {});
  return html`<section class="account-page">
    <h1>${t('user.account.title')}</h1>
    <${Loaded} q=${q}>${(d) => html`
      <dl class="totals" id="account-details">
        <dt>${t('user.account.username')}</dt><dd id="account-username">${d.me.username}</dd>
        <dt>${t('user.account.role')}</dt><dd id="account-role">${t('common.role.' + d.me.role.toLowerCase())}</dd>
        <dt>${t('user.account.source')}</dt><dd>${d.me.authSource === 'local' ? t('user.account.sourceLocal') : t('user.account.sourceExternal', { source: d.me.authSource })}</dd>
        <dt>${t('user.account.since')}</dt><dd>${dateTime(d.me.createdAt)}</dd>
      </dl>
      <section aria-labelledby="password-h">
        <h2 id="password-h">${t('user.account.password.title')}</h2>
        <p class="muted">${t('user.account.password.intro')}</p>
        <${PasswordForm} authSource=${d.me.authSource} />
      </section>`}<//>
    <section aria-labelledby="language-h">
      <h2 id="language-h">${t('user.account.language.title')}</h2>
      <p id="account-language">${t('user.account.language.current', { language: t('common.language.' + lang()) })}</p>
      <p class="muted">${t('user.account.language.hint')}</p>
    </section>
  </section>`;
}
