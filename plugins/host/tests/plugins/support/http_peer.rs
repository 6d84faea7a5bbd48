//! A tiny HTTP/1.1 server on a loopback port, standing in for a payment gateway.
//!
//! Routes: `/echo` (method, path, `x-test` header and body as JSON), `/binary` (non-UTF-8
//! bytes), `/big` (100 000 bytes), `/redirect` (302 to another host), `/slow` (answers after 3 s).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// Starts the server on a background thread; it lives until the test process ends.
pub fn start() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("loopback port is free");
    let addr = listener.local_addr().expect("bound socket has an address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = serve(stream);
            });
        }
    });
    addr
}

fn serve(stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();

    let mut content_length = 0;
    let mut x_test = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => content_length = value.trim().parse().unwrap_or(0),
                "x-test" => x_test = value.trim().to_owned(),
                _ => {}
            }
        }
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body)?;

    let (status, extra_headers, response): (&str, &str, Vec<u8>) = match path.as_str() {
        "/echo" => (
            "200 OK",
            "content-type: application/json\r\n",
            serde_json::json!({
                "method": method,
                "path": path,
                "x_test": x_test,
                "body": String::from_utf8_lossy(&body),
            })
            .to_string()
            .into_bytes(),
        ),
        "/binary" => ("200 OK", "", vec![0xff, 0xfe, 0x00, 0x01]),
        "/big" => ("200 OK", "", vec![b'x'; 100_000]),
        "/redirect" => ("302 Found", "location: http://evil.example/\r\n", Vec::new()),
        "/slow" => {
            std::thread::sleep(Duration::from_secs(3));
            ("200 OK", "", b"late".to_vec())
        }
        _ => ("404 Not Found", "", Vec::new()),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{extra_headers}\r\n",
        response.len()
    )?;
    stream.write_all(&response)?;
    stream.flush()
}
