// The one way the pages talk to the server: GraphQL over HTTP with the session cookie, and the
// CSRF token read from its cookie on every request (it changes when the session does).

export function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)hpcb_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : null;
}

export async function graphql(query, variables = {}) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json' };
  const token = csrfToken();
  if (token) headers['X-CSRF-Token'] = token;
  const res = await fetch('/graphql', {
    method: 'POST',
    credentials: 'same-origin',
    headers,
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}
