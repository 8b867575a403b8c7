//! The browser's WebAuthn API: the server's options (WebAuthn's JSON) in,
//! the authenticator's answer (its `toJSON()`) out. The JSON helpers of
//! `PublicKeyCredential` do the base64url conversions, so no WebAuthn type
//! is compiled into the Wasm.

use crate::error::AppError;

/// Why the browser gave no answer. (On the server no browser answers, so
/// only the browser build makes most of them.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum BrowserRefusal {
    /// The user cancelled, or the request timed out.
    Cancelled,
    /// This device already holds a passkey for the account.
    AlreadyRegistered,
    /// A newer request replaced this one.
    Superseded,
    /// The page is not at the site's own address.
    WrongAddress,
    /// The browser cannot use passkeys.
    Unsupported,
}

impl BrowserRefusal {
    /// What to tell the user; `None` when there is nothing to say.
    pub fn message(self) -> Option<&'static str> {
        match self {
            BrowserRefusal::Cancelled => Some(
                "The passkey request was cancelled or timed out. Try again when you are ready.",
            ),
            BrowserRefusal::AlreadyRegistered => {
                Some("This device already holds a passkey for your account.")
            }
            BrowserRefusal::Superseded => None,
            BrowserRefusal::WrongAddress => Some(
                "Passkeys only work at this site's own address. Open it from its usual link and try again.",
            ),
            BrowserRefusal::Unsupported => {
                Some("This browser cannot use passkeys. Sign in with your password instead.")
            }
        }
    }
}

/// Asks this device for a passkey: `start` fetches the server's ceremony
/// (its handle and request options), the browser's dialog answers, and
/// `finish` hands the answer back to the server. On failure, what to tell
/// the user (`None` when there is nothing to say).
pub async fn ask_for_passkey<T, Start, Finish>(
    start: Start,
    finish: impl FnOnce(String, String) -> Finish,
) -> Result<T, Option<String>>
where
    Start: std::future::Future<Output = Result<(String, String), AppError>>,
    Finish: std::future::Future<Output = Result<T, AppError>>,
{
    let (handle, options) = start.await.map_err(|error| Some(explain(error)))?;
    let answer = get(&options, None)
        .await
        .map_err(|refusal| refusal.message().map(str::to_string))?;
    finish(handle, answer)
        .await
        .map_err(|error| Some(explain(error)))
}

/// What a refused ceremony tells the user: a validation's own message.
pub fn explain(error: AppError) -> String {
    match error {
        AppError::Validation { message, .. } => message,
        other => other.to_string(),
    }
}

/// A full page load of `path`, so a new session's cookie frames everything.
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
pub fn go_to(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = leptos::web_sys::window() {
        let _ = window.location().set_href(path);
    }
}

#[cfg(feature = "hydrate")]
pub use live::*;

#[cfg(not(feature = "hydrate"))]
pub use rendered::*;

/// On the server nothing runs these: they exist so the views compile.
#[cfg(not(feature = "hydrate"))]
mod rendered {
    use super::BrowserRefusal;

    /// A cancellable request (the browser's `AbortController`).
    #[derive(Clone)]
    pub struct Abort;

    impl Abort {
        pub fn new() -> Option<Abort> {
            None
        }

        pub fn abort(&self) {}
    }

    pub fn supported() -> bool {
        false
    }

    pub async fn conditional_mediation_available() -> bool {
        false
    }

    pub async fn create(_options: &str) -> Result<String, BrowserRefusal> {
        Err(BrowserRefusal::Unsupported)
    }

    pub async fn conditional_create_available() -> bool {
        false
    }

    pub async fn create_conditionally(
        _options: &str,
        _abort: &Abort,
    ) -> Result<String, BrowserRefusal> {
        Err(BrowserRefusal::Unsupported)
    }

    pub async fn get(
        _options: &str,
        _conditional: Option<&Abort>,
    ) -> Result<String, BrowserRefusal> {
        Err(BrowserRefusal::Unsupported)
    }
}

#[cfg(feature = "hydrate")]
mod live {
    use super::BrowserRefusal;
    use js_sys::{Array, Function, JSON, Object, Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    fn property(target: &JsValue, name: &str) -> Result<JsValue, JsValue> {
        Reflect::get(target, &JsValue::from_str(name))
    }

    fn method(target: &JsValue, name: &str) -> Result<Function, JsValue> {
        property(target, name)?.dyn_into::<Function>()
    }

    fn credential_class() -> Option<JsValue> {
        property(&js_sys::global(), "PublicKeyCredential")
            .ok()
            .filter(JsValue::is_function)
    }

    /// A cancellable request (the browser's `AbortController`), so a
    /// waiting autofill request can give way to the button's.
    #[derive(Clone)]
    pub struct Abort(send_wrapper::SendWrapper<JsValue>);

    impl Abort {
        pub fn new() -> Option<Abort> {
            let class = method(&js_sys::global(), "AbortController").ok()?;
            Reflect::construct(&class, &Array::new())
                .ok()
                .map(|controller| Abort(send_wrapper::SendWrapper::new(controller)))
        }

        pub fn abort(&self) {
            if let Ok(abort) = method(&self.0, "abort") {
                let _ = abort.call0(&self.0);
            }
        }

        fn signal(&self) -> Result<JsValue, JsValue> {
            property(&self.0, "signal")
        }
    }

    /// Whether this browser has WebAuthn and its JSON helpers.
    pub fn supported() -> bool {
        credential_class().is_some_and(|class| {
            method(&class, "parseCreationOptionsFromJSON").is_ok()
                && method(&class, "parseRequestOptionsFromJSON").is_ok()
        })
    }

    /// Whether the browser can offer passkeys in the email field's autofill.
    pub async fn conditional_mediation_available() -> bool {
        class_answer("isConditionalMediationAvailable")
            .await
            .and_then(|answer| answer.as_bool())
            .unwrap_or(false)
    }

    /// What a `PublicKeyCredential` static method's promise resolves to.
    async fn class_answer(name: &str) -> Option<JsValue> {
        let class = credential_class().filter(|_| supported())?;
        let promise = method(&class, name).ok()?.call0(&class).ok()?;
        JsFuture::from(promise.dyn_into::<Promise>().ok()?)
            .await
            .ok()
    }

    /// `navigator.credentials.create` with these creation options.
    pub async fn create(options: &str) -> Result<String, BrowserRefusal> {
        run(options, "parseCreationOptionsFromJSON", "create", None).await
    }

    /// Whether the browser can create a passkey without a dialog, right
    /// after its password manager filled in a sign-in (conditional create).
    pub async fn conditional_create_available() -> bool {
        class_answer("getClientCapabilities")
            .await
            .and_then(|capabilities| property(&capabilities, "conditionalCreate").ok())
            .and_then(|answer| answer.as_bool())
            .unwrap_or(false)
    }

    /// `navigator.credentials.create` with conditional mediation: the
    /// browser creates the passkey quietly if it may, or refuses.
    pub async fn create_conditionally(
        options: &str,
        abort: &Abort,
    ) -> Result<String, BrowserRefusal> {
        run(
            options,
            "parseCreationOptionsFromJSON",
            "create",
            Some(abort),
        )
        .await
    }

    /// `navigator.credentials.get` with these request options; with
    /// `conditional`, offered in autofill until that request is aborted.
    pub async fn get(options: &str, conditional: Option<&Abort>) -> Result<String, BrowserRefusal> {
        run(options, "parseRequestOptionsFromJSON", "get", conditional).await
    }

    async fn run(
        options: &str,
        parser: &str,
        verb: &str,
        conditional: Option<&Abort>,
    ) -> Result<String, BrowserRefusal> {
        let class = credential_class()
            .filter(|_| supported())
            .ok_or(BrowserRefusal::Unsupported)?;
        let answer: Result<JsValue, JsValue> = async {
            let public_key = method(&class, parser)?.call1(&class, &JSON::parse(options)?)?;
            let request = Object::new();
            Reflect::set(&request, &"publicKey".into(), &public_key)?;
            if let Some(abort) = conditional {
                Reflect::set(&request, &"mediation".into(), &"conditional".into())?;
                Reflect::set(&request, &"signal".into(), &abort.signal()?)?;
            }
            let credentials = property(&property(&js_sys::global(), "navigator")?, "credentials")?;
            let pending = method(&credentials, verb)?.call1(&credentials, &request)?;
            let credential = JsFuture::from(pending.dyn_into::<Promise>()?).await?;
            let json = method(&credential, "toJSON")?.call0(&credential)?;
            JSON::stringify(&json).map(JsValue::from)
        }
        .await;
        match answer {
            Ok(json) => json.as_string().ok_or(BrowserRefusal::Unsupported),
            Err(error) => Err(refusal(&error)),
        }
    }

    fn refusal(error: &JsValue) -> BrowserRefusal {
        let name = property(error, "name")
            .ok()
            .and_then(|name| name.as_string())
            .unwrap_or_default();
        match name.as_str() {
            "NotAllowedError" => BrowserRefusal::Cancelled,
            "InvalidStateError" => BrowserRefusal::AlreadyRegistered,
            "AbortError" => BrowserRefusal::Superseded,
            "SecurityError" => BrowserRefusal::WrongAddress,
            _ => BrowserRefusal::Unsupported,
        }
    }
}
