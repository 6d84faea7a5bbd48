// Billing overview (finance, admin): revenue by month (paid and pending, as a chart and as the
// same numbers in a table), the totals paid, pending and not yet billed, the users and accounts
// that cost most, and how fresh each usage source's data is.
import { html, useEffect, useRef } from '../../html.js';
import { t, number, dateTime, month, lang, locale } from '../../i18n.js';
import { useQuery, Loaded, Table, Field, Money } from '../../components.js';
import uPlot from '../../../vendor/uplot/uPlot.esm.js';
import { Freshness } from './sources.js';

const M = 'amount minor currency';
const OVERVIEW = `query($months: Int!) { billingOverview(months: $months) {
  revenueByMonth { month receipts paid { ${M} } pending { ${M} } }
  paid { ${M} } pending { ${M} } unbilled { ${M} } unbilledJobs
  topUsers { name jobs cost { ${M} } } topAccounts { name jobs cost { ${M} } } } }`;
const SOURCES = `{ usageSources { name cluster intervalSeconds lastRunAt lastSuccessAt lastError lastRows
  lastSourceUsed secondsSinceSuccess } }`;
const MONTH_CHOICES = [6, 12, 24, 36];

/** "3 minutes ago" in the chosen language. */
function ago(seconds) {
  if (seconds === null || seconds === undefined) return '';
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
  if (seconds < 60) return rtf.format(-seconds, 'second');
  if (seconds < 3600) return rtf.format(-Math.floor(seconds / 60), 'minute');
  if (seconds < 86400) return rtf.format(-Math.floor(seconds / 3600), 'hour');
  return rtf.format(-Math.floor(seconds / 86400), 'day');
}

/**
 * Every month of the window, oldest first: the API lists only months with receipts, so the
 * others are added with zero amounts (the chart's gaps then show as empty months).
 */
function allMonths(rows, months, currency) {
  const zero = { amount: '0', minor: 0, currency };
  const have = new Map(rows.map((r) => [r.month, r]));
  const now = new Date();
  for (let i = months - 1; i >= 0; i--) {
    const ym = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1)).toISOString().slice(0, 7);
    if (!have.has(ym)) have.set(ym, { month: ym, receipts: 0, paid: zero, pending: zero });
  }
  return [...have.values()].sort((a, b) => (a.month < b.month ? -1 : 1));
}

function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** Paid and pending revenue per month as side-by-side bars (uPlot). */
function RevenueChart({ rows }) {
  const box = useRef(null);
  const language = lang();
  useEffect(() => {
    const el = box.current;
    if (!el || !rows.length) return undefined;
    const labels = rows.map((r) => month(r.month));
    const xs = rows.map((_, i) => i);
    // Display only (amounts are exact everywhere else); an empty month draws no bar.
    const data = [xs, rows.map((r) => Number(r.paid.amount) || null), rows.map((r) => Number(r.pending.amount) || null)];
    const fg = cssVar('--fg', '#1a1a1a');
    const grid = cssVar('--line', '#d0d0d0');
    const ok = cssVar('--ok', '#1d6b2f');
    const warn = cssVar('--warn', '#8a5300');
    const compact = new Intl.NumberFormat(locale(), { notation: 'compact', maximumFractionDigits: 1 });
    let width = 0;
    const opts = (w) => ({
      width: w,
      height: 260,
      legend: { live: false },
      cursor: { show: false },
      scales: {
        x: { time: false, range: () => [-0.6, rows.length - 0.4] },
        // Bars start at zero, so their heights compare.
        y: { range: (u, min, max) => [0, max > 0 ? max * 1.08 : 1] },
      },
      axes: [
        {
          stroke: fg,
          grid: { show: false },
          ticks: { stroke: grid },
          // Every month when there is room, else every second or third one.
          splits: () => {
            const step = Math.max(1, Math.ceil((rows.length * 64) / Math.max(w - 60, 1)));
            return xs.filter((i) => (rows.length - 1 - i) % step === 0);
          },
          values: (u, splits) => splits.map((i) => labels[i] || ''),
        },
        {
          stroke: fg,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid },
          size: 56,
          values: (u, splits) => splits.map((v) => compact.format(v)),
        },
      ],
      series: [
        {},
        {
          label: t('admin.overview.paid'),
          stroke: ok,
          fill: ok,
          width: 1,
          points: { show: false },
          paths: uPlot.paths.bars({ size: [0.38, 28], align: -1 }),
        },
        {
          label: t('admin.overview.pending'),
          stroke: warn,
          fill: warn + '66',
          width: 2,
          dash: [4, 3],
          points: { show: false },
          paths: uPlot.paths.bars({ size: [0.38, 28], align: 1 }),
        },
      ],
    });
    width = Math.max(260, Math.floor(el.clientWidth));
    let chart = new uPlot(opts(width), data, el);
    const ro = new ResizeObserver(() => {
      const w = Math.max(260, Math.floor(el.clientWidth));
      if (Math.abs(w - width) < 2) return;
      width = w;
      // Rebuilt rather than resized: the month labels' spacing depends on the width.
      chart.destroy();
      chart = new uPlot(opts(width), data, el);
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      chart.destroy();
    };
  }, [JSON.stringify(rows), language]);
  return html`<figure class="admin-chart">
    <div ref=${box} role="img" aria-label=${t('admin.overview.chartLabel')}></div>
    <figcaption class="muted">${t('admin.overview.chartCaption')}</figcaption>
  </figure>`;
}

function SourcesTable() {
  const q = useQuery(SOURCES, {});
  return html`<${Loaded} q=${q}>${(d) => html`<${Table}
    caption=${t('admin.overview.sourcesCaption')}
    rows=${d.usageSources}
    rowKey=${(s) => s.name}
    empty=${t('admin.sources.noSources')}
    columns=${[
      { label: t('admin.sources.col.source'), cell: (s) => html`${s.name} <span class="muted">(${s.cluster})</span>` },
      { label: t('admin.sources.col.state'), cell: (s) => html`<${Freshness} s=${s} />` },
      {
        label: t('admin.sources.col.lastSuccess'),
        cell: (s) => (s.lastSuccessAt ? html`${dateTime(s.lastSuccessAt)}<br /><small class="muted">${ago(s.secondsSinceSuccess)}</small>` : t('admin.sources.never')),
      },
      { label: t('admin.sources.col.lastError'), cell: (s) => (s.lastError ? html`<span class="admin-error-text">${s.lastError}</span>` : t('admin.sources.none')) },
    ]} />
    <p><a href="#/admin/sources">${t('admin.overview.sourcesLink')}</a></p>`}<//>`;
}

export default function Page({ query, path, navigate }) {
  const months = MONTH_CHOICES.includes(Number(query.months)) ? Number(query.months) : 12;
  const q = useQuery(OVERVIEW, { months });
  const shares = (caption, rows, first) => html`<${Table}
    caption=${caption}
    rows=${rows}
    rowKey=${(r) => r.name}
    columns=${[
      { label: first, cell: (r) => r.name || html`<span class="muted">${t('admin.overview.noName')}</span>` },
      { label: t('admin.overview.col.jobs'), num: true, cell: (r) => number(r.jobs, 0) },
      { label: t('admin.overview.col.cost'), num: true, cell: (r) => html`<${Money} m=${r.cost} />` },
    ]} />`;
  return html`<section class="admin-page">
    <h1>${t('admin.overview.title')}</h1>
    <div class="filters">
      <${Field} label=${t('admin.overview.months')}>
        <select id="overview-months" value=${String(months)}
          onChange=${(e) => navigate(path, { ...query, months: e.target.value })}>
          ${MONTH_CHOICES.map((n) => html`<option value=${String(n)}>${t('admin.overview.monthsN', { n })}</option>`)}
        </select>
      <//>
      <button type="button" class="secondary" onClick=${q.reload}>${t('common.refresh')}</button>
    </div>
    <${Loaded} q=${q}>${(d) => {
      const o = d.billingOverview;
      const byMonth = allMonths(o.revenueByMonth, months, o.paid.currency);
      return html`
        <div class="cards" id="overview-totals">
          <div class="card"><span class="label">${t('admin.overview.totalPaid')}</span><span class="value"><${Money} m=${o.paid} /></span></div>
          <div class="card"><span class="label">${t('admin.overview.totalPending')}</span><span class="value"><${Money} m=${o.pending} /></span></div>
          <div class="card"><span class="label">${t('admin.overview.totalUnbilled')}</span><span class="value"><${Money} m=${o.unbilled} /></span>
            <small class="muted">${t('admin.overview.unbilledJobs', { n: number(o.unbilledJobs, 0) })}</small></div>
        </div>
        <h2>${t('admin.overview.revenueTitle')}</h2>
        ${o.revenueByMonth.length
          ? html`<${RevenueChart} rows=${byMonth} />`
          : null}
        <${Table}
          caption=${t('admin.overview.revenueCaption')}
          rows=${o.revenueByMonth.length ? byMonth : []}
          rowKey=${(r) => r.month}
          empty=${t('admin.overview.noRevenue')}
          columns=${[
            { label: t('admin.overview.col.month'), cell: (r) => month(r.month) },
            { label: t('admin.overview.col.receipts'), num: true, cell: (r) => number(r.receipts, 0) },
            { label: t('admin.overview.paid'), num: true, cell: (r) => html`<${Money} m=${r.paid} />` },
            { label: t('admin.overview.pending'), num: true, cell: (r) => html`<${Money} m=${r.pending} />` },
          ]} />
        <div class="admin-two">
          <div>
            <h2>${t('admin.overview.topUsers')}</h2>
            ${shares(t('admin.overview.topUsersCaption'), o.topUsers, t('admin.overview.col.user'))}
          </div>
          <div>
            <h2>${t('admin.overview.topAccounts')}</h2>
            ${shares(t('admin.overview.topAccountsCaption'), o.topAccounts, t('admin.overview.col.account'))}
          </div>
        </div>`;
    }}<//>
    <h2>${t('admin.overview.sourcesTitle')}</h2>
    <${SourcesTable} />
  </section>`;
}
