//! Payments: `startPayment`, `refundPayment`, `reconcilePayment`, `payment`, `payments`,
//! `paymentProviders`, and the `paymentStatus` subscription.

mod mutation;
mod query;
mod subscription;
mod types;

pub use mutation::PaymentMutation;
pub use query::PaymentQuery;
pub use subscription::PaymentSubscription;
