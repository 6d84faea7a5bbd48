// The one way the dashboard talks to the server: our own GraphQL API, over HTTP for queries and
// mutations (session cookie + the CSRF token read from its cookie on every request) and over
// `graphql-transport-ws` for subscriptions (the vendored graphql-ws client; the socket is
// same-origin, so the server trusts the session cookie and we send the CSRF token in
// `connection_init`).
import { createClient } from '../vendor/graphql-ws/client.js';

export function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)hpcb_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : null;
}

/** An error the API answered with: `code` is its `extensions.code`. */
export class ApiError extends Error {
  constructor(message, code, extensions = {}) {
    super(message);
    this.code = code;
    this.extensions = extensions;
  }
}

/** Sends the browser to the sign-in page, coming back here afterwards. */
export function signIn() {
  const here = location.pathname + location.search + location.hash;
  location.assign('/signin?next=' + encodeURIComponent(here));
}

/** Runs a query or mutation; resolves to `data`, rejects with an `ApiError`. */
export async function gql(query, variables = {}) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json' };
  const token = csrfToken();
  if (token) headers['X-CSRF-Token'] = token;
  let res;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      credentials: 'same-origin',
      headers,
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('The server did not answer.', 'NETWORK');
  }
  let body;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(`The server answered ${res.status} without a GraphQL result.`, 'NETWORK');
  }
  const first = body.errors && body.errors[0];
  if (first) {
    const ext = first.extensions || {};
    // The session ended (expired, signed out elsewhere, password changed): sign in again and
    // come back here, rather than showing every page's data as an error.
    if (ext.code === 'UNAUTHENTICATED') signIn();
    throw new ApiError(first.message, ext.code || 'ERROR', ext);
  }
  return body.data;
}

let wsClient = null;

function client() {
  if (!wsClient) {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    wsClient = createClient({
      url: `${scheme}//${location.host}/graphql/ws`,
      connectionParams: () => ({ csrf: csrfToken() }),
      lazy: true,
      retryAttempts: 5,
    });
  }
  return wsClient;
}

/**
 * Subscribes; `onData(data)` for each event, `onError(ApiError)` once on failure, `onDone()`
 * when the server ends the stream. Returns the function that unsubscribes.
 */
export function subscribe(query, variables, { onData, onError, onDone }) {
  return client().subscribe(
    { query, variables },
    {
      next: (msg) => {
        const first = msg.errors && msg.errors[0];
        if (first) {
          const ext = first.extensions || {};
          if (onError) onError(new ApiError(first.message, ext.code || 'ERROR', ext));
        } else if (onData) onData(msg.data);
      },
      error: (err) => {
        const list = Array.isArray(err) ? err : [err];
        const first = list[0] || {};
        const reason = first.message || first.reason || 'The live connection closed.';
        if (onError) onError(new ApiError(reason, (first.extensions && first.extensions.code) || 'NETWORK'));
      },
      complete: () => onDone && onDone(),
    },
  );
}

/** Ends the live connection (on sign-out, so no socket outlives the session). */
export function closeLive() {
  if (wsClient) {
    wsClient.dispose();
    wsClient = null;
  }
}
