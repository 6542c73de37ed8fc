//! Rendering of findings: human-readable lines or JSON Lines.

use std::io::Write;

use dlp_core::Match;
use serde_json::{json, Map, Value};

/// How findings are printed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Format {
    pub(crate) json: bool,
    pub(crate) show_values: bool,
}

/// Appends one finding to `out`. `flow` names the flow direction for
/// captures.
pub(crate) fn write_match(
    out: &mut Vec<u8>,
    format: Format,
    path: &str,
    flow: Option<&str>,
    found: &Match,
) {
    if format.json {
        let mut object = Map::new();
        object.insert("path".into(), Value::from(path));
        if let Some(flow) = flow {
            object.insert("flow".into(), Value::from(flow));
        }
        object.insert("sensor".into(), Value::from(found.sensor()));
        object.insert("rule".into(), Value::from(found.rule()));
        object.insert("start".into(), json!(found.start()));
        object.insert("end".into(), json!(found.end()));
        object.insert("context".into(), Value::from(found.context().as_str()));
        object
            .insert("severity".into(), Value::from(found.severity().as_str()));
        object.insert(
            "confidence".into(),
            Value::from(found.confidence().as_str()),
        );
        object.insert("masked".into(), Value::from(found.masked()));
        if format.show_values {
            let value = String::from_utf8_lossy(found.value());
            object.insert("value".into(), Value::from(value.as_ref()));
        }
        let _ = serde_json::to_writer(&mut *out, &Value::Object(object));
        out.push(b'\n');
        return;
    }
    let _ = write!(out, "{path}");
    if let Some(flow) = flow {
        let _ = write!(out, " [{flow}]");
    }
    let _ = write!(
        out,
        ":{}-{}: {}/{} {} ({})",
        found.start(),
        found.end(),
        found.sensor(),
        found.rule(),
        found.masked(),
        found.context()
    );
    if format.show_values {
        let _ =
            write!(out, " value={}", String::from_utf8_lossy(found.value()));
    }
    out.push(b'\n');
}
