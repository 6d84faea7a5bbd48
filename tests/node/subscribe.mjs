// Subscribes over graphql-transport-ws with the graphql-ws client.
// Usage: node subscribe.mjs WS_URL TOKEN|- QUERY
// Prints each `next` payload as one JSON line; prints `ERROR <json>` and exits 2 on an error,
// exits 0 after the first payload.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, query] = process.argv.slice(2);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  lazy: false,
  retryAttempts: 0,
  connectionParams: token === '-' ? {} : { authorization: `Bearer ${token}` },
  on: { connected: () => console.log('CONNECTED') },
});
client.subscribe(
  { query },
  {
    next: (value) => {
      console.log(JSON.stringify(value));
      client.dispose();
      process.exit(value.errors ? 2 : 0);
    },
    error: (err) => {
      console.log(`ERROR ${JSON.stringify(err?.message ?? err)}`);
      process.exit(2);
    },
    complete: () => process.exit(0),
  },
);
setTimeout(() => {
  console.log('TIMEOUT');
  process.exit(3);
}, 20000);
