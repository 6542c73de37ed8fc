//! The labelled cases from public bug reports about DLP and PII detectors:
//! every case tagged `core` gives exactly its expected findings.

use std::collections::BTreeSet;

use dlp_core::Engine;
use serde_json::Value;

const CASES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/cases/cases.jsonl"
));

const SENSORS: [&str; 5] =
    ["fr_nir", "us_ssn", "credit_card", "iban", "email"];

#[test]
fn core_cases_pass() {
    let engine = Engine::builtin();
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in CASES.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).unwrap();
        let tags: Vec<&str> = case["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        if !tags.contains(&"core") {
            continue;
        }
        checked += 1;
        let input = case["input"].as_str().unwrap().as_bytes();
        let expected: BTreeSet<(String, String)> = case["expect"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let sensor = e["sensor"].as_str().unwrap().to_string();
                (sensor, e["value"].as_str().unwrap().to_string())
            })
            .collect();
        let found: BTreeSet<(String, String)> = engine
            .scan(input)
            .into_iter()
            .filter(|m| SENSORS.contains(&m.sensor()))
            .map(|m| {
                let value = &input[m.start() as usize..m.end() as usize];
                assert_eq!(value, m.value());
                let value = String::from_utf8_lossy(value).into_owned();
                (m.sensor().to_string(), value)
            })
            .collect();
        if found != expected {
            failures.push(format!(
                "{}: expected {expected:?}, found {found:?}",
                case["id"]
            ));
        }
    }
    assert!(checked >= 30, "only {checked} core cases were read");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
