// Overview (`#/`): this month's usage and cost, what is not billed yet, receipts waiting for
// payment, and links to the rest. Each block loads on its own, so one slow or failing answer
// does not hide the others.
import { html } from '../html.js';
import { t, money, number, date, month } from '../i18n.js';
import { useQuery, Loaded, Money, Status, Table } from '../components.js';

const MONEY = 'amount minor currency';

/** `YYYY-MM-DDT00:00:00Z` of the first day of this UTC month, and its `YYYY-MM`. */
function thisMonth() {
  const now = new Date();
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  return { from: start.toISOString().replace('.000Z', 'Z'), key: start.toISOString().slice(0, 7) };
}

function nowIso() {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const SUMMARY = `query HomeMonth($user: String, $filter: UsageFilterInput) {
  usageSummary(groupBy: MONTH, filter: $filter, user: $user) {
    key jobs cpuCoreHours gpuHours memGbHours cost { ${MONEY} }
  }
}`;

const UNBILLED = `query HomeUnbilled($filter: UsageFilterInput, $now: DateTime) {
  myUsage(filter: $filter, first: 1) { totalCount }
  previewReceipt(endedBefore: $now) { subtotal { ${MONEY} } tax { ${MONEY} } total { ${MONEY} } }
}`;

const RECEIPTS = `query HomeReceipts {
  myReceipts(first: 20, status: PENDING) { totalCount nodes { id number status total { ${MONEY} } createdAt } }
}`;

function Card({ id, label, children }) {
  return html`<div class="card" id=${id}><span class="label">${label}</span><span class="value">${children}</span></div>`;
}

function MonthTotals({ me, m }) {
  // Admin and finance would get everyone's totals without `user`: the overview is always yours.
  const q = useQuery(SUMMARY, { user: me.username, filter: { from: m.from } });
  return html`<section aria-labelledby="home-month-h">
    <h2 id="home-month-h">${t('user.home.month.title', { month: month(m.key) })}</h2>
    <${Loaded} q=${q}>${(d) => {
      const row = d.usageSummary.find((r) => r.key === m.key) || d.usageSummary[0];
      if (!row || !row.jobs) return html`<p class="muted" id="home-month-empty">${t('user.home.month.empty')}</p>`;
      return html`<div class="cards" id="home-month">
        <${Card} id="home-jobs" label=${t('user.totals.jobs')}>${number(row.jobs, 0)}<//>
        <${Card} id="home-cpu" label=${t('user.totals.cpu')}>${number(row.cpuCoreHours)}<//>
        <${Card} id="home-gpu" label=${t('user.totals.gpu')}>${number(row.gpuHours)}<//>
        <${Card} id="home-mem" label=${t('user.totals.mem')}>${number(row.memGbHours)}<//>
        <${Card} id="home-cost" label=${t('user.totals.cost')}><${Money} m=${row.cost} /><//>
      </div>
      <p><a href=${'#/usage?from=' + m.from.slice(0, 10)}>${t('user.home.month.details')}</a></p>`;
    }}<//>
  </section>`;
}

function Unbilled() {
  const now = nowIso();
  const q = useQuery(UNBILLED, { filter: { billed: false, endedBefore: now }, now }, 'unbilled');
  return html`<section aria-labelledby="home-unbilled-h">
    <h2 id="home-unbilled-h">${t('user.home.unbilled.title')}</h2>
    <${Loaded} q=${q}>${(d) => {
      const count = d.myUsage.totalCount;
      if (!count) return html`<p class="muted" id="home-unbilled-none">${t('user.home.unbilled.none')}</p>`;
      return html`<div class="cards">
          <${Card} id="home-unbilled-count" label=${t('user.home.unbilled.count')}>${number(count, 0)}<//>
          <${Card} id="home-unbilled-amount" label=${t('user.home.unbilled.amount')}><${Money} m=${d.previewReceipt.total} /><//>
        </div>
        <p class="muted">${t('user.home.unbilled.note')}</p>
        <p class="toolbar">
          <a href="#/receipts">${t('user.home.unbilled.create')}</a>
          <a href="#/usage?billed=false">${t('user.home.unbilled.list')}</a>
        </p>`;
    }}<//>
  </section>`;
}

function Pending() {
  const q = useQuery(RECEIPTS, {});
  return html`<section aria-labelledby="home-pending-h">
    <h2 id="home-pending-h">${t('user.home.pending.title')}</h2>
    <${Loaded} q=${q}>${(d) => {
      const pending = d.myReceipts.nodes.filter((r) => r.status === 'PENDING');
      if (!pending.length) return html`<p class="muted" id="home-pending-none">${t('user.home.pending.none')}</p>`;
      return html`<div id="home-pending"><${Table}
        caption=${t('user.home.pending.caption')}
        rowKey=${(r) => r.id}
        rows=${pending}
        columns=${[
          { label: t('user.receipt.number'), cell: (r) => html`<a href=${'#/receipts/' + r.id}>${r.number}</a>` },
          { label: t('user.receipt.created'), cell: (r) => date(r.createdAt) },
          { label: t('user.receipt.status'), cell: (r) => html`<${Status} value=${r.status} />` },
          { label: t('user.receipt.total'), num: true, cell: (r) => html`<${Money} m=${r.total} />` },
          {
            label: t('user.home.pending.action'),
            cell: (r) => html`<a class="pay-link" href=${'#/receipts/' + r.id + '?pay=1'}
              aria-label=${t('user.home.pending.payLabel', { number: r.number, total: money(r.total) })}>${t('user.home.pending.pay')}</a>`,
          },
        ]}
      /></div>`;
    }}<//>
  </section>`;
}

export default function Home({ me }) {
  const m = thisMonth();
  return html`<section class="user-home">
    <h1>${t('user.home.title')}</h1>
    <p class="muted">${t('user.home.hello', { name: me.username })}</p>
    <${MonthTotals} me=${me} m=${m} />
    <${Unbilled} />
    <${Pending} />
    <section aria-labelledby="home-links-h">
      <h2 id="home-links-h">${t('user.home.links.title')}</h2>
      <ul class="links">
        <li><a href="#/usage">${t('user.home.links.usage')}</a></li>
        <li><a href="#/receipts">${t('user.home.links.receipts')}</a></li>
        <li><a href="#/playground">${t('user.home.links.playground')}</a></li>
        <li><a href="#/account">${t('user.home.links.account')}</a></li>
        <li><a href=${'/export/my-usage.csv?from=' + encodeURIComponent(m.from)} download>${t('user.home.links.csv')}</a></li>
      </ul>
    </section>
  </section>`;
}
