//! A user's cold build: `tests/consumer` (a crate that depends on `nrfcloud` with default
//! features) from an empty target directory, its crates already downloaded, against
//! openapi-generator's Rust client of the same REST document built right after it, in the
//! same run; then a no-op rebuild. Prints wall times and the ratio (goal 1.5x); asserts
//! nothing.
//!
//! `cargo bench -p nrfcloud --bench cold_build`, with `$NRFCLOUD_OPENAPI_GENERATOR` set to an
//! `openapi-generator-cli` (e.g. PyPI's `openapi-generator-cli`, which bundles the jar; it needs
//! Java) for the peer. Without `--bench` (under `cargo test`) it does nothing: it builds for
//! minutes.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    // The bench's own profile settings must not leak into the builds it measures.
    for (key, _) in std::env::vars() {
        if key.starts_with("CARGO_PROFILE_") || key == "CARGO_TARGET_DIR" || key == "RUSTFLAGS" {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// `cargo fetch`, then a timed `cargo build` of `manifest` into the empty `target`.
fn build(manifest: &Path, target: &Path) -> Result<Duration, String> {
    let fetched = cargo()
        .args(["fetch", "--manifest-path"])
        .arg(manifest)
        .status()
        .map_err(|e| e.to_string())?;
    if !fetched.success() {
        return Err(format!("cargo fetch failed for {}", manifest.display()));
    }
    let start = Instant::now();
    let built = cargo()
        .args(["build", "--quiet", "--manifest-path"])
        .arg(manifest)
        .arg("--target-dir")
        .arg(target)
        .status()
        .map_err(|e| e.to_string())?;
    let wall = start.elapsed();
    if built.success() {
        Ok(wall)
    } else {
        Err(format!("cargo build failed for {}", manifest.display()))
    }
}

/// Generates openapi-generator's Rust client of the REST document into `dir`, as a standalone
/// crate; its manifest.
fn generated_client(generator: &str, spec: &Path, dir: &Path) -> Result<PathBuf, String> {
    let out = Command::new(generator)
        .args(["generate", "-g", "rust", "--skip-validate-spec"])
        .arg("--additional-properties=library=reqwest")
        .args(["--package-name", "nrfcloud_openapi", "-i"])
        .arg(spec)
        .arg("-o")
        .arg(dir)
        .output()
        .map_err(|e| format!("cannot run {generator}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{generator} failed"));
    }
    let manifest = dir.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).map_err(|e| e.to_string())?;
    text.push_str("\n[workspace]\n");
    std::fs::write(&manifest, text).map_err(|e| e.to_string())?;
    Ok(manifest)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let scratch = tempfile::tempdir().expect("temp dir");
    let consumer = root.join("tests/consumer/Cargo.toml");
    let target = scratch.path().join("consumer-target");
    let ours = match build(&consumer, &target) {
        Ok(wall) => wall,
        Err(e) => {
            println!("cold build: not measured ({e})");
            return;
        }
    };
    println!(
        "cold build of a crate using nrfcloud (default features): {:.1} s",
        ours.as_secs_f64()
    );
    match std::env::var("NRFCLOUD_OPENAPI_GENERATOR") {
        Ok(generator) => {
            let spec = root.join("openapi/nrfcloud-rest.json");
            let peer = generated_client(&generator, &spec, &scratch.path().join("generated"))
                .and_then(|m| build(&m, &scratch.path().join("generated-target")));
            match peer {
                Ok(wall) => println!(
                    "  openapi-generator's Rust client of the same document, same run: {:.1} s; ours {:.2}x (goal 1.5x)",
                    wall.as_secs_f64(),
                    ours.as_secs_f64() / wall.as_secs_f64()
                ),
                Err(e) => println!("  openapi-generator: not measured ({e})"),
            }
        }
        Err(_) => println!("  openapi-generator: not measured (set NRFCLOUD_OPENAPI_GENERATOR)"),
    }
    match build(&consumer, &target) {
        Ok(wall) => println!("  no-op rebuild: {:.2} s (goal 1.5 s)", wall.as_secs_f64()),
        Err(e) => println!("  no-op rebuild: not measured ({e})"),
    }
}
