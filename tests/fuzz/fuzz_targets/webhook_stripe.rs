//! The Stripe gateway's `verify_webhook` (its rlib API, on a host with a fixed clock and the
//! current and previous webhook secrets): `Stripe-Signature` header checking, then the event
//! parsing behind it.
//!
//! Input: a first byte, then `header\0body`. The first byte's low two bits choose the header:
//! the input's own (arbitrary signatures), or a correct signature of the body (made here, at a
//! time up to 320 s either way of the clock, with either secret) with the input's header text
//! after or before it, or alone. So arbitrary bodies that ARE correctly signed reach the event
//! parser. The answer must agree with the scheme as Stripe documents it
//! (`hpcb_fuzz::gateway::stripe_scheme_check`): verified only if authentic and within the
//! tolerance, and then refused only for its body.

#![no_main]

use hpcb_fuzz::gateway::{assert_answer, host, stripe_scheme_check, stripe_scheme_header, NOW_S};
use hpcb_plugin_pay_stripe::StripeGateway;
use hpcb_plugin_sdk::{json, Plugin};
use libfuzzer_sys::fuzz_target;

const CURRENT: &str = "whsec_fuzz_current_0123456789abcdef";
const PREVIOUS: &str = "whsec_fuzz_previous_fedcba9876543210";

fuzz_target!(|data: &[u8]| {
    let (control, rest) = hpcb_fuzz::control(data);
    let [given, body] = hpcb_fuzz::parts::<2>(rest);
    let secret = if control & 4 == 0 { CURRENT } else { PREVIOUS };
    let at = NOW_S + (i64::from(control >> 3) - 16) * 20;
    let signed = stripe_scheme_header(secret, at, &body);
    let header = match control & 3 {
        0 => given,
        1 => format!("{signed}{given}"),
        2 => format!("{given}{signed}"),
        _ => signed,
    };

    let secrets = [("webhook_secret", CURRENT.to_owned()), ("webhook_secret_previous", PREVIOUS.to_owned())];
    let (host, requests) = host(&secrets, None);
    let mut gateway = StripeGateway::create(json!({}), host).expect("default settings");
    let delivery = json!({
        "headers": {"content-type": "application/json", "stripe-signature": header},
        "body": body,
    });
    let answer = gateway.call("verify_webhook", delivery).expect("verify_webhook answers, never fails");
    let trusted = stripe_scheme_check(&header, &body, &[CURRENT, PREVIOUS]) == Some(true);
    assert_answer(&answer, trusted, &(&header, &body));
    assert!(requests.lock().expect("lock").is_empty(), "verifying a webhook called Stripe");
});
