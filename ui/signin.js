// Signs in through the `login` mutation (which sets the session and CSRF cookies) and returns
// to the page that sent the browser here (`?next=/path`, same site only).
import { graphql } from './api.js';

const form = document.getElementById('signin-form');
const message = document.getElementById('message');

function nextPage() {
  const next = new URLSearchParams(location.search).get('next') || '/';
  // Only a path on this site: never `//host` or `https://…` (an open redirect).
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

function minutes(seconds) {
  const m = Math.ceil(seconds / 60);
  return m <= 1 ? 'about a minute' : `${m} minutes`;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  message.textContent = '';
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!username || !password) {
    message.textContent = 'Enter your user name and password.';
    return;
  }
  let r;
  try {
    r = await graphql(
      'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
      { u: username, p: password },
    );
  } catch {
    message.textContent = 'The server did not answer; try again.';
    return;
  }
  if (r.data && r.data.login) {
    location.assign(nextPage());
    return;
  }
  const err = (r.errors && r.errors[0]) || {};
  const ext = err.extensions || {};
  if (ext.code === 'RATE_LIMITED') {
    message.textContent = `Too many failed attempts: this sign-in is locked. Try again in ${minutes(ext.retryAfter || 60)}.`;
  } else if (ext.code === 'UNAUTHENTICATED') {
    message.textContent = 'Wrong user name or password.';
  } else {
    message.textContent = err.message || 'Sign-in failed.';
  }
  form.password.select();
});
