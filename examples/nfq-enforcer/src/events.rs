//! Security events, written as JSON Lines.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use crate::policy::{Action, Mode};

/// Which way the bytes of a finding travelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From the endpoint that sent the SYN.
    ClientToServer,
    /// Towards the endpoint that sent the SYN.
    ServerToClient,
    /// The flow was picked up after its handshake, so the roles are not
    /// known.
    Unknown,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::ClientToServer => "client_to_server",
            Direction::ServerToClient => "server_to_client",
            Direction::Unknown => "unknown",
        }
    }
}

/// The flow direction a finding was made in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowLabel {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub direction: Direction,
}

/// One finding, as the enforcer reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub flow: FlowLabel,
    pub sensor: String,
    pub rule: String,
    pub severity: &'static str,
    pub confidence: &'static str,
    pub context: &'static str,
    /// The action the enforcer took: `deny` only in protect mode.
    pub action: Action,
    pub masked: String,
    /// Stream offsets of the value in its flow direction, counting the
    /// bytes handed to the matcher from the first payload byte seen.
    pub start: u64,
    pub end: u64,
    /// The raw value, kept only when `--show-values` is given.
    pub value: Option<Vec<u8>>,
}

/// The destination of security events, shared by all queue threads.
pub struct EventSink {
    out: Mutex<Box<dyn Write + Send>>,
    mode: Mode,
}

impl EventSink {
    pub fn new(out: Box<dyn Write + Send>, mode: Mode) -> EventSink {
        EventSink { out: Mutex::new(out), mode }
    }

    /// Writes a `finding` event.
    pub fn finding(&self, queue: u16, finding: &Finding) -> io::Result<()> {
        let mut object = self.header("finding", queue, &finding.flow);
        object.insert("sensor".into(), json!(finding.sensor));
        object.insert("rule".into(), json!(finding.rule));
        object.insert("severity".into(), json!(finding.severity));
        object.insert("confidence".into(), json!(finding.confidence));
        object.insert("context".into(), json!(finding.context));
        object.insert("action".into(), json!(finding.action.as_str()));
        object.insert("masked".into(), json!(finding.masked));
        object.insert("offset".into(), json!(finding.start));
        object.insert("end".into(), json!(finding.end));
        if let Some(value) = &finding.value {
            let text = String::from_utf8_lossy(value);
            object.insert("value".into(), json!(text));
        }
        self.write(object)
    }

    /// Writes a `repeat` event: `count` more findings of one sensor rule
    /// on one flow direction that were counted but not logged one by one.
    pub fn repeat(
        &self,
        queue: u16,
        flow: &FlowLabel,
        sensor: &str,
        rule: &str,
        action: Action,
        count: u64,
    ) -> io::Result<()> {
        let mut object = self.header("repeat", queue, flow);
        object.insert("sensor".into(), json!(sensor));
        object.insert("rule".into(), json!(rule));
        object.insert("action".into(), json!(action.as_str()));
        object.insert("count".into(), json!(count));
        self.write(object)
    }

    fn header(
        &self,
        kind: &str,
        queue: u16,
        flow: &FlowLabel,
    ) -> Map<String, Value> {
        let mut object = Map::new();
        object.insert("time".into(), json!(rfc3339(SystemTime::now())));
        object.insert("type".into(), json!(kind));
        object.insert("mode".into(), json!(self.mode.as_str()));
        object.insert("queue".into(), json!(queue));
        object.insert(
            "flow".into(),
            json!({
                "src": flow.src.to_string(),
                "dst": flow.dst.to_string(),
                "direction": flow.direction.as_str(),
            }),
        );
        object
    }

    fn write(&self, object: Map<String, Value>) -> io::Result<()> {
        let mut line = serde_json::to_vec(&Value::Object(object))?;
        line.push(b'\n');
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        out.write_all(&line)?;
        out.flush()
    }
}

/// Formats a time as RFC 3339 in UTC with milliseconds, for example
/// `2026-12-04T16:18:23.512Z`.
pub fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// Converts a count of days since 1970-01-01 to a proleptic Gregorian
/// (year, month, day), counting in 400-year eras of 146097 days.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468; // days since 0000-03-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524
        - day_of_era / 146_096)
        / 365;
    let day_of_year =
        day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months counted from March, so February and its leap day come last.
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month =
        if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month as u32, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn rfc3339_known_dates() {
        let at = |secs: u64| UNIX_EPOCH + Duration::from_secs(secs);
        assert_eq!(rfc3339(at(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(at(951_782_400)), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(at(1_709_251_199)), "2024-02-29T23:59:59.000Z");
        assert_eq!(
            rfc3339(at(1_798_761_599) + Duration::from_millis(7)),
            "2026-12-31T23:59:59.007Z"
        );
    }

    /// A writer whose bytes the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn finding(value: Option<Vec<u8>>) -> Finding {
        Finding {
            flow: FlowLabel {
                src: "10.99.0.1:40000".parse().unwrap(),
                dst: "10.99.0.2:8000".parse().unwrap(),
                direction: Direction::ClientToServer,
            },
            sensor: "fr_nir".into(),
            rule: "nir".into(),
            severity: "high",
            confidence: "medium",
            context: "body",
            action: Action::Deny,
            masked: "2 55 ***********38".into(),
            start: 60,
            end: 81,
            value,
        }
    }

    #[test]
    fn finding_event_fields() {
        let buffer = Shared::default();
        let sink = EventSink::new(Box::new(buffer.clone()), Mode::Protect);
        sink.finding(3, &finding(None)).unwrap();
        let text =
            String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert!(text.ends_with('\n'));
        let event: Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(event["type"], "finding");
        assert_eq!(event["mode"], "protect");
        assert_eq!(event["queue"], 3);
        assert_eq!(event["flow"]["src"], "10.99.0.1:40000");
        assert_eq!(event["flow"]["dst"], "10.99.0.2:8000");
        assert_eq!(event["flow"]["direction"], "client_to_server");
        assert_eq!(event["sensor"], "fr_nir");
        assert_eq!(event["rule"], "nir");
        assert_eq!(event["action"], "deny");
        assert_eq!(event["masked"], "2 55 ***********38");
        assert_eq!(event["offset"], 60);
        assert!(event.get("value").is_none());
        assert!(event["time"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn finding_event_value_on_request() {
        let buffer = Shared::default();
        let sink = EventSink::new(Box::new(buffer.clone()), Mode::Monitor);
        sink.finding(0, &finding(Some(b"2 55 08 14 168 025 38".to_vec())))
            .unwrap();
        let text =
            String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let event: Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(event["value"], "2 55 08 14 168 025 38");
    }
}
