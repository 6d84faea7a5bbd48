//! Which tier a user is priced at: a per-user override, else the first matching rule, else the
//! default tier. The default rules are the predecessor's classifier, so users moving over keep
//! their prices; operators replace them in the configuration.

use serde::{Deserialize, Serialize};

/// One classifier rule, matched against the lower-cased user name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierRule {
    /// Tier assigned when the rule matches.
    pub tier: String,
    /// Matches when the name contains any of these.
    #[serde(default)]
    pub contains: Vec<String>,
    /// Matches names shaped `letters.letters` (e-mail-style staff names).
    #[serde(default)]
    pub dotted_name: bool,
}

/// The rule set and the tier of everyone no rule matches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierRules {
    /// Rules, first match wins.
    pub rules: Vec<TierRule>,
    /// Tier when nothing matches.
    pub default_tier: String,
}

impl Default for TierRules {
    /// The predecessor's classifier.
    fn default() -> Self {
        let rule = |tier: &str, words: &[&str], dotted: bool| TierRule {
            tier: tier.into(),
            contains: words.iter().map(|w| w.to_string()).collect(),
            dotted_name: dotted,
        };
        TierRules {
            rules: vec![
                rule("mu", &["test", "support", "admin", "monitor", "sys"], false),
                rule("gov", &["dip", "gits", "nstda", "nectec", ".go.", "gov"], false),
                rule("mu", &["ku.ac.th", "mu.ac.th"], true),
                rule("private", &["co.th", ".com", "corp", "inc"], false),
            ],
            default_tier: "private".into(),
        }
    }
}

fn is_dotted_name(name: &str) -> bool {
    match name.split_once('.') {
        Some((a, b)) => {
            !a.is_empty()
                && !b.is_empty()
                && a.chars().all(|c| c.is_ascii_alphabetic())
                && b.chars().all(|c| c.is_ascii_alphabetic())
        }
        None => false,
    }
}

impl TierRules {
    /// The tier for `username` and a sentence saying why.
    pub fn classify(&self, username: &str) -> (String, String) {
        let name = username.to_lowercase();
        for (i, r) in self.rules.iter().enumerate() {
            if let Some(w) = r.contains.iter().find(|w| name.contains(&w.to_lowercase())) {
                return (r.tier.clone(), format!("rule {}: user name contains {w:?}", i + 1));
            }
            if r.dotted_name && is_dotted_name(&name) {
                return (
                    r.tier.clone(),
                    format!("rule {}: user name looks like letters.letters", i + 1),
                );
            }
        }
        (self.default_tier.clone(), "no rule matched: default tier".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_predecessor_rules_apply_in_order() {
        let r = TierRules::default();
        let tier = |n: &str| r.classify(n).0;
        assert_eq!(tier("testuser"), "mu");
        assert_eq!(tier("SysAdmin"), "mu");
        assert_eq!(tier("nstda-lab"), "gov");
        assert_eq!(tier("somchai.s"), "mu");
        assert_eq!(tier("alice@ku.ac.th"), "mu");
        assert_eq!(tier("bob@acme.co.th"), "private");
        assert_eq!(tier("megacorp1"), "private");
        assert_eq!(tier("alice"), "private");
        // First match wins: "gov" appears, but "test" comes first.
        assert_eq!(tier("govtest"), "mu");
        assert_eq!(r.classify("alice").1, "no rule matched: default tier");
        assert_eq!(r.classify("nectec1").1, "rule 2: user name contains \"nectec\"");
    }

    #[test]
    fn dotted_names_need_letters_on_both_sides() {
        assert!(is_dotted_name("somchai.s"));
        assert!(!is_dotted_name("s1.x"));
        assert!(!is_dotted_name(".x"));
        assert!(!is_dotted_name("nodots"));
    }
}
