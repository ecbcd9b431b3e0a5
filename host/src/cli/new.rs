//! `escalator new`: a plugin skeleton in Rust, Python or JavaScript, with the
//! interface's WIT, a build recipe and a sample test fixture.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::Lang;

const WIT: &str = include_str!("../../../wit/rules.wit");
const TEST: &str = include_str!("../../templates/test.json");

/// The SDK of the tree this binary was built from: the default for Rust
/// skeletons, since the SDK is not published.
fn built_in_sdk() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk")
}

fn files(lang: Lang) -> Vec<(&'static str, &'static str)> {
    match lang {
        Lang::Rust => vec![
            (
                "Cargo.toml",
                include_str!("../../templates/rust/Cargo.toml"),
            ),
            ("src/lib.rs", include_str!("../../templates/rust/lib.rs")),
            ("README.md", include_str!("../../templates/rust/README.md")),
            ("tests/{{name}}.test.json", TEST),
        ],
        Lang::Python => vec![
            ("app.py", include_str!("../../templates/python/app.py")),
            ("build.sh", include_str!("../../templates/python/build.sh")),
            (
                "README.md",
                include_str!("../../templates/python/README.md"),
            ),
            ("wit/rules.wit", WIT),
            ("{{name}}.test.json", TEST),
        ],
        Lang::Js => vec![
            ("plugin.js", include_str!("../../templates/js/plugin.js")),
            ("build.mjs", include_str!("../../templates/js/build.mjs")),
            (
                "package.json",
                include_str!("../../templates/js/package.json"),
            ),
            ("README.md", include_str!("../../templates/js/README.md")),
            ("wit/rules.wit", WIT),
            ("{{name}}.test.json", TEST),
        ],
    }
}

/// Runs `new`.
pub fn run(
    name: &str,
    lang: Lang,
    dir: Option<&Path>,
    sdk: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<i32> {
    let valid = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        bail!(
            "plugin names are lowercase letters, digits and dashes, starting with a letter: {name:?}"
        );
    }
    let dir = dir
        .map(Path::to_owned)
        .unwrap_or_else(|| PathBuf::from(name));
    if dir.exists() && std::fs::read_dir(&dir)?.next().is_some() {
        bail!("{} exists and is not empty", dir.display());
    }
    let crate_name = name.replace('-', "_");
    let sdk = match sdk {
        Some(p) => p.to_owned(),
        None => built_in_sdk(),
    };
    let sdk = sdk.canonicalize().unwrap_or(sdk);
    let artifact = match lang {
        Lang::Rust => format!("{crate_name}.wasm"),
        Lang::Python | Lang::Js => format!("{name}.wasm"),
    };
    for (path, template) in files(lang) {
        let path = dir.join(path.replace("{{name}}", name));
        let text = template
            .replace("{{name}}", name)
            .replace("{{crate}}", &crate_name)
            .replace("{{artifact}}", &artifact)
            .replace("{{sdk}}", &sdk.display().to_string())
            .replace(
                "{{interface}}",
                &crate::plugin::interface::HOST_VERSION.to_string(),
            );
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        writeln!(out, "created {}", path.display())?;
    }
    #[cfg(unix)]
    if lang == Lang::Python {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join("build.sh"), std::fs::Permissions::from_mode(0o755))?;
    }
    let next = match lang {
        Lang::Rust => {
            "cargo build --release --target wasm32-wasip2 && escalator test --plugins target/wasm32-wasip2/release tests/"
        }
        Lang::Python => "./build.sh && escalator test .",
        Lang::Js => "npm install && npm run build && escalator test .",
    };
    writeln!(out, "next: cd {} && {next}", dir.display())?;
    Ok(0)
}
