//! The start-up floor `make bench` measures the provider against: a static
//! binary that prints a go-plugin-like handshake line and waits to be killed,
//! as a plugin would. Whatever the provider takes beyond this is its own.
//! benches/startup.rs compiles it with rustc (static, optimised, stripped).

use std::io::Write;

fn main() {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "1|6|unix|/tmp/plugin-floor|grpc|");
    let _ = out.flush();
    drop(out);
    loop {
        std::thread::park();
    }
}
