//! A test CA and a server certificate for 127.0.0.1 signed by it, made with openssl (a peer we
//! did not write): the one recipe of the tests that run TLS servers (Mosquitto, PostgreSQL).

use std::path::Path;
use std::process::Command;

/// Runs a command, failing the test with its stderr if it fails.
pub fn sh(cmd: &mut Command) {
    let out = cmd.output().expect("runs");
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Writes `ca.pem`, `ca.key`, `server.crt` and `server.key` (mode 600) into `dir`.
pub fn loopback_certs(dir: &Path) {
    let p = |f: &str| dir.join(f).display().to_string();
    sh(Command::new("openssl").args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]).args([
        "-subj",
        "/CN=picktwin test CA",
        "-keyout",
        &p("ca.key"),
        "-out",
        &p("ca.pem"),
    ]));
    sh(Command::new("openssl")
        .args(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1"])
        .args(["-keyout", &p("server.key"), "-out", &p("server.csr")]));
    std::fs::write(dir.join("san.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    sh(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-CAcreateserial", "-in", &p("server.csr")])
        .args(["-CA", &p("ca.pem"), "-CAkey", &p("ca.key"), "-out", &p("server.crt")])
        .args(["-extfile", &p("san.cnf")]));
    sh(Command::new("chmod").args(["600", &p("server.key")]));
}
