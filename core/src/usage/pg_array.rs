//! PostgreSQL array literals (`{"a","b",NULL}`, `{1,2,NULL}`), built column by column so that a
//! whole batch of rows travels as one text parameter per column and is unpacked by `UNNEST`.

/// One array literal being built.
#[derive(Clone, Debug)]
pub(crate) struct ArrayLiteral {
    text: String,
    empty: bool,
}

impl ArrayLiteral {
    /// An empty array with room for about `bytes` of elements.
    pub fn with_capacity(bytes: usize) -> ArrayLiteral {
        let mut text = String::with_capacity(bytes + 2);
        text.push('{');
        ArrayLiteral { text, empty: true }
    }

    fn separate(&mut self) {
        if !self.empty {
            self.text.push(',');
        }
        self.empty = false;
    }

    /// Appends a text element, quoted (so `NULL`, commas and braces in it stay text).
    pub fn text(&mut self, v: &str) {
        self.separate();
        self.text.push('"');
        if v.contains(['"', '\\']) {
            for ch in v.chars() {
                if ch == '"' || ch == '\\' {
                    self.text.push('\\');
                }
                self.text.push(ch);
            }
        } else {
            self.text.push_str(v);
        }
        self.text.push('"');
    }

    /// Appends a text element or `NULL`.
    pub fn opt_text(&mut self, v: Option<&str>) {
        match v {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    /// Appends an integer element.
    pub fn int(&mut self, v: i64) {
        use std::fmt::Write;
        self.separate();
        // Writing to a String cannot fail.
        let _ = write!(self.text, "{v}");
    }

    /// Appends an integer element or `NULL`.
    pub fn opt_int(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.int(v),
            None => self.null(),
        }
    }

    /// Appends `NULL`.
    pub fn null(&mut self) {
        self.separate();
        self.text.push_str("NULL");
    }

    /// The literal.
    pub fn finish(mut self) -> String {
        self.text.push('}');
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::ArrayLiteral;

    #[test]
    fn quotes_what_needs_quoting() {
        let mut a = ArrayLiteral::with_capacity(0);
        a.text("plain");
        a.text("NULL");
        a.opt_text(None);
        a.text("a \"b\" \\c, {d}");
        a.text("");
        assert_eq!(a.finish(), r#"{"plain","NULL",NULL,"a \"b\" \\c, {d}",""}"#);
        let mut n = ArrayLiteral::with_capacity(0);
        n.int(-5);
        n.opt_int(None);
        n.int(i64::MAX);
        assert_eq!(n.finish(), "{-5,NULL,9223372036854775807}");
        assert_eq!(ArrayLiteral::with_capacity(0).finish(), "{}");
    }
}
