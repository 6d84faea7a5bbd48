//! The "where is it" table of `docs/ARCHITECTURE.md` names real files: every backticked path
//! in it exists, so the map cannot quietly go stale when code moves.

use std::path::Path;

#[test]
fn every_path_in_the_where_is_it_table_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let doc = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let start = doc.find("## Where is it").expect("a Where is it section");
    let section = &doc[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    let mut checked = 0;
    let mut missing = Vec::new();
    for row in section.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = row.split('|').collect();
        let Some(place) = cells.get(2) else { continue };
        for (i, part) in place.split('`').enumerate() {
            // Odd parts are inside backticks; paths have a slash, names of functions do not.
            if i % 2 == 1 && part.contains('/') {
                checked += 1;
                if !root.join(part).exists() {
                    missing.push(part.to_owned());
                }
            }
        }
    }
    assert!(
        checked >= 30,
        "only {checked} paths found: the table or its parsing changed"
    );
    assert!(
        missing.is_empty(),
        "paths in docs/ARCHITECTURE.md that do not exist: {missing:?}"
    );
}
