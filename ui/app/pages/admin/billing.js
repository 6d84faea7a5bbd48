// Receipts and billing (finance, admin): everyone's receipts, cursor paged and filtered by
// status and user, with the actions finance takes on them (mark paid, void, revert a manual
// payment); the monthly run with a preview of what it will bill; and one receipt for one user
// (to bill again after a void).
import { html, useState, useEffect, useRef } from '../../html.js';
import { t, money, number, date, dateTime, month } from '../../i18n.js';
import { useQuery, useMutation, useCursorPager, Loaded, Table, Field, ErrorBox, Status, Money, ConfirmButton } from '../../components.js';

const PAGE = 20;
const M = 'amount minor currency';
const RECEIPT_FIELDS = `id number user status total { ${M} } createdAt periodMonth paidAt paidMethod paidReference voidedAt voidReason`;
const RECEIPTS = `query($filter: ReceiptFilterInput, $first: Int!, $after: String) {
  receipts(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { ${RECEIPT_FIELDS} } } }`;
const MARK_PAID = `mutation($id: ID!, $method: String!, $reference: String) {
  markReceiptPaid(id: $id, method: $method, reference: $reference) { id number status } }`;
const VOID = `mutation($id: ID!, $reason: String!) { voidReceipt(id: $id, reason: $reason) { id number status } }`;
const REVERT = `mutation($id: ID!) { revertReceiptToPending(id: $id) { id number status } }`;
const MONTH_PREVIEW = `query($f: UsageFilterInput) { usageSummary(groupBy: USER, filter: $f) { key jobs cost { ${M} } } }`;
const MONTHLY = `mutation($month: String!) { createMonthlyReceipts(month: $month) {
  month usersChecked created { id number user total { ${M} } } } }`;
const PREVIEW_ONE = `query($user: String, $endedBefore: DateTime) { previewReceipt(user: $user, endedBefore: $endedBefore) {
  subtotal { ${M} } tax { ${M} } total { ${M} } taxLabel endedBefore lines { jobKey } } }`;
const CREATE_ONE = `mutation($user: String, $endedBefore: DateTime) { createReceipt(user: $user, endedBefore: $endedBefore) {
  id number user total { ${M} } lines { jobKey } } }`;
const STATUSES = ['PENDING', 'PAID', 'VOID'];
const METHODS = ['bank-transfer', 'cash', 'cheque', 'card-terminal'];

// Decimal places of a currency's minor unit: the server's table (core/src/money.rs), 2 unless listed.
const EXPONENTS = { BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0, BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3, CLF: 4, UYW: 4 };

/** Minor units as money, exactly (no floating point): `12345` THB → `{amount: "123.45"}`. */
function minorMoney(minor, currency) {
  const e = EXPONENTS[currency] ?? 2;
  const neg = minor < 0n;
  const digits = (neg ? -minor : minor).toString().padStart(e + 1, '0');
  const amount = e ? digits.slice(0, -e) + '.' + digits.slice(-e) : digits;
  return { amount: (neg ? '-' : '') + amount, currency };
}

/** Sums of `MoneyGql`s, one per currency, as display text. */
function sumText(list) {
  const by = new Map();
  for (const m of list) by.set(m.currency, (by.get(m.currency) || 0n) + BigInt(m.minor));
  return [...by].map(([c, minor]) => money(minorMoney(minor, c))).join(' + ') || '0';
}

/** A `YYYY-MM` month's UTC bounds as RFC 3339 times: [first instant, first instant of the next]. */
function monthBounds(ym) {
  const [y, m] = ym.split('-').map(Number);
  return [new Date(Date.UTC(y, m - 1, 1)).toISOString(), new Date(Date.UTC(y, m, 1)).toISOString()];
}

function lastMonth() {
  const d = new Date();
  const p = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1));
  return p.toISOString().slice(0, 7);
}

/** A `datetime-local` value (the browser's time zone) as RFC 3339, or null when empty. */
function localToIso(v) {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function Notice({ text }) {
  return text ? html`<p class="notice" role="status">${text}</p>` : null;
}

function Filters({ query, path, navigate }) {
  const [status, setStatus] = useState(query.status || '');
  const [user, setUser] = useState(query.user || '');
  useEffect(() => {
    setStatus(query.status || '');
    setUser(query.user || '');
  }, [query.status, query.user]);
  const submit = (e) => {
    e.preventDefault();
    navigate(path, { ...query, status, user: user.trim() });
  };
  return html`<form class="filters" onSubmit=${submit} aria-label=${t('admin.billing.filters')}>
    <${Field} label=${t('admin.billing.status')}>
      <select id="receipts-status" value=${status} onChange=${(e) => setStatus(e.target.value)}>
        <option value="">${t('admin.billing.allStatuses')}</option>
        <option value="PENDING">${t('common.status.pending')}</option>
        <option value="PAID">${t('common.status.paid')}</option>
        <option value="VOID">${t('common.status.void')}</option>
      </select>
    <//>
    <${Field} label=${t('admin.billing.filterUser')}>
      <input id="receipts-user" value=${user} onInput=${(e) => setUser(e.target.value)} autocomplete="off" />
    <//>
    <button type="submit">${t('common.apply')}</button>
    <button type="button" class="secondary" onClick=${() => navigate(path, { ...query, status: '', user: '' })}>${t('common.reset')}</button>
  </form>`;
}

/** The form of one action on one receipt: mark paid (method, reference) or void (reason). */
function ActionPanel({ act, onClose, onDone }) {
  const [method, setMethod] = useState('bank-transfer');
  const [reference, setReference] = useState('');
  const [reason, setReason] = useState('');
  const [invalid, setInvalid] = useState('');
  const [markPaid, paidState] = useMutation(MARK_PAID);
  const [voidIt, voidState] = useMutation(VOID);
  const first = useRef(null);
  useEffect(() => {
    if (first.current) first.current.focus();
  }, [act.r.id, act.kind]);
  const r = act.r;
  if (act.kind === 'pay') {
    const submit = async (e) => {
      e.preventDefault();
      if (!method.trim()) return setInvalid(t('admin.billing.methodRequired'));
      setInvalid('');
      const d = await markPaid({ id: r.id, method: method.trim(), reference: reference.trim() || null });
      if (d) onDone(t('admin.billing.paidDone', { number: r.number }));
    };
    return html`<section class="admin-panel" aria-labelledby="pay-title">
      <h3 id="pay-title">${t('admin.billing.payTitle', { number: r.number })}</h3>
      <p class="muted">${r.user} · <${Money} m=${r.total} /></p>
      <form onSubmit=${submit} id="pay-form" novalidate>
        <${Field} label=${t('admin.billing.method')} hint=${t('admin.billing.methodHint')}>
          <input id="pay-method" ref=${first} list="pay-methods" value=${method} maxlength="32" required
            aria-invalid=${invalid ? 'true' : null} onInput=${(e) => setMethod(e.target.value)} />
        <//>
        <datalist id="pay-methods">${METHODS.map((m) => html`<option value=${m} />`)}</datalist>
        <${Field} label=${t('admin.billing.reference')}>
          <input id="pay-reference" value=${reference} onInput=${(e) => setReference(e.target.value)} />
        <//>
        ${invalid ? html`<p class="error" role="alert">${invalid}</p>` : null}
        <${ErrorBox} error=${paidState.error} />
        <div class="toolbar">
          <button type="submit" id="pay-submit" disabled=${paidState.busy}>${t('admin.billing.markPaid')}</button>
          <button type="button" class="secondary" onClick=${onClose}>${t('common.cancel')}</button>
        </div>
      </form>
    </section>`;
  }
  const submit = async (e) => {
    e.preventDefault();
    if (!reason.trim()) return setInvalid(t('admin.billing.reasonRequired'));
    setInvalid('');
    const d = await voidIt({ id: r.id, reason: reason.trim() });
    if (d) onDone(t('admin.billing.voidDone', { number: r.number }));
  };
  return html`<section class="admin-panel" aria-labelledby="void-title">
    <h3 id="void-title">${t('admin.billing.voidTitle', { number: r.number })}</h3>
    <p class="muted">${r.user} · <${Money} m=${r.total} /> · ${t('admin.billing.voidExplain')}</p>
    <form onSubmit=${submit} id="void-form" novalidate>
      <${Field} label=${t('admin.billing.reason')}>
        <textarea id="void-reason" ref=${first} rows="3" maxlength="512" required
          aria-invalid=${invalid ? 'true' : null} value=${reason} onInput=${(e) => setReason(e.target.value)}></textarea>
      <//>
      ${invalid ? html`<p class="error" role="alert">${invalid}</p>` : null}
      <${ErrorBox} error=${voidState.error} />
      <div class="toolbar">
        <button type="submit" id="void-submit" class="danger" disabled=${voidState.busy}>${t('admin.billing.voidConfirm')}</button>
        <button type="button" class="secondary" onClick=${onClose}>${t('common.cancel')}</button>
      </div>
    </form>
  </section>`;
}

function ReceiptsSection({ query, path, navigate, reloadKey }) {
  const filter = {};
  if (STATUSES.includes(query.status)) filter.status = query.status;
  if (query.user) filter.user = query.user;
  const filterKey = JSON.stringify(filter);
  const { after, pager } = useCursorPager(filterKey);
  const q = useQuery(RECEIPTS, { filter, first: PAGE, after }, filterKey + '|' + (after || '') + '|' + reloadKey);
  const [act, setAct] = useState(null);
  const [notice, setNotice] = useState('');
  const [revert, revertState] = useMutation(REVERT);
  useEffect(() => {
    setNotice('');
    setAct(null);
  }, [filterKey]);
  const done = (text) => {
    setAct(null);
    setNotice(text);
    q.reload();
  };
  // Cancel puts the focus back on the button that opened the form.
  const close = () => {
    const id = (act.kind === 'pay' ? 'pay-' : 'void-') + act.r.id;
    setAct(null);
    setTimeout(() => {
      const b = document.getElementById(id);
      if (b) b.focus();
    }, 0);
  };
  const actions = (r) => {
    if (r.status === 'PENDING') {
      return html`<div class="row-actions">
        <button type="button" class="secondary" id=${'pay-' + r.id}
          onClick=${() => { setNotice(''); setAct({ kind: 'pay', r }); }}>${t('admin.billing.markPaid')}<span class="visually-hidden"> ${r.number}</span></button>
        <button type="button" class="danger" id=${'void-' + r.id}
          onClick=${() => { setNotice(''); setAct({ kind: 'void', r }); }}>${t('admin.billing.void')}<span class="visually-hidden"> ${r.number}</span></button>
      </div>`;
    }
    if (r.status === 'PAID') {
      return html`<${ConfirmButton} label=${html`${t('admin.billing.revert')}<span class="visually-hidden"> ${r.number}</span>`} busy=${revertState.busy}
        question=${t('admin.billing.revertQuestion', { number: r.number })}
        onConfirm=${async () => {
          setAct(null);
          setNotice('');
          const d = await revert({ id: r.id });
          if (d) done(t('admin.billing.revertDone', { number: r.number }));
        }} />`;
    }
    return null;
  };
  const detail = (r) => {
    if (r.status === 'PAID') {
      return html`${dateTime(r.paidAt)}<br /><small>${r.paidMethod}${r.paidReference ? ' · ' + r.paidReference : ''}</small>`;
    }
    if (r.status === 'VOID') return html`${dateTime(r.voidedAt)}<br /><small>${r.voidReason}</small>`;
    return '';
  };
  return html`<section aria-labelledby="receipts-title">
    <h2 id="receipts-title">${t('admin.billing.receiptsTitle')}</h2>
    <${Filters} query=${query} path=${path} navigate=${navigate} />
    <${Notice} text=${notice} />
    <${ErrorBox} error=${revertState.error} />
    ${act ? html`<${ActionPanel} key=${act.kind + act.r.id} act=${act} onClose=${close} onDone=${done} />` : null}
    <${Loaded} q=${q}>${(d) => html`
      <${Table}
        caption=${t('admin.billing.receiptsCaption')}
        rows=${d.receipts.nodes}
        rowKey=${(r) => r.id}
        empty=${t('admin.billing.noReceipts')}
        columns=${[
          { label: t('admin.billing.col.number'), cell: (r) => html`<a class="admin-nowrap" href=${'#/receipts/' + encodeURIComponent(r.id)}>${r.number}</a>` },
          { label: t('admin.billing.col.user'), cell: (r) => r.user },
          { label: t('admin.billing.col.status'), cell: (r) => html`<${Status} value=${r.status} />` },
          { label: t('admin.billing.col.total'), num: true, cell: (r) => html`<${Money} m=${r.total} />` },
          { label: t('admin.billing.col.created'), cell: (r) => html`${date(r.createdAt)}${r.periodMonth ? html`<br /><small class="muted">${t('admin.billing.period', { month: month(r.periodMonth) })}</small>` : null}` },
          { label: t('admin.billing.col.settled'), cell: detail },
          { label: t('admin.billing.col.actions'), cell: actions },
        ]} />
      ${pager(d.receipts.pageInfo, d.receipts.totalCount)}`}<//>
  </section>`;
}

function MonthlyRun({ onCreated }) {
  const [ym, setYm] = useState(lastMonth());
  const [previewed, setPreviewed] = useState(null);
  const [invalid, setInvalid] = useState('');
  const [preview, previewState] = useMutation(MONTH_PREVIEW);
  const [create, createState] = useMutation(MONTHLY);
  const [report, setReport] = useState(null);
  const valid = /^\d{4}-(0[1-9]|1[0-2])$/.test(ym);
  const runPreview = async (e) => {
    e.preventDefault();
    setReport(null);
    if (!valid) return setInvalid(t('admin.billing.monthInvalid'));
    setInvalid('');
    const [from, to] = monthBounds(ym);
    const d = await preview({ f: { from, to, billed: false } });
    setPreviewed(d ? { ym, rows: d.usageSummary } : null);
  };
  const runCreate = async () => {
    const d = await create({ month: previewed.ym });
    if (d) {
      setReport(d.createMonthlyReceipts);
      setPreviewed(null);
      onCreated();
    }
  };
  const rows = previewed ? previewed.rows : [];
  return html`<section aria-labelledby="monthly-title">
    <h2 id="monthly-title">${t('admin.billing.monthlyTitle')}</h2>
    <p class="muted">${t('admin.billing.monthlyExplain')}</p>
    <form class="filters" onSubmit=${runPreview} novalidate>
      <${Field} label=${t('admin.billing.month')} hint=${t('admin.billing.monthHint')}>
        <input id="monthly-month" type="month" value=${ym} pattern="[0-9]{4}-[0-9]{2}" placeholder="2026-11" required
          aria-invalid=${invalid ? 'true' : null}
          onInput=${(e) => { setYm(e.target.value); setPreviewed(null); }} />
      <//>
      <button type="submit" id="monthly-preview" disabled=${previewState.busy}>${t('admin.billing.preview')}</button>
    </form>
    ${invalid ? html`<p class="error" role="alert">${invalid}</p>` : null}
    <${ErrorBox} error=${previewState.error || createState.error} />
    ${previewed ? html`<div id="monthly-preview-result">
      <${Table}
        caption=${t('admin.billing.previewCaption', { month: month(previewed.ym) })}
        rows=${rows}
        rowKey=${(r) => r.key}
        empty=${t('admin.billing.previewEmpty', { month: month(previewed.ym) })}
        columns=${[
          { label: t('admin.billing.col.user'), cell: (r) => r.key },
          { label: t('admin.billing.col.jobs'), num: true, cell: (r) => number(r.jobs, 0) },
          { label: t('admin.billing.col.amount'), num: true, cell: (r) => html`<${Money} m=${r.cost} />` },
        ]} />
      ${rows.length ? html`
        <p>${t('admin.billing.previewTotals', {
          users: number(rows.length, 0),
          jobs: number(rows.reduce((a, r) => a + r.jobs, 0), 0),
          amount: sumText(rows.map((r) => r.cost)),
        })}</p>
        <p class="muted">${t('admin.billing.previewNote')}</p>
        <${ConfirmButton} label=${t('admin.billing.runMonthly', { month: month(previewed.ym) })} busy=${createState.busy}
          question=${t('admin.billing.runQuestion', { month: month(previewed.ym) })} onConfirm=${runCreate} />` : null}
    </div>` : null}
    ${report ? html`<div id="monthly-report">
      <p class="notice" role="status">${t('admin.billing.monthlyDone', {
        month: month(report.month),
        created: number(report.created.length, 0),
        checked: number(report.usersChecked, 0),
      })}</p>
      <${Table}
        caption=${t('admin.billing.createdCaption', { month: month(report.month) })}
        rows=${report.created}
        rowKey=${(r) => r.id}
        empty=${t('admin.billing.nothingCreated')}
        columns=${[
          { label: t('admin.billing.col.number'), cell: (r) => html`<a class="admin-nowrap" href=${'#/receipts/' + encodeURIComponent(r.id)}>${r.number}</a>` },
          { label: t('admin.billing.col.user'), cell: (r) => r.user },
          { label: t('admin.billing.col.total'), num: true, cell: (r) => html`<${Money} m=${r.total} />` },
        ]} />
      ${report.created.length ? html`<p>${t('admin.billing.createdTotal', { amount: sumText(report.created.map((r) => r.total)) })}</p>` : null}
    </div>` : null}
  </section>`;
}

function CreateForUser({ onCreated }) {
  const [user, setUser] = useState('');
  const [cutoff, setCutoff] = useState('');
  const [invalid, setInvalid] = useState('');
  const [preview, previewState] = useMutation(PREVIEW_ONE);
  const [create, createState] = useMutation(CREATE_ONE);
  const [shown, setShown] = useState(null);
  const [created, setCreated] = useState(null);
  const vars = () => {
    if (!user.trim()) {
      setInvalid(t('admin.billing.userRequired'));
      return null;
    }
    setInvalid('');
    return { user: user.trim(), endedBefore: localToIso(cutoff) };
  };
  const runPreview = async () => {
    setCreated(null);
    const v = vars();
    if (!v) return;
    const d = await preview(v);
    setShown(d ? { user: v.user, p: d.previewReceipt } : null);
  };
  const runCreate = async (e) => {
    e.preventDefault();
    setCreated(null);
    const v = vars();
    if (!v) return;
    const d = await create(v);
    if (d) {
      setCreated(d.createReceipt);
      setShown(null);
      onCreated();
    }
  };
  const error = previewState.error || createState.error;
  return html`<section aria-labelledby="create-title">
    <h2 id="create-title">${t('admin.billing.createTitle')}</h2>
    <p class="muted">${t('admin.billing.createExplain')}</p>
    <form onSubmit=${runCreate} id="create-form" novalidate>
      <${Field} label=${t('admin.billing.createUser')}>
        <input id="create-user" value=${user} required autocomplete="off" aria-invalid=${invalid ? 'true' : null}
          onInput=${(e) => { setUser(e.target.value); setShown(null); }} />
      <//>
      <${Field} label=${t('admin.billing.cutoff')} hint=${t('admin.billing.cutoffHint')}>
        <input id="create-ended-before" type="datetime-local" value=${cutoff}
          onInput=${(e) => { setCutoff(e.target.value); setShown(null); }} />
      <//>
      ${invalid ? html`<p class="error" role="alert">${invalid}</p>` : null}
      <div class="toolbar">
        <button type="button" class="secondary" id="create-preview" disabled=${previewState.busy} onClick=${runPreview}>${t('admin.billing.preview')}</button>
        <button type="submit" id="create-submit" disabled=${createState.busy}>${t('admin.billing.createSubmit')}</button>
      </div>
    </form>
    <${ErrorBox} error=${error} />
    ${shown ? html`<div class="admin-panel" id="create-preview-result" role="status">
      <p>${shown.p.lines.length
        ? t('admin.billing.createPreview', {
          user: shown.user,
          jobs: number(shown.p.lines.length, 0),
          subtotal: money(shown.p.subtotal),
          tax: money(shown.p.tax),
          total: money(shown.p.total),
        })
        : t('admin.billing.createPreviewEmpty', { user: shown.user })}</p>
    </div>` : null}
    ${created ? html`<p class="notice" role="status" id="create-result">${t('admin.billing.createDone', {
      number: created.number,
      user: created.user,
      jobs: number(created.lines.length, 0),
      total: money(created.total),
    })} <a href=${'#/receipts/' + encodeURIComponent(created.id)}>${t('admin.billing.openReceipt')}</a></p>` : null}
  </section>`;
}

export default function Page({ query, path, navigate }) {
  const [reloadKey, setReloadKey] = useState(0);
  const bump = () => setReloadKey((n) => n + 1);
  return html`<section class="admin-page">
    <h1>${t('admin.billing.title')}</h1>
    <${ReceiptsSection} query=${query} path=${path} navigate=${navigate} reloadKey=${reloadKey} />
    <div class="admin-two">
      <div><${MonthlyRun} onCreated=${bump} /></div>
      <div><${CreateForUser} onCreated=${bump} /></div>
    </div>
  </section>`;
}
