// Plugins and usage sources (finance, admin): which plugins the server loaded and which it
// refused (and why); each usage source with its chain, schedule, watermark, last run, last
// success, last error and rows; and for admins, reading a window from a source now.
import { html, useState, useEffect } from '../../html.js';
import { t, number, dateTime, locale } from '../../i18n.js';
import { useQuery, useMutation, Loaded, Table, Field, ErrorBox } from '../../components.js';

const PLUGINS = '{ plugins { name kind version file loaded reason } }';
const SOURCES = `{ usageSources { name cluster chain intervalSeconds watermark lastRunAt lastSuccessAt lastError
  lastRows lastSourceUsed secondsSinceSuccess } }`;
const INGEST = `mutation($source: String!, $from: DateTime!, $to: DateTime!) {
  ingestUsage(source: $source, from: $from, to: $to) {
    source sourceUsed from to fetched inserted updated unchanged rejected warnings durationMs } }`;

/** A `datetime-local` value (the browser's time zone) as RFC 3339, or null when empty/invalid. */
function localToIso(v) {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** A Date as a `datetime-local` value in the browser's time zone. */
function toLocalInput(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** "3 minutes ago" in the chosen language. */
function ago(seconds) {
  if (seconds === null || seconds === undefined) return '';
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
  if (seconds < 60) return rtf.format(-seconds, 'second');
  if (seconds < 3600) return rtf.format(-Math.floor(seconds / 60), 'minute');
  if (seconds < 86400) return rtf.format(-Math.floor(seconds / 3600), 'hour');
  return rtf.format(-Math.floor(seconds / 86400), 'day');
}

/** Seconds between runs as words: "every 15 min", "on demand". */
function interval(s) {
  if (!s) return t('admin.sources.onDemand');
  if (s % 3600 === 0) return t('admin.sources.everyHours', { n: number(s / 3600, 0) });
  if (s % 60 === 0) return t('admin.sources.everyMinutes', { n: number(s / 60, 0) });
  return t('admin.sources.everySeconds', { n: number(s, 0) });
}

/** How fresh a usage source is: failing, never read, late or fresh (shared with the overview). */
export function Freshness({ s }) {
  if (s.lastError) return html`<span class="badge status-failed">${t('admin.sources.state.failing')}</span>`;
  if (s.secondsSinceSuccess === null || s.secondsSinceSuccess === undefined) {
    return html`<span class="badge status-pending">${t('admin.sources.state.never')}</span>`;
  }
  const late = s.intervalSeconds > 0 && s.secondsSinceSuccess > 2 * s.intervalSeconds + 300;
  return late
    ? html`<span class="badge status-pending">${t('admin.sources.state.late')}</span>`
    : html`<span class="badge status-ok">${t('admin.sources.state.fresh')}</span>`;
}

function Plugins() {
  const q = useQuery(PLUGINS, {});
  return html`<${Loaded} q=${q}>${(d) => {
    const refused = d.plugins.filter((p) => !p.loaded).length;
    return html`<p>${t('admin.sources.pluginsSummary', { loaded: number(d.plugins.length - refused, 0), refused: number(refused, 0) })}</p>
      <${Table}
        caption=${t('admin.sources.pluginsCaption')}
        rows=${d.plugins}
        rowKey=${(p) => p.file + '/' + p.name}
        empty=${t('admin.sources.noPlugins')}
        columns=${[
          { label: t('admin.sources.col.plugin'), cell: (p) => html`<strong>${p.name}</strong>${p.version ? html` <span class="muted">${p.version}</span>` : null}` },
          { label: t('admin.sources.col.kind'), cell: (p) => p.kind },
          {
            label: t('admin.sources.col.loaded'),
            cell: (p) => (p.loaded
              ? html`<span class="badge status-ok">${t('admin.sources.loaded')}</span>`
              : html`<span class="badge status-refused">${t('admin.sources.refused')}</span>`),
          },
          { label: t('admin.sources.col.reason'), cell: (p) => (p.reason ? html`<span class="admin-error-text">${p.reason}</span>` : '') },
          { label: t('admin.sources.col.file'), cell: (p) => html`<code class="admin-break">${p.file}</code>` },
        ]} />`;
  }}<//>`;
}

function Ingest({ sources, onDone }) {
  const now = new Date();
  const [source, setSource] = useState(sources[0] ? sources[0].name : '');
  const [from, setFrom] = useState(toLocalInput(new Date(now.getTime() - 86400000)));
  const [to, setTo] = useState(toLocalInput(now));
  const [invalid, setInvalid] = useState('');
  const [run, state] = useMutation(INGEST);
  useEffect(() => {
    if (!source && sources[0]) setSource(sources[0].name);
  }, [sources.length]);
  const submit = async (e) => {
    e.preventDefault();
    const f = localToIso(from);
    const tt = localToIso(to);
    if (!source) return setInvalid(t('admin.sources.sourceRequired'));
    if (!f || !tt) return setInvalid(t('admin.sources.windowRequired'));
    if (Date.parse(f) >= Date.parse(tt)) return setInvalid(t('admin.sources.windowOrder'));
    setInvalid('');
    const d = await run({ source, from: f, to: tt });
    if (d) onDone();
  };
  const r = state.data && state.data.ingestUsage;
  return html`<section aria-labelledby="ingest-title">
    <h2 id="ingest-title">${t('admin.sources.ingestTitle')}</h2>
    <p class="muted">${t('admin.sources.ingestExplain')}</p>
    <form id="ingest-form" onSubmit=${submit} novalidate>
      <${Field} label=${t('admin.sources.source')}>
        <select id="ingest-source" value=${source} onChange=${(e) => setSource(e.target.value)}>
          ${sources.map((s) => html`<option value=${s.name}>${s.name} (${s.cluster})</option>`)}
        </select>
      <//>
      <${Field} label=${t('admin.sources.from')}>
        <input id="ingest-from" type="datetime-local" value=${from} required onInput=${(e) => setFrom(e.target.value)} />
      <//>
      <${Field} label=${t('admin.sources.to')}>
        <input id="ingest-to" type="datetime-local" value=${to} required onInput=${(e) => setTo(e.target.value)} />
      <//>
      ${invalid ? html`<p class="error" role="alert">${invalid}</p>` : null}
      <button type="submit" id="ingest-submit" disabled=${state.busy || !sources.length}>
        ${state.busy ? t('admin.sources.ingesting') : t('admin.sources.ingest')}</button>
    </form>
    <${ErrorBox} error=${state.error} />
    ${r ? html`<div id="ingest-report">
      <p class="notice" role="status">${t('admin.sources.ingestDone', {
        source: r.source,
        used: r.sourceUsed,
        ms: number(r.durationMs, 0),
      })}</p>
      <dl class="admin-facts">
        <div><dt>${t('admin.sources.window')}</dt><dd>${dateTime(r.from)} – ${dateTime(r.to)}</dd></div>
        <div><dt>${t('admin.sources.fetched')}</dt><dd>${number(r.fetched, 0)}</dd></div>
        <div><dt>${t('admin.sources.inserted')}</dt><dd>${number(r.inserted, 0)}</dd></div>
        <div><dt>${t('admin.sources.updated')}</dt><dd>${number(r.updated, 0)}</dd></div>
        <div><dt>${t('admin.sources.unchanged')}</dt><dd>${number(r.unchanged, 0)}</dd></div>
        <div><dt>${t('admin.sources.rejected')}</dt><dd>${number(r.rejected, 0)}</dd></div>
      </dl>
      ${r.warnings.length ? html`<h3>${t('admin.sources.warnings', { n: number(r.warnings.length, 0) })}</h3>
        <ul class="admin-warnings">${r.warnings.map((w) => html`<li>${w}</li>`)}</ul>` : null}
    </div>` : null}
  </section>`;
}

export default function Page({ me }) {
  const sources = useQuery(SOURCES, {});
  return html`<section class="admin-page">
    <h1>${t('admin.sources.title')}</h1>
    <h2>${t('admin.sources.pluginsTitle')}</h2>
    <${Plugins} />
    <h2>${t('admin.sources.sourcesTitle')}</h2>
    <div class="toolbar"><button type="button" class="secondary" onClick=${sources.reload}>${t('common.refresh')}</button></div>
    <${Loaded} q=${sources}>${(d) => html`
      <${Table}
        caption=${t('admin.sources.sourcesCaption')}
        rows=${d.usageSources}
        rowKey=${(s) => s.name}
        empty=${t('admin.sources.noSources')}
        columns=${[
          { label: t('admin.sources.col.source'), cell: (s) => html`<strong>${s.name}</strong><br /><small class="muted">${t('admin.sources.cluster', { cluster: s.cluster })}</small>` },
          { label: t('admin.sources.col.chain'), cell: (s) => html`${s.chain.join(' → ')}${s.lastSourceUsed ? html`<br /><small class="muted">${t('admin.sources.lastUsed', { plugin: s.lastSourceUsed })}</small>` : null}` },
          { label: t('admin.sources.col.interval'), cell: (s) => interval(s.intervalSeconds) },
          { label: t('admin.sources.col.state'), cell: (s) => html`<${Freshness} s=${s} />` },
          { label: t('admin.sources.col.watermark'), cell: (s) => (s.watermark ? dateTime(s.watermark) : t('admin.sources.never')) },
          { label: t('admin.sources.col.lastRun'), cell: (s) => (s.lastRunAt ? dateTime(s.lastRunAt) : t('admin.sources.never')) },
          {
            label: t('admin.sources.col.lastSuccess'),
            cell: (s) => (s.lastSuccessAt ? html`${dateTime(s.lastSuccessAt)}<br /><small class="muted">${ago(s.secondsSinceSuccess)}</small>` : t('admin.sources.never')),
          },
          { label: t('admin.sources.col.lastError'), cell: (s) => (s.lastError ? html`<span class="admin-error-text">${s.lastError}</span>` : t('admin.sources.none')) },
          { label: t('admin.sources.col.rows'), num: true, cell: (s) => number(s.lastRows, 0) },
        ]} />
      ${me.role === 'ADMIN' ? html`<${Ingest} sources=${d.usageSources} onDone=${sources.reload} />` : null}`}<//>
  </section>`;
}
