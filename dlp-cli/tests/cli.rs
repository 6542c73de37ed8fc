//! End-to-end tests of the `dlp` command, one or more per flag.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn dlp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dlp")).args(args).output().unwrap()
}

fn dlp_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dlp"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A run that fails before reading its input closes the pipe early, so
    // a broken pipe here is not an error of the test.
    let written = child.stdin.take().unwrap().write_all(input);
    if let Err(err) = written {
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe, "{err}");
    }
    child.wait_with_output().unwrap()
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("dlp-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

type Finding = (String, String, u64, u64, String);

fn expected_sample() -> BTreeSet<Finding> {
    let text =
        std::fs::read_to_string(repo("samples/exfil-http.expected.jsonl"))
            .unwrap();
    text.lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            (
                v["flow"].as_str().unwrap().to_string(),
                v["sensor"].as_str().unwrap().to_string(),
                v["start"].as_u64().unwrap(),
                v["end"].as_u64().unwrap(),
                v["context"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn findings(lines: &[Value]) -> BTreeSet<Finding> {
    lines
        .iter()
        .map(|v| {
            (
                v["flow"].as_str().unwrap_or("").to_string(),
                v["sensor"].as_str().unwrap().to_string(),
                v["start"].as_u64().unwrap(),
                v["end"].as_u64().unwrap(),
                v["context"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn sample_capture_six_findings() {
    let sample = repo("samples/exfil-http.pcap");
    let output = dlp(&["scan", "--json", sample.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 6);
    assert_eq!(findings(&lines), expected_sample());
    for line in &lines {
        assert!(line.get("value").is_none(), "raw value printed: {line}");
        assert_eq!(line["path"], sample.to_str().unwrap());
        assert!(line["masked"].as_str().unwrap().contains('*'));
    }
}

#[test]
fn show_values_prints_raw_values() {
    let sample = repo("samples/exfil-http.pcap");
    let output =
        dlp(&["scan", "--json", "--show-values", sample.to_str().unwrap()]);
    let values: BTreeSet<String> = json_lines(&output)
        .iter()
        .map(|v| v["value"].as_str().unwrap().to_string())
        .collect();
    let text =
        std::fs::read_to_string(repo("samples/exfil-http.expected.jsonl"))
            .unwrap();
    let expected: BTreeSet<String> = text
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["value"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(values, expected);
}

#[test]
fn default_outputs_hide_raw_values() {
    let sample = repo("samples/exfil-http.pcap");
    let human = dlp(&["scan", sample.to_str().unwrap()]);
    let json = dlp(&["scan", "--json", sample.to_str().unwrap()]);
    let text =
        std::fs::read_to_string(repo("samples/exfil-http.expected.jsonl"))
            .unwrap();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let raw = v["value"].as_str().unwrap();
        for output in [&human, &json] {
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(!stdout.contains(raw), "raw value {raw} in output");
            assert!(!stderr(output).contains(raw));
        }
    }
}

#[test]
fn human_output_names_flow_and_sensor() {
    let sample = repo("samples/exfil-http.pcap");
    let output = dlp(&["scan", sample.to_str().unwrap()]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 6);
    assert!(stdout.contains("[10.77.0.1:52892 -> 10.77.0.2:8080]:215-236: fr_nir/nir 2 55 08 ** *** *** 38 (body)"), "{stdout}");
}

#[test]
fn clean_input_exits_zero() {
    let output = dlp_stdin(&["scan"], b"nothing to see here 12345\n");
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty());
}

#[test]
fn stdin_dash_is_scanned() {
    let output = dlp_stdin(&["scan", "--json", "-"], b"ssn 536-22-8451\n");
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["path"], "<stdin>");
    assert_eq!(lines[0]["sensor"], "us_ssn");
    assert_eq!(lines[0]["start"], 4);
    assert_eq!(lines[0]["end"], 15);
    assert_eq!(lines[0]["context"], "packet");
}

#[test]
fn missing_file_exits_two() {
    let output = dlp(&["scan", "/nonexistent/file.txt"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.starts_with("dlp: "), "{message}");
    assert!(message.contains("/nonexistent/file.txt"), "{message}");
}

#[test]
fn directory_is_scanned_recursively() {
    let dir = temp_dir("walk");
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    std::fs::write(dir.join("a/b/deep.txt"), "iban GB82WEST12345698765432\n")
        .unwrap();
    std::fs::write(dir.join(".hidden"), "mail jane.doe@example.com\n")
        .unwrap();
    std::fs::write(dir.join("clean.txt"), "no data\n").unwrap();
    let output = dlp(&["scan", "--json", "-j", "2", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let mut sensors: Vec<String> = json_lines(&output)
        .iter()
        .map(|v| v["sensor"].as_str().unwrap().to_string())
        .collect();
    sensors.sort();
    assert_eq!(sensors, ["email", "iban"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn large_file_offsets_cross_chunks() {
    let dir = temp_dir("large");
    let mut data = vec![b'.'; 256 * 1024 - 10];
    data.extend_from_slice(b" 2 55 08 14 168 025 38 ");
    data.extend(vec![b'x'; 1000]);
    let path = dir.join("big.txt");
    std::fs::write(&path, &data).unwrap();
    let output = dlp(&["scan", "--json", path.to_str().unwrap()]);
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["start"], 256 * 1024 - 9);
    assert_eq!(lines[0]["end"], 256 * 1024 - 9 + 21);
    std::fs::remove_dir_all(dir).unwrap();
}

const CUSTOM: &str = r#"
[[sensor]]
name = "ticket"
description = "Support ticket ids"
[[sensor.rule]]
name = "id"
[[sensor.rule.pattern]]
value = 'TCK-[0-9]{6}'
"#;

#[test]
fn sensors_flag_adds_custom_sensor() {
    let dir = temp_dir("custom");
    let defs = dir.join("ticket.toml");
    std::fs::write(&defs, CUSTOM).unwrap();
    let input = b"TCK-123456 and 536-22-8451";
    let both = dlp_stdin(
        &["scan", "--json", "--sensors", defs.to_str().unwrap()],
        input,
    );
    let sensors: Vec<String> = json_lines(&both)
        .iter()
        .map(|v| v["sensor"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sensors, ["ticket", "us_ssn"]);

    let only = dlp_stdin(
        &[
            "scan",
            "--json",
            "--no-builtin",
            "--sensors",
            defs.to_str().unwrap(),
        ],
        input,
    );
    let sensors: Vec<String> = json_lines(&only)
        .iter()
        .map(|v| v["sensor"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sensors, ["ticket"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn no_builtin_without_sensors_is_an_error() {
    let output = dlp_stdin(&["scan", "--no-builtin"], b"x");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--sensors"));
}

#[test]
fn bad_sensor_file_names_file_and_rule() {
    let dir = temp_dir("bad");
    let defs = dir.join("bad.toml");
    std::fs::write(&defs, CUSTOM.replace("TCK-[0-9]{6}", "TCK-[0-9]+"))
        .unwrap();
    for args in [
        vec!["scan", "--sensors", defs.to_str().unwrap(), "-"],
        vec!["sensors", "check", defs.to_str().unwrap()],
    ] {
        let output = dlp_stdin(&args, b"x");
        assert_eq!(output.status.code(), Some(2));
        let message = stderr(&output);
        assert!(message.starts_with("dlp: "), "{message}");
        assert!(message.contains("bad.toml"), "{message}");
        assert!(message.contains("sensor `ticket`, rule `id`"), "{message}");
        assert!(message.contains("maximum match length"), "{message}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn sensors_check_accepts_valid_file() {
    let dir = temp_dir("check");
    let defs = dir.join("ticket.toml");
    std::fs::write(&defs, CUSTOM).unwrap();
    let output = dlp(&["sensors", "check", defs.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout)
        .contains("ok, 1 sensors, 1 rules"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn sensors_list_shows_builtin() {
    let output = dlp(&["sensors", "list"]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    for name in ["fr_nir", "us_ssn", "credit_card", "iban", "email"] {
        assert!(stdout.contains(&format!("{name} (")), "{name} missing");
    }
    assert!(stdout.contains("  nir_provisional: "));
    assert!(stdout.contains("hotwords required"));
}

#[test]
fn truncated_capture_warns_and_scans() {
    let dir = temp_dir("truncated");
    let sample = std::fs::read(repo("samples/exfil-http.pcap")).unwrap();
    let path = dir.join("cut.pcap");
    std::fs::write(&path, &sample[..sample.len() - 30]).unwrap();
    let output = dlp(&["scan", "--json", path.to_str().unwrap()]);
    let message = stderr(&output);
    assert!(message.contains("warning"), "{message}");
    assert!(message.contains("cut.pcap"), "{message}");
    assert!(message.contains("packet "), "{message}");
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(!json_lines(&output).is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}
