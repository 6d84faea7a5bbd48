// One receipt (`#/receipts/:id`): status, totals and tax, the billed lines, the printable
// views, the payment attempts, and for a pending receipt the Pay section (choose a gateway,
// `startPayment`, then follow the payment). The status follows `receiptUpdated` live, so a
// payment confirmed elsewhere shows here without a reload.
import { html, useState, useEffect, useRef } from '../html.js';
import { t, money, number, date, dateTime } from '../i18n.js';
import { subscribe } from '../api.js';
import { useQuery, useMutation, Loaded, Loading, NotFound, Table, Field, Money, Status, ErrorBox } from '../components.js';

const MONEY = 'amount minor currency';
const LINES_PAGE = 50;
const PROVIDERS = new Set(['stripe', 'omise', 'promptpay', 'dummy']);
const PAYMENT_STATUSES = new Set(['pending', 'succeeded', 'failed', 'expired', 'refunded']);

const RECEIPT = `query Receipt($id: ID!) {
  receipt(id: $id) {
    id number user status subtotal { ${MONEY} } tax { ${MONEY} } total { ${MONEY} } taxRate taxLabel taxInclusive
    endedBefore periodMonth createdAt createdBy paidAt paidMethod paidReference voidedAt voidReason
    lines { cluster jobKey jobId endAt cpuCoreHours gpuHours memGbHours tier rateId cpuRate gpuRate memRate amount { ${MONEY} } explain }
  }
}`;

const LIVE = `subscription ReceiptLive($id: ID!) {
  receiptUpdated(receiptId: $id) { id status paidAt paidMethod paidReference voidedAt voidReason }
}`;

const PAY_SETUP = `query PaySetup($id: ID!) {
  paymentProviders
  payments(filter: { receiptId: $id }, first: 10) {
    totalCount nodes { id provider status amount { ${MONEY} } createdAt settledAt }
  }
}`;

const START = `mutation Start($id: ID!, $provider: String!) {
  startPayment(receiptId: $id, provider: $provider) { id status error }
}`;

function providerText(p) {
  return PROVIDERS.has(p) ? t('user.provider.' + p) : p;
}

function paymentStatusText(s) {
  const v = String(s || '').toLowerCase();
  return PAYMENT_STATUSES.has(v) ? t('user.payment.status.' + v) : s;
}

/** Follows `receiptUpdated`: the latest fields the server sent, or null before any. */
function useLive(id) {
  const [live, setLive] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    setLive(null);
    const stop = subscribe(LIVE, { id }, {
      onData: (d) => d && d.receiptUpdated && setLive(d.receiptUpdated),
      onError: (e) => setError(e),
    });
    return () => stop();
  }, [id]);
  return { live, error };
}

function Lines({ lines }) {
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(lines.length / LINES_PAGE));
  const shown = lines.slice(page * LINES_PAGE, (page + 1) * LINES_PAGE);
  return html`<div id="receipt-lines">
    <${Table}
      caption=${t('user.receipt.linesCaption', { count: number(lines.length, 0) })}
      rows=${shown}
      rowKey=${(l) => l.cluster + '/' + l.jobKey}
      empty=${t('user.receipt.noLines')}
      columns=${[
        { label: t('user.usage.col.job'), cell: (l) => l.jobId },
        { label: t('user.usage.col.cluster'), cell: (l) => l.cluster },
        { label: t('user.usage.col.end'), cell: (l) => dateTime(l.endAt) },
        { label: t('user.usage.col.cpu'), num: true, cell: (l) => number(l.cpuCoreHours) },
        { label: t('user.usage.col.gpu'), num: true, cell: (l) => number(l.gpuHours) },
        { label: t('user.usage.col.mem'), num: true, cell: (l) => number(l.memGbHours) },
        { label: t('user.explain.tier'), cell: (l) => l.tier },
        { label: t('user.receipt.amount'), num: true, cell: (l) => html`<${Money} m=${l.amount} />` },
        { label: t('user.explain.arithmetic'), cell: (l) => html`<code class="arithmetic">${l.explain}</code>` },
      ]}
    />
    ${pages > 1
      ? html`<nav class="pager" aria-label=${t('common.pager.label')}>
          <button type="button" class="secondary" disabled=${page === 0} onClick=${() => setPage(page - 1)}>${t('common.pager.previous')}</button>
          <span>${t('common.pager.page', { page: page + 1 })} / ${pages}</span>
          <button type="button" class="secondary" disabled=${page >= pages - 1} onClick=${() => setPage(page + 1)}>${t('common.pager.next')}</button>
        </nav>`
      : null}
  </div>`;
}

function Pay({ receipt, navigate, focus, setup }) {
  const [provider, setProvider] = useState('');
  const [start, started] = useMutation(START);
  const heading = useRef(null);
  useEffect(() => {
    if (focus && heading.current) heading.current.scrollIntoView({ block: 'start' });
  }, [focus]);
  return html`<section aria-labelledby="pay-h" class="pay" id="pay">
    <h2 id="pay-h" ref=${heading}>${t('user.receipt.pay.title')}</h2>
    <${Loaded} q=${setup}>${(d) => {
      const providers = d.paymentProviders;
      if (!providers.length) return html`<p class="muted" id="pay-none">${t('user.receipt.pay.noProviders')}</p>`;
      const chosen = provider || providers[0];
      const onSubmit = async (e) => {
        e.preventDefault();
        const r = await start({ id: receipt.id, provider: chosen });
        if (r && r.startPayment) navigate('/payments/' + encodeURIComponent(r.startPayment.id));
      };
      return html`<form id="pay-form" onSubmit=${onSubmit}>
        <${Field} label=${t('user.receipt.pay.provider')}>
          <select id="pay-provider" value=${chosen} onChange=${(e) => setProvider(e.target.value)}>
            ${providers.map((p) => html`<option value=${p}>${providerText(p)}</option>`)}
          </select><//>
        <button type="submit" id="pay-button" disabled=${started.busy}>${t('user.receipt.pay.button', { total: money(receipt.total) })}</button>
        <p class="muted">${t('user.receipt.pay.hint')}</p>
        <${ErrorBox} error=${started.error} />
      </form>`;
    }}<//>
  </section>`;
}

function Attempts({ setup }) {
  if (!setup.data || !setup.data.payments.nodes.length) return null;
  return html`<section aria-labelledby="attempts-h">
    <h2 id="attempts-h">${t('user.receipt.attempts.title')}</h2>
    <${Table}
      caption=${t('user.receipt.attempts.caption')}
      rows=${setup.data.payments.nodes}
      rowKey=${(p) => p.id}
      columns=${[
        { label: t('user.receipt.attempts.started'), cell: (p) => html`<a href=${'#/payments/' + encodeURIComponent(p.id)}>${dateTime(p.createdAt)}</a>` },
        { label: t('user.receipt.pay.provider'), cell: (p) => providerText(p.provider) },
        { label: t('user.receipt.status'), cell: (p) => html`<span class=${'badge status-' + p.status.toLowerCase()}>${paymentStatusText(p.status)}</span>` },
        { label: t('user.receipt.amount'), num: true, cell: (p) => html`<${Money} m=${p.amount} />` },
      ]}
    />
  </section>`;
}

function Detail({ me, receipt, live, liveError, navigate, focusPay }) {
  const r = live ? { ...receipt, ...live } : receipt;
  const setup = useQuery(PAY_SETUP, { id: r.id }, r.id + '/' + r.status);
  const status = r.status.toLowerCase();
  const mayPay = r.status === 'PENDING' && (r.user === me.username || me.role === 'ADMIN');
  return html`<section class="receipt-page" data-receipt=${r.id}>
    <h1>${t('user.receipt.title', { number: r.number })}</h1>
    <p id="receipt-status" data-status=${status} aria-live="polite" aria-atomic="true">
      ${t('user.receipt.status')}: <${Status} value=${r.status} />
      ${r.status === 'PAID' && r.paidAt ? html` <span class="muted">${t('user.receipt.paidOn', { date: dateTime(r.paidAt), method: r.paidMethod || '' })}</span>` : null}
      ${r.status === 'VOID' ? html` <span class="muted">${t('user.receipt.voidedOn', { date: dateTime(r.voidedAt), reason: r.voidReason || '' })}</span>` : null}
    </p>
    ${liveError ? html`<p class="muted" id="receipt-live-off">${t('user.receipt.liveOff')}</p>` : null}
    <dl class="totals" id="receipt-totals">
      <dt>${t('user.receipt.user')}</dt><dd>${r.user}</dd>
      <dt>${t('user.receipt.created')}</dt><dd>${dateTime(r.createdAt)}</dd>
      <dt>${t('user.receipt.period')}</dt><dd>${r.periodMonth || t('user.receipt.upTo', { date: dateTime(r.endedBefore) })}</dd>
      <dt>${t('user.receipt.subtotal')}</dt><dd id="receipt-subtotal"><${Money} m=${r.subtotal} /></dd>
      <dt>${t('user.receipt.tax', { label: r.taxLabel })}</dt><dd id="receipt-tax"><${Money} m=${r.tax} />
        ${r.taxInclusive ? html` <small class="muted">${t('user.receipt.taxInclusive')}</small>` : null}</dd>
      <dt>${t('user.receipt.total')}</dt><dd id="receipt-total" class="grand"><${Money} m=${r.total} /></dd>
    </dl>
    <p class="toolbar">
      <a id="print-en" href=${'/receipts/' + encodeURIComponent(r.id) + '?lang=en'} hreflang="en" target="_blank" rel="noopener">${t('user.receipt.print.en')}</a>
      <a id="print-th" href=${'/receipts/' + encodeURIComponent(r.id) + '?lang=th'} hreflang="th" target="_blank" rel="noopener">${t('user.receipt.print.th')}</a>
      <a href="#/receipts">${t('user.receipt.back')}</a>
    </p>
    ${mayPay ? html`<${Pay} receipt=${r} navigate=${navigate} focus=${focusPay} setup=${setup} />` : null}
    <${Attempts} setup=${setup} />
    <h2>${t('user.receipt.lines')}</h2>
    <${Lines} lines=${r.lines} />
  </section>`;
}

export default function ReceiptPage({ me, params, query, navigate }) {
  const id = String(params.id || '');
  if (!/^\d+$/.test(id)) return html`<${NotFound} />`;
  return html`<${Receipt} key=${id} me=${me} id=${id} query=${query} navigate=${navigate} />`;
}

function Receipt({ me, id, query, navigate }) {
  const q = useQuery(RECEIPT, { id });
  const { live, error } = useLive(id);
  if (q.error && q.error.code === 'NOT_FOUND') return html`<${NotFound} />`;
  if (!q.data) {
    return html`<section class="receipt-page"><h1>${t('user.receipt.titleLoading')}</h1>
      ${q.error ? html`<${ErrorBox} error=${q.error} />` : html`<${Loading} />`}</section>`;
  }
  const r = q.data.receipt;
  return html`<${Detail} me=${me} receipt=${r} live=${live && live.id === r.id ? live : null}
    liveError=${error} navigate=${navigate} focusPay=${query && query.pay === '1'} />`;
}
