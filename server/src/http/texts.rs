//! The texts of the pages the server renders (printable receipt, payment return page, the
//! development gateway's checkout), from the same catalogs as the dashboard: `ui/i18n/*.json`,
//! embedded in the binary, each key in English and Thai (a test fails when one lacks a
//! language). The server's own keys are in `server.json`; status names are shared with the
//! dashboard (`common.status.*`).

use super::assets::ASSETS;
use std::collections::HashMap;
use std::sync::OnceLock;

/// A language the pages are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Thai.
    Th,
}

impl Lang {
    /// From a `?lang=` value: Thai for `th`, English otherwise.
    pub fn from_param(value: Option<&str>) -> Lang {
        if value == Some("th") {
            Lang::Th
        } else {
            Lang::En
        }
    }

    /// The code for `<html lang>` and links.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Th => "th",
        }
    }
}

type Catalog = HashMap<String, String>;

fn catalogs() -> &'static (Catalog, Catalog) {
    static CATALOGS: OnceLock<(Catalog, Catalog)> = OnceLock::new();
    CATALOGS.get_or_init(|| {
        let (mut en, mut th) = (Catalog::new(), Catalog::new());
        for asset in ASSETS
            .iter()
            .filter(|a| a.path.starts_with("i18n/") && a.path.ends_with(".json"))
        {
            match serde_json::from_slice::<HashMap<String, Catalog>>(asset.bytes) {
                Ok(mut file) => {
                    en.extend(file.remove("en").unwrap_or_default());
                    th.extend(file.remove("th").unwrap_or_default());
                }
                Err(e) => tracing::error!(path = asset.path, error = %e, "unreadable text catalog"),
            }
        }
        (en, th)
    })
}

/// The text of `key` in `lang` (English when the Thai is missing, the key itself when both
/// are: never a panic in a page).
pub fn text(lang: Lang, key: &str) -> String {
    let (en, th) = catalogs();
    let found = match lang {
        Lang::En => en.get(key),
        Lang::Th => th.get(key).or_else(|| en.get(key)),
    };
    found.cloned().unwrap_or_else(|| {
        tracing::warn!(key, "no text for this key");
        key.to_owned()
    })
}

/// [`text`] with `{name}` placeholders filled.
pub fn text_with(lang: Lang, key: &str, vars: &[(&str, &str)]) -> String {
    let mut s = text(lang, key);
    for (name, value) in vars {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_texts_come_from_the_embedded_catalogs_in_both_languages() {
        assert_eq!(text(Lang::En, "server.receipt.title"), "Receipt");
        assert_eq!(text(Lang::Th, "server.receipt.title"), "ใบเสร็จรับเงิน");
        assert_eq!(text(Lang::Th, "common.status.paid"), "ชำระแล้ว");
        assert_eq!(
            text_with(Lang::En, "server.dummy.state", &[("status", "failed")]),
            "This payment is failed."
        );
        assert_eq!(text(Lang::En, "no.such.key"), "no.such.key");
    }
}
