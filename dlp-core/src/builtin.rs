//! The built-in sensors, embedded from the `sensors/` folder at build time.

/// The built-in definition files: `(origin, text)`.
pub(crate) const SOURCES: [(&str, &str); 5] = [
    ("<builtin>/fr_nir.toml", include_str!("../../sensors/fr_nir.toml")),
    ("<builtin>/us_ssn.toml", include_str!("../../sensors/us_ssn.toml")),
    (
        "<builtin>/credit_card.toml",
        include_str!("../../sensors/credit_card.toml"),
    ),
    ("<builtin>/iban.toml", include_str!("../../sensors/iban.toml")),
    ("<builtin>/email.toml", include_str!("../../sensors/email.toml")),
];
