//! The site's built files under `/pkg` (the Wasm, its JavaScript and the
//! CSS): served from the brotli or gzip copy the release build made next to
//! each file, by the client's `Accept-Encoding`; cached for a year when the
//! name carries a content hash (a new build gets new names), revalidated on
//! every use when it does not.

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;
use http::header::{CACHE_CONTROL, VARY};
use std::path::Path;
use tower_http::services::ServeDir;

/// Where the built files are served from.
pub const PKG_PATH: &str = "/pkg";

/// For names that change whenever the content does.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";
/// For the rest: keep a copy, but ask (`If-Modified-Since`) before using it.
const CACHE_REVALIDATE: &str = "no-cache";

/// Whether `file_name` has the content hash cargo-leptos puts in built
/// names (`statusstack.<hash>.wasm`: an MD5 in unpadded URL-safe base64).
pub fn is_content_hashed(file_name: &str) -> bool {
    let mut parts = file_name.rsplit('.');
    let (Some(_extension), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !stem.is_empty()
        && hash.len() == 22
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The file cargo-leptos writes beside the server binary, naming the hashes
/// it put in the built files' names.
pub const HASH_FILE: &str = "hash.txt";

/// What this binary's pages will ask for under `/pkg`.
#[derive(Debug, PartialEq, Eq)]
pub struct BuiltNames {
    /// Whether the names carry content hashes (read from [`HASH_FILE`]).
    pub hashed: bool,
    /// The Wasm file the pages load, e.g. `statusstack.<hash>.wasm`.
    pub wasm: String,
}

impl BuiltNames {
    /// The names the way Leptos's `HydrationScripts` works them out: from
    /// the hash file beside the binary when there is one; otherwise the
    /// plain name (`_bg` added when the binary was not built by cargo-leptos,
    /// which passes `LEPTOS_OUTPUT_NAME`).
    pub fn of_this_binary(output_name: &str) -> BuiltNames {
        let hashes = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(HASH_FILE)))
            .and_then(|file| std::fs::read_to_string(file).ok());
        match hashes.as_deref().and_then(wasm_hash) {
            Some(hash) => BuiltNames {
                hashed: true,
                wasm: format!("{output_name}.{hash}.wasm"),
            },
            None if option_env!("LEPTOS_OUTPUT_NAME").is_some() => BuiltNames {
                hashed: false,
                wasm: format!("{output_name}.wasm"),
            },
            None => BuiltNames {
                hashed: false,
                wasm: format!("{output_name}_bg.wasm"),
            },
        }
    }

    /// Refuses a site that was built with another binary: its pages would
    /// ask for a Wasm that is not there, and no page would come alive. A
    /// site root with no `pkg` at all (an API-only or test server) passes.
    pub fn check_site(&self, site_root: &Path) -> anyhow::Result<()> {
        let pkg = site_root.join("pkg");
        if !pkg.is_dir() || pkg.join(&self.wasm).is_file() {
            return Ok(());
        }
        anyhow::bail!(
            "{} has no {}, the Wasm this server's pages load: the site was built by another \
             build. Build both together with `make build` (scripts/build.sh).",
            pkg.display(),
            self.wasm
        )
    }
}

/// The Wasm hash in the hash file's `wasm: <hash>` line.
fn wasm_hash(hashes: &str) -> Option<&str> {
    hashes.lines().find_map(|line| {
        let (kind, hash) = line.split_once(':')?;
        let hash = hash.trim();
        (kind.trim() == "wasm" && !hash.is_empty()).then_some(hash)
    })
}

/// Adds the caching headers of a built file.
async fn cache_headers(request: Request, next: Next) -> Response {
    let hashed = request
        .uri()
        .path()
        .rsplit('/')
        .next()
        .is_some_and(is_content_hashed);
    let mut response = next.run(request).await;
    let cache = if hashed && response.status().is_success() {
        CACHE_FOREVER
    } else {
        CACHE_REVALIDATE
    };
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    // The same address answers brotli, gzip or plain bytes.
    headers.append(VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// The `/pkg` routes, serving `<site_root>/pkg`.
pub fn routes<S: Clone + Send + Sync + 'static>(site_root: &Path) -> Router<S> {
    let files = ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .nest_service(PKG_PATH, files)
        .layer(axum::middleware::from_fn(cache_headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wasm_hash_is_read_from_its_line() {
        let file = "js: aaaaaaaaaaaaaaaaaaaaaa\nwasm: bbbbbbbbbbbbbbbbbbbbbb\ncss: c\n";
        assert_eq!(wasm_hash(file), Some("bbbbbbbbbbbbbbbbbbbbbb"));
        assert_eq!(wasm_hash("js: a\n"), None);
        assert_eq!(wasm_hash("wasm:   \n"), None);
    }

    #[test]
    fn a_site_without_the_wasm_this_binary_names_is_refused() {
        let root = std::env::temp_dir().join(format!("ss-site-{}", uuid::Uuid::now_v7().simple()));
        let names = BuiltNames {
            hashed: true,
            wasm: "statusstack.bbbbbbbbbbbbbbbbbbbbbb.wasm".into(),
        };
        assert!(
            names.check_site(&root).is_ok(),
            "no pkg at all: nothing to check"
        );
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        std::fs::write(root.join("pkg/statusstack_bg.wasm"), b"\0asm").unwrap();
        let refused = names.check_site(&root).unwrap_err().to_string();
        assert!(
            refused.contains("statusstack.bbbbbbbbbbbbbbbbbbbbbb.wasm"),
            "{refused}"
        );
        std::fs::write(root.join("pkg").join(&names.wasm), b"\0asm").unwrap();
        assert!(names.check_site(&root).is_ok());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn only_names_with_a_content_hash_count_as_hashed() {
        assert!(is_content_hashed("statusstack.oG3Nn1M0Jqx9kQ-wWv_TzA.wasm"));
        assert!(is_content_hashed("statusstack.oG3Nn1M0Jqx9kQ-wWv_TzA.css"));
        assert!(!is_content_hashed("statusstack.wasm"));
        assert!(!is_content_hashed("statusstack_bg.wasm"));
        assert!(!is_content_hashed(".oG3Nn1M0Jqx9kQ-wWv_TzA.js"));
        assert!(!is_content_hashed("statusstack.oG3Nn1M0Jqx9kQ+wWv/TzA.js"));
        assert!(!is_content_hashed("statusstack.short.js"));
    }
}
