//! A real SMTP server for tests: aiosmtpd (Python) on 127.0.0.1, writing each message it
//! receives as one JSON line that tests read back.

/// A local SMTP server (Python `aiosmtpd`) that appends every message it accepts, decoded,
/// as one JSON line to a file; killed when dropped.
pub struct SmtpSink {
    child: std::process::Child,
    /// The port it listens on, 127.0.0.1.
    pub port: u16,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

const SMTP_SINK_PY: &str = r#"
import errno, socket, sys, json, time
from email import message_from_bytes, policy
from aiosmtpd.controller import Controller

class Sink:
    async def handle_DATA(self, server, session, envelope):
        m = message_from_bytes(envelope.content, policy=policy.default)
        part = m.get_body(preferencelist=("plain",))
        record = {"to": envelope.rcpt_tos, "subject": str(m["subject"]),
                  "body": part.get_content() if part is not None else ""}
        with open(sys.argv[1], "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        return "250 OK"

# The controller binds the port itself, so a free one is picked first; another process may
# take it in between, hence the retry.
for _ in range(20):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    try:
        controller.start()
        break
    except OSError as e:
        if e.errno != errno.EADDRINUSE:
            raise
else:
    sys.exit("no free port")
print("ready", port, flush=True)
while True:
    time.sleep(3600)
"#;

impl SmtpSink {
    /// Starts the sink.
    ///
    /// # Panics
    /// When python3 or aiosmtpd is missing (`./test` installs them).
    pub fn start() -> SmtpSink {
        use std::io::BufRead;
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("mail.jsonl");
        let mut child = std::process::Command::new("python3")
            .arg("-c")
            .arg(SMTP_SINK_PY)
            .arg(&log)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 with aiosmtpd (./test installs it)");
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            std::io::BufReader::new(out)
                .read_line(&mut line)
                .expect("sink output");
        }
        let port = line
            .trim()
            .strip_prefix("ready ")
            .and_then(|p| p.parse::<u16>().ok());
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("aiosmtpd did not start: {line:?}");
        };
        SmtpSink {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    /// The messages received so far: `{"to": [...], "subject": ..., "body": ...}`.
    pub fn received(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
