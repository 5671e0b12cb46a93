//! Test certificates made with openssl (a .ci/run dependency): a CA, a server certificate
//! for localhost and client certificates, for the mutual-TLS tests (`mtls.rs`) and the
//! interop driver (`interop.rs`, which includes this file by path).
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};

/// `openssl ARGS` (a .ci/run dependency), which must succeed.
fn openssl(dir: &Path, args: &[&str]) {
    let ok = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl is needed to make test certificates");
    assert!(ok.success(), "openssl {args:?}");
}

const EC: [&str; 4] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

/// A CA; the server's certificate for localhost and a client's (`/C=US/O=Example/CN=client
/// one`), both from it; and a self-signed client certificate. Each as `NAME.pem` and
/// `NAME.key`.
pub fn certificates(dir: &Path) {
    let mut ca = vec![
        "req",
        "-x509",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Test CA",
    ];
    ca.extend(EC);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ]);
    openssl(dir, &ca);
    for (name, subject, ext, by_ca) in [
        (
            "server",
            "/CN=localhost",
            "extendedKeyUsage=serverAuth",
            true,
        ),
        (
            "client",
            "/C=US/O=Example/CN=client one",
            "extendedKeyUsage=clientAuth",
            true,
        ),
        (
            "stranger",
            "/C=US/O=Example/CN=client one",
            "extendedKeyUsage=clientAuth",
            false,
        ),
    ] {
        let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
        let mut args = vec!["req", "-x509", "-nodes", "-days", "1", "-subj", subject];
        if by_ca {
            args.extend(["-CA", "ca.pem", "-CAkey", "ca.key"]);
        }
        args.extend(EC);
        args.extend([
            "-keyout",
            &key,
            "-out",
            &pem,
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-addext",
            ext,
        ]);
        openssl(dir, &args);
    }
}
