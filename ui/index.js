// The landing page: says who is signed in and offers sign-out, through the GraphQL API.
import { graphql } from './api.js';

const who = document.getElementById('who');
const signin = document.getElementById('signin');
const signout = document.getElementById('signout');

async function show() {
  const r = await graphql('{ me { username role } }').catch(() => null);
  const me = r && r.data && r.data.me;
  if (me) {
    who.textContent = `Signed in as ${me.username} (${me.role.toLowerCase()}).`;
    signin.hidden = true;
    signout.hidden = false;
  } else {
    who.textContent = 'You are not signed in.';
    signin.hidden = false;
    signout.hidden = true;
  }
}

signout.addEventListener('click', async () => {
  await graphql('mutation { logout }').catch(() => null);
  await show();
});

show();
