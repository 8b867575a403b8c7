//! The Passkeys section of the Authentication page and the passkey button
//! of the sign-in page.
