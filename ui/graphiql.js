// Starts GraphiQL (loaded before this file from the embedded, pinned copies) against this
// server. The CSRF token is read from its cookie on every request, not once: after `login`
// inside GraphiQL the next mutation carries the new session's token without a reload.
// `?query=…` in the page's URL opens with that document in the editor.

const root = document.getElementById('graphiql');

function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)hpcb_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : null;
}

function fetchWithCsrf(url, init = {}) {
  const headers = new Headers(init.headers || {});
  const token = csrfToken();
  if (token) headers.set('X-CSRF-Token', token);
  return window.fetch(url, { ...init, headers, credentials: 'same-origin' });
}

const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
const fetcher = GraphiQL.createFetcher({
  url: root.dataset.endpoint,
  subscriptionUrl: scheme + location.host + root.dataset.ws,
  fetch: fetchWithCsrf,
});
const query = new URLSearchParams(location.search).get('query') || undefined;
root.textContent = '';
ReactDOM.createRoot(root).render(React.createElement(GraphiQL, { fetcher, query }));
