//! Generates the Kotlin sources of `dev.sandgate.ffi` from the built library (`build.sh`).

fn main() {
    uniffi::uniffi_bindgen_main()
}
