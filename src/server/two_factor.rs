//! Second-factor checks every room uses: verifying a typed code (with the
//! per-account lockout and TOTP replay protection), sending SMS codes (with
//! their limits) and sudo mode.

use crate::error::AppError;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::{AuthSession, CHALLENGE_TTL_MS, set_cookie};
use crate::server::crypto::{RandomToken, codes, sealing, totp};
use crate::server::db::new_id;
use crate::server::rate_limit;
use crate::server::state::AppState;
use crate::server::store::events::ClientMeta;
use crate::server::store::{sessions, two_factor};
use crate::time::now_ms;
use crate::two_factor::{CodeInput, Method, SMS_CODE_MINUTES, SMS_RESEND_SECS, classify_code};

const TOTP_SEAL_PURPOSE: &str = "totp-secret";
const BACKUP_CODE_PURPOSE: &str = "backup-code";
const SMS_CODE_PURPOSE: &str = "sms-code";

/// Which factor a verified code was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactorUsed {
    Totp,
    Sms,
    BackupCode { remaining: i64 },
}

impl FactorUsed {
    /// The suffix of `sessions.auth_method` after "password+".
    pub fn auth_method_suffix(self) -> &'static str {
        match self {
            FactorUsed::Totp => "totp",
            FactorUsed::Sms => "sms",
            FactorUsed::BackupCode { .. } => "backup_code",
        }
    }
}

/// Why a code is being checked, for the security events.
#[derive(Clone, Copy, Debug)]
pub enum CodePurpose {
    SignIn,
    Sudo,
}

impl CodePurpose {
    fn as_str(self) -> &'static str {
        match self {
            CodePurpose::SignIn => "sign_in",
            CodePurpose::Sudo => "sudo",
        }
    }
}

/// The SMS binding of a sign-in challenge.
pub fn sign_in_binding(challenge_id: &str) -> String {
    format!("sign_in:{challenge_id}")
}

/// The SMS binding of a session's sudo confirmation.
pub fn sudo_binding(session_id: &str) -> String {
    format!("sudo:{session_id}")
}

/// The SMS binding of an enrolment.
pub fn enrolment_binding(enrolment_id: &str) -> String {
    format!("enrol:{enrolment_id}")
}

impl AppState {
    /// Seals a TOTP secret for storage, bound to its user.
    pub fn seal_totp(&self, user_id: &str, secret: &totp::TotpSecret) -> Result<String, AppError> {
        sealing::seal(
            &self.key,
            TOTP_SEAL_PURPOSE,
            user_id.as_bytes(),
            secret.as_bytes(),
        )
        .map_err(AppError::from)
    }

    /// Opens a sealed TOTP secret of `user_id`.
    pub fn open_totp(&self, user_id: &str, sealed: &str) -> Result<totp::TotpSecret, AppError> {
        let bytes = sealing::open(&self.key, TOTP_SEAL_PURPOSE, user_id.as_bytes(), sealed)?;
        totp::TotpSecret::from_bytes(&bytes).ok_or_else(|| {
            AppError::from(anyhow::anyhow!("sealed TOTP secret has the wrong length"))
        })
    }

    /// The MAC under which a backup code is stored.
    pub fn backup_code_mac(&self, normalized_code: &str) -> String {
        self.key
            .mac_hex(BACKUP_CODE_PURPOSE, normalized_code.as_bytes())
    }

    fn sms_code_mac(&self, binding: &str, code: &str) -> String {
        self.key
            .mac_hex(SMS_CODE_PURPOSE, format!("{binding}:{code}").as_bytes())
    }

    /// Checks a TOTP code against `secret` and accepts its time step once only.
    /// `Ok(false)` is a wrong code; a replay is recorded and refused.
    pub async fn accept_totp(
        &self,
        user_id: &str,
        secret: &totp::TotpSecret,
        code: &str,
        client: &ClientMeta,
    ) -> Result<bool, AppError> {
        let unix_secs = (now_ms() / 1000).max(0) as u64;
        let Some(step) = totp::matching_step(secret, code, unix_secs) else {
            return Ok(false);
        };
        if two_factor::advance_totp_step(&self.pool, user_id, step as i64).await? {
            return Ok(true);
        }
        self.record_event(
            Some(user_id),
            EventKind::TotpReuseRefused,
            Outcome::Failure,
            client,
            serde_json::json!({"step": step}),
        )
        .await?;
        Err(AppError::validation(
            "code",
            "That code was already used. Wait for the next code in your app.",
        ))
    }

    /// Verifies a typed second-factor code for `user_id`: the method's code
    /// (TOTP, or the SMS sent for `sms_binding`) or an unused backup code.
    /// Every attempt counts against the account's lockout before it is checked.
    pub async fn verify_second_factor(
        &self,
        user_id: &str,
        typed: &str,
        sms_binding: &str,
        purpose: CodePurpose,
        client: &ClientMeta,
    ) -> Result<FactorUsed, AppError> {
        let input =
            classify_code(typed).map_err(|message| AppError::validation("code", message))?;
        let record = two_factor::get(&self.pool, user_id).await?;
        let Some(method) = record.active_method() else {
            return Err(AppError::validation(
                "code",
                "Two-factor authentication is not turned on.",
            ));
        };
        let now = now_ms();
        let attempt = self.take_code_attempt(user_id, now).await?;
        let outcome = match &input {
            CodeInput::Digits(code) => match method {
                Method::Totp => {
                    let sealed = record.totp_secret_sealed.as_deref().unwrap_or_default();
                    let secret = self.open_totp(user_id, sealed)?;
                    match self.accept_totp(user_id, &secret, code, client).await {
                        Ok(true) => Ok(Some(FactorUsed::Totp)),
                        Ok(false) => Ok(None),
                        Err(error) => Err(error),
                    }
                }
                Method::Sms => self
                    .use_sms_code_for(sms_binding, code, now)
                    .await
                    .map(|used| used.then_some(FactorUsed::Sms)),
            },
            CodeInput::Backup(code) => {
                let mac = self.backup_code_mac(code);
                if two_factor::use_backup_code(&self.pool, user_id, &mac, now).await? {
                    let remaining = two_factor::unused_backup_codes(&self.pool, user_id).await?;
                    self.record_event(
                        Some(user_id),
                        EventKind::BackupCodeUsed,
                        Outcome::Success,
                        client,
                        serde_json::json!({"remaining": remaining, "purpose": purpose.as_str()}),
                    )
                    .await?;
                    Ok(Some(FactorUsed::BackupCode { remaining }))
                } else {
                    Ok(None)
                }
            }
        };
        match outcome {
            Ok(Some(used)) => {
                self.clear_code_attempts(user_id).await?;
                Ok(used)
            }
            Ok(None) => Err(self.code_failed(user_id, attempt, purpose, client).await?),
            Err(error) => {
                self.code_failed(user_id, attempt, purpose, client).await?;
                Err(error)
            }
        }
    }

    /// Records a failed code; the failure that uses up the budget locks the
    /// check and says for how long.
    async fn code_failed(
        &self,
        user_id: &str,
        attempt: i64,
        purpose: CodePurpose,
        client: &ClientMeta,
    ) -> Result<AppError, AppError> {
        self.record_event(
            Some(user_id),
            EventKind::TwoFactorChallengeFailed,
            Outcome::Failure,
            client,
            serde_json::json!({"purpose": purpose.as_str(), "attempt": attempt}),
        )
        .await?;
        if attempt < rate_limit::CODE_ATTEMPTS {
            return Ok(AppError::InvalidCode);
        }
        self.record_event(
            Some(user_id),
            EventKind::TwoFactorLockout,
            Outcome::Failure,
            client,
            serde_json::json!({"purpose": purpose.as_str(), "minutes": rate_limit::CODE_LOCK_MS / 60_000}),
        )
        .await?;
        Ok(AppError::RateLimited {
            retry_after: (rate_limit::CODE_LOCK_MS / 1000) as u64,
        })
    }

    /// Uses the SMS code sent for `binding` if `code` matches it; true for exactly one caller.
    pub async fn use_sms_code_for(
        &self,
        binding: &str,
        code: &str,
        now: i64,
    ) -> Result<bool, AppError> {
        let mac = self.sms_code_mac(binding, code);
        two_factor::use_sms_code(&self.pool, binding, &mac, now)
            .await
            .map_err(AppError::from)
    }

    /// Seconds until another SMS may be sent for `binding` (0 when it may now).
    pub async fn sms_resend_in(&self, binding: &str, now: i64) -> Result<i64, AppError> {
        let sent_at = two_factor::sms_code_sent_at(&self.pool, binding).await?;
        Ok(sent_at
            .map(|sent| ((sent + SMS_RESEND_SECS * 1000 - now).max(0) + 999) / 1000)
            .unwrap_or(0))
    }

    /// Sends a fresh 6-digit code to `phone` for `binding`, replacing the
    /// previous one; refused inside the resend countdown and past the per-user
    /// and per-number limits.
    pub async fn send_sms_code(
        &self,
        user_id: &str,
        phone: &str,
        binding: &str,
        client: &ClientMeta,
    ) -> Result<(), AppError> {
        let now = now_ms();
        let wait = self.sms_resend_in(binding, now).await?;
        if wait > 0 {
            return Err(AppError::RateLimited {
                retry_after: wait as u64,
            });
        }
        self.hit_limit(rate_limit::SMS_SENDS_PER_USER, user_id, now)
            .await?;
        self.hit_limit(rate_limit::SMS_SENDS_PER_PHONE, phone, now)
            .await?;
        let code = codes::generate_sms_code();
        let body = format!(
            "Your StatusStack code is {}. It expires in {SMS_CODE_MINUTES} minutes. Never share it.",
            code.expose()
        );
        if let Err(error) = self.sms.send(phone, &body).await {
            tracing::error!(error = ?error, provider = self.sms.name(), "SMS delivery failed");
            return Err(AppError::validation(
                "phone",
                "We could not send the text message. Check the number or try again in a minute.",
            ));
        }
        let mac = self.sms_code_mac(binding, code.expose());
        two_factor::put_sms_code(
            &self.pool,
            &two_factor::SmsCode {
                binding,
                user_id,
                phone,
                code_mac: &mac,
                sent_at: now,
                expires_at: now + SMS_CODE_MINUTES * 60 * 1000,
            },
        )
        .await?;
        self.record_event(
            Some(user_id),
            EventKind::SmsCodeSent,
            Outcome::Success,
            client,
            serde_json::json!({"purpose": binding.split(':').next().unwrap_or_default()}),
        )
        .await
    }

    /// Sudo mode: passes while the session re-authenticated within the window;
    /// otherwise needs the password, and a second-factor code when 2FA is on,
    /// and then opens a new window.
    pub async fn confirm_sudo(
        &self,
        session: &AuthSession,
        password: Option<String>,
        code: Option<String>,
        client: &ClientMeta,
    ) -> Result<(), AppError> {
        let now = now_ms();
        let password = password.filter(|p| !p.is_empty());
        let Some(password) = password else {
            return session.require_recent_auth(now);
        };
        let wrong_password = || AppError::validation("password", "Your password is incorrect.");
        if password.chars().count() > crate::account::PASSWORD_MAX_CHARS {
            return Err(wrong_password());
        }
        if !self
            .verify_own_password(&session.user, &password, &client.ip, now)
            .await?
        {
            return Err(wrong_password());
        }
        self.clear_sign_in_failures(&session.user.email).await?;
        let record = two_factor::get(&self.pool, &session.user.id).await?;
        if record.method.is_some() {
            let code = code.filter(|c| !c.trim().is_empty()).ok_or_else(|| {
                AppError::validation(
                    "code",
                    "Enter a code from your second factor, or a backup code.",
                )
            })?;
            self.verify_second_factor(
                &session.user.id,
                &code,
                &sudo_binding(&session.session_id),
                CodePurpose::Sudo,
                client,
            )
            .await
            .map_err(|error| match error {
                AppError::InvalidCode => AppError::validation("code", "That code is not valid."),
                other => other,
            })?;
        }
        sessions::mark_reauthenticated(&self.pool, &session.session_id, now)
            .await
            .map_err(AppError::from)
    }
}

impl AppState {
    /// After a correct password on an account with 2FA: stores a short-lived
    /// challenge, binds it to this browser by cookie and sends it to the
    /// second step. No session exists until the challenge is passed.
    pub async fn start_sign_in_challenge(
        &self,
        user_id: &str,
        next: &str,
        now: i64,
    ) -> Result<(), AppError> {
        let token = RandomToken::generate();
        let challenge = two_factor::Challenge {
            id: new_id(),
            user_id: user_id.to_string(),
            expires_at: now + CHALLENGE_TTL_MS,
            next_path: next.to_string(),
        };
        two_factor::insert_challenge(&self.pool, &challenge, &token.hash(), now).await?;
        set_cookie(&self.challenge_cookie(&token))?;
        leptos_axum::redirect(CHALLENGE_PATH);
        Ok(())
    }

    /// The unexpired sign-in challenge this browser holds, if any.
    pub async fn challenge_from_headers(
        &self,
        headers: &http::HeaderMap,
    ) -> Result<Option<two_factor::Challenge>, AppError> {
        let Some(token) = self.challenge_token_from_headers(headers) else {
            return Ok(None);
        };
        two_factor::find_challenge(&self.pool, &token.hash(), now_ms())
            .await
            .map_err(AppError::from)
    }
}

/// Where a half-signed-in browser enters its second factor.
pub const CHALLENGE_PATH: &str = "/login/two-factor";
