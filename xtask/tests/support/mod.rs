//! Test support: a scratch project (a copy of `openapi/`), the xtask binary run against it, and
//! a tiny HTTP/1.1 server on 127.0.0.1 whose replies can be slow, broken or missing.

use std::{
    fs,
    io::{BufRead, BufReader, Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::Command,
    sync::Arc,
    thread,
    time::Duration,
};

use serde_json::Value;

/// The repository's `openapi/` directory (read only).
fn repo_openapi() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi")
}

/// The committed REST snapshot, parsed.
pub fn rest_doc() -> Value {
    serde_json::from_slice(&fs::read(repo_openapi().join("nrfcloud-rest.json")).unwrap()).unwrap()
}

/// Number of operations in a document.
pub fn operation_count(doc: &Value) -> usize {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().keys())
        .filter(|k| METHODS.contains(&k.as_str()))
        .count()
}

/// A temporary project root whose `openapi/` holds copies of the committed snapshots.
pub struct Project {
    dir: tempfile::TempDir,
}

/// What one run of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Project {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("openapi")).unwrap();
        for name in ["nrfcloud-rest.json", "nrfcloud-provisioning.json"] {
            fs::copy(
                repo_openapi().join(name),
                dir.path().join("openapi").join(name),
            )
            .unwrap();
        }
        Self { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn read(&self, relative: &str) -> String {
        fs::read_to_string(self.root().join(relative)).unwrap()
    }

    pub fn exists(&self, relative: &str) -> bool {
        self.root().join(relative).exists()
    }

    /// `xtask refresh-schema --root <project> ARGS`, with no proxy from the environment (the
    /// server is local).
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_env(args, &[])
    }

    /// [`Project::run`] with extra environment variables.
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .arg("refresh-schema")
            .arg("--root")
            .arg(self.root())
            .args(args)
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }
}

/// How the server answers one path.
pub enum Reply {
    /// 200 with this Content-Type and body.
    Ok(&'static str, String),
    /// This status, reason and plain-text body.
    Status(u16, &'static str, String),
    /// Reads the request and never answers (until the client hangs up).
    Hang,
    /// Declares `declared` bytes, sends `body`, then closes the connection.
    Truncated { body: String, declared: usize },
    /// Sends the body in `pieces` parts with `pause` between them.
    Slow {
        body: String,
        pieces: usize,
        pause: Duration,
    },
}

pub fn json_reply(body: &Value) -> Reply {
    Reply::Ok("application/json", serde_json::to_string(body).unwrap())
}

/// A server on 127.0.0.1; it lives until the test process exits.
pub struct Server {
    addr: SocketAddr,
}

impl Server {
    pub fn serve(routes: Vec<(&'static str, Reply)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let routes = Arc::new(routes);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let routes = Arc::clone(&routes);
                thread::spawn(move || answer(stream, &routes));
            }
        });
        Self { addr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn answer(mut stream: TcpStream, routes: &[(&'static str, Reply)]) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap() > 2 {
        line.clear();
    }
    let path = request_line.split(' ').nth(1).unwrap_or("");
    let reply = routes.iter().find(|(p, _)| *p == path).map(|(_, r)| r);
    let head = |status: &str, ct: &str, len: usize| {
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: {ct}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
        )
    };
    // The client may hang up first (a timeout); write errors are expected then.
    let _ = match reply {
        None => {
            let body = "no such document";
            stream.write_all((head("404 Not Found", "text/plain", body.len()) + body).as_bytes())
        }
        Some(Reply::Ok(ct, body)) => {
            stream.write_all((head("200 OK", ct, body.len()) + body).as_bytes())
        }
        Some(Reply::Status(code, reason, body)) => stream.write_all(
            (head(&format!("{code} {reason}"), "text/plain", body.len()) + body).as_bytes(),
        ),
        Some(Reply::Hang) => {
            let _ = stream.read(&mut [0; 1]);
            Ok(())
        }
        Some(Reply::Truncated { body, declared }) => {
            stream.write_all((head("200 OK", "application/json", *declared) + body).as_bytes())
        }
        Some(Reply::Slow {
            body,
            pieces,
            pause,
        }) => (|| {
            stream.write_all(head("200 OK", "application/json", body.len()).as_bytes())?;
            for chunk in body.as_bytes().chunks(body.len().div_ceil(*pieces)) {
                thread::sleep(*pause);
                stream.write_all(chunk)?;
                stream.flush()?;
            }
            Ok(())
        })(),
    };
}
