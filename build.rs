//! Records the enabled cargo features for `oidc-doctor --version`.

fn main() {
    let mut features: Vec<String> = std::env::vars()
        .filter_map(|(k, _)| {
            k.strip_prefix("CARGO_FEATURE_")
                .map(|f| f.to_ascii_lowercase().replace('_', "-"))
        })
        .collect();
    features.sort();
    let list = if features.is_empty() {
        "none".to_string()
    } else {
        features.join(", ")
    };
    println!("cargo:rustc-env=OIDC_DOCTOR_FEATURES={list}");
    println!("cargo:rerun-if-changed=build.rs");
}
