// Stripe's official SDK as an independent webhook-signature oracle for the `stripe` plugin's
// tests. The payload is read from stdin, byte for byte.
//
//   node stripe-oracle.mjs sign <secret> <timestamp>          prints a Stripe-Signature header
//   node stripe-oracle.mjs verify <secret> <header> [tolerance]   prints OK or FAIL <reason>;
//                                                                  exits 1 on FAIL
//
// No network: the webhook helpers never call Stripe.
import { readFileSync } from 'node:fs';
import Stripe from 'stripe';

const stripe = new Stripe('sk_test_oracle');
const [command, secret, third, fourth] = process.argv.slice(2);
const payload = readFileSync(0, 'utf8');

if (command === 'sign' && secret !== undefined && third !== undefined) {
  const timestamp = Number(third);
  console.log(stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp }));
} else if (command === 'verify' && secret !== undefined && third !== undefined) {
  const tolerance = fourth === undefined ? undefined : Number(fourth);
  try {
    const event = stripe.webhooks.constructEvent(payload, third, secret, tolerance);
    console.log(`OK ${event.id} ${event.type}`);
  } catch (err) {
    console.log(`FAIL ${err.message.split('\n')[0]}`);
    process.exit(1);
  }
} else {
  console.error('usage: stripe-oracle.mjs sign <secret> <timestamp> | verify <secret> <header> [tolerance]');
  process.exit(2);
}
