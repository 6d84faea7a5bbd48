// Audit log (finance, admin): the hash-chained record of every change and sign-in, newest
// first, filtered (action or `prefix.*`, actor, target, status, time) and cursor paged; a live
// list of entries appended while the page is open (the `auditAppended` subscription, last 100
// kept); and a check of the whole chain that names the first entry that does not verify.
import { html, useState, useEffect } from '../../html.js';
import { subscribe } from '../../api.js';
import { t, number, dateTime } from '../../i18n.js';
import { useQuery, useMutation, useCursorPager, Loaded, Table, Field, ErrorBox } from '../../components.js';

const PAGE = 50;
const LIVE_MAX = 100;
const ENTRY = 'id seq at actor ip userAgent requestId action target status details';
const AUDIT = `query($first: Int!, $after: String, $filter: AuditFilterInput) {
  auditLog(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor } nodes { ${ENTRY} } } }`;
const LIVE = `subscription { auditAppended { ${ENTRY} } }`;
const VERIFY = '{ auditVerify { ok checked firstBrokenId reason } }';
const FILTER_KEYS = ['action', 'actor', 'target', 'status', 'from', 'to'];

/** A `datetime-local` value (the browser's time zone) as RFC 3339, or null when empty/invalid. */
function localToIso(v) {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function AuditStatus({ value }) {
  switch (value) {
    case 'ok':
      return html`<span class="badge status-ok">${t('admin.audit.status.ok')}</span>`;
    case 'denied':
      return html`<span class="badge status-denied">${t('admin.audit.status.denied')}</span>`;
    case 'failed':
      return html`<span class="badge status-failed">${t('common.status.failed')}</span>`;
    default:
      return html`<span class="badge">${value}</span>`;
  }
}

function Details({ e }) {
  return html`<details class="admin-details">
    <summary>${t('admin.audit.details')}<span class="visually-hidden"> #${e.id}</span></summary>
    <dl>
      ${e.ip ? html`<dt>${t('admin.audit.ip')}</dt><dd>${e.ip}</dd>` : null}
      ${e.userAgent ? html`<dt>${t('admin.audit.userAgent')}</dt><dd>${e.userAgent}</dd>` : null}
      ${e.requestId ? html`<dt>${t('admin.audit.requestId')}</dt><dd><code>${e.requestId}</code></dd>` : null}
      <dt>${t('admin.audit.seq')}</dt><dd>${e.seq}</dd>
    </dl>
    <pre>${JSON.stringify(e.details, null, 2)}</pre>
  </details>`;
}

function columns() {
  return [
    { label: t('admin.audit.col.id'), num: true, cell: (e) => e.id },
    { label: t('admin.audit.col.at'), cell: (e) => html`<span class="admin-nowrap">${dateTime(e.at)}</span>` },
    { label: t('admin.audit.col.actor'), cell: (e) => e.actor || html`<span class="muted">${t('admin.audit.system')}</span>` },
    { label: t('admin.audit.col.action'), cell: (e) => html`<code>${e.action}</code>` },
    { label: t('admin.audit.col.target'), cell: (e) => e.target || '' },
    { label: t('admin.audit.col.status'), cell: (e) => html`<${AuditStatus} value=${e.status} />` },
    { label: t('admin.audit.col.details'), cell: (e) => html`<${Details} e=${e} />` },
  ];
}

function Filters({ query, path, navigate }) {
  const pick = () => Object.fromEntries(FILTER_KEYS.map((k) => [k, query[k] || '']));
  const [f, setF] = useState(pick);
  useEffect(() => setF(pick()), FILTER_KEYS.map((k) => query[k]));
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  const submit = (e) => {
    e.preventDefault();
    const clean = Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v.trim()]));
    navigate(path, { ...query, ...clean });
  };
  const reset = () => navigate(path, { ...query, ...Object.fromEntries(FILTER_KEYS.map((k) => [k, ''])) });
  return html`<form class="filters" onSubmit=${submit} aria-label=${t('admin.audit.filters')}>
    <${Field} label=${t('admin.audit.action')} hint=${t('admin.audit.actionHint')}>
      <input id="audit-action" value=${f.action} autocomplete="off" placeholder="auth.*" onInput=${set('action')} />
    <//>
    <${Field} label=${t('admin.audit.actor')}>
      <input id="audit-actor" value=${f.actor} autocomplete="off" onInput=${set('actor')} />
    <//>
    <${Field} label=${t('admin.audit.target')} hint=${t('admin.audit.targetHint')}>
      <input id="audit-target" value=${f.target} autocomplete="off" onInput=${set('target')} />
    <//>
    <${Field} label=${t('admin.audit.status')}>
      <select id="audit-status" value=${f.status} onChange=${set('status')}>
        <option value="">${t('admin.audit.allStatuses')}</option>
        <option value="ok">${t('admin.audit.status.ok')}</option>
        <option value="denied">${t('admin.audit.status.denied')}</option>
        <option value="failed">${t('common.status.failed')}</option>
      </select>
    <//>
    <${Field} label=${t('admin.audit.from')}>
      <input id="audit-from" type="datetime-local" value=${f.from} onInput=${set('from')} />
    <//>
    <${Field} label=${t('admin.audit.to')}>
      <input id="audit-to" type="datetime-local" value=${f.to} onInput=${set('to')} />
    <//>
    <button type="submit">${t('common.apply')}</button>
    <button type="button" class="secondary" onClick=${reset}>${t('common.reset')}</button>
  </form>`;
}

function Verify() {
  const [run, state] = useMutation(VERIFY);
  const v = state.data && state.data.auditVerify;
  let result = null;
  if (v && v.ok) {
    result = html`<p class="notice" id="audit-verify-result" role="status" data-ok="true">
      <strong>${t('admin.audit.verifyOk')}</strong> ${t('admin.audit.verifyChecked', { n: number(v.checked, 0) })}</p>`;
  } else if (v) {
    result = html`<div class="error-box" id="audit-verify-result" role="alert" data-ok="false">
      <strong>${t('admin.audit.verifyBroken')}</strong>
      ${' '}${t('admin.audit.verifyBrokenAt', { id: v.firstBrokenId === null ? '?' : v.firstBrokenId, reason: v.reason || '' })}
      ${' '}${t('admin.audit.verifyChecked', { n: number(v.checked, 0) })}</div>`;
  }
  return html`<section aria-labelledby="verify-title">
    <h2 id="verify-title">${t('admin.audit.verifyTitle')}</h2>
    <p class="muted">${t('admin.audit.verifyExplain')}</p>
    <button type="button" id="audit-verify" disabled=${state.busy} onClick=${() => run({})}>
      ${state.busy ? t('admin.audit.verifying') : t('admin.audit.verify')}</button>
    <${ErrorBox} error=${state.error} />
    ${result}
  </section>`;
}

function Live() {
  const [entries, setEntries] = useState([]);
  const [paused, setPaused] = useState(false);
  const [error, setError] = useState(null);
  const [ended, setEnded] = useState(false);
  useEffect(() => {
    if (paused) return undefined;
    setError(null);
    setEnded(false);
    const stop = subscribe(LIVE, {}, {
      onData: (d) => d && d.auditAppended && setEntries((list) => [d.auditAppended, ...list].slice(0, LIVE_MAX)),
      onError: (e) => setError(e),
      onDone: () => setEnded(true),
    });
    return () => stop();
  }, [paused]);
  let state;
  if (paused) state = t('admin.audit.livePaused');
  else if (error) state = t('admin.audit.liveError');
  else if (ended) state = t('admin.audit.liveEnded');
  else state = t('admin.audit.liveOn');
  return html`<section aria-labelledby="live-title">
    <h2 id="live-title">${t('admin.audit.liveTitle')}</h2>
    <div class="toolbar">
      <span class="badge" id="audit-live-state">${state}</span>
      <button type="button" class="secondary" id="audit-live-toggle" aria-pressed=${paused ? 'true' : 'false'}
        onClick=${() => setPaused(!paused)}>${paused ? t('admin.audit.liveResume') : t('admin.audit.livePause')}</button>
      ${entries.length ? html`<button type="button" class="secondary" onClick=${() => setEntries([])}>${t('admin.audit.liveClear')}</button>` : null}
    </div>
    <${ErrorBox} error=${error} />
    <div id="audit-live">
      <${Table}
        caption=${t('admin.audit.liveCaption', { n: LIVE_MAX })}
        rows=${entries}
        rowKey=${(e) => e.id}
        empty=${t('admin.audit.liveEmpty')}
        columns=${columns()} />
    </div>
  </section>`;
}

export default function Page({ query, path, navigate }) {
  const filter = {};
  for (const k of ['action', 'actor', 'target', 'status']) if (query[k]) filter[k] = query[k];
  if (localToIso(query.from)) filter.from = localToIso(query.from);
  if (localToIso(query.to)) filter.to = localToIso(query.to);
  const filterKey = JSON.stringify(filter);
  const { after, pager } = useCursorPager(filterKey);
  const q = useQuery(AUDIT, { first: PAGE, after, filter });
  return html`<section class="admin-page">
    <h1>${t('admin.audit.title')}</h1>
    <${Verify} />
    <${Live} />
    <h2>${t('admin.audit.logTitle')}</h2>
    <${Filters} query=${query} path=${path} navigate=${navigate} />
    <div class="toolbar"><button type="button" class="secondary" onClick=${q.reload}>${t('common.refresh')}</button></div>
    <${Loaded} q=${q}>${(d) => html`
      <${Table}
        caption=${t('admin.audit.caption')}
        rows=${d.auditLog.nodes}
        rowKey=${(e) => e.id}
        empty=${t('admin.audit.none')}
        columns=${columns()} />
      ${pager(d.auditLog.pageInfo, d.auditLog.totalCount)}`}<//>
  </section>`;
}
