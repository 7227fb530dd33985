//! Decimal-number arithmetic just deep enough for the wire: comparing numbers
//! by value, spotting integers, and deciding whether a float64 carries a
//! number exactly.
//!
//! Terraform numbers are arbitrary-precision. cty sends a number as a msgpack
//! float only when the float *is* the number; a decimal such as `0.1` that no
//! binary float equals travels as text. Getting this wrong makes Terraform see
//! `0.1000000000000000055…` where the configuration said `0.1` and reject the
//! plan, so the checks here are exact rather than "close enough".

use std::borrow::Cow;

/// A decimal split into sign, significant digits and a power of ten:
/// `(-1)^negative × digits × 10^exponent`. `digits` has no leading or trailing
/// zeros, so two equal numbers always decompose identically; zero is empty
/// digits, positive, exponent 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    pub negative: bool,
    pub digits: String,
    pub exponent: i64,
}

/// Significant digits needed to print any float64 exactly (the longest exact
/// expansion, of the smallest subnormal, has 767), with room to spare.
const F64_EXACT_DIGITS: usize = 800;

impl Decimal {
    /// Parses `[+-]digits[.digits][e[+-]digits]` (also `.5` and `5.`), the
    /// forms Go's `big.Float` and JSON accept. No infinities, NaN or hex.
    pub fn parse(text: &str) -> Option<Decimal> {
        let bytes = text.as_bytes();
        let mut i = 0;
        let negative = match bytes.first() {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let int_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let int_part = &text[int_start..i];
        let mut frac_part = "";
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            let frac_start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            frac_part = &text[frac_start..i];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let mut exp: i64 = 0;
        if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
            i += 1;
            let exp_start = i;
            if i < bytes.len() && (bytes[i] == b'-' || bytes[i] == b'+') {
                i += 1;
            }
            let digits_start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i == digits_start {
                return None;
            }
            exp = text[exp_start..i].parse::<i64>().ok()?;
        }
        if i != bytes.len() {
            return None;
        }
        let all: String = format!("{int_part}{frac_part}");
        let trimmed_lead = all.trim_start_matches('0');
        let significant = trimmed_lead.trim_end_matches('0');
        if significant.is_empty() {
            return Some(Decimal::zero());
        }
        let trailing_zeros = (trimmed_lead.len() - significant.len()) as i64;
        let frac_len = frac_part.len() as i64;
        let exponent = exp.checked_sub(frac_len)?.checked_add(trailing_zeros)?;
        Some(Decimal {
            negative,
            digits: significant.to_string(),
            exponent,
        })
    }

    pub fn zero() -> Decimal {
        Decimal {
            negative: false,
            digits: String::new(),
            exponent: 0,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Digits of the integer part when this is an integer of at most 20 digits
    /// (enough for every i64 and u64); `None` otherwise.
    fn small_integer_text(&self) -> Option<String> {
        if self.is_zero() {
            return Some("0".to_string());
        }
        let exp = usize::try_from(self.exponent).ok()?;
        if self.digits.len() + exp > 20 {
            return None;
        }
        let sign = if self.negative { "-" } else { "" };
        Some(format!("{sign}{}{}", self.digits, "0".repeat(exp)))
    }

    pub fn to_i64(&self) -> Option<i64> {
        self.small_integer_text()?.parse().ok()
    }

    pub fn to_u64(&self) -> Option<u64> {
        self.small_integer_text()?.parse().ok()
    }

    /// The float64 equal to this number, if one is exactly equal.
    pub fn to_exact_f64(&self) -> Option<f64> {
        let f: f64 = self.scientific_text().parse().ok()?;
        if !f.is_finite() {
            return None;
        }
        let back = Decimal::from_f64(f)?;
        (back == *self).then_some(f)
    }

    /// The exact value of a finite float64 (not the shortest text that reads
    /// back as it: `2^64` is `18446744073709551616`, not `18446744073709552000`).
    pub fn from_f64(f: f64) -> Option<Decimal> {
        if !f.is_finite() {
            return None;
        }
        Decimal::parse(&format!("{f:.F64_EXACT_DIGITS$e}"))
    }

    /// Plain positional text (`-12.5`, `100`, `0.001`). Length grows with the
    /// exponent, so callers use it only for bounded numbers such as floats.
    pub fn plain_text(&self) -> String {
        if self.is_zero() {
            return "0".to_string();
        }
        let sign = if self.negative { "-" } else { "" };
        let n = self.digits.len() as i64;
        if self.exponent >= 0 {
            let zeros = "0".repeat(self.exponent as usize);
            format!("{sign}{}{zeros}", self.digits)
        } else if -self.exponent < n {
            let split = (n + self.exponent) as usize;
            format!("{sign}{}.{}", &self.digits[..split], &self.digits[split..])
        } else {
            let zeros = "0".repeat((-self.exponent - n) as usize);
            format!("{sign}0.{zeros}{}", self.digits)
        }
    }

    /// Compact text that JSON, Go's `big.Float` and Rust's float parser all
    /// read: `12345e-2`, `-7`, `0`.
    pub fn scientific_text(&self) -> String {
        if self.is_zero() {
            return "0".to_string();
        }
        let sign = if self.negative { "-" } else { "" };
        if self.exponent == 0 {
            format!("{sign}{}", self.digits)
        } else {
            format!("{sign}{}e{}", self.digits, self.exponent)
        }
    }
}

/// True when `text` follows JSON's number grammar exactly
/// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
pub fn is_json_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(c) if c.is_ascii_digit() => {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

/// `text` itself when it is already valid JSON, else an equal number that is.
pub fn json_text(text: &str) -> Cow<'_, str> {
    if is_json_number(text) {
        return Cow::Borrowed(text);
    }
    match Decimal::parse(text) {
        Some(d) => Cow::Owned(d.scientific_text()),
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(t: &str) -> Decimal {
        Decimal::parse(t).unwrap()
    }

    #[test]
    fn parse_normalises_equal_numbers_identically() {
        assert_eq!(d("1"), d("1.0"));
        assert_eq!(d("100"), d("1e2"));
        assert_eq!(d("0.10"), d("1e-1"));
        assert_eq!(d("+5"), d("5."));
        assert_eq!(d(".5"), d("0.5"));
        assert_eq!(d("-0"), Decimal::zero());
        assert_eq!(d("0.000"), Decimal::zero());
        assert_ne!(d("1"), d("-1"));
        assert_ne!(d("0.1"), d("0.01"));
        assert_eq!(d("1200").digits, "12");
        assert_eq!(d("1200").exponent, 2);
        assert_eq!(d("-0.0125").exponent, -4);
    }

    #[test]
    fn parse_rejects_non_numbers() {
        for bad in [
            "",
            "-",
            ".",
            "e5",
            "1e",
            "1e+",
            "1-2",
            "1.2.3",
            "inf",
            "NaN",
            "0x10",
            "1 ",
            " 1",
            "1_0",
            "1e99999999999999999999",
        ] {
            assert!(Decimal::parse(bad).is_none(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn integers_that_fit() {
        assert_eq!(d("9223372036854775807").to_i64(), Some(i64::MAX));
        assert_eq!(d("-9223372036854775808").to_i64(), Some(i64::MIN));
        assert_eq!(d("9223372036854775808").to_i64(), None);
        assert_eq!(d("9223372036854775808").to_u64(), Some(1 << 63));
        assert_eq!(d("18446744073709551616").to_u64(), None);
        assert_eq!(d("1e3").to_i64(), Some(1000));
        assert_eq!(d("1.5").to_i64(), None);
        assert_eq!(d("1e400").to_i64(), None);
        assert_eq!(d("0").to_u64(), Some(0));
        assert_eq!(d("-1").to_u64(), None);
    }

    #[test]
    fn exact_float_check_is_exact() {
        assert_eq!(d("0.5").to_exact_f64(), Some(0.5));
        assert_eq!(d("-2.25").to_exact_f64(), Some(-2.25));
        assert_eq!(
            d("18446744073709551616").to_exact_f64(),
            Some(18446744073709551616.0)
        );
        // No float64 equals these decimals exactly.
        assert_eq!(d("0.1").to_exact_f64(), None);
        assert_eq!(d("18446744073709551617").to_exact_f64(), None);
        assert_eq!(d("1e400").to_exact_f64(), None);
        assert_eq!(d("1e-400").to_exact_f64(), None);
    }

    #[test]
    fn from_f64_gives_the_exact_expansion() {
        assert_eq!(Decimal::from_f64(0.5).unwrap().plain_text(), "0.5");
        assert_eq!(
            Decimal::from_f64(18446744073709551616.0)
                .unwrap()
                .plain_text(),
            "18446744073709551616"
        );
        assert_eq!(
            Decimal::from_f64(0.1).unwrap().plain_text(),
            "0.1000000000000000055511151231257827021181583404541015625"
        );
        assert_eq!(Decimal::from_f64(-0.0).unwrap(), Decimal::zero());
        assert!(Decimal::from_f64(f64::INFINITY).is_none());
        assert!(Decimal::from_f64(f64::NAN).is_none());
        let tiny = Decimal::from_f64(5e-324).unwrap();
        assert_eq!(tiny.digits.len(), 751);
        assert_eq!(tiny.to_exact_f64(), Some(5e-324));
    }

    #[test]
    fn text_forms() {
        assert_eq!(d("-12.50").plain_text(), "-12.5");
        assert_eq!(d("0.001").plain_text(), "0.001");
        assert_eq!(d("1e3").plain_text(), "1000");
        assert_eq!(d("-12.50").scientific_text(), "-125e-1");
        assert_eq!(d("7").scientific_text(), "7");
    }

    #[test]
    fn json_text_fixes_only_invalid_forms() {
        assert_eq!(json_text("1e400"), "1e400");
        assert_eq!(json_text("-0.5"), "-0.5");
        assert_eq!(json_text("0.10"), "0.10");
        assert_eq!(json_text("+5"), "5");
        assert_eq!(json_text(".5"), "5e-1");
        assert_eq!(json_text("5."), "5");
        assert_eq!(json_text("007"), "7");
        for t in ["1e400", "+5", ".5", "5.", "007", "-1.25E+3"] {
            assert!(is_json_number(&json_text(t)), "{t}");
            assert_eq!(Decimal::parse(&json_text(t)), Decimal::parse(t), "{t}");
        }
    }
}
