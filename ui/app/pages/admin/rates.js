// Rates (finance, admin): the prices in force per tier, every version with its effective date
// (versions that start in the future are "scheduled"), and the form that enters a new version.
// Jobs that ended before a version's effective date keep their old price.
import { html, useState, useEffect, useRef } from '../../html.js';
import { t, number, dateTime } from '../../i18n.js';
import { useQuery, useMutation, Loaded, Table, Field, ErrorBox, localPage } from '../../components.js';

const FIELDS = 'id tier cpu gpu mem currency effectiveFrom createdAt createdBy';
const RATES = `{ rates { ${FIELDS} } }`;
const HISTORY = `query($tier: String) { rateHistory(tier: $tier) { ${FIELDS} } }`;
const UPDATE = `mutation($tier: String!, $cpu: Decimal!, $gpu: Decimal!, $mem: Decimal!, $effectiveFrom: DateTime, $currency: String) {
  updateRates(tier: $tier, cpu: $cpu, gpu: $gpu, mem: $mem, effectiveFrom: $effectiveFrom, currency: $currency) { ${FIELDS} } }`;
const PAGE = 50;
const DECIMAL = /^\d+(\.\d+)?$/;

/** A `datetime-local` value (the browser's time zone) as RFC 3339, or null when empty/invalid. */
function localToIso(v) {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** A price per hour, exact: the API's decimal string with the currency code. */
function price(v, currency) {
  return html`<span class="money">${number(v, 6)} <small>${currency}</small></span>`;
}

function VersionState({ r, current }) {
  if (Date.parse(r.effectiveFrom) > Date.now()) return html`<span class="badge status-pending">${t('admin.rates.scheduled')}</span>`;
  if (current.has(r.id)) return html`<span class="badge status-ok">${t('admin.rates.inForce')}</span>`;
  return html`<span class="badge status-superseded">${t('admin.rates.superseded')}</span>`;
}

function RateForm({ tiers, draft, onSaved }) {
  const [form, setForm] = useState(draft);
  const [invalid, setInvalid] = useState({});
  const [save, state] = useMutation(UPDATE);
  const tierRef = useRef(null);
  useEffect(() => {
    setForm(draft);
    setInvalid({});
    if (draft.focus && tierRef.current) tierRef.current.focus();
  }, [draft]);
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    const bad = {};
    if (!form.tier.trim()) bad.tier = t('admin.rates.tierRequired');
    for (const k of ['cpu', 'gpu', 'mem']) if (!DECIMAL.test(form[k].trim())) bad[k] = t('admin.rates.decimalInvalid');
    if (form.effectiveFrom && !localToIso(form.effectiveFrom)) bad.effectiveFrom = t('admin.rates.dateInvalid');
    if (form.currency.trim() && !/^[A-Za-z]{3}$/.test(form.currency.trim())) bad.currency = t('admin.rates.currencyInvalid');
    setInvalid(bad);
    if (Object.keys(bad).length) return;
    const d = await save({
      tier: form.tier.trim(),
      cpu: form.cpu.trim(),
      gpu: form.gpu.trim(),
      mem: form.mem.trim(),
      effectiveFrom: localToIso(form.effectiveFrom),
      currency: form.currency.trim() ? form.currency.trim().toUpperCase() : null,
    });
    if (d) onSaved(d.updateRates);
  };
  const err = (k) => (invalid[k] ? html`<small class="error" id=${'rate-' + k + '-error'}>${invalid[k]}</small>` : null);
  const past = form.effectiveFrom && localToIso(form.effectiveFrom) && Date.parse(localToIso(form.effectiveFrom)) < Date.now();
  return html`<form id="rate-form" class="admin-form-grid" onSubmit=${submit} aria-labelledby="rate-form-title" novalidate>
    <${Field} label=${t('admin.rates.tier')}>
      <input id="rate-tier" ref=${tierRef} list="rate-tiers" value=${form.tier} required autocomplete="off"
        aria-invalid=${invalid.tier ? 'true' : null} aria-describedby=${invalid.tier ? 'rate-tier-error' : null} onInput=${set('tier')} />
    <//>
    <datalist id="rate-tiers">${tiers.map((x) => html`<option value=${x} />`)}</datalist>
    ${err('tier')}
    <${Field} label=${t('admin.rates.cpu')}>
      <input id="rate-cpu" inputmode="decimal" value=${form.cpu} required autocomplete="off"
        aria-invalid=${invalid.cpu ? 'true' : null} aria-describedby=${invalid.cpu ? 'rate-cpu-error' : null} onInput=${set('cpu')} />
    <//>
    ${err('cpu')}
    <${Field} label=${t('admin.rates.gpu')}>
      <input id="rate-gpu" inputmode="decimal" value=${form.gpu} required autocomplete="off"
        aria-invalid=${invalid.gpu ? 'true' : null} aria-describedby=${invalid.gpu ? 'rate-gpu-error' : null} onInput=${set('gpu')} />
    <//>
    ${err('gpu')}
    <${Field} label=${t('admin.rates.mem')}>
      <input id="rate-mem" inputmode="decimal" value=${form.mem} required autocomplete="off"
        aria-invalid=${invalid.mem ? 'true' : null} aria-describedby=${invalid.mem ? 'rate-mem-error' : null} onInput=${set('mem')} />
    <//>
    ${err('mem')}
    <${Field} label=${t('admin.rates.effectiveFrom')}>
      <input id="rate-effective" type="datetime-local" value=${form.effectiveFrom}
        aria-invalid=${invalid.effectiveFrom ? 'true' : null} aria-describedby="rate-effective-hint" onInput=${set('effectiveFrom')} />
    <//>
    <small class="muted" id="rate-effective-hint">${t('admin.rates.effectiveHint')}</small>
    ${err('effectiveFrom')}
    ${past ? html`<p class="admin-warning" role="status">${t('admin.rates.pastWarning')}</p>` : null}
    <${Field} label=${t('admin.rates.currency')}>
      <input id="rate-currency" value=${form.currency} maxlength="3" autocomplete="off" class="admin-short" placeholder="THB"
        aria-invalid=${invalid.currency ? 'true' : null} aria-describedby=${invalid.currency ? 'rate-currency-error rate-currency-hint' : 'rate-currency-hint'} onInput=${set('currency')} />
    <//>
    <small class="muted" id="rate-currency-hint">${t('admin.rates.currencyHint')}</small>
    ${err('currency')}
    <${ErrorBox} error=${state.error} />
    <button type="submit" id="rate-submit" disabled=${state.busy}>${t('admin.rates.submit')}</button>
  </form>`;
}

export default function Page({ query, path, navigate }) {
  const current = useQuery(RATES, {});
  const tier = query.tier || '';
  const [reloadKey, setReloadKey] = useState(0);
  const history = useQuery(HISTORY, { tier: tier || null }, tier + '|' + reloadKey);
  const [draft, setDraft] = useState({ tier: '', cpu: '', gpu: '', mem: '', effectiveFrom: '', currency: '' });
  const [notice, setNotice] = useState('');
  const [page, setPage] = useState(0);
  useEffect(() => setPage(0), [tier]);
  const rates = (current.data && current.data.rates) || [];
  const tiers = [...new Set(rates.map((r) => r.tier))].sort();
  if (tier && !tiers.includes(tier)) tiers.push(tier);
  const currentIds = new Set(rates.map((r) => r.id));
  const edit = (r) => {
    setNotice('');
    setDraft({ tier: r.tier, cpu: r.cpu, gpu: r.gpu, mem: r.mem, effectiveFrom: '', currency: r.currency, focus: true });
  };
  const saved = (r) => {
    const scheduled = Date.parse(r.effectiveFrom) > Date.now();
    const vars = { tier: r.tier, from: dateTime(r.effectiveFrom) };
    setNotice(scheduled ? t('admin.rates.savedScheduled', vars) : t('admin.rates.savedNow', vars));
    current.reload();
    setReloadKey((n) => n + 1);
  };
  return html`<section class="admin-page">
    <h1>${t('admin.rates.title')}</h1>
    ${notice ? html`<p class="notice" role="status" id="rates-notice">${notice}</p>` : null}
    <h2>${t('admin.rates.currentTitle')}</h2>
    <${Loaded} q=${current}>${(d) => html`<${Table}
      caption=${t('admin.rates.currentCaption')}
      rows=${d.rates}
      rowKey=${(r) => r.id}
      empty=${t('admin.rates.noRates')}
      columns=${[
        { label: t('admin.rates.col.tier'), cell: (r) => r.tier },
        { label: t('admin.rates.col.cpu'), num: true, cell: (r) => price(r.cpu, r.currency) },
        { label: t('admin.rates.col.gpu'), num: true, cell: (r) => price(r.gpu, r.currency) },
        { label: t('admin.rates.col.mem'), num: true, cell: (r) => price(r.mem, r.currency) },
        { label: t('admin.rates.col.effectiveFrom'), cell: (r) => dateTime(r.effectiveFrom) },
        { label: t('admin.rates.col.by'), cell: (r) => r.createdBy || html`<span class="muted">${t('admin.rates.builtIn')}</span>` },
        {
          label: t('admin.rates.col.actions'),
          cell: (r) => html`<div class="row-actions">
            <button type="button" class="secondary" id=${'rate-edit-' + r.tier} onClick=${() => edit(r)}>${t('admin.rates.edit')}<span class="visually-hidden"> ${r.tier}</span></button>
            <button type="button" class="secondary" onClick=${() => navigate(path, { ...query, tier: r.tier })}>${t('admin.rates.history')}<span class="visually-hidden"> ${r.tier}</span></button>
          </div>`,
        },
      ]} />`}<//>

    <h2 id="rate-form-title">${t('admin.rates.formTitle')}</h2>
    <p class="muted">${t('admin.rates.formExplain')}</p>
    <${RateForm} tiers=${tiers} draft=${draft} onSaved=${saved} />

    <h2>${t('admin.rates.historyTitle')}</h2>
    <div class="filters">
      <${Field} label=${t('admin.rates.historyTier')}>
        <select id="rate-history-tier" value=${tier} onChange=${(e) => navigate(path, { ...query, tier: e.target.value })}>
          <option value="">${t('admin.rates.allTiers')}</option>
          ${tiers.map((x) => html`<option value=${x}>${x}</option>`)}
        </select>
      <//>
    </div>
    <${Loaded} q=${history}>${(d) => {
      const all = d.rateHistory;
      const local = localPage(all, page, setPage, PAGE);
      return html`<${Table}
        caption=${tier ? t('admin.rates.historyCaptionTier', { tier }) : t('admin.rates.historyCaption')}
        rows=${local.rows}
        rowKey=${(r) => r.id}
        empty=${t('admin.rates.noRates')}
        columns=${[
          { label: t('admin.rates.col.version'), num: true, cell: (r) => r.id },
          { label: t('admin.rates.col.tier'), cell: (r) => r.tier },
          { label: t('admin.rates.col.cpu'), num: true, cell: (r) => price(r.cpu, r.currency) },
          { label: t('admin.rates.col.gpu'), num: true, cell: (r) => price(r.gpu, r.currency) },
          { label: t('admin.rates.col.mem'), num: true, cell: (r) => price(r.mem, r.currency) },
          { label: t('admin.rates.col.effectiveFrom'), cell: (r) => dateTime(r.effectiveFrom) },
          { label: t('admin.rates.col.state'), cell: (r) => html`<${VersionState} r=${r} current=${currentIds} />` },
          { label: t('admin.rates.col.entered'), cell: (r) => html`${dateTime(r.createdAt)}<br /><small class="muted">${r.createdBy || t('admin.rates.builtIn')}</small>` },
        ]} />
        ${local.pager}`;
    }}<//>
  </section>`;
}
