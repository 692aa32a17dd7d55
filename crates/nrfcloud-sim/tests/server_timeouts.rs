//! The simulator's connections: a client that never finishes its request head is cut off.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn a_request_head_that_never_ends_is_cut_off() {
    let sim = nrfcloud_sim::Simulator::start().await.unwrap();
    let address = sim.rest_host().trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    socket
        .write_all(b"GET /v1/account HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    // The simulator closes the connection (10 s); the outer bound only keeps a regression from
    // hanging the suite.
    let read = tokio::time::timeout(Duration::from_secs(60), socket.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the connection stayed open");
    let answer = String::from_utf8_lossy(&buf);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}
