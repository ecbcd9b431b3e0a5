//! Test fixture: misbehaves as the customer's latest message asks, so the
//! integration tests can check that each kind of failure is contained.
//!
//! `panic`, `trap`, `loop`, `alloc`, `recurse`, `log-flood`, `error`,
//! `nan-weight`, `huge-reason`, `huge-detail`, `print`, `count` (calls served
//! by this instance), and `snoop` (tries to
//! reach files, environment, arguments, network and name resolution, and
//! reports what it got); anything else votes `stay` with reason `fixture_ok`
//! (so the smoke test passes).

use escalator_sdk::{Input, Level, PluginInfo, Rule, Vote};

struct Misbehave;

impl Rule for Misbehave {
    fn describe() -> PluginInfo {
        PluginInfo::new("misbehave", "0.1.0", "Misbehaves on request (test fixture)")
    }

    fn evaluate(input: &Input) -> Result<Vote, String> {
        match input.latest_customer_text().unwrap_or("") {
            "panic" => panic!("asked to panic"),
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "trap" => trap(),
            "alloc" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
                }
            }
            "recurse" => Ok(Vote::stay("fixture_ok", &recurse(0).to_string())),
            "log-flood" => loop {
                escalator_sdk::log(Level::Info, "flooding the log");
            },
            "snoop" => Ok(snoop(input)),
            "count" => {
                // Counts calls in this instance: 1 every time with fresh instances.
                static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                Ok(Vote::stay("fixture_ok", &n.to_string()))
            }
            "error" => Err("asked to fail".to_owned()),
            "nan-weight" => Ok(Vote::escalate("nan", "").weight(f64::NAN)),
            "huge-reason" => Ok(Vote::escalate(&"x".repeat(10 << 20), "")),
            "huge-detail" => Ok(Vote::escalate("huge", &"x".repeat(10 << 20))),
            "print" => {
                println!("printed by the plugin");
                escalator_sdk::log(Level::Warn, "logged by the plugin");
                Ok(Vote::stay("fixture_ok", "printed"))
            }
            _ => Ok(Vote::stay("fixture_ok", "behaving").weight(0.25)),
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn trap() -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(not(target_arch = "wasm32"))]
fn trap() -> ! {
    std::process::abort()
}

#[allow(unconditional_recursion, clippy::only_used_in_recursion)]
fn recurse(depth: u64) -> u64 {
    std::hint::black_box(recurse(depth + 1)) + 1
}

/// Tries every way out of the sandbox; each probe reports `denied` or what it
/// reached. The reason is `contained` only if every probe was denied.
fn snoop(input: &Input) -> Vote {
    use std::io::Read;
    let mut leaks = Vec::new();
    let mut report = Vec::new();
    let mut probe = |name: &str, reached: Option<String>| match reached {
        Some(what) => {
            leaks.push(name.to_owned());
            report.push(format!("{name}: {what}"));
        }
        None => report.push(format!("{name}: denied")),
    };
    probe(
        "file",
        std::fs::read_to_string("/etc/passwd")
            .ok()
            .map(|s| format!("{} bytes", s.len())),
    );
    probe(
        "dir",
        std::fs::read_dir("/")
            .ok()
            .map(|d| format!("{} entries", d.count())),
    );
    // WASI's own root, "/", is no leak; any other directory would be the host's.
    probe(
        "cwd",
        std::env::current_dir()
            .ok()
            .filter(|d| d.as_os_str() != "/")
            .map(|d| d.display().to_string()),
    );
    let vars: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
    probe("env", (!vars.is_empty()).then(|| vars.join(",")));
    let args: Vec<String> = std::env::args().collect();
    probe("args", (!args.is_empty()).then(|| args.join(" ")));
    let port = input
        .conversation
        .attribute("port")
        .unwrap_or("80")
        .to_owned();
    probe(
        "tcp",
        std::net::TcpStream::connect(format!("127.0.0.1:{port}"))
            .ok()
            .map(|mut s| {
                let mut buf = [0u8; 16];
                let n = s.read(&mut buf).unwrap_or(0);
                format!("connected, read {n} bytes")
            }),
    );
    probe(
        "dns",
        std::net::ToSocketAddrs::to_socket_addrs(&("localhost", 80))
            .ok()
            .map(|a| format!("{} addresses", a.count())),
    );
    probe(
        "udp",
        std::net::UdpSocket::bind("0.0.0.0:0")
            .ok()
            .map(|_| "bound".to_owned()),
    );
    let reason = if leaks.is_empty() {
        "contained".to_owned()
    } else {
        format!("leaked_{}", leaks.join("_"))
    };
    Vote::stay(&reason, &report.join("; "))
}

escalator_sdk::export_rule!(Misbehave);
