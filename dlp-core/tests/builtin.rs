//! The built-in sensors through the engine: which values match, under
//! which rule, with which span.

use dlp_core::Engine;

/// Scans `text` and returns `(sensor, rule, value)` for each match.
fn found(text: &str) -> Vec<(String, String, String)> {
    Engine::builtin()
        .scan(text.as_bytes())
        .into_iter()
        .map(|m| {
            let value = String::from_utf8(m.value().to_vec()).unwrap();
            (m.sensor().to_string(), m.rule().to_string(), value)
        })
        .collect()
}

fn assert_single(text: &str, sensor: &str, rule: &str, value: &str) {
    let got = found(text);
    assert_eq!(
        got,
        vec![(sensor.to_string(), rule.to_string(), value.to_string())],
        "in {text:?}"
    );
}

fn assert_none(text: &str) {
    let got = found(text);
    assert!(got.is_empty(), "in {text:?}: unexpected {got:?}");
}

#[test]
fn nir_valid_values() {
    let cases = [
        ("2 55 08 14 168 025 38", "nir"),
        ("2.55.08.14.168.025.38", "nir"),
        ("2-55-08-14-168-025-38", "nir"),
        ("2550814168025 38", "nir"),
        ("255081416802538", "nir"),
        ("1 78 03 2A 004 112 87", "nir"),
        ("1 78 03 2a 004 112 87", "nir"),
        ("1 70 06 20 090 022 47", "nir"),
        ("103029761104287", "nir"),
        ("288099881108601", "nir"),
        ("1 50 08 96 101 033 24", "nir"),
        ("1 85 05 78 006 084 91", "nir"),
    ];
    for (value, rule) in cases {
        assert_single(&format!("nir: {value};"), "fr_nir", rule, value);
    }
}

#[test]
fn nir_line_break_separator() {
    let text = "x 2\n55\n08\n14\n168\n025\n38 y";
    assert_single(text, "fr_nir", "nir", "2\n55\n08\n14\n168\n025\n38");
}

#[test]
fn nir_provisional_rule() {
    // 3 55 08 14 168 025 + key computed for this body.
    let body: u64 = 3_550_814_168_025;
    let key = 97 - body % 97;
    let value = format!("{body}{key:02}");
    assert_single(&format!("id {value}"), "fr_nir", "nir_provisional", &value);
}

#[test]
fn nir_invalid_values() {
    for text in [
        "1 85 05 78 006 084 36",
        "185007505601222",
        "290145935000707",
        "5 85 05 75 056 012 96",
        "2 80 03 00 101 044 35",
        "1 82 06 2A 090 022 41",
        "1 82 06 2C 090 022 68",
        "2 55 08.14 168 025 38",
        "ref 9018407691230454831",
        "tel 06 12 34 56 78, cp 75011, NIR 2 91 11 33 063 128",
    ] {
        assert_none(text);
    }
}

#[test]
fn ssn_rules() {
    assert_single("SSN: 034-37-4537", "us_ssn", "dashed", "034-37-4537");
    assert_single("id 034 37 4537.", "us_ssn", "spaced", "034 37 4537");
    assert_single("SSN: 223779741", "us_ssn", "bare", "223779741");
    assert_single("social security #223779741", "us_ssn", "bare", "223779741");
}

#[test]
fn ssn_invalid_values() {
    for text in [
        "order 223779741",
        "000-12-3456",
        "666-12-3456",
        "900-12-3456",
        "196-00-9215",
        "196-36-0000",
        "078-05-1120",
        "219-09-9999",
        "987-65-4321",
        "196-369215",
        "19636-9215",
        "Call +44-1642-81-4875 today",
    ] {
        assert_none(text);
    }
}

#[test]
fn ssn_boundaries() {
    let got = found("lowest 001-01-0001, highest 899-99-9999");
    let values: Vec<&str> = got.iter().map(|f| f.2.as_str()).collect();
    assert_eq!(values, ["001-01-0001", "899-99-9999"]);
}

#[test]
fn card_brands() {
    let cases = [
        ("4242 4242 4242 4242", "visa"),
        ("4242-4242-4242-4242", "visa"),
        ("4222222222222", "visa"),
        ("5555 5555 5555 4444", "mastercard"),
        ("2223 0031 2200 3222", "mastercard"),
        ("3782 822463 10005", "amex"),
        ("371449635398431", "amex"),
        ("6011 1111 1111 1117", "discover"),
        ("3056 930902 5904", "diners"),
        ("3530 1113 3330 0000", "jcb"),
        ("6205 5000 0000 0000 004", "unionpay"),
        ("8171 9999 2766 0000", "unionpay"),
        ("6304000000000000", "maestro"),
        ("5018 254409 6667", "maestro"),
        ("6304-809695-88427", "maestro"),
        ("3624.116130.20511", "diners"),
    ];
    for (value, rule) in cases {
        assert_single(&format!("pan={value}&x"), "credit_card", rule, value);
    }
}

#[test]
fn card_cobrand_reported_once() {
    let got = found("cobrand=6221261111117766");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "credit_card");
    assert_eq!(got[0].2, "6221261111117766");
}

#[test]
fn card_invalid_values() {
    for text in [
        "declined test 4242 4242 4242 4241",
        "1717243200035 please check this :)",
        "id=9027133840114492173055661823775203118462",
        "lot 41 11 11 11 11 11 11 11",
        "ports: 8000 8080 8888 9999",
        "4242 4242-4242 4242",
        "4242 42424242 4242",
    ] {
        assert_none(text);
    }
}

#[test]
fn dashed_card_is_not_an_ssn() {
    assert_single(
        "4111-1111-1111-1111",
        "credit_card",
        "visa",
        "4111-1111-1111-1111",
    );
}

#[test]
fn iban_values() {
    assert_single(
        "IBAN : FR14 2004 1010 0505 0001 3M02 606",
        "iban",
        "grouped",
        "FR14 2004 1010 0505 0001 3M02 606",
    );
    assert_single(
        "UA213223130000026007233566001",
        "iban",
        "compact",
        "UA213223130000026007233566001",
    );
    assert_single(
        "gb82west12345698765432",
        "iban",
        "compact",
        "gb82west12345698765432",
    );
    assert_none("IBAN FR1520041010050500013M02606");
    assert_none("Gb82West12345698765432");
    assert_none("XX82WEST12345698765432");
}

#[test]
fn email_values() {
    assert_single(
        "<img src=\"/img/logo@2x.png\"> contact: jane.doe@example.com",
        "email",
        "address",
        "jane.doe@example.com",
    );
    assert_single(
        "\"a.b+tag@mail.example.co.uk\"",
        "email",
        "address",
        "a.b+tag@mail.example.co.uk",
    );
    assert_none("icon@3x.webp and x@y");
}

#[test]
fn quotes_are_not_in_span() {
    let text = "{\"nir\":\"2 55 08 14 168 025 38\",\"ssn\":'536-22-8451'}";
    let engine = Engine::builtin();
    let matches = engine.scan(text.as_bytes());
    assert_eq!(matches.len(), 2);
    assert_eq!(matches[0].span(), 8..29);
    assert_eq!(matches[1].span(), 38..49);
}

#[test]
fn float_digits_are_not_carved() {
    assert_none("ratio 0.4242424242424242 and 0.536228451");
    assert_none("4242424242424242.5 and 536-22-8451.0");
    assert_single("end 536-22-8451.", "us_ssn", "dashed", "536-22-8451");
}

#[test]
fn masks_per_sensor() {
    let engine = Engine::builtin();
    let text = b"2 55 08 14 168 025 38 536-22-8451 5555 5555 5555 4444 GB82WEST12345698765432 jane.doe@example.com";
    let masked: Vec<String> =
        engine.scan(text).iter().map(|m| m.masked().to_string()).collect();
    assert_eq!(
        masked,
        [
            "2 55 08 ** *** *** 38",
            "***-**-8451",
            "5555 55** **** 4444",
            "GB82***************432",
            "j***.***@*******.com",
        ]
    );
}

#[test]
fn http_contexts_reported() {
    let engine = Engine::builtin();
    let request = b"POST /a?card=4111111111111111 HTTP/1.1\r\nX-Ssn: 536-22-8451\r\nContent-Length: 21\r\n\r\n2 55 08 14 168 025 38";
    let contexts: Vec<&str> =
        engine.scan(request).iter().map(|m| m.context().as_str()).collect();
    assert_eq!(contexts, ["url", "header", "body"]);
}

#[test]
fn hotword_raises_confidence() {
    let engine = Engine::builtin();
    let with = engine.scan(b"SSN 536-22-8451");
    let without = engine.scan(b"ref 536-22-8451");
    assert_eq!(with[0].confidence(), dlp_core::Confidence::High);
    assert_eq!(without[0].confidence(), dlp_core::Confidence::Medium);
}

#[test]
fn digit_flood_finds_nothing_quickly() {
    let engine = Engine::builtin();
    let flood = vec![b'7'; 1 << 20];
    assert!(engine.scan(&flood).is_empty());
    let spaced: Vec<u8> =
        b"1 ".iter().copied().cycle().take(1 << 20).collect();
    assert!(engine.scan(&spaced).is_empty());
}

#[test]
fn email_starting_before_digits_is_leftmost() {
    // The digits are trigger bytes with a short lookback and the `@` one
    // with a long lookback: the position before the digits must still be
    // evaluated first.
    assert_single(
        "AB12WEST1234x.y@example.com rest",
        "email",
        "address",
        "AB12WEST1234x.y@example.com",
    );
}
