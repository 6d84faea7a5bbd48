// Runs the graphql-http server audit suite against the URL given as the first argument and
// prints one line per audit. Exits 1 when any MUST audit fails.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const results = await auditServer({ url });
let errors = 0;
for (const r of results) {
  const reason = r.status === 'ok' ? '' : `: ${r.reason}`;
  console.log(`${r.status.toUpperCase()} ${r.id} ${r.name}${reason}`);
  if (r.status === 'error') errors += 1;
}
console.log(`${results.filter((r) => r.status === 'ok').length} passed, ${errors} failed`);
process.exit(errors === 0 ? 0 : 1);
