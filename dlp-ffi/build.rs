//! Gives libdlp.so an ELF soname carrying the major version, so that
//! programs linked with `-ldlp` load `libdlp.so.MAJOR` at run time and
//! survive compatible upgrades.

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libdlp.so.{major}");
    }
}
