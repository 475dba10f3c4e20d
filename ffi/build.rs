//! Gives the shared library its soname, so that programs link against the ABI version.
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libnydus_overlay.so.0");
}
