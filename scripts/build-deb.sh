#!/usr/bin/env bash
# build-deb.sh — the Debian package, in one command, from the repository root:
#     bash scripts/build-deb.sh [OUT_DIR]  prints the path of the .deb it made
#                                          (in OUT_DIR, by default target/debian/)
# Builds the release binary, generates from it the man page and the bash, zsh and fish
# completions, writes the DEP-5 copyright file (each shipped voice pack's licence, read from its
# pack.toml) and the Debian changelog into $TARGET/deb-assets/, then runs `cargo deb`, whose
# metadata and asset list are in Cargo.toml ([package.metadata.deb]). Every pack under audio/ and
# every script under script/ is shipped (globs), in /usr/share/balasana-audio/ laid out as here;
# the binary is built without the embedded-voice feature (heart is one of those packs).
# Needs cargo-deb (`cargo install cargo-deb --version 3.8.0 --locked`); no -dev package.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-target}
ASSETS=$TARGET/deb-assets
OUT=${1:-$TARGET/debian}
command -v cargo-deb >/dev/null || {
  echo "build-deb.sh: cargo-deb is missing: cargo install cargo-deb --version 3.8.0 --locked" >&2
  exit 1
}

# Without the embedded-voice feature: the heart pack is shipped as a folder like every other
# pack (below), not compiled in, so the binary carries no voice.
cargo build --release --locked --no-default-features >&2
BIN=$TARGET/release/balasana-audio
rm -rf "$ASSETS"
mkdir -p "$ASSETS/completions"
"$BIN" man | gzip -9n >"$ASSETS/balasana-audio.1.gz"
"$BIN" completions bash >"$ASSETS/completions/balasana-audio"
"$BIN" completions zsh >"$ASSETS/completions/_balasana-audio"
"$BIN" completions fish >"$ASSETS/completions/balasana-audio.fish"
gzip -9n <CHANGELOG.md >"$ASSETS/changelog.gz"

VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
MAINTAINER=$(sed -n 's/^maintainer = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)

# The pack.toml value of a top-level key (before the first table), a one-line basic string.
toml_value() {
  awk -v key="$1" '
    /^\[/ { exit }
    $0 ~ "^" key "[ \t]*=" {
      sub(/^[^=]*=[ \t]*"/, ""); sub(/"[ \t]*(#.*)?$/, "")
      gsub(/\\"/, "\""); gsub(/\\\\/, "\\"); print; exit
    }' "$2"
}

# The time of the last commit (or SOURCE_DATE_EPOCH), so that a build is reproducible.
EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
YEAR=$(date -u -d "@$EPOCH" +%Y)
YEARS=2026   # the project's first year, to the year of the build
[ "$YEAR" = 2026 ] || YEARS=2026-$YEAR

# Debian's changelog: one entry for this version (cargo-deb compresses it).
cat >"$ASSETS/changelog" <<EOF
balasana-audio ($VERSION-1) unstable; urgency=medium

  * Release $VERSION; see /usr/share/doc/balasana-audio/changelog.gz.

 -- $MAINTAINER  $(date -R -u -d "@$EPOCH")
EOF

# The copyright file (DEP-5): the program's licence, then one paragraph per shipped voice pack
# naming its voice and licence as its pack.toml gives them.
{
  cat <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: balasana-audio
Upstream-Contact: $MAINTAINER

Files: *
Copyright: $YEARS balasana-audio contributors
License: MIT or Apache-2.0
Comment: The program and its session scripts; each voice pack's clips and its voice's terms
 are below.
EOF
  licences=""
  for toml in audio/*/pack.toml; do
    pack=$(basename "$(dirname "$toml")")
    name=$(toml_value name "$toml")
    voice=$(toml_value voice "$toml")
    licence=$(toml_value licence "$toml")
    printf '\nFiles: audio/%s/*\n' "$pack"
    printf 'Copyright: %s balasana-audio contributors (the clips); the voice'"'"'s authors (see LICENSE.txt)\n' "$YEARS"
    printf 'License: voice-pack-%s\n' "$name"
    printf 'Comment: Voice pack "%s", installed in /usr/share/balasana-audio/audio/%s/: %s\n' \
      "$name" "$pack" "$voice"
    licences+=$(printf '\nLicense: voice-pack-%s\n %s\n .\n The full terms are in /usr/share/balasana-audio/audio/%s/LICENSE.txt.\n' \
      "$name" "$licence" "$pack")
    licences+=$'\n'
  done
  printf '%s' "$licences"
  cat <<'EOF'

License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy
 of this software and associated documentation files (the "Software"), to deal
 in the Software without restriction, including without limitation the rights
 to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 copies of the Software, and to permit persons to whom the Software is
 furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in all
 copies or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
 SOFTWARE.

License: Apache-2.0
 On Debian systems, the complete text of the Apache License 2.0 is in
 /usr/share/common-licenses/Apache-2.0.
EOF
} >"$ASSETS/copyright"

mkdir -p "$OUT"
DEB=$OUT/balasana-audio_${VERSION}-1_$(dpkg --print-architecture).deb
cargo deb --no-build --output "$DEB" >&2
echo "$DEB"
