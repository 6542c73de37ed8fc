//! Enforcement mode and per-sensor actions.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// How the enforcer treats findings, after NeuVector's group modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Accept every packet and log each finding.
    Monitor,
    /// Drop the packet that completes a finding whose action is `deny`,
    /// block the rest of its flow and reset both ends.
    Protect,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Monitor => "monitor",
            Mode::Protect => "protect",
        }
    }
}

/// The action a policy gives a sensor's findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Log the finding and let the traffic through.
    Alert,
    /// Block the flow (in protect mode; logged as an alert in monitor
    /// mode).
    Deny,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Alert => "alert",
            Action::Deny => "deny",
        }
    }
}

impl FromStr for Action {
    type Err = String;

    fn from_str(text: &str) -> Result<Action, String> {
        match text {
            "alert" => Ok(Action::Alert),
            "deny" => Ok(Action::Deny),
            other => Err(format!(
                "invalid action `{other}`; expected `alert` or `deny`"
            )),
        }
    }
}

/// One `--action SENSOR=ACTION` flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    pub sensor: String,
    pub action: Action,
}

impl FromStr for Override {
    type Err = String;

    fn from_str(text: &str) -> Result<Override, String> {
        let Some((sensor, action)) = text.split_once('=') else {
            return Err(format!(
                "invalid action override `{text}`; expected SENSOR=ACTION, \
                 for example fr_nir=deny"
            ));
        };
        if sensor.is_empty() {
            return Err(format!(
                "invalid action override `{text}`: the sensor name is empty"
            ));
        }
        Ok(Override { sensor: sensor.to_string(), action: action.parse()? })
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.sensor, self.action.as_str())
    }
}

/// The mode, the default action and the per-sensor overrides.
#[derive(Clone, Debug)]
pub struct Policy {
    mode: Mode,
    default_action: Action,
    overrides: HashMap<String, Action>,
}

impl Policy {
    /// Creates a policy. Sensors without an override get `default_action`.
    ///
    /// # Errors
    ///
    /// Rejects an override that names a sensor missing from `sensors`,
    /// since a misspelt name would silently leave that sensor at the
    /// default action.
    pub fn new(
        mode: Mode,
        default_action: Action,
        overrides: &[Override],
        sensors: &[&str],
    ) -> Result<Policy, String> {
        let mut map = HashMap::new();
        for item in overrides {
            if !sensors.contains(&item.sensor.as_str()) {
                return Err(format!(
                    "--action {item}: no sensor is named `{}`; loaded \
                     sensors: {}",
                    item.sensor,
                    sensors.join(", ")
                ));
            }
            map.insert(item.sensor.clone(), item.action);
        }
        Ok(Policy { mode, default_action, overrides: map })
    }

    #[cfg(test)]
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Returns the action the policy sets for `sensor`, whatever the mode.
    pub fn configured_action(&self, sensor: &str) -> Action {
        self.overrides.get(sensor).copied().unwrap_or(self.default_action)
    }

    /// Returns the action the enforcer takes on a finding of `sensor`:
    /// `deny` only in protect mode for a sensor whose action is `deny`.
    pub fn effective_action(&self, sensor: &str) -> Action {
        match (self.mode, self.configured_action(sensor)) {
            (Mode::Protect, Action::Deny) => Action::Deny,
            _ => Action::Alert,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENSORS: [&str; 3] = ["fr_nir", "email", "credit_card"];

    fn policy(mode: Mode, overrides: &[&str]) -> Policy {
        let parsed: Vec<Override> =
            overrides.iter().map(|o| o.parse().unwrap()).collect();
        Policy::new(mode, Action::Deny, &parsed, &SENSORS).unwrap()
    }

    #[test]
    fn protect_denies_by_default() {
        let policy = policy(Mode::Protect, &[]);
        assert_eq!(policy.effective_action("fr_nir"), Action::Deny);
        assert_eq!(policy.effective_action("email"), Action::Deny);
    }

    #[test]
    fn monitor_only_alerts() {
        let policy = policy(Mode::Monitor, &["fr_nir=deny"]);
        assert_eq!(policy.configured_action("fr_nir"), Action::Deny);
        assert_eq!(policy.effective_action("fr_nir"), Action::Alert);
        assert_eq!(policy.effective_action("email"), Action::Alert);
    }

    #[test]
    fn override_per_sensor() {
        let policy = policy(Mode::Protect, &["email=alert", "fr_nir=deny"]);
        assert_eq!(policy.effective_action("email"), Action::Alert);
        assert_eq!(policy.effective_action("fr_nir"), Action::Deny);
        assert_eq!(policy.effective_action("credit_card"), Action::Deny);
    }

    #[test]
    fn later_override_wins() {
        let policy = policy(Mode::Protect, &["email=deny", "email=alert"]);
        assert_eq!(policy.effective_action("email"), Action::Alert);
    }

    #[test]
    fn override_unknown_sensor_rejected() {
        let parsed = vec!["fr_nirr=deny".parse::<Override>().unwrap()];
        let err = Policy::new(Mode::Protect, Action::Deny, &parsed, &SENSORS)
            .unwrap_err();
        assert!(err.contains("fr_nirr"), "{err}");
    }

    #[test]
    fn override_parse_errors() {
        assert!("fr_nir".parse::<Override>().is_err());
        assert!("=deny".parse::<Override>().is_err());
        assert!("fr_nir=block".parse::<Override>().is_err());
        let parsed: Override = "fr_nir=alert".parse().unwrap();
        assert_eq!(parsed.action, Action::Alert);
    }
}
