//! The committed `schema/schema.graphql` is the public contract: this test fails when the code's
//! schema differs from it. After an intended change, regenerate it with
//! `UPDATE_SCHEMA=1 cargo test -p hpcb-schema --test schema_sdl` and review the diff.

#[test]
fn committed_schema_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let sdl = hpcb_schema::sdl();
    if std::env::var("UPDATE_SCHEMA").is_ok() {
        std::fs::write(&path, &sdl).expect("write schema.graphql");
    }
    let committed = std::fs::read_to_string(&path).expect("schema/schema.graphql exists");
    assert!(committed == sdl, "schema/schema.graphql is out of date; run UPDATE_SCHEMA=1 cargo test -p hpcb-schema --test schema_sdl and commit the result");
}
