// One payment (`#/payments/:id`): where to pay (the gateway's checkout, or a PromptPay QR code),
// the amount, and the status as the gateway reports it, followed live through the
// `paymentStatus` subscription until it is final.
import { html, useState, useEffect } from '../html.js';
import { t, money, dateTime } from '../i18n.js';
import { subscribe } from '../api.js';
import { useQuery, Loading, NotFound, Money, ErrorBox } from '../components.js';

const MONEY = 'amount minor currency';
const FIELDS = `id receiptId user provider status amount { ${MONEY} } refunded { ${MONEY} } disputed
  checkoutUrl qrImageUrl error createdAt updatedAt settledAt expiresAt`;
const FINAL = new Set(['SUCCEEDED', 'FAILED', 'EXPIRED', 'REFUNDED']);
const STATUSES = new Set(['pending', 'succeeded', 'failed', 'expired', 'refunded']);
const PROVIDERS = new Set(['stripe', 'omise', 'promptpay', 'dummy']);

function statusText(s) {
  const v = String(s || '').toLowerCase();
  return STATUSES.has(v) ? t('user.payment.status.' + v) : s;
}

function providerText(p) {
  return PROVIDERS.has(p) ? t('user.provider.' + p) : p;
}

/** Only links a browser may follow safely: http(s), or a path on this site. */
function safeUrl(u, allowData = false) {
  if (!u) return null;
  if (/^https?:\/\//i.test(u)) return u;
  if (u.startsWith('/') && !u.startsWith('//') && !u.startsWith('/\\')) return u;
  if (allowData && /^data:image\/(png|gif|jpeg|svg\+xml);/i.test(u)) return u;
  return null;
}

/** The payment as the subscription last reported it; the subscription ends after a final state. */
function useLivePayment(id) {
  const [state, setState] = useState({ payment: null, error: null, done: false });
  useEffect(() => {
    setState({ payment: null, error: null, done: false });
    const stop = subscribe(`subscription PaymentLive($id: ID!) { paymentStatus(paymentId: $id) { ${FIELDS} } }`, { id }, {
      onData: (d) => d && d.paymentStatus && setState((s) => ({ ...s, payment: d.paymentStatus })),
      onError: (error) => setState((s) => ({ ...s, error })),
      onDone: () => setState((s) => ({ ...s, done: true })),
    });
    return () => stop();
  }, [id]);
  return state;
}

function Outcome({ p }) {
  switch (p.status) {
    case 'SUCCEEDED':
      return html`<p class="notice" id="payment-outcome">${t('user.payment.outcome.succeeded')}</p>`;
    case 'FAILED':
      return html`<p class="notice bad" id="payment-outcome">${t('user.payment.outcome.failed')}</p>`;
    case 'EXPIRED':
      return html`<p class="notice bad" id="payment-outcome">${t('user.payment.outcome.expired')}</p>`;
    case 'REFUNDED':
      return html`<p class="notice" id="payment-outcome">${t('user.payment.outcome.refunded')}</p>`;
    default:
      return html`<p class="muted" id="payment-outcome">${t('user.payment.outcome.pending')}</p>`;
  }
}

function WhereToPay({ p }) {
  if (p.status !== 'PENDING') return null;
  const checkout = safeUrl(p.checkoutUrl);
  const qr = safeUrl(p.qrImageUrl, true);
  if (!checkout && !qr) return p.error ? null : html`<p class="muted">${t('user.payment.noCheckout')}</p>`;
  return html`<section aria-labelledby="where-h" class="where-to-pay">
    <h2 id="where-h">${t('user.payment.where')}</h2>
    ${qr
      ? html`<figure class="qr">
          <img id="payment-qr" src=${qr} width="240" height="240" alt=${t('user.payment.qrAlt', { amount: money(p.amount) })} />
          <figcaption>${t('user.payment.qrHint')}</figcaption>
        </figure>`
      : null}
    ${checkout
      ? html`<p><a id="checkout-link" class="button-link" href=${checkout} target="_blank" rel="noopener">${t('user.payment.checkout')}</a>
          <span class="muted"> ${t('user.payment.newTab')}</span></p>`
      : null}
  </section>`;
}

export default function PaymentPage({ params }) {
  const id = String(params.id || '');
  return html`<${Payment} key=${id} id=${id} />`;
}

function Payment({ id }) {
  const q = useQuery(`query Payment($id: ID!) { payment(id: $id) { ${FIELDS} } }`, { id });
  const live = useLivePayment(id);
  if (q.error && q.error.code === 'NOT_FOUND') return html`<${NotFound} />`;
  const p = live.payment || (q.data && q.data.payment);
  if (!p) {
    return html`<section class="payment-page"><h1>${t('user.payment.title')}</h1>
      ${q.error ? html`<${ErrorBox} error=${q.error} />` : html`<${Loading} />`}</section>`;
  }
  const status = p.status.toLowerCase();
  const final = FINAL.has(p.status);
  return html`<section class="payment-page" data-payment=${p.id}>
    <h1>${t('user.payment.title')}</h1>
    <div class="payment-status-box">
      <p id="payment-status" data-status=${status} aria-live="polite" aria-atomic="true">
        ${t('user.payment.statusLabel')}: <span class=${'badge status-' + status}>${statusText(p.status)}</span>
        ${!final ? html` <span class="spinner" aria-hidden="true"></span>` : null}
      </p>
      <${Outcome} p=${p} />
    </div>
    ${p.error ? html`<div class="error-box" role="alert" id="payment-error"><strong>${t('user.payment.gatewayError')}</strong> ${p.error}</div>` : null}
    ${live.error && !final ? html`<p class="muted" id="payment-live-off">${t('user.payment.liveOff')}
      <button type="button" class="secondary" onClick=${() => q.reload()}>${t('common.refresh')}</button></p>` : null}
    <dl class="totals" id="payment-details">
      <dt>${t('user.payment.amount')}</dt><dd id="payment-amount" class="grand"><${Money} m=${p.amount} /></dd>
      <dt>${t('user.payment.provider')}</dt><dd>${providerText(p.provider)}</dd>
      <dt>${t('user.payment.started')}</dt><dd>${dateTime(p.createdAt)}</dd>
      ${p.expiresAt && !final ? html`<dt>${t('user.payment.expires')}</dt><dd>${dateTime(p.expiresAt)}</dd>` : null}
      ${p.settledAt ? html`<dt>${t('user.payment.settled')}</dt><dd>${dateTime(p.settledAt)}</dd>` : null}
      ${p.refunded && p.refunded.minor > 0 ? html`<dt>${t('user.payment.refunded')}</dt><dd><${Money} m=${p.refunded} /></dd>` : null}
      ${p.disputed ? html`<dt>${t('user.payment.disputed')}</dt><dd>${t('common.yes')}</dd>` : null}
    </dl>
    <${WhereToPay} p=${p} />
    <p class="toolbar"><a id="payment-receipt-link" href=${'#/receipts/' + encodeURIComponent(p.receiptId)}>${t('user.payment.back')}</a></p>
  </section>`;
}
