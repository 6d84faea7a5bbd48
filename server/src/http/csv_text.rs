//! CSV text for the exports: RFC 4180 quoting and CRLF line ends by the `csv` crate, plus the
//! one rule the crate cannot know: spreadsheet formulas are defused, so a user name or a reason
//! typed as `=HYPERLINK(…)` opens as text, never as a formula.

/// A field as it is written: a field starting with `=`, `+`, `-`, `@`, tab or carriage return
/// gets a leading `'` (what spreadsheets take as "this is text").
pub fn defuse(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// One CSV line (with its CRLF) from fields.
pub fn csv_line<I: IntoIterator<Item = S>, S: AsRef<str>>(fields: I) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .buffer_capacity(1024)
        .from_writer(Vec::with_capacity(256));
    let fields: Vec<S> = fields.into_iter().collect();
    // Writing to memory cannot fail, and every field is UTF-8: the fallbacks never run.
    if writer
        .write_record(fields.iter().map(|f| defuse(f.as_ref()).into_owned()))
        .is_err()
    {
        return String::new();
    }
    writer
        .into_inner()
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_line(["plain", "a,b"]), "plain,\"a,b\"\r\n");
        assert_eq!(csv_line(["say \"hi\""]), "\"say \"\"hi\"\"\"\r\n");
        assert_eq!(csv_line(["=SUM(A1)", "@cmd", "+1"]), "'=SUM(A1),'@cmd,'+1\r\n");
        assert_eq!(csv_line(["-1,5"]), "\"'-1,5\"\r\n");
        assert_eq!(csv_line(["two\nlines", ""]), "\"two\nlines\",\r\n");
        assert_eq!(csv_line(["a", "b"]), "a,b\r\n");
    }
}
