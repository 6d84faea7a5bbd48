#!/usr/bin/env bash
# Re-fetches and verifies the vendored browser assets listed in manifest.tsv.
#
#   fetch.sh                       fetch every package at its pinned version, verify, copy into place
#   fetch.sh --check               verify the files in place against the manifest (no network)
#   fetch.sh --update PKG VERSION  move PKG to VERSION: fetch it, then rewrite its manifest lines
#
# Two hashes guard each file: the npm registry's sha512 of the whole tarball (so we
# know we unpacked exactly what was published) and our own sha384 of each file (the
# value the HTML `integrity` attribute carries, and what --check compares offline).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

die() { echo "fetch.sh: $*" >&2; exit 1; }
# `openssl base64 -A` rather than `base64 -w0`: the latter is GNU-only.
hash_b64() { openssl dgst "-$1" -binary "$2" | openssl base64 -A; }
# Manifest rows without the header, as: pkg ver integrity src dst sha384.
rows() { tail -n +2 manifest.tsv; }

# Every file here must be in the manifest or be one of the files that manage them: the server embeds
# this folder, so an unlisted file would ship unverified.
check_no_strays() {
  local f
  while IFS= read -r f; do
    case "$f" in manifest.tsv | fetch.sh | README.md | .gitattributes) continue ;; esac
    cut -f5 manifest.tsv | grep -qxF "$f" || die "$f is not listed in manifest.tsv"
  done < <(find . -type f | sed 's|^\./||')
}

if [[ "${1:-}" == --check ]]; then
  while IFS=$'\t' read -r _ _ _ _ dst sha; do
    [[ -f "$dst" ]] || die "$dst is missing"
    [[ "$(hash_b64 sha384 "$dst")" == "$sha" ]] || die "$dst does not match its sha384 in manifest.tsv"
  done < <(rows)
  check_no_strays
  echo "fetch.sh: all $(rows | wc -l | tr -d ' ') files match manifest.tsv"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# unpack PKG VERSION INTEGRITY: downloads the tarball once, checks its sha512, and
# sets $dir to the folder it was unpacked into. (It sets a variable rather than
# printing the folder because `set -e` does not reach into a $(...) subshell.)
unpack() {
  local tgz
  dir="$tmp/$1@$2"
  if [[ ! -d "$dir" ]]; then
    mkdir -p "$dir"
    # npm pack prints only the tarball's file name on stdout when --silent.
    tgz="$(npm pack --silent --pack-destination "$dir" "$1@$2")" || die "npm pack $1@$2 failed"
    [[ "sha512-$(hash_b64 sha512 "$dir/$tgz")" == "$3" ]] \
      || die "$1@$2 tarball does not match its integrity $3"
    tar -xzf "$dir/$tgz" -C "$dir"
    echo "$3" >"$dir.integrity"
  fi
  # Each manifest line repeats the integrity; a later line must not disagree unnoticed.
  [[ "$(cat "$dir.integrity")" == "$3" ]] || die "$1@$2 has two different integrities in manifest.tsv"
}

if [[ "${1:-}" == --update ]]; then
  [[ $# -eq 3 ]] || die "usage: fetch.sh --update PKG VERSION"
  pkg="$2" ver="$3"
  cut -f1 manifest.tsv | grep -qxF "$pkg" || die "$pkg has no line in manifest.tsv; add one first"
  # The registry's own integrity for that version; npm pack verifies against the same value.
  integrity="$(npm view "$pkg@$ver" dist.integrity)" || die "npm view $pkg@$ver failed"
  [[ "$integrity" == sha512-* ]] || die "$pkg@$ver: no sha512 integrity in the registry"
  unpack "$pkg" "$ver" "$integrity"
  head -n 1 manifest.tsv >"$tmp/manifest.tsv"
  while IFS=$'\t' read -r p v i src dst sha; do
    if [[ "$p" == "$pkg" ]]; then
      [[ -f "$dir/$src" ]] || die "$pkg@$ver has no $src; fix path_in_tarball by hand"
      mkdir -p "$(dirname "$dst")"
      cp "$dir/$src" "$dst"
      v="$ver" i="$integrity" sha="$(hash_b64 sha384 "$dst")"
      printf '%s  sha384-%s\n' "$dst" "$sha"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$v" "$i" "$src" "$dst" "$sha" >>"$tmp/manifest.tsv"
  done < <(rows)
  mv "$tmp/manifest.tsv" manifest.tsv
  echo "fetch.sh: $pkg is now $ver; update the integrity attributes that use these files"
  exit 0
fi

[[ $# -eq 0 ]] || die "unknown argument $1 (use --check or --update PKG VERSION)"
while IFS=$'\t' read -r pkg ver integrity src dst sha; do
  unpack "$pkg" "$ver" "$integrity"
  [[ -f "$dir/$src" ]] || die "$pkg@$ver has no $src"
  # Verify before copying, so a bad download never overwrites a good file.
  [[ "$(hash_b64 sha384 "$dir/$src")" == "$sha" ]] \
    || die "$pkg@$ver $src does not match the sha384 in manifest.tsv"
  mkdir -p "$(dirname "$dst")"
  cp "$dir/$src" "$dst"
done < <(rows)
check_no_strays
echo "fetch.sh: fetched and verified $(rows | wc -l | tr -d ' ') files"
