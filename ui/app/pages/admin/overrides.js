// Tier overrides (finance, admin): users priced at a fixed tier whatever the classifier rules
// say; set one (or change it) and clear one. The list is shown a page at a time.
import { html, useState, useEffect } from '../../html.js';
import { t, dateTime } from '../../i18n.js';
import { useQuery, useMutation, Loaded, Table, Field, ErrorBox, ConfirmButton, FilterForm, localPage } from '../../components.js';

const OVERRIDES = '{ tierOverrides { username tier updatedAt updatedBy } }';
const TIERS = '{ rates { tier } }';
const SET = 'mutation($username: String!, $tier: String!) { setTierOverride(username: $username, tier: $tier) { username tier } }';
const CLEAR = 'mutation($username: String!) { clearTierOverride(username: $username) }';
const PAGE = 50;

export default function Page({ query, path, navigate }) {
  const q = useQuery(OVERRIDES, {});
  const tiersQ = useQuery(TIERS, {});
  const tiers = [...new Set(((tiersQ.data && tiersQ.data.rates) || []).map((r) => r.tier))].sort();
  const [username, setUsername] = useState('');
  const [tier, setTier] = useState('');
  const [invalid, setInvalid] = useState('');
  const [notice, setNotice] = useState('');
  const [find, setFind] = useState(query.user || '');
  const [page, setPage] = useState(0);
  const [setOverride, setState] = useMutation(SET);
  const [clear, clearState] = useMutation(CLEAR);
  useEffect(() => {
    if (!tier && tiers.length) setTier(tiers[0]);
  }, [tiers.join(',')]);
  useEffect(() => setFind(query.user || ''), [query.user]);
  const submit = async (e) => {
    e.preventDefault();
    setNotice('');
    if (!username.trim() || !tier.trim()) return setInvalid(t('admin.overrides.required'));
    setInvalid('');
    const d = await setOverride({ username: username.trim(), tier: tier.trim() });
    if (d) {
      setNotice(t('admin.overrides.setDone', { user: d.setTierOverride.username, tier: d.setTierOverride.tier }));
      setUsername('');
      q.reload();
    }
  };
  const doClear = async (o) => {
    setNotice('');
    const d = await clear({ username: o.username });
    if (d) {
      setNotice(d.clearTierOverride ? t('admin.overrides.clearDone', { user: o.username }) : t('admin.overrides.clearNone', { user: o.username }));
      q.reload();
    }
  };
  return html`<section class="admin-page">
    <h1>${t('admin.overrides.title')}</h1>
    <p class="muted">${t('admin.overrides.explain')}</p>
    ${notice ? html`<p class="notice" role="status" id="overrides-notice">${notice}</p>` : null}
    <h2 id="override-form-title">${t('admin.overrides.formTitle')}</h2>
    <form id="override-form" onSubmit=${submit} aria-labelledby="override-form-title" novalidate>
      <${Field} label=${t('admin.overrides.user')}>
        <input id="override-user" value=${username} required autocomplete="off" aria-invalid=${invalid && !username.trim() ? 'true' : null}
          onInput=${(e) => setUsername(e.target.value)} />
      <//>
      <${Field} label=${t('admin.overrides.tier')}>
        <input id="override-tier" list="override-tiers" value=${tier} required autocomplete="off"
          aria-invalid=${invalid && !tier.trim() ? 'true' : null} onInput=${(e) => setTier(e.target.value)} />
      <//>
      <datalist id="override-tiers">${tiers.map((x) => html`<option value=${x} />`)}</datalist>
      ${invalid ? html`<p class="error" role="alert">${invalid}</p>` : null}
      <${ErrorBox} error=${setState.error} />
      <button type="submit" id="override-submit" disabled=${setState.busy}>${t('admin.overrides.submit')}</button>
    </form>

    <h2>${t('admin.overrides.listTitle')}</h2>
    <${FilterForm} ariaLabel=${t('admin.overrides.filter')} label=${t('admin.overrides.find')} inputId="override-find"
      value=${find} onInput=${setFind} onApply=${() => {
        setPage(0);
        navigate(path, { ...query, user: find.trim() });
      }} />
    <${ErrorBox} error=${clearState.error} />
    <${Loaded} q=${q}>${(d) => {
      const needle = (query.user || '').toLowerCase();
      const all = d.tierOverrides.filter((o) => !needle || o.username.toLowerCase().includes(needle));
      const local = localPage(all, page, setPage, PAGE);
      return html`<${Table}
        caption=${t('admin.overrides.caption')}
        rows=${local.rows}
        rowKey=${(o) => o.username}
        empty=${t('admin.overrides.none')}
        columns=${[
          { label: t('admin.overrides.col.user'), cell: (o) => o.username },
          { label: t('admin.overrides.col.tier'), cell: (o) => o.tier },
          { label: t('admin.overrides.col.updated'), cell: (o) => html`${dateTime(o.updatedAt)}${o.updatedBy ? html`<br /><small class="muted">${o.updatedBy}</small>` : null}` },
          {
            label: t('admin.overrides.col.actions'),
            cell: (o) => html`<div class="row-actions">
              <button type="button" class="secondary" onClick=${() => { setUsername(o.username); setTier(o.tier); document.getElementById('override-tier').focus(); }}>${t('admin.overrides.change')}<span class="visually-hidden"> ${o.username}</span></button>
              <${ConfirmButton} label=${html`${t('admin.overrides.clear')}<span class="visually-hidden"> ${o.username}</span>`} danger=${true} busy=${clearState.busy}
                question=${t('admin.overrides.clearQuestion', { user: o.username })} onConfirm=${() => doClear(o)} />
            </div>`,
          },
        ]} />
        ${local.pager}`;
    }}<//>
  </section>`;
}
