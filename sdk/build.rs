//! Reads the interface version from the WIT package declaration, so the
//! version is written once (in `wit/`) and every crate derives it.

fn main() {
    let path = "../wit/rules.wit";
    println!("cargo:rerun-if-changed={path}");
    let wit = std::fs::read_to_string(path).expect("the WIT package is beside the SDK");
    let version = wit
        .lines()
        .find_map(|l| l.trim().strip_prefix("package escalator:rules@"))
        .and_then(|rest| rest.strip_suffix(';'))
        .expect("wit/rules.wit declares `package escalator:rules@X.Y.Z;`");
    println!("cargo:rustc-env=ESCALATOR_RULES_VERSION={version}");
}
