//! Phone numbers in E.164 form: checking what a user typed, and masking a
//! stored number for display. Plain std only: compiled for the server and the
//! browser alike.

/// Longest input looked at, in characters; a real number with separators fits
/// comfortably, and refusing early keeps pasted essays out of the checks.
const MAX_INPUT_CHARS: usize = 32;
/// Fewest digits (country code included) accepted.
const MIN_DIGITS: usize = 8;
/// Most digits E.164 allows (country code included).
const MAX_DIGITS: usize = 15;

const EMPTY: &str = "Enter your phone number in international format, starting with + and the country code (e.g. +14155550123).";
const INTERNATIONAL: &str = "Enter the number in international format, starting with + and the country code (e.g. +14155550123).";
const LEADING_00: &str =
    "Replace the leading 00 with + and enter the country code (e.g. +447911123456).";
const BAD_CHARACTERS: &str = "Use only the digits 0-9 after the +; spaces, hyphens, dots and parentheses are allowed between them (e.g. +1 415 555 0123).";
const NON_ASCII_DIGITS: &str = "Type the number with the digits 0-9, starting with + and the country code (e.g. +14155550123).";
const MISPLACED_PLUS: &str =
    "Use a single + at the start, followed by the country code (e.g. +14155550123).";
const COUNTRY_CODE_ZERO: &str = "The country code after the + cannot start with 0. Enter the number as + then the country code (e.g. +14155550123).";
const TRUNK_ZERO: &str = "Leave out the (0) after the country code: enter + then the country code and the number without its leading 0 (e.g. +49 30 901820).";
const TOO_SHORT: &str = "That number is too short. Enter + then the country code and the full number, 8 to 15 digits (e.g. +14155550123).";
const TOO_LONG: &str = "That number is too long. Enter + then the country code and the number, at most 15 digits (e.g. +14155550123).";

/// Normalizes user input to E.164: "+" followed by 8 to 15 ASCII digits, the
/// first of them 1-9. Spaces, hyphens, dots and parentheses are accepted as
/// separators and removed, as is surrounding whitespace. Anything else (letters,
/// non-ASCII digits such as '٣' or '３', a missing "+", a leading "00", too few
/// or too many digits, input longer than 32 characters) is refused with a
/// user-facing English message saying what is expected.
pub fn normalize_e164(input: &str) -> Result<String, &'static str> {
    let input = input.trim();
    if input.is_empty() {
        return Err(EMPTY);
    }
    if input.chars().count() > MAX_INPUT_CHARS {
        return Err(TOO_LONG);
    }
    // "+49 (0)30 …" means "dial 0 only from inside the country"; keeping the 0
    // would give a different number, and silently dropping it is a guess.
    if input
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .contains("(0)")
    {
        return Err(TRUNK_ZERO);
    }
    let mut compact = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            ' ' | '-' | '.' | '(' | ')' => {}
            '+' | '0'..='9' => compact.push(c),
            // Checked before the catch-all so the message can say which digits fit.
            c if c.is_numeric() => return Err(NON_ASCII_DIGITS),
            _ => return Err(BAD_CHARACTERS),
        }
    }
    if compact.starts_with("00") {
        return Err(LEADING_00);
    }
    let Some(digits) = compact.strip_prefix('+') else {
        return Err(INTERNATIONAL);
    };
    if digits.contains('+') {
        return Err(MISPLACED_PLUS);
    }
    if digits.is_empty() {
        return Err(INTERNATIONAL);
    }
    if digits.starts_with('0') {
        return Err(COUNTRY_CODE_ZERO);
    }
    if digits.len() < MIN_DIGITS {
        return Err(TOO_SHORT);
    }
    if digits.len() > MAX_DIGITS {
        return Err(TOO_LONG);
    }
    Ok(compact)
}

/// Masks a phone number for display as "•••• " followed by its last four
/// digits, e.g. "+14155550123" → "•••• 0123". Only ASCII digits count; with
/// four or fewer digits (never the case for a valid E.164 number) no digit is
/// shown and the result is just "••••".
pub fn mask_phone(e164: &str) -> String {
    let digits: Vec<char> = e164.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() <= 4 {
        return "••••".to_string();
    }
    let last_four: String = digits[digits.len() - 4..].iter().collect();
    format!("•••• {last_four}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_numbers_are_normalized() {
        for (input, expected) in [
            ("+14155550123", "+14155550123"),
            ("+1 (415) 555-0123", "+14155550123"),
            ("  +1.415.555.0123\n", "+14155550123"),
            ("+447911123456", "+447911123456"),
            ("+44 7911 123456", "+447911123456"),
            ("+49 30 901820", "+4930901820"),
            ("+49 30-1234567", "+49301234567"),
            ("+49 1512 3456789", "+4915123456789"),
            ("(+44) 7911 123456", "+447911123456"),
            ("+12345678", "+12345678"),
            ("+123456789012345", "+123456789012345"),
        ] {
            assert_eq!(normalize_e164(input), Ok(expected.to_string()), "{input:?}");
        }
    }

    #[test]
    fn empty_input_is_refused() {
        assert_eq!(normalize_e164(""), Err(EMPTY));
        assert_eq!(normalize_e164("   "), Err(EMPTY));
    }

    #[test]
    fn missing_plus_is_refused() {
        assert_eq!(normalize_e164("14155550123"), Err(INTERNATIONAL));
        assert_eq!(normalize_e164("07911 123456"), Err(INTERNATIONAL));
        assert_eq!(normalize_e164("(415) 555-0123"), Err(INTERNATIONAL));
        assert_eq!(normalize_e164("+"), Err(INTERNATIONAL));
        assert_eq!(normalize_e164("+ - ()"), Err(INTERNATIONAL));
    }

    #[test]
    fn leading_00_is_refused() {
        assert_eq!(normalize_e164("00447911123456"), Err(LEADING_00));
        assert_eq!(normalize_e164("00 49 30 901820"), Err(LEADING_00));
    }

    #[test]
    fn letters_and_other_symbols_are_refused() {
        for bad in [
            "+1 415 CALL NOW",
            "+1415555012a",
            "+14155550123 ext 5",
            "+1/415/555/0123",
            "+1_415_555_0123",
            "+1\t4155550123",
            "+1 415 555 0123;",
        ] {
            assert_eq!(normalize_e164(bad), Err(BAD_CHARACTERS), "{bad:?}");
        }
    }

    #[test]
    fn non_ascii_digits_are_refused() {
        for bad in [
            "+٣٣٣٣٣٣٣٣٣",
            "+１４１５５５５０１２３",
            "+1415555012٣",
            "+১২৩৪৫৬৭৮৯",
        ] {
            assert_eq!(normalize_e164(bad), Err(NON_ASCII_DIGITS), "{bad:?}");
        }
    }

    #[test]
    fn misplaced_plus_is_refused() {
        assert_eq!(normalize_e164("++14155550123"), Err(MISPLACED_PLUS));
        assert_eq!(normalize_e164("+1415+5550123"), Err(MISPLACED_PLUS));
    }

    #[test]
    fn country_code_starting_with_zero_is_refused() {
        assert_eq!(normalize_e164("+04155550123"), Err(COUNTRY_CODE_ZERO));
        assert_eq!(normalize_e164("+0044 7911 123456"), Err(COUNTRY_CODE_ZERO));
    }

    #[test]
    fn national_trunk_zero_in_parentheses_is_refused() {
        assert_eq!(normalize_e164("+49 (0)30 901820"), Err(TRUNK_ZERO));
        assert_eq!(normalize_e164("+44 ( 0 ) 7911 123456"), Err(TRUNK_ZERO));
    }

    #[test]
    fn too_few_digits_are_refused() {
        assert_eq!(normalize_e164("+1234567"), Err(TOO_SHORT));
        assert_eq!(normalize_e164("+1 555"), Err(TOO_SHORT));
    }

    #[test]
    fn too_many_digits_are_refused() {
        assert_eq!(normalize_e164("+1234567890123456"), Err(TOO_LONG));
    }

    #[test]
    fn overlong_input_is_refused() {
        // 33 characters, though only 11 of them digits.
        let padded = format!("+1 415 555 0123{}", " ".repeat(16) + "-.");
        assert_eq!(padded.chars().count(), 33);
        assert_eq!(normalize_e164(&padded), Err(TOO_LONG));
        assert_eq!(normalize_e164(&"9".repeat(10_000)), Err(TOO_LONG));
    }

    #[test]
    fn messages_say_what_is_expected() {
        for message in [
            EMPTY,
            INTERNATIONAL,
            LEADING_00,
            BAD_CHARACTERS,
            NON_ASCII_DIGITS,
            MISPLACED_PLUS,
            COUNTRY_CODE_ZERO,
            TRUNK_ZERO,
            TOO_SHORT,
            TOO_LONG,
        ] {
            assert!(message.contains('+'), "{message}");
            assert!(message.ends_with('.'), "{message}");
        }
    }

    #[test]
    fn masking_shows_only_the_last_four_digits() {
        assert_eq!(mask_phone("+14155550123"), "•••• 0123");
        assert_eq!(mask_phone("+447911123456"), "•••• 3456");
        assert_eq!(mask_phone("+4930901820"), "•••• 1820");
        assert_eq!(mask_phone("+1234"), "••••");
        assert_eq!(mask_phone(""), "••••");
    }
}
