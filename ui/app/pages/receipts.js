// My receipts (`#/receipts`): the list, one page at a time, and a new receipt: preview what
// would be billed (every unbilled job ended by a day, or the jobs picked from the list of
// unbilled ones), then create it and open it.
import { html, useState, useEffect } from '../html.js';
import { t, number, date, dateTime } from '../i18n.js';
import { gql } from '../api.js';
import { useQuery, useMutation, useCursorPager, Loaded, Loading, Table, Field, Money, Status, ErrorBox } from '../components.js';

const MONEY = 'amount minor currency';
const PREVIEW_LINES = 50;

const LIST = `query MyReceipts($first: Int!, $after: String) {
  myReceipts(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id number status total { ${MONEY} } createdAt endedBefore periodMonth paidAt }
  }
}`;

const PREVIEW = `query Preview($endedBefore: DateTime, $jobs: [String!]) {
  previewReceipt(endedBefore: $endedBefore, jobs: $jobs) {
    subtotal { ${MONEY} } tax { ${MONEY} } total { ${MONEY} } taxLabel taxRate taxInclusive endedBefore
    lines { cluster jobKey jobId endAt cpuCoreHours gpuHours memGbHours amount { ${MONEY} } }
  }
}`;

const CREATE = `mutation Create($endedBefore: DateTime, $jobs: [String!]) {
  createReceipt(endedBefore: $endedBefore, jobs: $jobs) { id number }
}`;

const UNBILLED = `query Unbilled($filter: UsageFilterInput, $first: Int!, $after: String) {
  myUsage(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { cluster jobKey jobId account partition state endAt cpuCoreHours gpuHours memGbHours cost { ${MONEY} } }
  }
}`;

function today() {
  return new Date().toISOString().slice(0, 10);
}

function nowIso() {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function List() {
  const { after, pager } = useCursorPager('receipts');
  const q = useQuery(LIST, { first: 20, after });
  return html`<section aria-labelledby="receipts-list-h">
    <h2 id="receipts-list-h">${t('user.receipts.list')}</h2>
    ${q.loading && q.data ? html`<${Loading} />` : null}
    <${Loaded} q=${q}>${(d) => html`<div id="receipts-list">
      <${Table}
        caption=${t('user.receipts.caption')}
        rows=${d.myReceipts.nodes}
        rowKey=${(r) => r.id}
        empty=${t('user.receipts.none')}
        columns=${[
          { label: t('user.receipt.number'), cell: (r) => html`<a href=${'#/receipts/' + r.id} class="receipt-link">${r.number}</a>` },
          { label: t('user.receipt.created'), cell: (r) => date(r.createdAt) },
          { label: t('user.receipt.period'), cell: (r) => (r.periodMonth ? r.periodMonth : t('user.receipt.upTo', { date: date(r.endedBefore) })) },
          { label: t('user.receipt.status'), cell: (r) => html`<${Status} value=${r.status} />` },
          { label: t('user.receipt.total'), num: true, cell: (r) => html`<${Money} m=${r.total} />` },
        ]}
      />
      ${d.myReceipts.nodes.length || d.myReceipts.pageInfo.hasNextPage ? pager(d.myReceipts.pageInfo, d.myReceipts.totalCount) : null}
    </div>`}<//>
    <p><a href="/export/receipts.csv" download>${t('user.receipts.csv')}</a></p>
  </section>`;
}

/** The unbilled, ended jobs, a page at a time, each with a checkbox; the picks survive paging. */
function Picker({ picked, setPicked }) {
  const [now] = useState(nowIso);
  const { after, pager } = useCursorPager('unbilled');
  const q = useQuery(UNBILLED, { filter: { billed: false, endedBefore: now }, first: 50, after });
  const toggle = (j) => {
    const next = new Map(picked);
    if (next.has(j.jobKey)) next.delete(j.jobKey);
    else next.set(j.jobKey, j);
    setPicked(next);
  };
  return html`${q.loading && q.data ? html`<${Loading} />` : null}<${Loaded} q=${q}>${(d) => {
    const jobs = d.myUsage.nodes;
    if (!jobs.length) return html`<p class="muted" id="picker-empty">${t('user.receipts.new.noneUnbilled')}</p>`;
    const allOnPage = jobs.every((j) => picked.has(j.jobKey));
    const setPage = (on) => {
      const next = new Map(picked);
      for (const j of jobs) {
        if (on) next.set(j.jobKey, j);
        else next.delete(j.jobKey);
      }
      setPicked(next);
    };
    return html`<div class="picker">
      <p class="muted">${t('user.receipts.new.pickHint')}</p>
      <p class="toolbar">
        <button type="button" class="secondary" id="pick-page" onClick=${() => setPage(!allOnPage)}>
          ${allOnPage ? t('user.receipts.new.unpickPage') : t('user.receipts.new.pickPage')}</button>
        <button type="button" class="secondary" id="pick-none" disabled=${!picked.size} onClick=${() => setPicked(new Map())}>
          ${t('user.receipts.new.pickNone')}</button>
      </p>
      <div class="table-wrap" tabindex="0" role="region" aria-label=${t('user.receipts.new.jobsCaption')}>
        <table id="unbilled-jobs">
          <caption>${t('user.receipts.new.jobsCaption')}</caption>
          <thead><tr>
            <th scope="col">${t('user.receipts.new.pick')}</th>
            <th scope="col">${t('user.usage.col.job')}</th>
            <th scope="col">${t('user.usage.col.cluster')}</th>
            <th scope="col">${t('user.usage.col.account')}</th>
            <th scope="col">${t('user.usage.col.end')}</th>
            <th scope="col" class="num">${t('user.usage.col.cpu')}</th>
            <th scope="col" class="num">${t('user.usage.col.gpu')}</th>
            <th scope="col" class="num">${t('user.usage.col.cost')}</th>
          </tr></thead>
          <tbody>${jobs.map((j) => {
            const id = 'pick-' + j.cluster + '-' + j.jobKey;
            return html`<tr key=${j.cluster + '/' + j.jobKey} class="pick-row" data-job=${j.jobKey}>
              <td><input type="checkbox" id=${id} class="pick" checked=${picked.has(j.jobKey)} onChange=${() => toggle(j)}
                aria-label=${t('user.receipts.new.pickJob', { job: j.jobId })} /></td>
              <td><label for=${id}>${j.jobId}</label></td>
              <td>${j.cluster}</td>
              <td>${j.account || '—'}</td>
              <td>${dateTime(j.endAt)}</td>
              <td class="num">${number(j.cpuCoreHours)}</td>
              <td class="num">${number(j.gpuHours)}</td>
              <td class="num"><${Money} m=${j.cost} /></td>
            </tr>`;
          })}</tbody>
        </table>
      </div>
      ${pager(d.myUsage.pageInfo, d.myUsage.totalCount)}
    </div>`;
  }}<//>`;
}

function PreviewResult({ r }) {
  if (!r.lines.length) return html`<p class="notice" id="preview-empty" role="status">${t('user.receipts.new.nothing')}</p>`;
  const shown = r.lines.slice(0, PREVIEW_LINES);
  return html`<div class="preview" id="receipt-preview">
    <dl class="totals">
      <dt>${t('user.receipts.new.jobCount')}</dt><dd id="preview-count">${number(r.lines.length, 0)}</dd>
      <dt>${t('user.receipt.subtotal')}</dt><dd><${Money} m=${r.subtotal} /></dd>
      <dt>${t('user.receipt.tax', { label: r.taxLabel })}</dt><dd><${Money} m=${r.tax} /></dd>
      <dt>${t('user.receipt.total')}</dt><dd id="preview-total" class="grand"><${Money} m=${r.total} /></dd>
    </dl>
    <${Table}
      caption=${r.lines.length > PREVIEW_LINES
        ? t('user.receipts.new.linesCaptionSome', { shown: PREVIEW_LINES, total: r.lines.length })
        : t('user.receipts.new.linesCaption')}
      rows=${shown}
      rowKey=${(l) => l.cluster + '/' + l.jobKey}
      columns=${[
        { label: t('user.usage.col.job'), cell: (l) => l.jobId },
        { label: t('user.usage.col.cluster'), cell: (l) => l.cluster },
        { label: t('user.usage.col.end'), cell: (l) => dateTime(l.endAt) },
        { label: t('user.usage.col.cpu'), num: true, cell: (l) => number(l.cpuCoreHours) },
        { label: t('user.usage.col.gpu'), num: true, cell: (l) => number(l.gpuHours) },
        { label: t('user.usage.col.mem'), num: true, cell: (l) => number(l.memGbHours) },
        { label: t('user.receipt.amount'), num: true, cell: (l) => html`<${Money} m=${l.amount} />` },
      ]}
    />
  </div>`;
}

function NewReceipt({ navigate }) {
  const [mode, setMode] = useState('cutoff');
  const [day, setDay] = useState(today);
  const [picked, setPicked] = useState(() => new Map());
  const [preview, setPreview] = useState({ busy: false, error: null, data: null, args: null });
  const [create, created] = useMutation(CREATE);
  // What the preview and the receipt are made of: a cut-off (the end of the chosen day, UTC)
  // or the picked jobs.
  const args = mode === 'cutoff' ? { endedBefore: `${day}T23:59:59Z`, jobs: null } : { endedBefore: null, jobs: [...picked.keys()] };
  const argsKey = JSON.stringify(args);
  useEffect(() => setPreview({ busy: false, error: null, data: null, args: null }), [argsKey]);
  const canPreview = mode === 'cutoff' ? /^\d{4}-\d{2}-\d{2}$/.test(day) : picked.size > 0;
  async function runPreview(e) {
    e.preventDefault();
    if (!canPreview) return;
    setPreview({ busy: true, error: null, data: null, args: null });
    try {
      const d = await gql(PREVIEW, args);
      setPreview({ busy: false, error: null, data: d.previewReceipt, args: argsKey });
    } catch (error) {
      setPreview({ busy: false, error, data: null, args: null });
    }
  }
  async function runCreate() {
    const d = await create(args);
    if (d && d.createReceipt) navigate('/receipts/' + d.createReceipt.id);
  }
  const ready = preview.data && preview.args === argsKey && preview.data.lines.length > 0;
  return html`<section aria-labelledby="receipts-new-h" class="new-receipt">
    <h2 id="receipts-new-h">${t('user.receipts.new.title')}</h2>
    <p class="muted">${t('user.receipts.new.intro')}</p>
    <form id="new-receipt-form" class="wide" onSubmit=${runPreview}>
      <fieldset class="choice">
        <legend>${t('user.receipts.new.how')}</legend>
        <label class="radio"><input type="radio" name="mode" id="mode-cutoff" value="cutoff" checked=${mode === 'cutoff'}
          onChange=${() => setMode('cutoff')} /> ${t('user.receipts.new.byDate')}</label>
        <label class="radio"><input type="radio" name="mode" id="mode-jobs" value="jobs" checked=${mode === 'jobs'}
          onChange=${() => setMode('jobs')} /> ${t('user.receipts.new.byJobs')}</label>
      </fieldset>
      ${mode === 'cutoff'
        ? html`<${Field} label=${t('user.receipts.new.cutoff')} hint=${t('user.receipts.new.cutoffHint')}>
            <input type="date" id="cutoff" value=${day} max=${today()} required onInput=${(e) => setDay(e.target.value)} /><//>`
        : html`<p id="picked-count" role="status">${picked.size === 1
            ? t('user.receipts.new.pickedOne')
            : t('user.receipts.new.picked', { count: number(picked.size, 0) })}</p>`}
      <p class="toolbar">
        <button type="submit" id="preview-button" disabled=${!canPreview || preview.busy}>${t('user.receipts.new.preview')}</button>
      </p>
    </form>
    <div aria-live="polite">
      ${preview.busy ? html`<p class="loading">${t('common.loading')}</p>` : null}
      <${ErrorBox} error=${preview.error} />
      ${preview.data && preview.args === argsKey ? html`<${PreviewResult} r=${preview.data} />` : null}
    </div>
    ${ready
      ? html`<p class="toolbar">
          <button type="button" id="create-receipt" disabled=${created.busy} onClick=${runCreate}>
            ${preview.data.lines.length === 1
              ? t('user.receipts.new.createOne')
              : t('user.receipts.new.create', { count: number(preview.data.lines.length, 0) })}</button>
          <span class="muted">${t('user.receipts.new.createHint')}</span>
        </p>`
      : null}
    <${ErrorBox} error=${created.error} />
    ${mode === 'jobs'
      ? html`<h3 id="picker-h">${t('user.receipts.new.jobsCaption')}</h3><${Picker} picked=${picked} setPicked=${setPicked} />`
      : null}
  </section>`;
}

export default function Receipts({ navigate }) {
  return html`<section class="receipts-page">
    <h1>${t('user.receipts.title')}</h1>
    <${List} />
    <${NewReceipt} navigate=${navigate} />
  </section>`;
}
