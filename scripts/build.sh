#!/usr/bin/env bash
# The release build of the server and the site: the Wasm, JS and CSS get
# content-hashed names (hash.txt beside the binary names them) and brotli and
# gzip copies next to them, which the server sends by Accept-Encoding.
# `--split` cuts the Wasm at the lazy routes (src/app/lazy.rs): each page a
# visit of the security page does not open is its own file, fetched when the
# page is opened.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo leptos build --release --precompress --split "$@"
