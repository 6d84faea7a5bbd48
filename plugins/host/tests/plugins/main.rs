//! Integration tests of the plugin host against real plugin libraries, built by cargo from
//! `plugins/test-plugin` and `plugins/compat` the way plugin authors build theirs.

mod capabilities;
mod compat;
mod failures;
mod loading;
mod recovery;
mod support;
