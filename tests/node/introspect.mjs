// Sends graphql-js's standard introspection query (what GraphiQL, Postman, Insomnia and code
// generators send, with every option on) to the server; prints "ok <types>" or the errors.
import { getIntrospectionQuery, buildClientSchema } from 'graphql';

const [url] = process.argv.slice(2);
const query = getIntrospectionQuery({
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
});
const res = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
  body: JSON.stringify({ query }),
});
const body = await res.json();
if (body.errors || !body.data) {
  console.log('FAILED', res.status, JSON.stringify(body.errors));
  process.exit(1);
}
// The answer must be a schema a client can build, as GraphiQL does.
const schema = buildClientSchema(body.data);
console.log('ok', Object.keys(schema.getTypeMap()).length);
