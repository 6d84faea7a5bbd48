//! Helpers shared by the fuzz targets of `fuzz_targets/`: the reference reading of sacct text
//! ([`sacct_model`]), a fake plugin host with a fixed clock and secrets ([`gateway`]), and the
//! cutting of one fuzz input into several strings ([`parts`]).

pub mod gateway;
pub mod sacct_model;

/// The input as text: invalid UTF-8 is replaced (every parser here takes `&str`, as the host
/// hands plugins text), so no input is wasted.
pub fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// The first byte (a target's choices) and the rest of the input.
pub fn control(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((&first, rest)) => (first, rest),
        None => (0, data),
    }
}

/// The input cut at NUL bytes into exactly `N` strings (missing ones empty, NULs beyond the
/// `N - 1`th kept in the last): `header\0body` and the like, easy to write as seeds by hand.
pub fn parts<const N: usize>(data: &[u8]) -> [String; N] {
    let mut out: [String; N] = std::array::from_fn(|_| String::new());
    let mut rest = data;
    for (i, slot) in out.iter_mut().enumerate() {
        let piece = if i + 1 == N {
            std::mem::take(&mut rest)
        } else {
            match rest.iter().position(|&b| b == 0) {
                Some(at) => {
                    let piece = &rest[..at];
                    rest = &rest[at + 1..];
                    piece
                }
                None => std::mem::take(&mut rest),
            }
        };
        *slot = String::from_utf8_lossy(piece).into_owned();
    }
    out
}
