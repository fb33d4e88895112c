//! The monitoring files under `deploy/` are valid: the alert rules pass `promtool check
//! rules` and their unit tests (`promtool test rules`), the example Prometheus configuration
//! loads, the Grafana dashboard is JSON, and every metric they name is one `/metrics` exposes.

use std::process::Command;

#[test]
fn the_shipped_alert_rules_and_dashboard_check_out() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("bash")
        .arg(root.join("deploy/check"))
        .current_dir(&root)
        .output()
        .expect("bash deploy/check");
    assert!(
        out.status.success(),
        "deploy/check failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
