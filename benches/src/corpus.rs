//! Seeded corpora for the dlp benchmarks.
//!
//! Three kinds, all generated from one 64-bit seed with ChaCha8, so the
//! same seed and size give the same bytes on every machine:
//!
//! - [`CorpusKind::Http`]: HTTP/1.1 requests and responses (headers,
//!   cookies, user agents, JSON, form and HTML bodies) with rare personal
//!   data for the built-in sensors, and decoys that must not match.
//! - [`CorpusKind::Dense`]: a CSV of numeric records where almost every
//!   field is a digit run that a card, NIR or SSN pattern could start on.
//!   Every run fails its check digits unless it is planted.
//! - [`CorpusKind::Custom`]: the HTTP traffic with secrets and ids for the
//!   sensors in `benches/sensors/custom50.toml` planted instead.
//!
//! Every planted value is recorded with its byte offsets ([`Planted`]),
//! and so is every named decoy ([`Decoy`]).

use std::io::{self, Write};

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The corpus size the criterion benches and `bench-table` use, in bytes.
pub const DEFAULT_SIZE: usize = 64 << 20;

/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 0x646c_705f_6265_6e63;

/// The kind of corpus to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CorpusKind {
    /// HTTP/1.1 traffic with rare personal data.
    Http,
    /// CSV of numeric records: the dense worst case.
    Dense,
    /// HTTP/1.1 traffic with secrets for the custom sensors.
    Custom,
}

impl CorpusKind {
    /// Every kind, in the order the benchmarks report them.
    pub const ALL: [CorpusKind; 3] =
        [CorpusKind::Http, CorpusKind::Dense, CorpusKind::Custom];

    /// Returns the name used on the command line and in bench names.
    pub fn name(self) -> &'static str {
        match self {
            CorpusKind::Http => "http",
            CorpusKind::Dense => "dense",
            CorpusKind::Custom => "custom50",
        }
    }

    /// Parses a name returned by [`CorpusKind::name`].
    pub fn parse(name: &str) -> Option<CorpusKind> {
        CorpusKind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// A value planted on purpose: the engine must report it at these offsets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planted {
    /// The sensor expected to report the value.
    pub sensor: &'static str,
    /// The rule of that sensor expected to report it.
    pub rule: &'static str,
    /// Offset of the first byte of the value.
    pub start: usize,
    /// Offset just past the value.
    pub end: usize,
}

/// A value that looks like personal data but must not be reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoy {
    /// The imitated value and the reason it is invalid, such as
    /// `card_luhn_fail`.
    pub kind: &'static str,
    /// Offset of the first byte of the decoy.
    pub start: usize,
    /// Offset just past the decoy.
    pub end: usize,
}

/// A generated corpus with its planted values and named decoys.
#[derive(Clone, Debug)]
pub struct Corpus {
    /// The kind that was generated.
    pub kind: CorpusKind,
    /// The seed it was generated from.
    pub seed: u64,
    /// The corpus bytes.
    pub bytes: Vec<u8>,
    /// Planted values, in offset order.
    pub planted: Vec<Planted>,
    /// Named decoys, in offset order.
    pub decoys: Vec<Decoy>,
}

impl Corpus {
    /// Writes one JSON object per line for each planted value and decoy:
    /// `{"kind":"planted","sensor":..,"rule":..,"start":..,"end":..,
    /// "value":..}` or `{"kind":"decoy","decoy":..,"start":..,"end":..,
    /// "value":..}`. The values are synthetic, so printing them is safe.
    pub fn write_jsonl<W: Write>(&self, mut out: W) -> io::Result<()> {
        for p in &self.planted {
            let line = serde_json::json!({
                "kind": "planted",
                "sensor": p.sensor,
                "rule": p.rule,
                "start": p.start,
                "end": p.end,
                "value": String::from_utf8_lossy(&self.bytes[p.start..p.end]),
            });
            writeln!(out, "{line}")?;
        }
        for d in &self.decoys {
            let line = serde_json::json!({
                "kind": "decoy",
                "decoy": d.kind,
                "start": d.start,
                "end": d.end,
                "value": String::from_utf8_lossy(&self.bytes[d.start..d.end]),
            });
            writeln!(out, "{line}")?;
        }
        Ok(())
    }
}

/// Generates a corpus of at most `size` bytes.
///
/// Whole messages or records are appended while they fit, so the corpus
/// is shorter than `size` by less than one message (at most a few KiB).
pub fn generate(kind: CorpusKind, size: usize, seed: u64) -> Corpus {
    // Mixing the kind into the seed keeps the three corpora of one seed
    // unrelated.
    let mix = (kind as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut rng = Rng::new(seed ^ mix);
    let text = match kind {
        CorpusKind::Http => http_corpus(&mut rng, size, Secrets::Builtin),
        CorpusKind::Custom => http_corpus(&mut rng, size, Secrets::Custom),
        CorpusKind::Dense => dense_corpus(&mut rng, size),
    };
    Corpus {
        kind,
        seed,
        bytes: text.bytes,
        planted: text.planted,
        decoys: text.decoys,
    }
}

// ---------------------------------------------------------------------
// Random numbers

/// A ChaCha8 generator with the few draws the generator needs.
///
/// Ranges are drawn by multiplying a 64-bit output by the range size and
/// keeping the high half, so a draw depends only on the ChaCha8 stream.
struct Rng(ChaCha8Rng);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(ChaCha8Rng::seed_from_u64(seed))
    }

    /// Returns a number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.0.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Returns a number in `low..=high`.
    fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }

    /// Returns `true` with probability `per_mille / 1000`.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn string_of(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len).map(|_| char::from(*self.pick(alphabet))).collect()
    }

    fn digits(&mut self, len: usize) -> String {
        self.string_of(b"0123456789", len)
    }

    fn hex(&mut self, len: usize) -> String {
        self.string_of(b"0123456789abcdef", len)
    }

    fn alnum(&mut self, len: usize) -> String {
        self.string_of(ALNUM, len)
    }

    fn upper_alnum(&mut self, len: usize) -> String {
        self.string_of(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", len)
    }

    /// Returns a number with `width` digits, zero-padded.
    fn padded(&mut self, low: u64, high: u64, width: usize) -> String {
        format!("{:0width$}", self.range(low, high))
    }

    fn uuid(&mut self) -> String {
        let variant = self.pick(b"89ab");
        format!(
            "{}-{}-4{}-{}{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(3),
            char::from(*variant),
            self.hex(3),
            self.hex(12)
        )
    }
}

const ALNUM: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// ---------------------------------------------------------------------
// Check digits

/// Returns whether `digits` (ASCII digits only) passes the Luhn check.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0;
    for (i, byte) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(byte - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// Returns the digit that makes `partial` followed by it Luhn-valid.
pub fn luhn_check_digit(partial: &str) -> char {
    for d in b'0'..=b'9' {
        let candidate = format!("{partial}{}", char::from(d));
        if luhn_valid(&candidate) {
            return char::from(d);
        }
    }
    unreachable!("one of ten digits completes any Luhn sum")
}

/// Returns the NIR key of the 13 characters `body`: 97 - (N mod 97),
/// where N reads the department `2A` as 19 and `2B` as 18 (either case).
pub fn nir_key(body: &str) -> u32 {
    assert_eq!(body.len(), 13, "a NIR body has 13 characters");
    let upper = body.to_ascii_uppercase();
    let numeric = if upper.contains("2A") {
        upper.replace("2A", "19")
    } else {
        upper.replace("2B", "18")
    };
    let n: u64 = numeric.parse().expect("NIR body is numeric after 2A/2B");
    97 - (n % 97) as u32
}

/// Returns the IBAN check digits for `country` (two upper-case letters)
/// and `bban`: 98 - (BBAN + country + "00" mod 97), letters read as
/// A = 10 .. Z = 35.
pub fn iban_check_digits(country: &str, bban: &str) -> u32 {
    98 - iban_mod97(&format!("{bban}{country}00"))
}

/// Returns whether `iban` (compact, any case) has valid check digits.
pub fn iban_valid(iban: &str) -> bool {
    let upper = iban.to_ascii_uppercase();
    let (head, tail) = upper.split_at(4);
    iban_mod97(&format!("{tail}{head}")) == 1
}

fn iban_mod97(text: &str) -> u32 {
    let mut rem = 0u32;
    for byte in text.bytes() {
        let byte = byte.to_ascii_uppercase();
        if byte.is_ascii_digit() {
            rem = (rem * 10 + u32::from(byte - b'0')) % 97;
        } else {
            rem = (rem * 100 + u32::from(byte - b'A') + 10) % 97;
        }
    }
    rem
}

// ---------------------------------------------------------------------
// Text with recorded offsets

#[derive(Default)]
struct Text {
    bytes: Vec<u8>,
    planted: Vec<Planted>,
    decoys: Vec<Decoy>,
}

/// A value to plant: the text and the sensor and rule that report it.
struct Secret {
    sensor: &'static str,
    rule: &'static str,
    text: String,
}

impl Text {
    fn len(&self) -> usize {
        self.bytes.len()
    }

    fn push(&mut self, filler: &str) {
        self.bytes.extend_from_slice(filler.as_bytes());
    }

    fn plant(&mut self, secret: &Secret) {
        let start = self.len();
        self.push(&secret.text);
        self.planted.push(Planted {
            sensor: secret.sensor,
            rule: secret.rule,
            start,
            end: self.len(),
        });
    }

    fn decoy(&mut self, kind: &'static str, text: &str) {
        let start = self.len();
        self.push(text);
        self.decoys.push(Decoy { kind, start, end: self.len() });
    }

    fn append(&mut self, other: Text) {
        let base = self.len();
        self.bytes.extend_from_slice(&other.bytes);
        self.planted.extend(other.planted.into_iter().map(|p| Planted {
            start: p.start + base,
            end: p.end + base,
            ..p
        }));
        self.decoys.extend(other.decoys.into_iter().map(|d| Decoy {
            start: d.start + base,
            end: d.end + base,
            ..d
        }));
    }
}

// ---------------------------------------------------------------------
// Personal data for the built-in sensors

/// Returns the 13 characters of a NIR: sex or provisional digit, year,
/// month, department, commune and order number.
fn nir_body(rng: &mut Rng, lead: &[u8], overseas: bool) -> String {
    let sex = char::from(*rng.pick(lead));
    let year = rng.padded(0, 99, 2);
    let month = match rng.below(10) {
        0 => rng.padded(20, 42, 2),
        1 => rng.padded(50, 99, 2),
        _ => rng.padded(1, 12, 2),
    };
    if overseas {
        let department = rng.pick(&["971", "972", "973", "974", "976"]);
        let commune = rng.padded(1, 99, 2);
        let order = rng.padded(1, 999, 3);
        return format!("{sex}{year}{month}{department}{commune}{order}");
    }
    let department = match rng.below(12) {
        0 => "2A".to_string(),
        1 => "2B".to_string(),
        2 => "2a".to_string(),
        3 => "99".to_string(),
        4..=6 => rng.padded(1, 19, 2),
        _ => rng.padded(21, 95, 2),
    };
    let commune = rng.padded(1, 990, 3);
    let order = rng.padded(1, 999, 3);
    format!("{sex}{year}{month}{department}{commune}{order}")
}

/// Formats a NIR: `body` is 13 characters and `key` two digits.
fn format_nir(body: &str, key: &str, style: u64) -> String {
    let groups = [
        &body[0..1],
        &body[1..3],
        &body[3..5],
        &body[5..7],
        &body[7..10],
        &body[10..13],
        key,
    ];
    match style {
        0 => groups.join(" "),
        1 => groups.join("."),
        2 => groups.join("-"),
        3 => format!("{body} {key}"),
        _ => format!("{body}{key}"),
    }
}

fn nir(rng: &mut Rng) -> Secret {
    let provisional = rng.chance(100);
    // Provisional numbers start with 7 or 8 here: a 15-digit number
    // starting with 3 could also be an Amex or Diners number.
    let lead: &[u8] = if provisional { b"78" } else { b"12" };
    let overseas = rng.chance(100);
    let body = nir_body(rng, lead, overseas);
    let key = format!("{:02}", nir_key(&body));
    // Overseas numbers group as 3-2 (department, commune), which the
    // 2-3 grouping of metropolitan numbers would misplace: keep them
    // compact.
    let style = if overseas { 4 } else { rng.below(6) };
    Secret {
        sensor: "fr_nir",
        rule: if provisional { "nir_provisional" } else { "nir" },
        text: format_nir(&body, &key, style),
    }
}

fn ssn_parts(rng: &mut Rng) -> (String, String, String) {
    loop {
        let area = rng.range(1, 899);
        if area == 666 || area == 78 || area == 219 {
            continue;
        }
        let group = rng.padded(1, 99, 2);
        let serial = rng.padded(1, 9999, 4);
        return (format!("{area:03}"), group, serial);
    }
}

/// Returns an SSN and the filler that goes just before it: the bare form
/// needs a hotword there.
fn ssn(rng: &mut Rng) -> (String, Secret) {
    let (area, group, serial) = ssn_parts(rng);
    let (prefix, rule, text) = match rng.below(4) {
        0 => ("SSN ", "spaced", format!("{area} {group} {serial}")),
        1 => ("ssn#", "bare", format!("{area}{group}{serial}")),
        _ => ("", "dashed", format!("{area}-{group}-{serial}")),
    };
    (prefix.to_string(), Secret { sensor: "us_ssn", rule, text })
}

/// Card brands: rule name, issuer prefixes, length and grouping.
///
/// The UnionPay prefixes stay outside 622126-622925, which Discover also
/// issues, so each planted number has one expected rule.
const CARD_BRANDS: [(&str, &[&str], usize, &[usize]); 8] = [
    ("visa", &["4"], 16, &[4, 4, 4, 4]),
    ("visa", &["4"], 13, &[]),
    (
        "mastercard",
        &["51", "53", "55", "2221", "2720", "2480"],
        16,
        &[4, 4, 4, 4],
    ),
    ("amex", &["34", "37"], 15, &[4, 6, 5]),
    ("discover", &["6011", "65"], 16, &[4, 4, 4, 4]),
    ("diners", &["36", "300", "305"], 14, &[4, 6, 4]),
    ("jcb", &["3528", "3566", "3589"], 16, &[4, 4, 4, 4]),
    ("unionpay", &["6210", "6217", "6212"], 16, &[4, 4, 4, 4]),
];

/// Returns the digits of a card number of one brand, Luhn-valid or
/// (with `valid` false) with a wrong last digit.
fn card_digits(rng: &mut Rng, brand: usize, valid: bool) -> String {
    let (_, prefixes, len, _) = CARD_BRANDS[brand];
    let prefix = rng.pick(prefixes);
    let mut partial = prefix.to_string();
    partial.push_str(&rng.digits(len - 1 - prefix.len()));
    let check = luhn_check_digit(&partial);
    let last = if valid {
        check
    } else {
        let wrong = (check as u8 - b'0' + 1 + rng.below(9) as u8) % 10;
        char::from(b'0' + wrong)
    };
    partial.push(last);
    partial
}

fn group_digits(digits: &str, groups: &[usize], separator: &str) -> String {
    if groups.is_empty() || separator.is_empty() {
        return digits.to_string();
    }
    let mut parts = Vec::new();
    let mut at = 0;
    for &len in groups {
        parts.push(&digits[at..at + len]);
        at += len;
    }
    parts.join(separator)
}

/// Returns a card number and its brand's rule name.
fn card(rng: &mut Rng, valid: bool) -> (&'static str, String) {
    let brand = rng.below(CARD_BRANDS.len() as u64) as usize;
    let (rule, _, _, groups) = CARD_BRANDS[brand];
    let digits = card_digits(rng, brand, valid);
    let separator = *rng.pick(&["", " ", " ", "-", "."]);
    (rule, group_digits(&digits, groups, separator))
}

/// IBAN countries: code and BBAN layout (`n` digit, `A` upper-case
/// letter, `c` letter or digit).
const IBAN_LAYOUTS: [(&str, &str); 7] = [
    ("FR", "nnnnnnnnnnnnnnnnnnnnnnn"),
    ("DE", "nnnnnnnnnnnnnnnnnn"),
    ("GB", "AAAAnnnnnnnnnnnnnn"),
    ("ES", "nnnnnnnnnnnnnnnnnnnn"),
    ("IT", "Annnnnnnnnnnnnnnnnnnnnn"),
    ("NL", "AAAAnnnnnnnnnn"),
    ("BE", "nnnnnnnnnnnn"),
];

/// Returns a compact IBAN, with valid check digits or (with `valid`
/// false) check digits one off.
fn iban_compact(rng: &mut Rng, valid: bool) -> String {
    let (country, layout) = *rng.pick(&IBAN_LAYOUTS);
    let bban: String = layout
        .bytes()
        .map(|class| match class {
            b'A' => char::from(b'A' + rng.below(26) as u8),
            b'c' => char::from(*rng.pick(ALNUM)).to_ascii_uppercase(),
            _ => char::from(b'0' + rng.below(10) as u8),
        })
        .collect();
    let mut check = iban_check_digits(country, &bban);
    if !valid {
        check = if check < 98 { check + 1 } else { check - 1 };
    }
    format!("{country}{check:02}{bban}")
}

fn iban(rng: &mut Rng) -> Secret {
    let compact = iban_compact(rng, true);
    let (rule, text) = match rng.below(4) {
        0 => ("compact", compact.to_ascii_lowercase()),
        1 => ("compact", compact),
        _ => {
            let groups: Vec<String> = compact
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            ("grouped", groups.join(" "))
        }
    };
    Secret { sensor: "iban", rule, text }
}

const FIRST_NAMES: [&str; 12] = [
    "jean", "marie", "camille", "lucas", "emma", "hugo", "chloe", "noah",
    "olivia", "james", "sofia", "liam",
];
const LAST_NAMES: [&str; 12] = [
    "dupont", "martin", "bernard", "petit", "durand", "leroy", "moreau",
    "smith", "johnson", "garcia", "nguyen", "muller",
];
const MAIL_DOMAINS: [&str; 6] = [
    "example.com",
    "example.org",
    "mail.example.net",
    "example.fr",
    "corp.example.co.uk",
    "example.io",
];

fn email(rng: &mut Rng) -> Secret {
    let first = rng.pick(&FIRST_NAMES);
    let last = rng.pick(&LAST_NAMES);
    let local = match rng.below(4) {
        0 => format!("{first}.{last}"),
        1 => format!("{first}_{last}{}", rng.range(1, 99)),
        2 => format!("{first}.{last}+news"),
        _ => format!("{}{last}", &first[..1]),
    };
    let domain = rng.pick(&MAIL_DOMAINS);
    Secret {
        sensor: "email",
        rule: "address",
        text: format!("{local}@{domain}"),
    }
}

/// Returns a personal value for the built-in sensors, the JSON or form
/// field name it goes under, and filler that must precede it.
fn builtin_secret(rng: &mut Rng) -> (&'static str, String, Secret) {
    match rng.below(10) {
        0..=2 => ("nir", String::new(), nir(rng)),
        3 | 4 => {
            let (prefix, secret) = ssn(rng);
            ("tax_id", prefix, secret)
        }
        5..=7 => {
            let (rule, text) = card(rng, true);
            let secret = Secret { sensor: "credit_card", rule, text };
            ("card_number", String::new(), secret)
        }
        8 => ("iban", String::new(), iban(rng)),
        _ => ("contact", String::new(), email(rng)),
    }
}

// ---------------------------------------------------------------------
// Decoys

/// Returns a named decoy: text that resembles personal data but that no
/// built-in sensor may report.
fn builtin_decoy(rng: &mut Rng) -> (&'static str, String) {
    match rng.below(16) {
        0 => (
            "phone",
            format!(
                "+33 6 {} {} {} {}",
                rng.digits(2),
                rng.digits(2),
                rng.digits(2),
                rng.digits(2)
            ),
        ),
        1 => ("phone", format!("06{}", rng.digits(8))),
        2 => ("phone", format!("+1 415-555-{}", rng.digits(4))),
        3 => ("timestamp", format!("17{}", rng.digits(11))),
        4 => (
            "timestamp",
            format!(
                "2024-{}-{}T{}:{}:{}.{}Z",
                rng.padded(1, 12, 2),
                rng.padded(1, 28, 2),
                rng.padded(0, 23, 2),
                rng.padded(0, 59, 2),
                rng.padded(0, 59, 2),
                rng.digits(3)
            ),
        ),
        5 => (
            "order_id",
            format!("ORD-2024{}-{}", rng.digits(4), rng.digits(6)),
        ),
        6 => ("uuid", rng.uuid()),
        7 => {
            // The fraction of this float is a Luhn-valid Visa number.
            let digits = card_digits(rng, 0, true);
            ("float_card_fraction", format!("0.{digits}"))
        }
        8 => {
            let body = nir_body(rng, b"12", false);
            let key = nir_key(&body);
            let wrong = if key < 97 { key + 1 } else { key - 1 };
            (
                "nir_wrong_key",
                format_nir(&body, &format!("{wrong:02}"), rng.below(5)),
            )
        }
        9 => {
            // Month 00 or 45 is not a NIR month, whatever the key.
            let body = nir_body(rng, b"12", false);
            let bad = format!(
                "{}{}{}",
                &body[..3],
                rng.pick(&["00", "45"]),
                &body[5..]
            );
            let key = nir_key(&bad);
            ("nir_bad_month", format_nir(&bad, &format!("{key:02}"), 0))
        }
        10 => {
            let (_, text) = card(rng, false);
            ("card_luhn_fail", text)
        }
        11 => {
            let text = rng
                .pick(&[
                    "078-05-1120",
                    "219-09-9999",
                    "987-65-4321",
                    "666-12-3456",
                    "000-12-3456",
                    "123-00-4567",
                    "123-45-0000",
                ])
                .to_string();
            ("ssn_invalid", text)
        }
        12 => {
            let (area, group, serial) = ssn_parts(rng);
            ("ssn_bare_no_hotword", format!("{area}{group}{serial}"))
        }
        13 => ("iban_bad_check", iban_compact(rng, false)),
        14 => {
            // A valid card number inside a longer digit run.
            let digits = card_digits(rng, 0, true);
            (
                "digits_in_long_id",
                format!("{}{digits}{}", rng.digits(12), rng.digits(12)),
            )
        }
        _ => (
            "retina_file",
            format!(
                "{}@{}x.png",
                rng.pick(&["logo", "icon", "hero", "avatar"]),
                rng.range(2, 3)
            ),
        ),
    }
}

// ---------------------------------------------------------------------
// Secrets for the custom sensors

/// Returns a secret for a sensor of `custom50.toml`, the JSON field it
/// goes under (`None` when it goes into a header), and the filler before
/// it.
fn custom_secret(rng: &mut Rng) -> (Option<&'static str>, String, Secret) {
    let secret = |sensor: &'static str, text: String| Secret {
        sensor,
        rule: "match",
        text,
    };
    let (field, prefix, sensor, text): (Option<&str>, &str, &str, String) = match rng.below(30) {
        0 => (Some("access_key"), "", "aws_access_key_id", format!("{}{}", rng.pick(&["AKIA", "ASIA"]), rng.upper_alnum(16))),
        1 => (None, "", "aws_secret_access_key", format!("aws_secret_access_key = {}", rng.string_of(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+", 40))),
        2 => (Some("token"), "", "github_pat", format!("ghp_{}", rng.alnum(36))),
        3 => (Some("token"), "", "github_oauth", format!("gho_{}", rng.alnum(36))),
        4 => (Some("token"), "", "github_fine_grained_pat", format!("github_pat_{}_{}", rng.alnum(22), rng.alnum(59))),
        5 => (Some("token"), "", "gitlab_pat", format!("glpat-{}", rng.alnum(20))),
        6 => (Some("token"), "", "slack_token", format!("xoxb-{}-{}-{}", rng.digits(12), rng.digits(13), rng.alnum(24))),
        7 => (Some("webhook"), "", "slack_webhook", format!("https://hooks.slack.com/services/T{}/B{}/{}", rng.upper_alnum(9), rng.upper_alnum(9), rng.alnum(24))),
        8 => (Some("secret"), "", "stripe_secret_key", format!("sk_live_{}", rng.alnum(24))),
        9 => (Some("maps"), "", "google_api_key", format!("AIza{}", rng.string_of(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", 34) + &rng.alnum(1))),
        10 => (Some("id_token"), "", "jwt", format!("eyJhbGciOiJIUzI1NiJ9.eyJ{}.{}", rng.alnum(60), rng.alnum(43))),
        11 => (Some("pem"), "", "private_key_header", rng.pick(&["-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN OPENSSH PRIVATE KEY-----", "-----BEGIN PRIVATE KEY-----"]).to_string()),
        12 => (Some("sendgrid"), "", "sendgrid_api_key", format!("SG.{}.{}", rng.alnum(22), rng.alnum(43))),
        13 => (Some("npm"), "", "npm_token", format!("npm_{}", rng.alnum(36))),
        14 => (Some("registry"), "", "docker_hub_pat", format!("dckr_pat_{}", rng.alnum(27))),
        15 => (Some("do"), "", "digitalocean_token", format!("dop_v1_{}", rng.hex(64))),
        16 => (None, "", "basic_auth_header", format!("Authorization: Basic {}==", rng.alnum(32))),
        17 => (None, "", "bearer_token", format!("Authorization: Bearer {}", rng.alnum(40))),
        // The match ends with the host name: the port and path are not
        // part of it.
        18 => (Some("dsn"), "", "url_credentials", format!("postgres://app:{}@db{}.prod.example.net", rng.alnum(16), rng.range(1, 9))),
        19 => (None, "", "password_assignment", format!("password={}", rng.alnum(14))),
        20 => (Some("note"), "", "confidential_marker", "CONFIDENTIAL".to_string()),
        21 => (Some("note"), "", "internal_only_marker", "Internal Use Only".to_string()),
        22 => (Some("employee"), "", "employee_id", format!("EMP-{}", rng.digits(6))),
        23 => (Some("customer"), "", "customer_id", format!("CUST{}", rng.digits(8))),
        24 => (Some("invoice"), "", "invoice_number", format!("INV-2024-{}", rng.digits(6))),
        25 => (Some("mrn"), "", "patient_mrn", format!("MRN:{}", rng.digits(8))),
        26 => (Some("nino"), "", "uk_nino", format!("AB{}C", rng.digits(6))),
        27 => (Some("wallet"), "", "ethereum_address", format!("0x{}", rng.hex(40))),
        28 => (Some("mac"), "", "mac_address", (0..6).map(|_| rng.hex(2)).collect::<Vec<_>>().join(":")),
        _ => (Some("host"), "", "internal_hostname", format!("build{}.corp.example.com", rng.range(1, 99))),
    };
    (field, prefix.to_string(), secret(sensor, text))
}

// ---------------------------------------------------------------------
// HTTP traffic

#[derive(Clone, Copy, PartialEq, Eq)]
enum Secrets {
    Builtin,
    Custom,
}

const USER_AGENTS: [&str; 5] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.94 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "okhttp/4.12.0",
    "python-requests/2.31.0",
];
const HOSTS: [&str; 4] = [
    "api.shop.example.com",
    "auth.example.org",
    "cdn.example.net",
    "billing.internal.example",
];
const PATHS: [&str; 6] = [
    "/api/v1/orders",
    "/api/v1/customers",
    "/api/v2/payments/intent",
    "/login",
    "/graphql",
    "/static/app.js",
];
const PRODUCTS: [&str; 6] = [
    "Wireless Mouse",
    "USB-C Hub 7-in-1",
    "Notebook A5",
    "Coffee Beans 1kg",
    "Desk Lamp",
    "Running Shoes",
];

/// Per mille of messages that carry a planted value.
const PLANT_RATE: u64 = 30;
/// Per mille of messages that carry a named decoy.
const DECOY_RATE: u64 = 250;

fn http_corpus(rng: &mut Rng, size: usize, secrets: Secrets) -> Text {
    let mut out = Text::default();
    loop {
        let message = http_message(rng, secrets);
        if out.len() + message.len() > size {
            break;
        }
        out.append(message);
    }
    out
}

fn http_message(rng: &mut Rng, secrets: Secrets) -> Text {
    let mut header_secret = None;
    let mut body_secret = None;
    if rng.chance(PLANT_RATE) {
        match secrets {
            Secrets::Builtin => {
                let (field, prefix, secret) = builtin_secret(rng);
                body_secret = Some((field, prefix, secret));
            }
            Secrets::Custom => {
                let (field, prefix, secret) = custom_secret(rng);
                match field {
                    Some(field) => body_secret = Some((field, prefix, secret)),
                    None => header_secret = Some((prefix, secret)),
                }
            }
        }
    }
    let decoy = (secrets == Secrets::Builtin && rng.chance(DECOY_RATE))
        .then(|| builtin_decoy(rng));
    let is_request = rng.chance(500);
    let body = match rng.below(10) {
        0..=5 => json_body(rng, body_secret, decoy),
        6 | 7 if is_request => form_body(rng, body_secret, decoy),
        _ => html_body(rng, body_secret, decoy),
    };
    let content_type = match body.bytes.first() {
        Some(b'{') => "application/json",
        Some(b'<') => "text/html; charset=utf-8",
        _ => "application/x-www-form-urlencoded",
    };
    let mut message = Text::default();
    if is_request {
        request_head(
            rng,
            &mut message,
            header_secret,
            content_type,
            body.len(),
        );
    } else {
        response_head(
            rng,
            &mut message,
            header_secret,
            content_type,
            body.len(),
        );
    }
    message.append(body);
    message
}

fn request_head(
    rng: &mut Rng,
    out: &mut Text,
    header_secret: Option<(String, Secret)>,
    content_type: &str,
    body_len: usize,
) {
    let method = rng.pick(&["POST", "PUT", "PATCH"]);
    let path = rng.pick(&PATHS);
    out.push(&format!(
        "{method} {path}/{}?page={}&limit=50&sort=created_at HTTP/1.1\r\n",
        rng.digits(6),
        rng.range(1, 40)
    ));
    out.push(&format!("Host: {}\r\n", rng.pick(&HOSTS)));
    out.push(&format!("User-Agent: {}\r\n", rng.pick(&USER_AGENTS)));
    out.push("Accept: application/json, text/plain, */*\r\n");
    out.push("Accept-Language: fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7\r\n");
    out.push("Accept-Encoding: gzip, deflate, br\r\n");
    out.push(&format!(
        "Cookie: sessionid={}; _ga=GA1.2.{}.{}; theme=dark; consent=1\r\n",
        rng.hex(32),
        rng.digits(10),
        rng.digits(10)
    ));
    out.push(&format!("X-Request-Id: {}\r\n", rng.uuid()));
    out.push(&format!(
        "X-Forwarded-For: 203.0.113.{}, 10.{}.{}.{}\r\n",
        rng.range(1, 254),
        rng.range(0, 255),
        rng.range(0, 255),
        rng.range(1, 254)
    ));
    if let Some((prefix, secret)) = header_secret {
        out.push(&prefix);
        out.plant(&secret);
        out.push("\r\n");
    }
    out.push(&format!("Content-Type: {content_type}\r\n"));
    out.push(&format!("Content-Length: {body_len}\r\n\r\n"));
}

fn response_head(
    rng: &mut Rng,
    out: &mut Text,
    header_secret: Option<(String, Secret)>,
    content_type: &str,
    body_len: usize,
) {
    let status_line = *rng.pick(&[
        "HTTP/1.1 200 OK\r\n",
        "HTTP/1.1 201 Created\r\n",
        "HTTP/1.1 200 OK\r\n",
        "HTTP/1.1 404 Not Found\r\n",
    ]);
    out.push(status_line);
    out.push(&format!(
        "Date: {}, {} Mar 2024 {}:{}:{} GMT\r\n",
        rng.pick(&["Mon", "Tue", "Wed", "Thu", "Fri"]),
        rng.padded(1, 28, 2),
        rng.padded(0, 23, 2),
        rng.padded(0, 59, 2),
        rng.padded(0, 59, 2)
    ));
    out.push("Server: nginx/1.24.0\r\n");
    out.push(&format!("Content-Type: {content_type}\r\n"));
    out.push(&format!("Content-Length: {body_len}\r\n"));
    out.push(&format!(
        "Set-Cookie: csrftoken={}; Path=/; Max-Age=31449600; SameSite=Lax\r\n",
        rng.alnum(32)
    ));
    out.push("Cache-Control: no-cache, no-store, must-revalidate\r\n");
    out.push(&format!("ETag: W/\"{}\"\r\n", rng.hex(16)));
    if let Some((prefix, secret)) = header_secret {
        out.push(&prefix);
        out.plant(&secret);
        out.push("\r\n");
    }
    out.push("\r\n");
}

type BodySecret = Option<(&'static str, String, Secret)>;
type BodyDecoy = Option<(&'static str, String)>;

fn json_body(rng: &mut Rng, secret: BodySecret, decoy: BodyDecoy) -> Text {
    let mut out = Text::default();
    out.push(&format!(
        "{{\"id\":{},\"status\":\"{}\",\"created_at\":\"2024-03-{}T{}:{}:{}Z\",",
        rng.range(100_000, 9_999_999),
        rng.pick(&["paid", "pending", "shipped", "refunded"]),
        rng.padded(1, 28, 2),
        rng.padded(0, 23, 2),
        rng.padded(0, 59, 2),
        rng.padded(0, 59, 2)
    ));
    out.push(&format!(
        "\"customer\":{{\"name\":\"{} {}\",\"country\":\"FR\",\"tier\":{}}},",
        rng.pick(&FIRST_NAMES),
        rng.pick(&LAST_NAMES),
        rng.range(1, 5)
    ));
    if let Some((field, prefix, secret)) = secret {
        out.push(&format!("\"{field}\":\"{prefix}"));
        out.plant(&secret);
        out.push("\",");
    }
    out.push("\"items\":[");
    let items = rng.range(1, 12);
    for i in 0..items {
        if i > 0 {
            out.push(",");
        }
        out.push(&format!(
            "{{\"sku\":\"SKU-{}\",\"name\":\"{}\",\"qty\":{},\"price\":{}.{},\"weight\":{}.{}}}",
            rng.digits(5),
            rng.pick(&PRODUCTS),
            rng.range(1, 9),
            rng.range(1, 499),
            rng.digits(2),
            rng.range(0, 20),
            rng.digits(3)
        ));
    }
    out.push("],");
    if let Some((kind, text)) = decoy {
        out.push("\"ref\":\"");
        out.decoy(kind, &text);
        out.push("\",");
    }
    out.push(&format!(
        "\"geo\":{{\"lat\":48.{},\"lon\":2.{}}},\"trace_id\":\"{}\",\"score\":0.{}}}",
        rng.digits(6),
        rng.digits(6),
        rng.uuid(),
        rng.digits(4)
    ));
    out
}

fn form_body(rng: &mut Rng, secret: BodySecret, decoy: BodyDecoy) -> Text {
    let mut out = Text::default();
    out.push(&format!(
        "first_name={}&last_name={}&city=Paris&zip=750{}&newsletter=on",
        rng.pick(&FIRST_NAMES),
        rng.pick(&LAST_NAMES),
        rng.padded(1, 20, 2)
    ));
    // The decoy goes first: a bare SSN decoy just after a planted SSN's
    // hotword would be a valid match.
    if let Some((kind, text)) = decoy {
        out.push("&ref=");
        out.decoy(kind, &text);
    }
    if let Some((field, prefix, secret)) = secret {
        out.push(&format!("&{field}={prefix}"));
        out.plant(&secret);
    }
    out.push(&format!("&csrf={}", rng.alnum(40)));
    out
}

fn html_body(rng: &mut Rng, secret: BodySecret, decoy: BodyDecoy) -> Text {
    let mut out = Text::default();
    out.push("<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Mon compte</title>\n");
    out.push("<link rel=\"stylesheet\" href=\"/static/app.css?v=3.2.1\"></head>\n<body>\n");
    let rows = rng.range(2, 20);
    for _ in 0..rows {
        out.push(&format!(
            "<tr><td>{}</td><td>{} x {}</td><td>{},{} &euro;</td></tr>\n",
            rng.pick(&PRODUCTS),
            rng.range(1, 9),
            rng.digits(5),
            rng.range(1, 499),
            rng.digits(2)
        ));
    }
    if let Some((kind, text)) = decoy {
        out.push("<span data-ref=\"");
        out.decoy(kind, &text);
        out.push("\"></span>\n");
    }
    if let Some((field, prefix, secret)) = secret {
        out.push(&format!("<p class=\"{field}\">Votre référence : {prefix}"));
        out.plant(&secret);
        out.push("</p>\n");
    }
    out.push("<img src=\"/static/logo.svg\" alt=\"\"></body></html>\n");
    out
}

// ---------------------------------------------------------------------
// Dense CSV

/// Per million records that carry a planted value.
const DENSE_PLANT_RATE: u64 = 2_000;

/// Returns `len` random digits whose Luhn check fails and that start
/// with `first`.
fn luhn_failing_run(rng: &mut Rng, first: char, len: usize) -> String {
    let mut partial = first.to_string();
    partial.push_str(&rng.digits(len - 2));
    let check = luhn_check_digit(&partial) as u8 - b'0';
    let wrong = (check + 1 + rng.below(9) as u8) % 10;
    partial.push(char::from(b'0' + wrong));
    partial
}

/// Returns 15 digits starting with 1 or 2 whose NIR key is wrong and
/// whose Luhn check fails.
fn nir_like_run(rng: &mut Rng) -> String {
    loop {
        let body = format!("{}{}", rng.pick(&["1", "2"]), rng.digits(12));
        let key = nir_key(&body);
        let wrong = if key < 97 { key + 1 } else { key - 1 };
        let run = format!("{body}{wrong:02}");
        if !luhn_valid(&run) {
            return run;
        }
    }
}

fn dense_corpus(rng: &mut Rng, size: usize) -> Text {
    let mut out = Text::default();
    out.push("id,ts,amount,qty,account,ref,iso_ref,code,balance\n");
    let mut id: u64 = 1_000_000;
    loop {
        let mut row = Text::default();
        id += rng.range(1, 3);
        row.push(&format!(
            "{id},17{},{}.{},{},",
            rng.digits(8),
            rng.range(0, 99_999),
            rng.digits(2),
            rng.range(1, 999)
        ));
        let first = char::from(b'1' + rng.below(9) as u8);
        row.push(&luhn_failing_run(rng, first, 16));
        row.push(",");
        if rng.below(1_000_000) < DENSE_PLANT_RATE {
            let secret = match rng.below(4) {
                0 => nir(rng),
                1 => {
                    let (area, group, serial) = ssn_parts(rng);
                    let text = format!("{area}-{group}-{serial}");
                    Secret { sensor: "us_ssn", rule: "dashed", text }
                }
                _ => {
                    let brand = rng.below(CARD_BRANDS.len() as u64) as usize;
                    let rule = CARD_BRANDS[brand].0;
                    Secret {
                        sensor: "credit_card",
                        rule,
                        text: card_digits(rng, brand, true),
                    }
                }
            };
            // A planted NIR may contain spaces; CSV keeps them.
            row.plant(&secret);
        } else {
            row.push(&nir_like_run(rng));
        }
        row.push(",");
        let first = char::from(b'1' + rng.below(9) as u8);
        row.push(&luhn_failing_run(rng, first, 19));
        row.push(&format!(
            ",{},{}.{}\n",
            rng.digits(9),
            rng.range(0, 9_999_999),
            rng.digits(2)
        ));
        if out.len() + row.len() > size {
            break;
        }
        out.append(row);
    }
    out
}
