// Pieces every page uses: data loading, errors, tables, cursor paging, form fields.
import { html, useState, useEffect, useCallback, useRef } from './html.js';
import { gql, ApiError } from './api.js';
import { t, money } from './i18n.js';

/**
 * Runs `query` with `variables` whenever `key` (a string built from them) changes.
 * Returns `{ data, error, loading, reload }`; a late answer to an older key is dropped.
 */
export function useQuery(query, variables, key = JSON.stringify(variables || {})) {
  const [state, setState] = useState({ data: null, error: null, loading: true, key: null });
  const seq = useRef(0);
  const run = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true, error: null }));
    gql(query, variables).then(
      (data) => mine === seq.current && setState({ data, error: null, loading: false, key }),
      (error) => mine === seq.current && setState({ data: null, error, loading: false, key }),
    );
  }, [query, key]);
  useEffect(run, [run]);
  // Until the answer for this key arrives, the previous key's data is not shown as this one's.
  if (state.key !== key) return { data: null, error: null, loading: true, reload: run };
  return { data: state.data, error: state.error, loading: state.loading, reload: run };
}

/** Runs a mutation on demand: `[run, { busy, error, data }]`; `run` resolves to data or null. */
export function useMutation(mutation) {
  const [state, setState] = useState({ busy: false, error: null, data: null });
  const run = useCallback(
    async (variables) => {
      setState({ busy: true, error: null, data: null });
      try {
        const data = await gql(mutation, variables);
        setState({ busy: false, error: null, data });
        return data;
      } catch (error) {
        setState({ busy: false, error, data: null });
        return null;
      }
    },
    [mutation],
  );
  return [run, state];
}

/** An API error as the user should read it: the server's message, and its code. */
export function ErrorBox({ error }) {
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : 'ERROR';
  const text = code === 'NETWORK' ? t('common.error.network') : error.message;
  return html`<div class="error-box" role="alert"><strong>${t('common.error.title')}</strong> ${text}
    <span class="code">${code}</span></div>`;
}

export function Loading() {
  return html`<p class="loading" role="status">${t('common.loading')}</p>`;
}

/** The page shown for a route or record that does not exist (or is not the caller's). */
export function NotFound() {
  return html`<section class="not-found"><h1>${t('common.notFound.title')}</h1>
    <p>${t('common.notFound.body')}</p><p><a href="#/">${t('common.notFound.home')}</a></p></section>`;
}

/** Shows `children` once data is there; the error, not-found or loading state otherwise. */
export function Loaded({ q, children }) {
  if (q.error && q.error.code === 'NOT_FOUND') return html`<${NotFound} />`;
  if (q.error) return html`<${ErrorBox} error=${q.error} />`;
  if (!q.data) return html`<${Loading} />`;
  return children(q.data);
}

export function Money({ m }) {
  return html`<span class="money">${money(m)}</span>`;
}

/** A labelled control: `<label>` wrapping its text and the input given as children. */
export function Field({ label, hint, children }) {
  return html`<label class="field"><span>${label}</span>${children}${hint ? html`<small class="muted">${hint}</small>` : null}</label>`;
}

/**
 * A table with a caption (for screen readers) and one row per item; `columns` are
 * `{ label, cell: (row) => content, num: bool }`.
 */
export function Table({ caption, columns, rows, rowKey, empty }) {
  if (!rows.length) return html`<p class="muted">${empty || t('common.empty')}</p>`;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label=${caption}>
    <table><caption>${caption}</caption>
      <thead><tr>${columns.map((c) => html`<th scope="col" class=${c.num ? 'num' : ''}>${c.label}</th>`)}</tr></thead>
      <tbody>${rows.map(
        (r, i) => html`<tr key=${rowKey ? rowKey(r) : i}>${columns.map(
          (c) => html`<td class=${c.num ? 'num' : ''}>${c.cell(r)}</td>`,
        )}</tr>`,
      )}</tbody>
    </table></div>`;
}

/**
 * Cursor paging over a connection (`first`/`after`): remembers the cursors of earlier pages so
 * Previous works, and never asks for more than one page at a time.
 * Returns `{ after, pager }`: pass `after` to the query, render `pager(pageInfo, totalCount)`.
 */
export function useCursorPager(resetKey) {
  const [stack, setStack] = useState([null]);
  const [forKey, setForKey] = useState(resetKey);
  // Reset during render, so the first request for new filters never carries an old cursor.
  let current = stack;
  if (forKey !== resetKey) {
    current = [null];
    setForKey(resetKey);
    setStack(current);
  }
  const after = current[current.length - 1];
  const pager = (pageInfo, total) => html`<nav class="pager" aria-label=${t('common.pager.label')}>
    <button type="button" class="secondary" disabled=${current.length <= 1} onClick=${() => setStack(current.slice(0, -1))}>${t('common.pager.previous')}</button>
    <span>${t('common.pager.page', { page: current.length })}${total !== undefined ? ' · ' + t('common.pager.total', { total }) : ''}</span>
    <button type="button" class="secondary" disabled=${!pageInfo || !pageInfo.hasNextPage} onClick=${() => setStack([...current, pageInfo.endCursor])}>${t('common.pager.next')}</button>
  </nav>`;
  return { after, pager };
}

/** A status as a coloured badge with its translated name (`common.status.<value>`). */
export function Status({ value }) {
  const v = String(value || '').toLowerCase();
  return html`<span class=${'badge status-' + v}>${t('common.status.' + v)}</span>`;
}

/** A button that asks once more before a change that cannot simply be undone. */
export function ConfirmButton({ label, question, onConfirm, busy, danger }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return html`<button type="button" class=${danger ? 'danger' : ''} disabled=${busy} onClick=${() => setAsking(true)}>${label}</button>`;
  }
  return html`<span class="confirm" role="group" aria-label=${question}><span>${question}</span>
    <button type="button" class=${danger ? 'danger' : ''} onClick=${() => { setAsking(false); onConfirm(); }}>${t('common.yes')}</button>
    <button type="button" class="secondary" onClick=${() => setAsking(false)}>${t('common.no')}</button></span>`;
}

/**
 * A one-field filter form (a user name, say): `onApply` runs on submit; `children` are extra
 * buttons after Apply.
 */
export function FilterForm({ ariaLabel, label, inputId, value, onInput, onApply, children }) {
  return html`<form class="filters" aria-label=${ariaLabel} onSubmit=${(e) => {
    e.preventDefault();
    onApply();
  }}>
    <${Field} label=${label}>
      <input id=${inputId} value=${value} autocomplete="off" onInput=${(e) => onInput(e.target.value)} />
    <//>
    <button type="submit">${t('common.apply')}</button>
    ${children}
  </form>`;
}

/**
 * One page of a list the API returns whole (`users`, `tierOverrides`, …): `{ rows, pager }`
 * for page `page` (kept in range), `pager` being Previous/Next, or nothing when one page
 * holds everything.
 */
export function localPage(all, page, setPage, size = 50) {
  const pages = Math.max(1, Math.ceil(all.length / size));
  const at = Math.min(page, pages - 1);
  const pager = pages > 1
    ? html`<nav class="pager" aria-label=${t('common.pager.label')}>
        <button type="button" class="secondary" disabled=${at === 0} onClick=${() => setPage(at - 1)}>${t('common.pager.previous')}</button>
        <span>${t('common.pager.page', { page: at + 1 })} · ${t('common.pager.total', { total: all.length })}</span>
        <button type="button" class="secondary" disabled=${at >= pages - 1} onClick=${() => setPage(at + 1)}>${t('common.pager.next')}</button>
      </nav>`
    : null;
  return { rows: all.slice(at * size, at * size + size), pager };
}
