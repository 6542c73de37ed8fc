//! `dlp.Sensor` and `dlp.Rule`: read-only views of loaded definitions.

use dlp_core::{Boundary, Rule, Sensor};
use pyo3::prelude::*;

use crate::matches::quote;

/// A rule of a sensor, as loaded.
#[pyclass(frozen, module = "dlp", name = "Rule")]
#[derive(Clone)]
pub(crate) struct PyRule {
    #[pyo3(get)]
    name: String,
    #[pyo3(get)]
    context: &'static str,
    #[pyo3(get)]
    patterns: Vec<(String, String)>,
    #[pyo3(get)]
    validator: Option<String>,
    #[pyo3(get)]
    hotwords: Vec<String>,
    #[pyo3(get)]
    hotwords_required: bool,
    #[pyo3(get)]
    hotword_window: usize,
    #[pyo3(get)]
    confidence: &'static str,
    #[pyo3(get)]
    boundary: &'static str,
    #[pyo3(get)]
    mask: (u8, u8),
}

impl PyRule {
    fn new(rule: &Rule) -> PyRule {
        let patterns = rule
            .patterns
            .iter()
            .map(|p| {
                let op = if p.negated { "!regex" } else { "regex" };
                (op.to_string(), p.regex.clone())
            })
            .collect();
        let boundary = match rule.boundary {
            Boundary::Word => "word",
            Boundary::None => "none",
        };
        PyRule {
            name: rule.name.clone(),
            context: rule.context.as_str(),
            patterns,
            validator: rule.validator.clone(),
            hotwords: rule.hotwords.clone(),
            hotwords_required: rule.hotwords_required,
            hotword_window: rule.hotword_window,
            confidence: rule.confidence.as_str(),
            boundary,
            mask: (rule.mask.keep_first, rule.mask.keep_last),
        }
    }
}

#[pymethods]
impl PyRule {
    fn __repr__(&self) -> String {
        format!(
            "Rule(name={}, context={}, validator={})",
            quote(&self.name),
            quote(self.context),
            match &self.validator {
                Some(name) => quote(name),
                None => "None".to_string(),
            }
        )
    }
}

/// A sensor, as loaded.
#[pyclass(frozen, module = "dlp", name = "Sensor")]
#[derive(Clone)]
pub(crate) struct PySensor {
    #[pyo3(get)]
    name: String,
    #[pyo3(get)]
    description: String,
    #[pyo3(get)]
    severity: &'static str,
    #[pyo3(get)]
    rules: Vec<PyRule>,
}

impl PySensor {
    pub(crate) fn new(sensor: &Sensor) -> PySensor {
        PySensor {
            name: sensor.name.clone(),
            description: sensor.description.clone(),
            severity: sensor.severity.as_str(),
            rules: sensor.rules.iter().map(PyRule::new).collect(),
        }
    }
}

#[pymethods]
impl PySensor {
    fn __repr__(&self) -> String {
        let rules: Vec<String> =
            self.rules.iter().map(|r| quote(&r.name)).collect();
        format!(
            "Sensor(name={}, severity={}, rules=[{}])",
            quote(&self.name),
            quote(self.severity),
            rules.join(", ")
        )
    }
}
