// Users and roles (admin): every account with its role, where its password lives, whether it
// is disabled and when it was made; create a local account; for one account, set its role,
// disable or enable it, set a new password, and lift its sign-in locks.
import { html, useState, useEffect, useRef } from '../../html.js';
import { t, number, dateTime } from '../../i18n.js';
import { useQuery, useMutation, Loaded, Table, Field, ErrorBox, ConfirmButton, FilterForm, localPage } from '../../components.js';

const USERS = '{ users { username role authSource disabled createdAt } }';
const CREATE = `mutation($username: String!, $password: String!, $role: Role!) {
  createUser(username: $username, password: $password, role: $role) { username role } }`;
const SET_ROLE = 'mutation($username: String!, $role: Role!) { setUserRole(username: $username, role: $role) { username role } }';
const DISABLE = 'mutation($username: String!) { disableUser(username: $username) { username disabled } }';
const ENABLE = 'mutation($username: String!) { enableUser(username: $username) { username disabled } }';
const PASSWORD = 'mutation($username: String!, $password: String!) { setUserPassword(username: $username, password: $password) }';
const UNLOCK = 'mutation($username: String!) { unlockUser(username: $username) }';
const ROLES = ['USER', 'FINANCE', 'ADMIN'];
const PAGE = 50;

function RoleName({ role }) {
  switch (role) {
    case 'ADMIN':
      return t('common.role.admin');
    case 'FINANCE':
      return t('common.role.finance');
    default:
      return t('common.role.user');
  }
}

function RoleOptions() {
  return ROLES.map((r) => html`<option value=${r}><${RoleName} role=${r} /></option>`);
}

function CreateUser({ onCreated }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('USER');
  const [invalid, setInvalid] = useState('');
  const [notice, setNotice] = useState('');
  const [create, state] = useMutation(CREATE);
  const submit = async (e) => {
    e.preventDefault();
    setNotice('');
    if (!username.trim() || !password) return setInvalid(t('admin.users.required'));
    setInvalid('');
    const d = await create({ username: username.trim(), password, role });
    if (d) {
      setNotice(t('admin.users.created', { user: d.createUser.username }));
      setUsername('');
      setPassword('');
      setRole('USER');
      onCreated();
    }
  };
  return html`<section aria-labelledby="new-user-title">
    <h2 id="new-user-title">${t('admin.users.createTitle')}</h2>
    <form id="new-user-form" onSubmit=${submit} novalidate>
      <${Field} label=${t('admin.users.username')}>
        <input id="new-user-name" value=${username} required autocomplete="off" autocapitalize="none" spellcheck="false"
          onInput=${(e) => setUsername(e.target.value)} />
      <//>
      <${Field} label=${t('admin.users.password')} hint=${t('admin.users.passwordHint')}>
        <input id="new-user-password" type="password" value=${password} required autocomplete="new-password"
          onInput=${(e) => setPassword(e.target.value)} />
      <//>
      <${Field} label=${t('admin.users.role')}>
        <select id="new-user-role" value=${role} onChange=${(e) => setRole(e.target.value)}><${RoleOptions} /></select>
      <//>
      ${invalid ? html`<p class="error" role="alert">${invalid}</p>` : null}
      <${ErrorBox} error=${state.error} />
      <button type="submit" id="new-user-submit" disabled=${state.busy}>${t('admin.users.createSubmit')}</button>
    </form>
    ${notice ? html`<p class="notice" role="status" id="new-user-notice">${notice}</p>` : null}
  </section>`;
}

/** What an admin can do to one account. */
function Manage({ u, me, onClose, onChanged }) {
  const [role, setRole] = useState(u.role);
  const [password, setPassword] = useState('');
  const [notice, setNotice] = useState('');
  const [invalid, setInvalid] = useState('');
  const [setUserRole, roleState] = useMutation(SET_ROLE);
  const [disable, disableState] = useMutation(DISABLE);
  const [enable, enableState] = useMutation(ENABLE);
  const [setPw, pwState] = useMutation(PASSWORD);
  const [unlock, unlockState] = useMutation(UNLOCK);
  const heading = useRef(null);
  useEffect(() => {
    if (heading.current) heading.current.focus();
  }, [u.username]);
  const self = u.username === me.username;
  const after = (text) => {
    setNotice(text);
    onChanged();
  };
  const error = roleState.error || disableState.error || enableState.error || pwState.error || unlockState.error;
  const saveRole = async (e) => {
    e.preventDefault();
    setNotice('');
    const d = await setUserRole({ username: u.username, role });
    if (d) after(t('admin.users.roleDone', { user: u.username }));
  };
  const savePassword = async (e) => {
    e.preventDefault();
    setNotice('');
    if (!password) return setInvalid(t('admin.users.passwordRequired'));
    setInvalid('');
    const d = await setPw({ username: u.username, password });
    if (d) {
      setPassword('');
      after(t('admin.users.passwordDone', { user: u.username }));
    }
  };
  return html`<section class="admin-panel" id="user-panel" aria-labelledby="user-panel-title">
    <h3 id="user-panel-title" tabindex="-1" ref=${heading}>${t('admin.users.manageTitle', { user: u.username })}</h3>
    <p class="muted">${u.disabled ? t('admin.users.isDisabled') : t('admin.users.isActive')} · ${u.authSource === 'pam' ? t('admin.users.sourcePam') : t('admin.users.sourceLocal')}</p>
    ${notice ? html`<p class="notice" role="status" id="user-notice">${notice}</p>` : null}
    <${ErrorBox} error=${error} />
    ${self ? html`<p class="admin-warning">${t('admin.users.selfNote')}</p>` : html`
      <form class="filters" onSubmit=${saveRole}>
        <${Field} label=${t('admin.users.role')}>
          <select id="user-role" value=${role} onChange=${(e) => setRole(e.target.value)}><${RoleOptions} /></select>
        <//>
        <button type="submit" id="user-role-submit" disabled=${roleState.busy || role === u.role}>${t('admin.users.setRole')}</button>
      </form>`}
    ${self ? html`<p><a href="#/account">${t('admin.users.ownAccount')}</a></p>` : u.authSource === 'pam' ? html`<p class="muted">${t('admin.users.pamPassword')}</p>` : html`
      <form class="filters" onSubmit=${savePassword}>
        <${Field} label=${t('admin.users.newPassword')} hint=${t('admin.users.passwordHint')}>
          <input id="user-password" type="password" value=${password} autocomplete="new-password"
            aria-invalid=${invalid ? 'true' : null} onInput=${(e) => setPassword(e.target.value)} />
        <//>
        <button type="submit" id="user-password-submit" disabled=${pwState.busy}>${t('admin.users.setPassword')}</button>
      </form>
      ${invalid ? html`<p class="error" role="alert">${invalid}</p>` : null}
      <p class="muted">${t('admin.users.passwordSessions')}</p>`}
    <div class="toolbar">
      ${self ? null : u.disabled
        ? html`<button type="button" id="user-enable" disabled=${enableState.busy}
            onClick=${async () => { setNotice(''); if (await enable({ username: u.username })) after(t('admin.users.enabled', { user: u.username })); }}>${t('admin.users.enable')}</button>`
        : html`<${ConfirmButton} label=${t('admin.users.disable')} danger=${true} busy=${disableState.busy}
            question=${t('admin.users.disableQuestion', { user: u.username })}
            onConfirm=${async () => { setNotice(''); if (await disable({ username: u.username })) after(t('admin.users.disabled', { user: u.username })); }} />`}
      <button type="button" class="secondary" id="user-unlock" disabled=${unlockState.busy}
        onClick=${async () => {
          setNotice('');
          const d = await unlock({ username: u.username });
          if (d) after(t('admin.users.unlocked', { user: u.username, n: number(d.unlockUser, 0) }));
        }}>${t('admin.users.unlock')}</button>
      <button type="button" class="secondary" onClick=${onClose}>${t('admin.users.close')}</button>
    </div>
  </section>`;
}

export default function Page({ me, query, path, navigate }) {
  const q = useQuery(USERS, {});
  const [find, setFind] = useState(query.user || '');
  const [page, setPage] = useState(0);
  const [managing, setManaging] = useState(null);
  useEffect(() => setFind(query.user || ''), [query.user]);
  const list = (q.data && q.data.users) || [];
  const current = managing && list.find((u) => u.username === managing);
  return html`<section class="admin-page">
    <h1>${t('admin.users.title')}</h1>
    <h2>${t('admin.users.listTitle')}</h2>
    <${FilterForm} ariaLabel=${t('admin.users.filter')} label=${t('admin.users.find')} inputId="users-find"
      value=${find} onInput=${setFind} onApply=${() => {
        setPage(0);
        navigate(path, { ...query, user: find.trim() });
      }} />
    ${current ? html`<${Manage} key=${current.username} u=${current} me=${me} onClose=${() => setManaging(null)} onChanged=${q.reload} />` : null}
    <${Loaded} q=${q}>${(d) => {
      const needle = (query.user || '').toLowerCase();
      const all = d.users.filter((u) => !needle || u.username.toLowerCase().includes(needle));
      const local = localPage(all, page, setPage, PAGE);
      return html`<${Table}
        caption=${t('admin.users.caption')}
        rows=${local.rows}
        rowKey=${(u) => u.username}
        empty=${t('admin.users.none')}
        columns=${[
          { label: t('admin.users.col.username'), cell: (u) => html`${u.username}${u.username === me.username ? html` <span class="muted">${t('admin.users.you')}</span>` : null}` },
          { label: t('admin.users.col.role'), cell: (u) => html`<span class="badge role"><${RoleName} role=${u.role} /></span>` },
          { label: t('admin.users.col.source'), cell: (u) => (u.authSource === 'pam' ? t('admin.users.sourcePam') : t('admin.users.sourceLocal')) },
          {
            label: t('admin.users.col.state'),
            cell: (u) => (u.disabled
              ? html`<span class="badge status-void">${t('admin.users.isDisabled')}</span>`
              : html`<span class="badge status-ok">${t('admin.users.isActive')}</span>`),
          },
          { label: t('admin.users.col.created'), cell: (u) => dateTime(u.createdAt) },
          {
            label: t('admin.users.col.actions'),
            cell: (u) => html`<button type="button" class="secondary" id=${'manage-' + u.username}
              aria-expanded=${managing === u.username ? 'true' : 'false'} aria-controls=${managing === u.username ? 'user-panel' : null}
              onClick=${() => setManaging(u.username)}>${t('admin.users.manage')}<span class="visually-hidden"> ${u.username}</span></button>`,
          },
        ]} />
        ${local.pager}`;
    }}<//>
    <${CreateUser} onCreated=${q.reload} />
  </section>`;
}
