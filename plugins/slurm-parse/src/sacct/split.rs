//! The lines of sacct output, each cut at its `|` separators, in place.
//!
//! This runs over every byte of the input, so it looks at 64 bytes at a time (see [`scan`]): one
//! pass finds both the separators and the end of the line, and each separator found costs a
//! few more operations. Lines are what [`str::lines`] gives (split at `\n`), without their
//! trailing `\r`s.

/// The lines of a text, numbered from 1 (blank ones included).
pub(super) struct Lines<'t> {
    text: &'t str,
    /// Where the next line starts.
    next: usize,
    /// The number of the last line returned.
    number: usize,
}

/// A line and the positions of its separators; fields are slices of the line, never copies.
pub(super) struct Line<'t, 'e> {
    text: &'t str,
    /// The end of every field: the position of each `|`, then the length of the line.
    ends: &'e [usize],
}

/// Bytes looked at per step of the scan.
const BLOCK: usize = 64;

/// Finds the separators of the line at the start of `bytes` (up to the first `\n`), writing
/// their positions to `slots`: the number of separators and the position of the newline, or
/// `None` when `slots` is too short for them.
///
/// Each 64-byte block is first turned into one flag byte per input byte (1 for `|`, 2 for
/// `\n`), a loop the compiler turns into vector compares; the flags are then read eight at a
/// time, and only the set ones cost more than a test.
fn scan(bytes: &[u8], slots: &mut [usize]) -> Option<(usize, Option<usize>)> {
    const NOTHING: [u8; BLOCK] = [0; BLOCK];
    let mut count = 0;
    let mut base = 0;
    let mut blocks = bytes.chunks_exact(BLOCK);
    for block in blocks.by_ref() {
        // always exactly BLOCK bytes
        let block: &[u8; BLOCK] = block.try_into().unwrap_or(&NOTHING);
        let mut flags = [0u8; BLOCK];
        for (flag, &b) in flags.iter_mut().zip(block) {
            *flag = u8::from(b == b'|') | (u8::from(b == b'\n') << 1);
        }
        for (word_at, word) in (base..).step_by(8).zip(flags.chunks_exact(8)) {
            let mut word = <[u8; 8]>::try_from(word).map_or(0, u64::from_le_bytes);
            while word != 0 {
                let bit = word.trailing_zeros();
                let at = word_at + (bit / 8) as usize;
                if bit & 1 != 0 {
                    return Some((count, Some(at)));
                }
                *slots.get_mut(count)? = at;
                count += 1;
                word &= word - 1;
            }
        }
        base += BLOCK;
    }
    for (at, &b) in (base..).zip(blocks.remainder()) {
        match b {
            b'|' => {
                *slots.get_mut(count)? = at;
                count += 1;
            }
            b'\n' => return Some((count, Some(at))),
            _ => {}
        }
    }
    Some((count, None))
}

impl<'t> Lines<'t> {
    /// The lines of `text`.
    pub(super) fn new(text: &'t str) -> Lines<'t> {
        Lines {
            text,
            next: 0,
            number: 0,
        }
    }

    /// The next line and its number, not cut into fields (for the header).
    pub(super) fn next_whole(&mut self) -> Option<(usize, &'t str)> {
        let rest = self.text.get(self.next..).filter(|rest| !rest.is_empty())?;
        let length = rest.bytes().position(|b| b == b'\n');
        self.next += length.map_or(rest.len(), |length| length + 1);
        self.number += 1;
        let line = rest.get(..length.unwrap_or(rest.len()))?;
        Some((self.number, line.trim_end_matches('\r')))
    }

    /// The next line and its number, cut into fields. `slots` is scratch space reused from line
    /// to line (grown when a line has more fields than it holds), so no line allocates.
    pub(super) fn next_split<'e>(&mut self, slots: &'e mut Vec<usize>) -> Option<(usize, Line<'t, 'e>)> {
        let rest = self.text.get(self.next..).filter(|rest| !rest.is_empty())?;
        let (count, newline) = loop {
            if let Some(found) = scan(rest.as_bytes(), slots) {
                break found;
            }
            slots.resize(slots.len() * 2 + 64, 0);
        };
        self.next += newline.map_or(rest.len(), |at| at + 1);
        self.number += 1;
        // the trailing `\r`s cut here come after every separator found
        let text = rest.get(..newline.unwrap_or(rest.len()))?.trim_end_matches('\r');
        if slots.len() <= count {
            slots.resize(count + 1, 0);
        }
        let ends = slots.get_mut(..=count)?;
        if let Some(last) = ends.last_mut() {
            *last = text.len();
        }
        Some((self.number, Line { text, ends }))
    }
}

impl<'t> Line<'t, '_> {
    /// The whole line.
    pub(super) fn text(&self) -> &'t str {
        self.text
    }

    /// The number of fields (one more than the number of separators).
    pub(super) fn count(&self) -> usize {
        self.ends.len()
    }

    /// Where field `at` starts and ends; `None` beyond the last field.
    #[inline]
    fn bounds(&self, at: usize) -> Option<(usize, usize)> {
        let end = *self.ends.get(at)?;
        let start = match at.checked_sub(1) {
            Some(before) => self.ends.get(before)? + 1,
            None => 0,
        };
        Some((start, end))
    }

    /// Field `at`, untrimmed; `None` beyond the last field.
    #[inline]
    pub(super) fn field(&self, at: usize) -> Option<&'t str> {
        let (start, end) = self.bounds(at)?;
        // both ends are next to a `|` (ASCII) or at an end of the line: always char boundaries
        self.text.get(start..end)
    }

    /// The value of field `at` when it is 1 to 8 ASCII digits and nothing else; `None` for
    /// anything else, which the general readers then decide on. The eight bytes that end the
    /// field are read as one word and converted in three multiplications, instead of a step
    /// per digit: this runs for several fields of every line.
    #[inline]
    pub(super) fn digits(&self, at: usize) -> Option<i64> {
        let (start, end) = self.bounds(at)?;
        self.digits_in(start, end)
    }

    /// The value and unit of field `at` when it is 1 to 8 ASCII digits followed by one ASCII
    /// letter (`3212K`); `None` for anything else.
    #[inline]
    pub(super) fn digits_and_letter(&self, at: usize) -> Option<(i64, u8)> {
        let (start, end) = self.bounds(at)?;
        let letter = *self.text.as_bytes().get(end.checked_sub(1)?)?;
        if !letter.is_ascii_alphabetic() {
            return None;
        }
        Some((self.digits_in(start, end - 1)?, letter))
    }

    /// The value of `text[start..end]` when it is 1 to 8 ASCII digits (see [`Line::digits`]).
    #[inline]
    fn digits_in(&self, start: usize, end: usize) -> Option<i64> {
        const ZEROS: u64 = u64::from_ne_bytes([b'0'; 8]);
        const HIGH_NIBBLES: u64 = u64::from_ne_bytes([0xf0; 8]);
        const SIXES: u64 = u64::from_ne_bytes([0x06; 8]);
        let length = end.checked_sub(start).filter(|length| (1..=8).contains(length))?;
        let bytes = self.text.as_bytes();
        // the digits are the last `length` bytes of `word` (the most significant ones)
        let word = match end.checked_sub(8).and_then(|from| bytes.get(from..end)) {
            Some(eight) => <[u8; 8]>::try_from(eight).map_or(0, u64::from_le_bytes),
            None => {
                let mut eight = [0u8; 8];
                for (slot, byte) in eight.iter_mut().skip(8 - length).zip(bytes.get(start..end)?) {
                    *slot = *byte;
                }
                u64::from_le_bytes(eight)
            }
        };
        let digits = u64::MAX << (8 * (8 - length));
        let word = (word & digits) | (ZEROS & !digits);
        // every byte 0x30..=0x39: high nibble 3, and adding 6 keeps it 3
        if word & HIGH_NIBBLES != ZEROS || word.wrapping_add(SIXES) & HIGH_NIBBLES != ZEROS {
            return None;
        }
        // first byte is the most significant digit: pairs, then fours, then all eight
        let mut value = word - ZEROS;
        value = (value.wrapping_mul(10) + (value >> 8)) & 0x00ff_00ff_00ff_00ff;
        value = (value.wrapping_mul(100) + (value >> 16)) & 0x0000_ffff_0000_ffff;
        value = (value.wrapping_mul(10_000) + (value >> 32)) & 0x0000_0000_ffff_ffff;
        i64::try_from(value).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_all(text: &str) -> Vec<(usize, String, Vec<String>)> {
        let mut ends = Vec::new();
        let mut lines = Lines::new(text);
        let mut out = Vec::new();
        while let Some((number, line)) = lines.next_split(&mut ends) {
            let fields = (0..line.count())
                .filter_map(|at| line.field(at))
                .map(str::to_owned)
                .collect();
            assert_eq!(line.field(line.count()), None);
            out.push((number, line.text().to_owned(), fields));
        }
        out
    }

    /// Lines of every length up to three blocks, separators and line ends at every offset.
    fn long_lines() -> String {
        let mut text = String::new();
        for length in 0..3 * BLOCK + 9 {
            for at in 0..length {
                text.push(if (at + length) % 7 == 3 { '|' } else { 'x' });
            }
            text.push_str(if length % 5 == 0 { "\r\n" } else { "\n" });
        }
        text.push_str("|tail without newline|");
        text
    }

    #[test]
    fn digit_fields_read_as_words_are_their_numbers() {
        let mut fields = vec![
            "0",
            "7",
            "42",
            "100",
            "99999999",
            "12345678",
            "00000001",
            "1234567",
            "123456789",
            "",
            " 1",
            "1 ",
            "+1",
            "-1",
            "1a",
            "a1",
            "9:9",
            "/",
            ":",
            "1.5",
            "٣",
            "0x10",
        ];
        let numbers: Vec<String> = (0..2000u64).map(|n| (n * 7919 % 100_000_000).to_string()).collect();
        fields.extend(numbers.iter().map(String::as_str));
        let mut slots = Vec::new();
        for field in &fields {
            for prefix in ["", "x|", "long prefix|"] {
                let text = format!("{prefix}{field}|tail");
                let mut lines = Lines::new(&text);
                let (_, line) = lines.next_split(&mut slots).expect("a line");
                let at = usize::from(!prefix.is_empty());
                let plain = (1..=8).contains(&field.len()) && field.bytes().all(|b| b.is_ascii_digit());
                let expected = field.parse::<i64>().ok().filter(|_| plain);
                assert_eq!(line.digits(at), expected, "{text:?}");
                let with_unit = format!("{prefix}{field}K|tail");
                let (_, line) = Lines::new(&with_unit).next_split(&mut slots).expect("a line");
                assert_eq!(line.digits_and_letter(at), expected.map(|n| (n, b'K')), "{with_unit:?}");
                assert_eq!(line.digits(at), None, "{with_unit:?}");
            }
        }
    }

    #[test]
    fn lines_and_fields_are_those_of_the_standard_library() {
        for text in [
            "",
            "\n",
            "|",
            "a",
            "a|b",
            "a|b\n",
            "a|b\r\n\r\nc|d|e\r\r\n|\n\n||",
            "||||||||||||||||||\n|||||||||||||||||||||||||||||||||||||||||||||||||a\n1234567|",
            "1234567|9|abcdefgh|||x|é|ü||\u{a0}|\r|\r",
            "User|JobID|JobIDRaw|JobName|Account|Partition|State|ExitCode|Submit\nUser|JobID|J\n\n\n",
            "\u{fc7c}|\u{7c00}|||\u{a7c}\n\u{7c0a}|x\r",
            "12345678\n12345678|\n1234567\n|2345678|\n",
            &long_lines(),
        ] {
            let expected: Vec<(usize, String, Vec<String>)> = text
                .lines()
                .enumerate()
                .map(|(i, line)| {
                    let line = line.trim_end_matches('\r');
                    (i + 1, line.to_owned(), line.split('|').map(str::to_owned).collect())
                })
                .collect();
            assert_eq!(split_all(text), expected, "{text:?}");
        }
    }
}
