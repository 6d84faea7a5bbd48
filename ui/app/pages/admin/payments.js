// Payments (finance, admin): every gateway payment, cursor paged and filtered by status,
// gateway and user, with what was refunded and whether the customer disputed it; actions:
// reconcile (ask the gateway now) and refund (an amount typed in major units, converted to
// minor units exactly, without floating point).
import { html, useState, useEffect, useRef } from '../../html.js';
import { t, money, dateTime } from '../../i18n.js';
import { useQuery, useMutation, useCursorPager, Loaded, Table, Field, ErrorBox, Status, Money } from '../../components.js';

const PAGE = 20;
const M = 'amount minor currency';
const PAYMENTS = `query($filter: PaymentFilter, $first: Int!, $after: String) {
  payments(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id receiptId user provider status amount { ${M} } refunded { ${M} } disputed externalId error
      createdAt settledAt refunds { id status } } } }`;
const PROVIDERS = '{ paymentProviders }';
const RECONCILE = 'mutation($id: ID!) { reconcilePayment(id: $id) { id status } }';
const REFUND = `mutation($id: ID!, $amountMinor: Int, $reason: String) {
  refundPayment(id: $id, amountMinor: $amountMinor, reason: $reason) {
    payment { id status refunded { ${M} } } refund { id status amount { ${M} } } } }`;
const STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED', 'EXPIRED', 'REFUNDED'];

// Decimal places of a currency's minor unit: the server's table (core/src/money.rs), 2 unless listed.
const EXPONENTS = { BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0, BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3, CLF: 4, UYW: 4 };
const exponent = (currency) => EXPONENTS[String(currency).toUpperCase()] ?? 2;

/** Minor units (BigInt) as the decimal string of the major unit: `12345n`, THB → `"123.45"`. */
export function minorToMajor(minor, currency) {
  const e = exponent(currency);
  const neg = minor < 0n;
  const digits = (neg ? -minor : minor).toString().padStart(e + 1, '0');
  return (neg ? '-' : '') + (e ? digits.slice(0, -e) + '.' + digits.slice(-e) : digits);
}

/**
 * A typed amount in major units as minor units (BigInt), parsed as a decimal string, never as a
 * float: `"120.5"` THB → `12050n`. Thousands separators are accepted only where they group by
 * three (`1,250.00`). Returns `{ minor }` or `{ error }` (an i18n key).
 */
export function majorToMinor(text, currency) {
  const e = exponent(currency);
  let s = String(text).trim().replace(/\s+/g, '');
  if (/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(s)) s = s.replace(/,/g, '');
  const m = /^(\d*)(?:\.(\d*))?$/.exec(s);
  if (!s || !m || (m[1] === '' && !m[2])) return { error: 'format' };
  let frac = m[2] || '';
  if (frac.length > e) {
    if (/[^0]/.test(frac.slice(e))) return { error: 'precision' };
    frac = frac.slice(0, e);
  }
  const minor = BigInt(m[1] || '0') * 10n ** BigInt(e) + BigInt(frac.padEnd(e, '0') || '0');
  return { minor };
}

/** A payment's or refund's status as text (either case). */
function statusText(s) {
  switch (String(s).toUpperCase()) {
    case 'PENDING': return t('common.status.pending');
    case 'SUCCEEDED': return t('common.status.succeeded');
    case 'FAILED': return t('common.status.failed');
    case 'EXPIRED': return t('admin.payments.status.expired');
    case 'REFUNDED': return t('admin.payments.status.refunded');
    default: return String(s);
  }
}

function PayStatus({ value }) {
  // `expired` and `refunded` have no common.status.* text yet.
  if (value === 'EXPIRED') return html`<span class="badge status-expired">${t('admin.payments.status.expired')}</span>`;
  if (value === 'REFUNDED') return html`<span class="badge status-refunded">${t('admin.payments.status.refunded')}</span>`;
  return html`<${Status} value=${value} />`;
}

function Filters({ query, path, navigate }) {
  const providers = useQuery(PROVIDERS, {});
  const [status, setStatus] = useState(query.status || '');
  const [provider, setProvider] = useState(query.provider || '');
  const [user, setUser] = useState(query.user || '');
  useEffect(() => {
    setStatus(query.status || '');
    setProvider(query.provider || '');
    setUser(query.user || '');
  }, [query.status, query.provider, query.user]);
  const list = (providers.data && providers.data.paymentProviders) || [];
  const submit = (e) => {
    e.preventDefault();
    navigate(path, { ...query, status, provider, user: user.trim() });
  };
  return html`<form class="filters" onSubmit=${submit} aria-label=${t('admin.payments.filters')}>
    <${Field} label=${t('admin.payments.status')}>
      <select id="payments-status" value=${status} onChange=${(e) => setStatus(e.target.value)}>
        <option value="">${t('admin.payments.allStatuses')}</option>
        <option value="PENDING">${t('common.status.pending')}</option>
        <option value="SUCCEEDED">${t('common.status.succeeded')}</option>
        <option value="FAILED">${t('common.status.failed')}</option>
        <option value="EXPIRED">${t('admin.payments.status.expired')}</option>
        <option value="REFUNDED">${t('admin.payments.status.refunded')}</option>
      </select>
    <//>
    <${Field} label=${t('admin.payments.provider')}>
      <select id="payments-provider" value=${provider} onChange=${(e) => setProvider(e.target.value)}>
        <option value="">${t('admin.payments.allProviders')}</option>
        ${[...new Set([...list, ...(provider ? [provider] : [])])].map((p) => html`<option value=${p}>${p}</option>`)}
      </select>
    <//>
    <${Field} label=${t('admin.payments.user')}>
      <input id="payments-user" value=${user} autocomplete="off" onInput=${(e) => setUser(e.target.value)} />
    <//>
    <button type="submit">${t('common.apply')}</button>
    <button type="button" class="secondary" onClick=${() => navigate(path, { ...query, status: '', provider: '', user: '' })}>${t('common.reset')}</button>
  </form>`;
}

function RefundPanel({ p, onClose, onDone }) {
  const remaining = BigInt(p.amount.minor) - BigInt(p.refunded.minor);
  const [amount, setAmount] = useState(minorToMajor(remaining, p.amount.currency));
  const [reason, setReason] = useState('');
  const [invalid, setInvalid] = useState('');
  const [refund, state] = useMutation(REFUND);
  const first = useRef(null);
  useEffect(() => {
    if (first.current) first.current.focus();
  }, [p.id]);
  const submit = async (e) => {
    e.preventDefault();
    const parsed = majorToMinor(amount, p.amount.currency);
    if (parsed.error === 'precision') return setInvalid(t('admin.payments.amountPrecision', { digits: exponent(p.amount.currency) }));
    if (parsed.error) return setInvalid(t('admin.payments.amountFormat'));
    if (parsed.minor <= 0n) return setInvalid(t('admin.payments.amountPositive'));
    if (parsed.minor > remaining) {
      return setInvalid(t('admin.payments.amountTooBig', { max: money({ amount: minorToMajor(remaining, p.amount.currency), currency: p.amount.currency }) }));
    }
    setInvalid('');
    const d = await refund({ id: p.id, amountMinor: Number(parsed.minor), reason: reason.trim() || null });
    if (d) {
      const r = d.refundPayment.refund;
      onDone(t('admin.payments.refundDone', { amount: money(r.amount), id: p.id, status: statusText(r.status) }));
    }
  };
  const max = money({ amount: minorToMajor(remaining, p.amount.currency), currency: p.amount.currency });
  return html`<section class="admin-panel" aria-labelledby="refund-title">
    <h3 id="refund-title">${t('admin.payments.refundTitle', { id: p.id })}</h3>
    <p class="muted">${p.user} · ${p.provider} · ${t('admin.payments.refundable', { max })}</p>
    <form onSubmit=${submit} id="refund-form" novalidate>
      <${Field} label=${t('admin.payments.refundAmount', { currency: p.amount.currency })}>
        <input id="refund-amount" ref=${first} inputmode="decimal" autocomplete="off" required value=${amount}
          aria-invalid=${invalid ? 'true' : null} aria-describedby="refund-amount-hint" onInput=${(e) => setAmount(e.target.value)} />
      <//>
      <small class="muted" id="refund-amount-hint">${t('admin.payments.refundAmountHint', { max })}</small>
      <${Field} label=${t('admin.payments.reason')}>
        <input id="refund-reason" value=${reason} maxlength="500" onInput=${(e) => setReason(e.target.value)} />
      <//>
      ${invalid ? html`<p class="error" role="alert" id="refund-invalid">${invalid}</p>` : null}
      <${ErrorBox} error=${state.error} />
      <div class="toolbar">
        <button type="submit" id="refund-submit" class="danger" disabled=${state.busy}>${t('admin.payments.refundSubmit')}</button>
        <button type="button" class="secondary" onClick=${onClose}>${t('common.cancel')}</button>
      </div>
    </form>
  </section>`;
}

export default function Page({ query, path, navigate }) {
  const filter = {};
  if (STATUSES.includes(query.status)) filter.status = query.status;
  if (query.provider) filter.provider = query.provider;
  if (query.user) filter.user = query.user;
  const filterKey = JSON.stringify(filter);
  const { after, pager } = useCursorPager(filterKey);
  const q = useQuery(PAYMENTS, { filter, first: PAGE, after });
  const [refunding, setRefunding] = useState(null);
  const [notice, setNotice] = useState('');
  const [reconcile, reconcileState] = useMutation(RECONCILE);
  const [busyId, setBusyId] = useState(null);
  const done = (text) => {
    setRefunding(null);
    setNotice(text);
    q.reload();
  };
  const doReconcile = async (p) => {
    setNotice('');
    setRefunding(null);
    setBusyId(p.id);
    const d = await reconcile({ id: p.id });
    setBusyId(null);
    if (d) {
      const s = d.reconcilePayment.status;
      done(t('admin.payments.reconcileDone', { id: p.id, status: statusText(s) }));
    }
  };
  useEffect(() => {
    setNotice('');
    setRefunding(null);
  }, [filterKey]);
  const canRefund = (p) => p.status === 'SUCCEEDED' && BigInt(p.refunded.minor) < BigInt(p.amount.minor);
  return html`<section class="admin-page">
    <h1>${t('admin.payments.title')}</h1>
    <${Filters} query=${query} path=${path} navigate=${navigate} />
    ${notice ? html`<p class="notice" role="status" id="payments-notice">${notice}</p>` : null}
    <${ErrorBox} error=${reconcileState.error} />
    ${refunding ? html`<${RefundPanel} key=${refunding.id} p=${refunding} onClose=${() => {
      const id = 'refund-' + refunding.id;
      setRefunding(null);
      setTimeout(() => {
        const b = document.getElementById(id);
        if (b) b.focus();
      }, 0);
    }} onDone=${done} />` : null}
    <${Loaded} q=${q}>${(d) => html`
      <${Table}
        caption=${t('admin.payments.caption')}
        rows=${d.payments.nodes}
        rowKey=${(p) => p.id}
        empty=${t('admin.payments.none')}
        columns=${[
          { label: t('admin.payments.col.payment'), cell: (p) => html`<a class="admin-break" href=${'#/payments/' + encodeURIComponent(p.id)}>${p.id}</a><br /><small class="muted">${dateTime(p.createdAt)}</small>` },
          { label: t('admin.payments.col.receipt'), cell: (p) => html`<a href=${'#/receipts/' + encodeURIComponent(p.receiptId)}>${t('admin.payments.receiptLink', { id: p.receiptId })}</a>` },
          { label: t('admin.payments.col.user'), cell: (p) => p.user },
          { label: t('admin.payments.col.provider'), cell: (p) => p.provider },
          {
            label: t('admin.payments.col.status'),
            cell: (p) => html`<${PayStatus} value=${p.status} />${p.error ? html`<br /><small class="admin-error-text">${p.error}</small>` : null}`,
          },
          { label: t('admin.payments.col.amount'), num: true, cell: (p) => html`<${Money} m=${p.amount} />` },
          {
            label: t('admin.payments.col.refunded'),
            num: true,
            cell: (p) => (BigInt(p.refunded.minor) > 0n ? html`<${Money} m=${p.refunded} />` : html`<span class="muted">${t('admin.payments.nothing')}</span>`),
          },
          {
            label: t('admin.payments.col.disputed'),
            cell: (p) => (p.disputed ? html`<span class="badge status-failed">${t('admin.payments.disputed')}</span>` : html`<span class="muted">${t('admin.payments.notDisputed')}</span>`),
          },
          {
            label: t('admin.payments.col.actions'),
            cell: (p) => html`<div class="row-actions">
              <button type="button" class="secondary" id=${'reconcile-' + p.id} disabled=${busyId === p.id}
                onClick=${() => doReconcile(p)}>${t('admin.payments.reconcile')}<span class="visually-hidden"> ${p.id}</span></button>
              ${canRefund(p) ? html`<button type="button" class="danger" id=${'refund-' + p.id}
                onClick=${() => { setNotice(''); setRefunding(p); }}>${t('admin.payments.refund')}<span class="visually-hidden"> ${p.id}</span></button>` : null}
            </div>`,
          },
        ]} />
      ${pager(d.payments.pageInfo, d.payments.totalCount)}`}<//>
  </section>`;
}
