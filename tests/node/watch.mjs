// Subscribes over graphql-transport-ws with the graphql-ws client and prints every payload.
// Usage: node watch.mjs WS_URL TOKEN|- QUERY UNTIL
// Prints `CONNECTED` on acknowledgement, each `next` payload as one JSON line, and exits 0 once
// a payload contains the text UNTIL (or the server completes the subscription); prints
// `ERROR <json>` and exits 2 on an error, `TIMEOUT` and exits 3 after 30 s.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, query, until] = process.argv.slice(2);
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
      const line = JSON.stringify(value);
      console.log(line);
      if (value.errors) {
        process.exit(2);
      }
      if (until && line.includes(until)) {
        client.dispose();
        process.exit(0);
      }
    },
    error: (err) => {
      console.log(`ERROR ${JSON.stringify(err?.message ?? err)}`);
      process.exit(2);
    },
    complete: () => {
      console.log('COMPLETE');
      process.exit(0);
    },
  },
);
setTimeout(() => {
  console.log('TIMEOUT');
  process.exit(3);
}, 30000);
