// Billing adjustments (finance, admin): billed jobs whose usage changed after the receipt was
// issued (requeued, corrected in Slurm). Issued receipts are never re-priced; this list is for
// finance to decide (void and bill again, or leave). Shown a page at a time.
import { html, useState } from '../../html.js';
import { t, money, number, dateTime } from '../../i18n.js';
import { useQuery, Loaded, Table, Status, Money, FilterForm, localPage } from '../../components.js';

const PAGE = 50;
const M = 'amount minor currency';
const ADJUSTMENTS = `{ billingAdjustments {
  receipt { id number user status }
  line { cluster jobKey jobId endAt cpuCoreHours gpuHours memGbHours tier amount { ${M} } }
  cpuCoreHoursNow gpuHoursNow memGbHoursNow amountNow { ${M} } stateNow } }`;

// Decimal places of a currency's minor unit: the server's table (core/src/money.rs), 2 unless listed.
const EXPONENTS = { BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0, BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3, CLF: 4, UYW: 4 };

/** Minor units (BigInt) as money, exactly. */
function minorMoney(minor, currency) {
  const e = EXPONENTS[currency] ?? 2;
  const neg = minor < 0n;
  const digits = (neg ? -minor : minor).toString().padStart(e + 1, '0');
  return { amount: (neg ? '-' : '') + (e ? digits.slice(0, -e) + '.' + digits.slice(-e) : digits), currency };
}

/** The change of a job's price since billing, or null when it cannot be compared. */
function delta(a) {
  if (!a.amountNow || a.amountNow.currency !== a.line.amount.currency) return null;
  return BigInt(a.amountNow.minor) - BigInt(a.line.amount.minor);
}

function Hours({ then, now }) {
  if (now === null || now === undefined) return html`${number(then)}`;
  const changed = Number(then) !== Number(now);
  return changed
    ? html`${number(then)} → <strong>${number(now)}</strong>`
    : html`${number(then)} <span class="muted">${t('admin.adjustments.same')}</span>`;
}

function Difference({ a }) {
  const d = delta(a);
  if (d === null) return html`<span class="muted">${t('admin.adjustments.noCompare')}</span>`;
  if (d === 0n) return html`<span class="muted">${t('admin.adjustments.noChange')}</span>`;
  const m = money(minorMoney(d < 0n ? -d : d, a.line.amount.currency));
  return d > 0n
    ? html`<span class="admin-up">${t('admin.adjustments.more', { amount: m })}</span>`
    : html`<span class="admin-down">${t('admin.adjustments.less', { amount: m })}</span>`;
}

export default function Page({ query, path, navigate }) {
  const q = useQuery(ADJUSTMENTS, {});
  const [user, setUser] = useState(query.user || '');
  const [page, setPage] = useState(0);
  return html`<section class="admin-page">
    <h1>${t('admin.adjustments.title')}</h1>
    <p class="muted">${t('admin.adjustments.explain')}</p>
    <${FilterForm} ariaLabel=${t('admin.adjustments.filters')} label=${t('admin.adjustments.user')} inputId="adjustments-user"
      value=${user} onInput=${setUser} onApply=${() => {
        setPage(0);
        navigate(path, { ...query, user: user.trim() });
      }}>
      <button type="button" class="secondary" onClick=${q.reload}>${t('common.refresh')}</button>
    <//>
    <${Loaded} q=${q}>${(d) => {
      const all = d.billingAdjustments.filter((a) => !query.user || a.receipt.user === query.user);
      const local = localPage(all, page, setPage, PAGE);
      const rows = local.rows;
      // The net change at current rates, per currency, in exact minor units.
      const net = new Map();
      for (const a of all) {
        const x = delta(a);
        if (x !== null) net.set(a.line.amount.currency, (net.get(a.line.amount.currency) || 0n) + x);
      }
      const netText = [...net].map(([c, v]) => (v < 0n ? '−' : '+') + money(minorMoney(v < 0n ? -v : v, c))).join(', ');
      return html`
        <p id="adjustments-summary">${all.length
          ? t('admin.adjustments.summary', { n: number(all.length, 0), net: netText || '0' })
          : t('admin.adjustments.noneSummary')}</p>
        <${Table}
          caption=${t('admin.adjustments.caption')}
          rows=${rows}
          rowKey=${(a) => a.receipt.id + '/' + a.line.cluster + '/' + a.line.jobKey}
          empty=${t('admin.adjustments.none')}
          columns=${[
            {
              label: t('admin.adjustments.col.receipt'),
              cell: (a) => html`<a class="admin-nowrap" href=${'#/receipts/' + encodeURIComponent(a.receipt.id)}>${a.receipt.number}</a><br /><${Status} value=${a.receipt.status} />`,
            },
            { label: t('admin.adjustments.col.user'), cell: (a) => a.receipt.user },
            {
              label: t('admin.adjustments.col.job'),
              cell: (a) => html`${a.line.jobId}<br /><small class="muted admin-nowrap">${a.line.cluster} · ${dateTime(a.line.endAt)}</small>
                <br /><small class="admin-nowrap">${a.stateNow ? t('admin.adjustments.stateNow', { state: a.stateNow }) : t('admin.adjustments.gone')}</small>`,
            },
            {
              label: t('admin.adjustments.col.usage'),
              cell: (a) => html`<dl class="admin-hours">
                <dt>${t('admin.adjustments.cpu')}</dt><dd><${Hours} then=${a.line.cpuCoreHours} now=${a.cpuCoreHoursNow} /></dd>
                <dt>${t('admin.adjustments.gpu')}</dt><dd><${Hours} then=${a.line.gpuHours} now=${a.gpuHoursNow} /></dd>
                <dt>${t('admin.adjustments.mem')}</dt><dd><${Hours} then=${a.line.memGbHours} now=${a.memGbHoursNow} /></dd>
              </dl>`,
            },
            { label: t('admin.adjustments.col.billed'), num: true, cell: (a) => html`<${Money} m=${a.line.amount} />` },
            { label: t('admin.adjustments.col.now'), num: true, cell: (a) => (a.amountNow ? html`<${Money} m=${a.amountNow} />` : html`<span class="muted">${t('admin.adjustments.gone')}</span>`) },
            { label: t('admin.adjustments.col.difference'), num: true, cell: (a) => html`<${Difference} a=${a} />` },
          ]} />
        ${local.pager}`;
    }}<//>
  </section>`;
}
