#!/usr/bin/env bash
# The release build of the server and the site: the Wasm, JS and CSS get
# content-hashed names (hash.txt beside the binary names them) and brotli and
# gzip copies next to them, which the server sends by Accept-Encoding.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo leptos build --release --precompress "$@"
