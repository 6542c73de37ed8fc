//! Every validator accepts any byte slice without panicking, gives the same
//! verdict twice, and accepts only what its rule allows in the bytes
//! themselves: card numbers are ASCII digits and separators, and a valid
//! card number also passes the plain Luhn check.

#![no_main]

use dlp_core::validators;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for name in validators::names() {
        let validate =
            validators::lookup(name).expect("every listed name resolves");
        let verdict = validate(data);
        assert_eq!(verdict, validate(data), "{name} is not deterministic");
        if verdict && name.starts_with("card_") {
            assert!(
                data.iter().all(|b| b.is_ascii_digit() || b" -.".contains(b)),
                "{name} accepted a byte outside digits and separators"
            );
            assert!(
                validators::luhn(data),
                "{name} accepted a value that fails Luhn"
            );
        }
    }
    assert!(validators::lookup("no_such_validator").is_none());
});
