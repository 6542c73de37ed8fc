//! The built-in sensors, embedded at build time from the `sensors/` folder
//! (`dlp-core/sensors` links to it, so a packaged crate contains it).

/// The built-in definition files: `(origin, text)`.
pub(crate) const SOURCES: [(&str, &str); 5] = [
    ("<builtin>/fr_nir.toml", include_str!("../sensors/fr_nir.toml")),
    ("<builtin>/us_ssn.toml", include_str!("../sensors/us_ssn.toml")),
    (
        "<builtin>/credit_card.toml",
        include_str!("../sensors/credit_card.toml"),
    ),
    ("<builtin>/iban.toml", include_str!("../sensors/iban.toml")),
    ("<builtin>/email.toml", include_str!("../sensors/email.toml")),
];
