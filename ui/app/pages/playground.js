// Cost calculator (`#/playground`): the rates in force per tier, and the price of a
// hypothetical job (`quote`, the same pricing code as real jobs) with its arithmetic.
import { html, useState } from '../html.js';
import { t, number, date, locale } from '../i18n.js';
import { useQuery, useMutation, Loaded, Table, Field, Money, ErrorBox } from '../components.js';

const MONEY = 'amount minor currency';

const RATES = `query Rates { rates { id tier cpu gpu mem currency effectiveFrom } }`;

const QUOTE = `query Quote($cpus: Int!, $gpus: Int!, $memGb: Decimal!, $hours: Decimal!, $tier: String) {
  quote(cpus: $cpus, gpus: $gpus, memGb: $memGb, hours: $hours, tier: $tier) {
    cost { ${MONEY} } cpuCoreHours gpuHours memGbHours
    explain { cpuBasis memBasis tier tierReason rate { id } arithmetic }
  }
}`;

function rateText(v, currency) {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: 6 }).format(Number(v)) + ' ' + currency;
}

function Rates({ q }) {
  return html`<section aria-labelledby="rates-h">
    <h2 id="rates-h">${t('user.playground.rates')}</h2>
    <${Loaded} q=${q}>${(d) => html`<div id="rates-table"><${Table}
      caption=${t('user.playground.ratesCaption')}
      rows=${d.rates}
      rowKey=${(r) => r.id}
      columns=${[
        { label: t('user.explain.tier'), cell: (r) => html`<span class="tier">${r.tier}</span>` },
        { label: t('user.playground.cpuRate'), num: true, cell: (r) => rateText(r.cpu, r.currency) },
        { label: t('user.playground.gpuRate'), num: true, cell: (r) => rateText(r.gpu, r.currency) },
        { label: t('user.playground.memRate'), num: true, cell: (r) => rateText(r.mem, r.currency) },
        { label: t('user.playground.effective'), cell: (r) => date(r.effectiveFrom) },
        { label: t('user.playground.version'), num: true, cell: (r) => '#' + r.id },
      ]}
    /></div>`}<//>
  </section>`;
}

const DECIMAL = /^\d+(\.\d+)?$/;

export default function Playground({ query }) {
  const rates = useQuery(RATES, {});
  const [form, setForm] = useState(() => ({
    cpus: (query && query.cpus) || '4',
    gpus: (query && query.gpus) || '0',
    memGb: (query && query.memGb) || '8',
    hours: (query && query.hours) || '10',
    tier: (query && query.tier) || '',
  }));
  const [problem, setProblem] = useState('');
  const [run, result] = useMutation(QUOTE);
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  const tiers = rates.data ? [...new Set(rates.data.rates.map((r) => r.tier))] : [];
  async function onSubmit(e) {
    e.preventDefault();
    const cpus = Number(form.cpus);
    const gpus = Number(form.gpus || 0);
    const memGb = String(form.memGb).trim().replace(',', '.');
    const hours = String(form.hours).trim().replace(',', '.');
    if (!Number.isInteger(cpus) || cpus < 0 || !Number.isInteger(gpus) || gpus < 0) {
      setProblem(t('user.playground.badCount'));
      return;
    }
    if (!DECIMAL.test(memGb) || !DECIMAL.test(hours)) {
      setProblem(t('user.playground.badDecimal'));
      return;
    }
    setProblem('');
    await run({ cpus, gpus, memGb, hours, tier: form.tier || null });
  }
  const quote = result.data && result.data.quote;
  return html`<section class="playground-page">
    <h1>${t('user.playground.title')}</h1>
    <p class="muted">${t('user.playground.intro')}</p>
    <${Rates} q=${rates} />
    <section aria-labelledby="calc-h">
      <h2 id="calc-h">${t('user.playground.calc')}</h2>
      <form id="quote-form" class="calc" onSubmit=${onSubmit} novalidate>
        <${Field} label=${t('user.playground.cpus')}>
          <input id="q-cpus" type="number" inputmode="numeric" min="0" step="1" required value=${form.cpus} onInput=${set('cpus')} /><//>
        <${Field} label=${t('user.playground.gpus')}>
          <input id="q-gpus" type="number" inputmode="numeric" min="0" step="1" value=${form.gpus} onInput=${set('gpus')} /><//>
        <${Field} label=${t('user.playground.mem')}>
          <input id="q-mem" type="number" inputmode="decimal" min="0" step="any" required value=${form.memGb} onInput=${set('memGb')} /><//>
        <${Field} label=${t('user.playground.hours')}>
          <input id="q-hours" type="number" inputmode="decimal" min="0" step="any" required value=${form.hours} onInput=${set('hours')} /><//>
        <${Field} label=${t('user.playground.tier')}>
          <select id="q-tier" value=${form.tier} onChange=${set('tier')}>
            <option value="">${t('user.playground.myTier')}</option>
            ${tiers.map((tier) => html`<option value=${tier}>${tier}</option>`)}
          </select><//>
        <button type="submit" id="quote-button" disabled=${result.busy}>${t('user.playground.calculate')}</button>
      </form>
      ${problem ? html`<p class="error" role="alert" id="quote-problem">${problem}</p>` : null}
      <${ErrorBox} error=${result.error} />
      <div aria-live="polite" id="quote-result">
        ${quote
          ? html`<div class="quote">
              <p class="quote-cost-line">${t('user.playground.cost')}: <strong id="quote-cost" class="grand"><${Money} m=${quote.cost} /></strong></p>
              <dl class="totals">
                <dt>${t('user.totals.cpu')}</dt><dd id="quote-cpu">${number(quote.cpuCoreHours)}</dd>
                <dt>${t('user.totals.gpu')}</dt><dd id="quote-gpu">${number(quote.gpuHours)}</dd>
                <dt>${t('user.totals.mem')}</dt><dd id="quote-mem">${number(quote.memGbHours)}</dd>
                <dt>${t('user.explain.tier')}</dt><dd id="quote-tier">${quote.explain.tier} <span class="muted">(${quote.explain.tierReason})</span></dd>
                <dt>${t('user.explain.rate')}</dt><dd>${quote.explain.rate ? t('user.explain.rateId', { id: quote.explain.rate.id }) : t('user.explain.noRate')}</dd>
                <dt>${t('user.explain.arithmetic')}</dt><dd><code id="quote-arithmetic" class="arithmetic">${quote.explain.arithmetic}</code></dd>
              </dl>
            </div>`
          : null}
      </div>
    </section>
  </section>`;
}
