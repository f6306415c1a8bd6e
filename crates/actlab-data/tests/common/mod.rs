//! Fixtures: tiny IDX datasets written by the tests themselves, and a one-file HTTP server.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use actlab_idx::IdxArray;

#[path = "skip.rs"]
mod skip_log;
#[allow(unused_imports)] // not every test binary skips
pub use skip_log::skip;

use flate2::Compression;
use flate2::write::GzEncoder;

/// `n` images of 28×28 whose pixels depend on the image and position.
pub fn images(n: u32) -> IdxArray {
    let data = (0..n as usize * 784)
        .map(|i| ((i * 7 + i / 784 * 13) % 256) as u8)
        .collect();
    IdxArray {
        dims: vec![n, 28, 28],
        data,
    }
}

/// `n` labels cycling through the ten classes.
pub fn labels(n: u32) -> IdxArray {
    IdxArray {
        dims: vec![n],
        data: (0..n).map(|i| (i % 10) as u8).collect(),
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Writes `bytes` as `dir/base` (raw) or `dir/base.gz`.
pub fn write(dir: &Path, base: &str, bytes: &[u8], gz: bool) {
    std::fs::create_dir_all(dir).unwrap();
    if gz {
        std::fs::write(dir.join(format!("{base}.gz")), gzip(bytes)).unwrap();
    } else {
        std::fs::write(dir.join(base), bytes).unwrap();
    }
}

pub const FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// A complete tiny dataset: `train` + `test` images.
pub fn write_dataset(dir: &Path, train: u32, test: u32, gz: bool) {
    write(dir, FILES[0], &images(train).to_bytes(), gz);
    write(dir, FILES[1], &labels(train).to_bytes(), gz);
    write(dir, FILES[2], &images(test).to_bytes(), gz);
    write(dir, FILES[3], &labels(test).to_bytes(), gz);
}

/// What the server answers for a path.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    /// Content-Length to announce (the body's length when `None`).
    pub announce: Option<usize>,
}

impl Reply {
    pub fn ok(body: Vec<u8>) -> Reply {
        Reply {
            status: 200,
            body,
            announce: None,
        }
    }
}

/// Serves `routes` on 127.0.0.1 until the test ends; returns the base URL and the request log.
pub fn serve(routes: HashMap<String, Reply>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
            seen.lock().unwrap().push(path.clone());
            let reply = routes.get(&path).cloned().unwrap_or(Reply {
                status: 404,
                body: b"not found".to_vec(),
                announce: None,
            });
            let length = reply.announce.unwrap_or(reply.body.len());
            let head = format!(
                "HTTP/1.1 {} X\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n",
                reply.status
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&reply.body);
        }
    });
    (base, log)
}
