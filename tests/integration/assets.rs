//! Built files under /pkg: the precompressed copy by `Accept-Encoding`, a
//! year's caching for content-hashed names only, and revalidation.

use crate::helpers::*;
use std::io::Read;

const HASHED_WASM: &str = "statusstack.oG3Nn1M0Jqx9kQ-wWv_TzA.wasm";

/// A GET of `path` with these headers: status, headers and the raw bytes.
pub async fn fetch(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = app.http.get(format!("{}{path}", app.base));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

pub fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut plain)
        .expect("a gzip body");
    plain
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Writes a built site as scripts/build.sh leaves it: a hashed Wasm with its
/// brotli and gzip copies, and a file without a hash.
fn write_site(app: &TestApp) -> Vec<u8> {
    let pkg = app.data_dir().join("site").join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let wasm: Vec<u8> = b"\0asm\x01\0\0\0"
        .iter()
        .chain([7u8; 4000].iter())
        .copied()
        .collect();
    std::fs::write(pkg.join(HASHED_WASM), &wasm).unwrap();
    std::fs::write(pkg.join(format!("{HASHED_WASM}.gz")), gzip(&wasm)).unwrap();
    std::fs::write(pkg.join(format!("{HASHED_WASM}.br")), b"brotli copy").unwrap();
    std::fs::write(pkg.join("unhashed.css"), b"body { color: black }").unwrap();
    wasm
}

both_databases! {
    async fn built_files_come_precompressed_by_accept_encoding(app) {
        let wasm = write_site(&app);
        let path = format!("/pkg/{HASHED_WASM}");

        let (status, headers, body) = fetch(&app, &path, None, &[("accept-encoding", "gzip, deflate, br")]).await;
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-encoding"), "br");
        assert_eq!(body, b"brotli copy", "the brotli file made at build time");
        assert_eq!(header(&headers, "content-type"), "application/wasm");
        assert!(header(&headers, "vary").to_ascii_lowercase().contains("accept-encoding"));

        let (_, headers, body) = fetch(&app, &path, None, &[("accept-encoding", "gzip")]).await;
        assert_eq!(header(&headers, "content-encoding"), "gzip");
        assert_eq!(gunzip(&body), wasm);

        let (_, headers, body) = fetch(&app, &path, None, &[]).await;
        assert_eq!(header(&headers, "content-encoding"), "", "no Accept-Encoding: the plain file");
        assert_eq!(body, wasm);
    }

    async fn only_content_hashed_names_are_cached_for_a_year(app) {
        write_site(&app);
        let (_, hashed, _) = fetch(&app, &format!("/pkg/{HASHED_WASM}"), None, &[]).await;
        assert_eq!(header(&hashed, "cache-control"), "public, max-age=31536000, immutable");
        assert_eq!(header(&hashed, "x-content-type-options"), "nosniff");

        let (status, plain, _) = fetch(&app, "/pkg/unhashed.css", None, &[]).await;
        assert_eq!(status, 200);
        assert_eq!(header(&plain, "cache-control"), "no-cache", "revalidated on every use");
        let modified = header(&plain, "last-modified").to_string();
        assert!(!modified.is_empty());
        let (status, _, body) = fetch(&app, "/pkg/unhashed.css", None, &[("if-modified-since", &modified)]).await;
        assert_eq!(status, 304, "unchanged: nothing to download again");
        assert!(body.is_empty());

        let (status, missing, _) = fetch(&app, "/pkg/statusstack.AAAAAAAAAAAAAAAAAAAAAA.js", None, &[]).await;
        assert_eq!(status, 404);
        assert_eq!(header(&missing, "cache-control"), "no-cache", "a miss is never kept for a year");

        let (_, page, _) = fetch(&app, "/login", None, &[]).await;
        assert_eq!(header(&page, "cache-control"), "no-store", "pages are never cached");
    }

    async fn no_path_leaves_the_built_files(app) {
        write_site(&app);
        // The data directory holds the site (site/pkg) and the server's key.
        std::fs::write(app.data_dir().join("secret.txt"), b"key").unwrap();
        for path in ["/pkg/%2e%2e/%2e%2e/secret.txt", "/pkg/..%2f..%2fsecret.txt", "/pkg/%2e%2e%2f%2e%2e%2fsecret.txt", "/pkg/..%5c..%5csecret.txt"] {
            let (status, _, body) = fetch(&app, path, None, &[]).await;
            assert_ne!(body, b"key", "{path} gave away a file outside the site");
            assert!(status == 404 || status == 400, "{path}: {status}");
        }
    }
}
