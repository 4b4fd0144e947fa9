//! A raw HTTP/2 client, frame by frame, for what a well-behaved client
//! library never does: read the server's SETTINGS, open more streams than
//! allowed, leave PINGs unanswered.

use std::{net::SocketAddr, time::Duration};

use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::TcpStream,
};

/// The client connection preface.
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
pub const HEADERS: u8 = 0x1;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const PING: u8 = 0x6;
pub const ACK: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;
pub const SETTINGS_MAX_CONCURRENT_STREAMS: u16 = 0x3;
pub const REFUSED_STREAM: u32 = 0x7;

/// Long enough for anything a test waits for on loopback.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// One HTTP/2 frame.
#[derive(Debug)]
pub struct Frame {
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Vec<u8>,
}

/// A connection that sent the preface and an empty SETTINGS frame, with the
/// settings of the server's first frame.
pub async fn handshake(addr: SocketAddr) -> (TcpStream, Vec<(u16, u32)>) {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(PREFACE).await.unwrap();
    write_frame(&mut conn, SETTINGS, 0, 0, &[]).await;
    let first = read_frame(&mut conn).await.expect("the server's SETTINGS");
    assert_eq!((first.kind, first.flags), (SETTINGS, 0), "{first:?}");
    let settings = first
        .payload
        .chunks_exact(6)
        .map(|entry| {
            let id = u16::from_be_bytes([entry[0], entry[1]]);
            let value = u32::from_be_bytes([entry[2], entry[3], entry[4], entry[5]]);
            (id, value)
        })
        .collect();
    write_frame(&mut conn, SETTINGS, ACK, 0, &[]).await;
    (conn, settings)
}

pub async fn write_frame(conn: &mut TcpStream, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
    let length = u32::try_from(payload.len()).unwrap().to_be_bytes();
    let mut frame = vec![length[1], length[2], length[3], kind, flags];
    frame.extend_from_slice(&stream.to_be_bytes());
    frame.extend_from_slice(payload);
    conn.write_all(&frame).await.unwrap();
}

/// The next frame, or `None` when the server closed the connection.
pub async fn read_frame(conn: &mut TcpStream) -> Option<Frame> {
    let mut header = [0; 9];
    conn.read_exact(&mut header).await.ok()?;
    let length = u32::from_be_bytes([0, header[0], header[1], header[2]]);
    let mut payload = vec![0; usize::try_from(length).unwrap()];
    conn.read_exact(&mut payload).await.ok()?;
    Some(Frame {
        kind: header[3],
        flags: header[4],
        stream: u32::from_be_bytes([header[5], header[6], header[7], header[8]]) & 0x7fff_ffff,
        payload,
    })
}

/// HPACK (no Huffman, no dynamic table) request headers of a gRPC call to
/// `path` on plaintext.
pub fn grpc_call_headers(path: &str) -> Vec<u8> {
    let mut block = vec![0x83, 0x86]; // :method POST, :scheme http
    literal(&mut block, &[0x04], path.as_bytes()); // :path
    literal(&mut block, &[0x01], b"localhost"); // :authority
    literal(&mut block, &[0x0f, 0x10], b"application/grpc"); // content-type (31)
    literal(&mut block, &[0x00, 0x02, b't', b'e'], b"trailers");
    block
}

/// A literal header field without indexing: `name` (prefix and index, or
/// 0 and the name literal) then the value, each shorter than 127 bytes.
fn literal(block: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    block.extend_from_slice(name);
    block.push(u8::try_from(value.len()).unwrap());
    block.extend_from_slice(value);
}
