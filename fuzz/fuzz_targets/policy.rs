//! Bytes → if UTF-8, `Policy::parse` for every `PolicyKind`. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ramcheck::policy::{Policy, PolicyKind};

const KINDS: [PolicyKind; 5] = [
    PolicyKind::Identity,
    PolicyKind::Session,
    PolicyKind::Control,
    PolicyKind::Trust,
    PolicyKind::Resource,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for kind in KINDS {
        match Policy::parse(text, "Fuzz", "fuzz.json", kind) {
            Ok(policy) => {
                // Walk what was built, so lazily derived values are touched.
                let _ = format!("{policy:?}");
            }
            Err(err) => {
                // Error rendering must not panic either.
                let _ = err.to_string();
            }
        }
    }
});
