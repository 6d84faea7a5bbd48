// Usage (`#/usage`; `#/admin/usage` with `all` for admin and finance): filters kept in the
// hash, totals, a chart of cost and hours over time (with the same figures as a table), the
// jobs one page at a time (each can show how its cost came about) or grouped by day, month,
// account or partition, and a CSV download of exactly what is shown.
import { html, useState, useEffect, useRef } from '../html.js';
import { t, money, number, date, dateTime, month, lang, locale } from '../i18n.js';
import { gql } from '../api.js';
import { useQuery, useCursorPager, Loaded, Loading, Table, Field, Money, Status, ErrorBox } from '../components.js';
import uPlot from '../../vendor/uplot/uPlot.esm.js';

const MONEY = 'amount minor currency';
const PAGE = 50;
const VIEWS = ['jobs', 'day', 'month', 'account', 'partition'];
const GROUP_OF = { day: 'DAY', month: 'MONTH', account: 'ACCOUNT', partition: 'PARTITION' };
const STATES = ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED', 'RUNNING', 'PENDING'];
const KNOWN_STATES = new Set([...STATES, 'SUSPENDED', 'REQUEUED', 'RESIZING', 'BOOT_FAIL', 'DEADLINE']);
const BASES = new Set(['used', 'cputime_raw', 'allocated']);
const FILTER_KEYS = ['from', 'to', 'cluster', 'account', 'partition', 'state', 'billed'];
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

// uPlot's stylesheet, once, only when a chart is shown.
function uplotCss() {
  if (document.querySelector('link[data-uplot-css]')) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = '/assets/vendor/uplot/uPlot.min.css';
  link.dataset.uplotCss = '';
  document.head.append(link);
}

/** A Slurm state as text in the chosen language (unknown states as Slurm spells them). */
function stateText(s) {
  const v = String(s || '').split(' ')[0].toUpperCase();
  return KNOWN_STATES.has(v) ? t('user.jobState.' + v.toLowerCase()) : s;
}

function basisText(b) {
  return BASES.has(b) ? t('user.basis.' + b) : b;
}

/** The start of a `YYYY-MM-DD` day, UTC, as RFC 3339. */
function dayStart(d) {
  return `${d}T00:00:00Z`;
}

/** The start of the day after `YYYY-MM-DD` (the `to` day is included). */
function dayAfter(d) {
  const x = new Date(dayStart(d));
  x.setUTCDate(x.getUTCDate() + 1);
  return x.toISOString().replace('.000Z', 'Z');
}

/** The filters the hash holds, cleaned: only known keys, valid days, `billed` true/false. */
function cleanQuery(query, all) {
  const q = {};
  for (const k of FILTER_KEYS) if (query[k]) q[k] = String(query[k]).trim();
  if (q.from && !DAY_RE.test(q.from)) delete q.from;
  if (q.to && !DAY_RE.test(q.to)) delete q.to;
  if (q.billed && q.billed !== 'true' && q.billed !== 'false') delete q.billed;
  if (all && query.user) q.user = String(query.user).trim();
  return q;
}

/** The API filter (`UsageFilterInput`) of the cleaned hash filters. */
function apiFilter(q) {
  const f = {};
  if (q.from) f.from = dayStart(q.from);
  if (q.to) f.to = dayAfter(q.to);
  for (const k of ['cluster', 'account', 'partition', 'state']) if (q[k]) f[k] = q[k];
  if (q.billed) f.billed = q.billed === 'true';
  return f;
}

/** The CSV link with exactly the filters of the page (times RFC 3339). */
function csvHref(q, all) {
  const f = apiFilter(q);
  const params = new URLSearchParams();
  if (all && q.user) params.set('user', q.user);
  for (const k of FILTER_KEYS) if (f[k] !== undefined) params.set(k, String(f[k]));
  const qs = params.toString();
  return (all ? '/export/usage.csv' : '/export/my-usage.csv') + (qs ? '?' + qs : '');
}

/** Money amounts summed per currency, in minor units (exact). */
function sumMoney(list) {
  const by = new Map();
  for (const m of list) if (m) by.set(m.currency, (by.get(m.currency) || 0) + m.minor);
  return [...by].map(([currency, minor]) => {
    const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
    return { currency, minor, amount: (minor / 10 ** digits).toFixed(digits) };
  });
}

function sum(rows, field) {
  return rows.reduce((s, r) => s + Number(r[field] || 0), 0);
}

function groupKeyText(view, key) {
  if (!key) return t('user.usage.group.none');
  if (view === 'day') return date(dayStart(key));
  if (view === 'month') return month(key);
  return key;
}

// ---------------------------------------------------------------------------------------------
// Filters

function Filters({ q, all, apply, lists }) {
  const [f, setF] = useState(q);
  const sig = JSON.stringify(q);
  useEffect(() => setF(q), [sig]);
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  const onSubmit = (e) => {
    e.preventDefault();
    apply(f);
  };
  const invalid = f.from && f.to && f.from > f.to;
  return html`<form class="filters usage-filters" id="usage-filters" onSubmit=${onSubmit} aria-labelledby="usage-filters-h">
    <h2 id="usage-filters-h" class="visually-hidden">${t('user.usage.filters')}</h2>
    ${all
      ? html`<${Field} label=${t('user.usage.user')} hint=${t('user.usage.userHint')}><input id="f-user" name="user" list="usage-users"
          value=${f.user || ''} onInput=${set('user')} autocomplete="off" /><//>
          <datalist id="usage-users">${lists.users.map((u) => html`<option value=${u} />`)}</datalist>`
      : null}
    <${Field} label=${t('user.usage.from')} hint=${t('user.usage.utc')}>
      <input id="f-from" type="date" name="from" value=${f.from || ''} onInput=${set('from')} /><//>
    <${Field} label=${t('user.usage.to')} hint=${t('user.usage.toHint')}>
      <input id="f-to" type="date" name="to" value=${f.to || ''} onInput=${set('to')} aria-invalid=${invalid ? 'true' : null} /><//>
    <${Field} label=${t('user.usage.cluster')}>
      <input id="f-cluster" name="cluster" value=${f.cluster || ''} onInput=${set('cluster')} autocomplete="off" /><//>
    <${Field} label=${t('user.usage.account')}>
      <input id="f-account" name="account" list="usage-accounts" value=${f.account || ''} onInput=${set('account')} autocomplete="off" /><//>
    <${Field} label=${t('user.usage.partition')}>
      <input id="f-partition" name="partition" list="usage-partitions" value=${f.partition || ''} onInput=${set('partition')} autocomplete="off" /><//>
    <${Field} label=${t('user.usage.state')}>
      <select id="f-state" name="state" value=${f.state || ''} onChange=${set('state')}>
        <option value="">${t('user.usage.any')}</option>
        ${STATES.map((s) => html`<option value=${s}>${stateText(s)}</option>`)}
        ${f.state && !STATES.includes(f.state) ? html`<option value=${f.state}>${f.state}</option>` : null}
      </select><//>
    <${Field} label=${t('user.usage.billed')}>
      <select id="f-billed" name="billed" value=${f.billed || ''} onChange=${set('billed')}>
        <option value="">${t('user.usage.any')}</option>
        <option value="true">${t('common.status.billed')}</option>
        <option value="false">${t('common.status.unbilled')}</option>
      </select><//>
    <datalist id="usage-accounts">${lists.accounts.map((a) => html`<option value=${a} />`)}</datalist>
    <datalist id="usage-partitions">${lists.partitions.map((p) => html`<option value=${p} />`)}</datalist>
    <div class="filter-buttons">
      <button type="submit" id="usage-apply" disabled=${invalid}>${t('common.apply')}</button>
      <button type="button" class="secondary" id="usage-reset" onClick=${() => apply({})}>${t('common.reset')}</button>
    </div>
    ${invalid ? html`<p class="error" role="alert">${t('user.usage.badPeriod')}</p>` : null}
  </form>`;
}

/** Known accounts and partitions, for the filter inputs' suggestions. */
function useLists(all, user) {
  const q = useQuery(
    `query UsageLists($user: String) {
      accounts: usageSummary(groupBy: ACCOUNT, user: $user) { key }
      partitions: usageSummary(groupBy: PARTITION, user: $user) { key }
      ${all ? 'users: usageSummary(groupBy: USER) { key }' : ''}
    }`,
    { user: user || null },
  );
  const keys = (rows) => (rows || []).map((r) => r.key).filter(Boolean).sort();
  return {
    accounts: keys(q.data && q.data.accounts),
    partitions: keys(q.data && q.data.partitions),
    users: keys(q.data && q.data.users),
  };
}

// ---------------------------------------------------------------------------------------------
// Totals

function Totals({ rows }) {
  const cost = sumMoney(rows.map((r) => r.cost));
  return html`<div class="cards usage-totals" id="usage-totals" role="group" aria-label=${t('user.usage.totals')}>
    <div class="card" id="total-jobs"><span class="label">${t('user.totals.jobs')}</span><span class="value">${number(sum(rows, 'jobs'), 0)}</span></div>
    <div class="card" id="total-cpu"><span class="label">${t('user.totals.cpu')}</span><span class="value">${number(sum(rows, 'cpuCoreHours'))}</span></div>
    <div class="card" id="total-gpu"><span class="label">${t('user.totals.gpu')}</span><span class="value">${number(sum(rows, 'gpuHours'))}</span></div>
    <div class="card" id="total-mem"><span class="label">${t('user.totals.mem')}</span><span class="value">${number(sum(rows, 'memGbHours'))}</span></div>
    <div class="card" id="total-cost"><span class="label">${t('user.totals.cost')}</span><span class="value">${cost.length
      ? cost.map((m, i) => html`${i ? ' + ' : ''}<${Money} m=${m} />`)
      : html`<${Money} m=${{ amount: '0', minor: 0, currency: 'THB' }} />`}</span></div>
  </div>`;
}

// ---------------------------------------------------------------------------------------------
// Chart

/** Seconds since the epoch of a `YYYY-MM-DD` or `YYYY-MM` key (UTC), or null. */
function keyTime(key) {
  if (/^\d{4}-\d{2}-\d{2}$/.test(key)) return Date.parse(dayStart(key)) / 1000;
  if (/^\d{4}-\d{2}$/.test(key)) return Date.parse(`${key}-01T00:00:00Z`) / 1000;
  return null;
}

const DAY = 86400;
const DAY_INCRS = [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY, 56 * DAY, 91 * DAY, 182 * DAY, 364 * DAY];

/** The months' own times, thinned to at most about a dozen labels. */
function monthSplits(points) {
  const step = Math.max(1, Math.ceil(points.length / 12));
  return points.filter((p, i) => i % step === 0).map((p) => p.x);
}

/** The days (or months) without jobs as zeros, so the lines do not bridge them. */
function withGaps(points, by, currency) {
  if (points.length < 2) return points;
  const zero = (x) => ({ key: '', x, jobs: 0, cpuCoreHours: '0', gpuHours: '0', memGbHours: '0', cost: { amount: '0', minor: 0, currency }, gap: true });
  const next = (x) => {
    const d = new Date(x * 1000);
    if (by === 'DAY') d.setUTCDate(d.getUTCDate() + 1);
    else d.setUTCMonth(d.getUTCMonth() + 1);
    return d.getTime() / 1000;
  };
  const out = [];
  for (let i = 0; i < points.length; i++) {
    out.push(points[i]);
    if (i + 1 < points.length) {
      for (let x = next(points[i].x); x < points[i + 1].x && out.length < 1200; x = next(x)) out.push(zero(x));
    }
  }
  return out;
}

function css(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function Chart({ rows, by }) {
  const box = useRef(null);
  const currency = (rows.find((r) => r.cost) || { cost: { currency: 'THB' } }).cost.currency;
  const points = withGaps(rows.map((r) => ({ ...r, x: keyTime(r.key) })).filter((r) => r.x !== null).sort((a, b) => a.x - b.x), by, currency);
  const sig = JSON.stringify(points.map((p) => [p.key, p.cost.minor, p.cpuCoreHours, p.gpuHours])) + by + lang();
  const xText = (s) =>
    new Intl.DateTimeFormat(locale(), by === 'DAY'
      ? { day: 'numeric', month: 'short', timeZone: 'UTC' }
      : { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date(s * 1000));
  const moneyText = (v) => money({ amount: String(v), currency });
  useEffect(() => {
    if (!box.current || points.length === 0) return undefined;
    uplotCss();
    const fg = css('--fg', '#1a1a1a');
    const line = css('--line', '#d0d0d0');
    const width = () => Math.max(280, box.current.clientWidth);
    const opts = {
      width: width(),
      height: 260,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true }, money: { auto: true }, hours: { auto: true } },
      series: [
        { label: by === 'DAY' ? t('user.usage.chart.day') : t('user.usage.chart.month'), value: (u, v) => (v == null ? '—' : xText(v)) },
        {
          label: t('user.usage.chart.cost', { currency }),
          scale: 'money',
          stroke: css('--accent', '#1a56b0'),
          width: 2,
          points: { show: points.length < 40 },
          value: (u, v) => (v == null ? '—' : moneyText(v)),
        },
        {
          label: t('user.totals.cpu'),
          scale: 'hours',
          stroke: css('--ok', '#1d6b2f'),
          width: 2,
          dash: [8, 4],
          points: { show: points.length < 40 },
          value: (u, v) => (v == null ? '—' : number(v)),
        },
        {
          label: t('user.totals.gpu'),
          scale: 'hours',
          stroke: css('--warn', '#8a5300'),
          width: 2,
          dash: [2, 3],
          points: { show: points.length < 40 },
          value: (u, v) => (v == null ? '—' : number(v)),
        },
      ],
      axes: [
        {
          stroke: fg,
          grid: { stroke: line },
          ticks: { stroke: line },
          // Ticks on whole days or on the months themselves, never between them.
          ...(by === 'DAY' ? { incrs: DAY_INCRS, space: 60 } : { splits: () => monthSplits(points), space: 60 }),
          values: (u, splits) => splits.map(xText),
        },
        { scale: 'money', stroke: fg, grid: { stroke: line }, ticks: { stroke: line }, size: 70,
          values: (u, splits) => splits.map((v) => number(v, 0)) },
        { scale: 'hours', side: 1, stroke: fg, grid: { show: false }, ticks: { stroke: line }, size: 60,
          values: (u, splits) => splits.map((v) => number(v, 0)) },
      ],
    };
    const data = [
      points.map((p) => p.x),
      points.map((p) => Number(p.cost.amount)),
      points.map((p) => Number(p.cpuCoreHours)),
      points.map((p) => Number(p.gpuHours)),
    ];
    box.current.textContent = '';
    const plot = new uPlot(opts, data, box.current);
    let ro = null;
    if (typeof ResizeObserver === 'function') {
      ro = new ResizeObserver(() => {
        const w = width();
        if (Math.abs(w - plot.width) > 2) plot.setSize({ width: w, height: 260 });
      });
      ro.observe(box.current);
    }
    return () => {
      if (ro) ro.disconnect();
      plot.destroy();
    };
  }, [sig]);
  if (!points.length) return html`<p class="muted">${t('user.usage.chart.empty')}</p>`;
  const first = points[0];
  const last = points[points.length - 1];
  const peak = points.reduce((a, b) => (b.cost.minor > a.cost.minor ? b : a));
  const real = points.filter((p) => !p.gap).length;
  const summary = t('user.usage.chart.alt', {
    from: xText(first.x),
    to: xText(last.x),
    count: real,
    peak: xText(peak.x),
    peakCost: money(peak.cost),
  });
  return html`<figure class="usage-chart">
    <div class="chart-box" id="usage-chart" role="img" aria-label=${summary} ref=${box}></div>
    <figcaption class="muted">${summary} ${t('user.usage.chart.tableHint')}</figcaption>
    <details class="chart-data">
      <summary>${t('user.usage.chart.showTable')}</summary>
      <${Table}
        caption=${t('user.usage.chart.tableCaption')}
        rows=${points.filter((p) => !p.gap)}
        rowKey=${(r) => r.key}
        columns=${[
          { label: by === 'DAY' ? t('user.usage.chart.day') : t('user.usage.chart.month'), cell: (r) => xText(r.x) },
          { label: t('user.totals.cost'), num: true, cell: (r) => html`<${Money} m=${r.cost} />` },
          { label: t('user.totals.cpu'), num: true, cell: (r) => number(r.cpuCoreHours) },
          { label: t('user.totals.gpu'), num: true, cell: (r) => number(r.gpuHours) },
          { label: t('user.totals.mem'), num: true, cell: (r) => number(r.memGbHours) },
        ]}
      />
    </details>
  </figure>`;
}

// ---------------------------------------------------------------------------------------------
// Jobs

const JOB_FIELDS = `cluster jobKey jobId user account partition state submitAt startAt endAt elapsedSeconds
  allocCpus allocGpus allocMemMb cpuCoreHours gpuHours memGbHours tier cost { ${MONEY} } billed receiptId
  explain { cpuBasis memBasis tier tierReason rate { id } arithmetic }`;

const MY_JOBS = `query MyJobs($filter: UsageFilterInput, $first: Int!, $after: String) {
  jobs: myUsage(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { ${JOB_FIELDS} }
  }
}`;

const ALL_JOBS = `query AllJobs($user: String, $filter: UsageFilterInput, $first: Int!, $after: String) {
  jobs: usage(user: $user, filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { ${JOB_FIELDS} }
  }
}`;

function duration(s) {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return t('user.usage.duration', { h: number(h, 0), m: String(m).padStart(2, '0') });
}

function Explain({ job }) {
  const e = job.explain;
  return html`<dl class="explain">
    <dt>${t('user.explain.arithmetic')}</dt><dd><code class="arithmetic">${e.arithmetic}</code></dd>
    <dt>${t('user.explain.tier')}</dt><dd>${e.tier} <span class="muted">(${e.tierReason})</span></dd>
    <dt>${t('user.explain.rate')}</dt><dd>${e.rate ? t('user.explain.rateId', { id: e.rate.id }) : t('user.explain.noRate')}</dd>
    <dt>${t('user.explain.cpuBasis')}</dt><dd>${basisText(e.cpuBasis)}</dd>
    <dt>${t('user.explain.memBasis')}</dt><dd>${basisText(e.memBasis)}</dd>
    <dt>${t('user.explain.alloc')}</dt><dd>${t('user.explain.allocValue', {
      cpus: number(job.allocCpus, 0),
      gpus: number(job.allocGpus, 0),
      mem: number(job.allocMemMb / 1024, 1),
    })}</dd>
    <dt>${t('user.explain.elapsed')}</dt><dd>${duration(job.elapsedSeconds)}</dd>
    <dt>${t('user.explain.times')}</dt><dd>${t('user.explain.timesValue', {
      submit: dateTime(job.submitAt) || '—',
      start: dateTime(job.startAt) || '—',
      end: dateTime(job.endAt) || t('user.usage.running'),
    })}</dd>
  </dl>`;
}

function BilledMark({ job }) {
  const badge = html`<${Status} value=${job.billed ? 'billed' : 'unbilled'} />`;
  if (job.billed && job.receiptId) {
    return html`<a href=${'#/receipts/' + job.receiptId} title=${t('user.usage.receiptLink', { id: job.receiptId })}>${badge}</a>`;
  }
  return badge;
}

function Jobs({ q, all }) {
  const filter = apiFilter(q);
  const resetKey = JSON.stringify([filter, q.user || null]);
  const { after, pager } = useCursorPager(resetKey);
  const [open, setOpen] = useState({});
  useEffect(() => setOpen({}), [resetKey, after]);
  const vars = all ? { user: q.user || null, filter, first: PAGE, after } : { filter, first: PAGE, after };
  const data = useQuery(all ? ALL_JOBS : MY_JOBS, vars);
  return html`<section aria-labelledby="usage-jobs-h">
    <h2 id="usage-jobs-h">${t('user.usage.jobs.title')}</h2>
    ${data.loading && data.data ? html`<${Loading} />` : null}
    <${Loaded} q=${data}>${(d) => {
      const jobs = d.jobs.nodes;
      if (!jobs.length) return html`<p class="muted" id="usage-jobs-empty">${t('user.usage.jobs.empty')}</p>`;
      const cols = all ? 12 : 11;
      return html`
        <div class="table-wrap" tabindex="0" role="region" aria-label=${t('user.usage.jobs.caption')}>
          <table class="jobs" id="usage-jobs">
            <caption>${t('user.usage.jobs.caption')}</caption>
            <thead><tr>
              <th scope="col">${t('user.usage.col.job')}</th>
              ${all ? html`<th scope="col">${t('user.usage.col.user')}</th>` : null}
              <th scope="col">${t('user.usage.col.cluster')}</th>
              <th scope="col">${t('user.usage.col.account')}</th>
              <th scope="col">${t('user.usage.col.partition')}</th>
              <th scope="col">${t('user.usage.col.state')}</th>
              <th scope="col">${t('user.usage.col.end')}</th>
              <th scope="col" class="num">${t('user.usage.col.cpu')}</th>
              <th scope="col" class="num">${t('user.usage.col.gpu')}</th>
              <th scope="col" class="num">${t('user.usage.col.mem')}</th>
              <th scope="col" class="num">${t('user.usage.col.cost')}</th>
              <th scope="col">${t('user.usage.col.billed')}</th>
            </tr></thead>
            <tbody>${jobs.map((j, i) => {
              const key = j.cluster + '/' + j.jobKey;
              const isOpen = !!open[key];
              const rowId = 'job-explain-' + i;
              return html`<tr class="job-row" key=${key} data-job=${j.jobKey} data-cluster=${j.cluster}
                  data-billed=${j.billed ? 'true' : 'false'}>
                  <th scope="row" class="job-id">
                    <button type="button" class="link-button" aria-expanded=${isOpen ? 'true' : 'false'} aria-controls=${rowId}
                      onClick=${() => setOpen({ ...open, [key]: !isOpen })}>
                      <span aria-hidden="true" class="caret">${isOpen ? '▾' : '▸'}</span> ${j.jobId}
                      <span class="visually-hidden"> ${t('user.usage.showExplain')}</span>
                    </button>
                  </th>
                  ${all ? html`<td>${j.user}</td>` : null}
                  <td>${j.cluster}</td>
                  <td>${j.account || '—'}</td>
                  <td>${j.partition || '—'}</td>
                  <td class="state">${stateText(j.state)}</td>
                  <td class="when">${j.endAt ? dateTime(j.endAt) : html`<em>${t('user.usage.running')}</em>`}</td>
                  <td class="num">${number(j.cpuCoreHours)}</td>
                  <td class="num">${number(j.gpuHours)}</td>
                  <td class="num">${number(j.memGbHours)}</td>
                  <td class="num"><${Money} m=${j.cost} /></td>
                  <td><${BilledMark} job=${j} /></td>
                </tr>
                <tr class="explain-row" id=${rowId} key=${key + '/x'} hidden=${!isOpen}>
                  <td colspan=${cols}>${isOpen ? html`<${Explain} job=${j} />` : null}</td>
                </tr>`;
            })}</tbody>
          </table>
        </div>
        ${pager(d.jobs.pageInfo, number(d.jobs.totalCount, 0))}`;
    }}<//>
  </section>`;
}

// ---------------------------------------------------------------------------------------------
// Groups

function Groups({ view, rows }) {
  const labels = {
    day: t('user.usage.view.day'),
    month: t('user.usage.view.month'),
    account: t('user.usage.view.account'),
    partition: t('user.usage.view.partition'),
  };
  const captions = {
    day: t('user.usage.groups.caption.day'),
    month: t('user.usage.groups.caption.month'),
    account: t('user.usage.groups.caption.account'),
    partition: t('user.usage.groups.caption.partition'),
  };
  const sorted = view === 'day' || view === 'month'
    ? [...rows].sort((a, b) => (a.key < b.key ? 1 : -1))
    : [...rows].sort((a, b) => b.cost.minor - a.cost.minor);
  return html`<section aria-labelledby="usage-groups-h">
    <h2 id="usage-groups-h">${labels[view]}</h2>
    <div id="usage-groups"><${Table}
      caption=${captions[view]}
      rows=${sorted}
      rowKey=${(r) => r.key}
      empty=${t('user.usage.jobs.empty')}
      columns=${[
        { label: t('user.usage.group.' + view), cell: (r) => html`<span class="nowrap">${groupKeyText(view, r.key)}</span>` },
        { label: t('user.totals.jobs'), num: true, cell: (r) => number(r.jobs, 0) },
        { label: t('user.totals.cpu'), num: true, cell: (r) => number(r.cpuCoreHours) },
        { label: t('user.totals.gpu'), num: true, cell: (r) => number(r.gpuHours) },
        { label: t('user.totals.mem'), num: true, cell: (r) => number(r.memGbHours) },
        { label: t('user.totals.cost'), num: true, cell: (r) => html`<${Money} m=${r.cost} />` },
      ]}
    /></div>
  </section>`;
}

// ---------------------------------------------------------------------------------------------
// The page

const SUMMARY_FIELDS = `key jobs cpuCoreHours gpuHours memGbHours cost { ${MONEY} }`;

/** Totals (by month), the chart's series and the grouped view, in one request. */
function useSummaries(q, view) {
  const filter = apiFilter(q);
  const user = q.user || null;
  const group = GROUP_OF[view];
  const query = `query UsageSummaries($filter: UsageFilterInput, $user: String${group ? ', $group: UsageGroupBy!' : ''}) {
    months: usageSummary(groupBy: MONTH, filter: $filter, user: $user) { ${SUMMARY_FIELDS} }
    ${group ? `groups: usageSummary(groupBy: $group, filter: $filter, user: $user) { ${SUMMARY_FIELDS} }` : ''}
  }`;
  return useQuery(query, group ? { filter, user, group } : { filter, user });
}

/** Daily points for the chart when the months are few (a month or three of usage); no request otherwise. */
function useDays(q, wanted) {
  const filter = apiFilter(q);
  const user = q.user || null;
  const key = wanted ? JSON.stringify([filter, user]) : '';
  const [state, setState] = useState({ data: null, error: null });
  useEffect(() => {
    setState({ data: null, error: null });
    if (!wanted) return undefined;
    let live = true;
    gql(
      `query UsageDays($filter: UsageFilterInput, $user: String) {
        usageSummary(groupBy: DAY, filter: $filter, user: $user) { ${SUMMARY_FIELDS} } }`,
      { filter, user },
    ).then(
      (data) => live && setState({ data, error: null }),
      (error) => live && setState({ data: null, error }),
    );
    return () => {
      live = false;
    };
  }, [key]);
  return state;
}

/**
 * Totals, chart, view switch and the jobs or groups of one set of filters. Keyed by the filters
 * and view, so a change starts it afresh: nothing of the previous filters is shown while the
 * new answers load.
 */
function Results({ q, view, path, all }) {
  const sums = useSummaries(q, view);
  const months = (sums.data && sums.data.months) || null;
  // A day chart when asked for, or when the period spans few months; months otherwise.
  const dayChart = view === 'day' || (view !== 'month' && months !== null && months.length > 0 && months.length <= 3);
  const days = useDays(q, dayChart && view !== 'day');
  const viewHref = (v) => {
    const qs = new URLSearchParams({ ...q, ...(v === 'jobs' ? {} : { view: v }) }).toString();
    return '#' + path + (qs ? '?' + qs : '');
  };
  let chartRows = null;
  let chartBy = 'MONTH';
  if (view === 'day' && sums.data) {
    chartRows = sums.data.groups;
    chartBy = 'DAY';
  } else if (dayChart && days.data && days.data.usageSummary) {
    chartRows = days.data.usageSummary;
    chartBy = 'DAY';
  } else if (!dayChart && months) {
    chartRows = months;
  }
  let chart;
  if (chartRows) chart = html`<${Chart} rows=${chartRows} by=${chartBy} />`;
  else if (days.error) chart = html`<${ErrorBox} error=${days.error} />`;
  else chart = html`<${Loading} />`;
  return html`
    <${Loaded} q=${sums}>${(d) => html`
      <h2 id="usage-totals-h">${t('user.usage.totals')}</h2>
      <${Totals} rows=${d.months} />
      <h2 id="usage-chart-h">${t('user.usage.chart.title')}</h2>
      ${chart}
    `}<//>
    <nav class="view-switch" aria-label=${t('user.usage.view.label')}>
      <ul>${VIEWS.map((v) => html`<li><a href=${viewHref(v)} id=${'view-' + v} aria-current=${v === view ? 'page' : null}>${t('user.usage.view.' + v)}</a></li>`)}</ul>
    </nav>
    ${view === 'jobs'
      ? html`<${Jobs} q=${q} all=${all} />`
      : html`<${Loaded} q=${sums}>${(d) => html`<${Groups} view=${view} rows=${d.groups || []} />`}<//>`}`;
}

export default function Usage({ me, query, path, navigate, all }) {
  const q = cleanQuery(query || {}, all);
  const view = VIEWS.includes(query && query.view) ? query.view : 'jobs';
  const lists = useLists(all, all ? q.user : me.username);
  const apply = (f) => {
    const next = cleanQuery(f, all);
    if (view !== 'jobs') next.view = view;
    navigate(path, next);
  };
  return html`<section class="usage-page">
    <h1>${all ? t('user.usage.titleAll') : t('user.usage.title')}</h1>
    <p class="muted">${all ? t('user.usage.introAll') : t('user.usage.intro')}</p>
    <${Filters} q=${q} all=${all} apply=${apply} lists=${lists} />
    <p class="toolbar">
      <a id="usage-csv" href=${csvHref(q, all)} download>${t('user.usage.csv')}</a>
      <span class="muted">${t('user.usage.csvHint')}</span>
    </p>
    <${Results} key=${JSON.stringify([path, q, view])} q=${q} view=${view} path=${path} all=${all} />
  </section>`;
}
