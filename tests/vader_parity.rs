//! Differential test: the host's VADER scores equal those of the reference
//! Python vaderSentiment 3.3.2 (installed from PyPI into a virtual
//! environment) on every sentence of `tests/fixtures/vader-sentences.txt`.

use std::path::PathBuf;
use std::process::Command;

use escalator_integration_tests::workspace_root;

/// A Python with vaderSentiment 3.3.2: `$ESCALATOR_VADER_PYTHON` if set,
/// else a virtual environment made (once) under the target directory.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("ESCALATOR_VADER_PYTHON") {
        return p.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let venv = target.join("vader-venv");
    let python = venv.join("bin/python");
    let ready = Command::new(&python)
        .args(["-c", "import vaderSentiment"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ready {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 is needed for the VADER parity test");
        assert!(status.success(), "creating the virtual environment failed");
        let status = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "vaderSentiment==3.3.2"])
            .status()
            .expect("run pip");
        assert!(status.success(), "installing vaderSentiment 3.3.2 failed");
    }
    python
}

const SCORER: &str = r#"
import json, sys
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
analyzer = SentimentIntensityAnalyzer()
lines = [l for l in open(sys.argv[1], encoding="utf-8").read().split("\n") if l]
print(json.dumps([analyzer.polarity_scores(l)["compound"] for l in lines]))
"#;

#[test]
fn host_vader_scores_equal_the_reference_implementation() {
    let file = workspace_root().join("tests/fixtures/vader-sentences.txt");
    let sentences: Vec<String> = std::fs::read_to_string(&file)
        .unwrap()
        .split('\n')
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    assert!(sentences.len() >= 200, "only {} sentences", sentences.len());

    let out = Command::new(python())
        .args(["-c", SCORER])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference: Vec<f64> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reference.len(), sentences.len());

    let mismatches: Vec<String> = sentences
        .iter()
        .zip(&reference)
        .filter_map(|(s, want)| {
            let got = escalator::decision::signals::sentiment(s);
            (got != *want).then(|| format!("{s:?}: host {got}, reference {want}"))
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} sentences differ:\n{}",
        mismatches.len(),
        sentences.len(),
        mismatches.join("\n")
    );
    // Not all neutral: the sample exercises the scorer.
    assert!(reference.iter().filter(|s| s.abs() > 0.5).count() > 50);
}
