//! A real DNS server on loopback for tests: UDP (and TCP, for answers too big
//! for a datagram) on one 127.0.0.1 port, answering TXT queries from an
//! in-memory map the test fills. Unknown names are NXDOMAIN; `fail(true)`
//! makes every answer SERVFAIL. The wire format (RFC 1035, EDNS from RFC
//! 6891) is written out here so the fake depends on no DNS library.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinHandle;

const TYPE_TXT: u16 = 16;
const TYPE_OPT: u16 = 41;
const TYPE_ANY: u16 = 255;
const CLASS_IN: u16 = 1;
const CLASS_ANY: u16 = 255;
const RCODE_FORMERR: u16 = 1;
const RCODE_SERVFAIL: u16 = 2;
const RCODE_NXDOMAIN: u16 = 3;
const RCODE_NOTIMP: u16 = 4;
const FLAG_QR: u16 = 0x8000;
const FLAG_TC: u16 = 0x0200;
const FLAG_RD: u16 = 0x0100;
const FLAG_RA: u16 = 0x0080;
const HEADER_LEN: usize = 12;
/// A UDP answer's size limit without EDNS (RFC 1035 §4.2.1).
const PLAIN_UDP_LIMIT: usize = 512;
/// The UDP payload size this server advertises in its own OPT record.
const OUR_UDP_PAYLOAD: u16 = 1232;
/// Longest character-string in TXT data.
const MAX_STRING: usize = 255;

/// The records and switches shared by the server's tasks and the test.
#[derive(Default)]
struct Zone {
    records: Mutex<HashMap<String, Vec<String>>>,
    failing: AtomicBool,
    queries: AtomicU64,
    /// Queries received so far, by name.
    asked: Mutex<HashMap<String, u64>>,
    /// While true, answers wait (queries are still received and counted).
    held: tokio::sync::watch::Sender<bool>,
}

/// The fake DNS server; it stops when dropped.
pub struct FakeDnsServer {
    addr: SocketAddr,
    zone: Arc<Zone>,
    tasks: Vec<JoinHandle<()>>,
}

impl FakeDnsServer {
    /// Listens on a free 127.0.0.1 port, UDP and TCP alike.
    pub async fn start() -> FakeDnsServer {
        for _ in 0..20 {
            let udp = UdpSocket::bind("127.0.0.1:0").await.expect("bind UDP");
            let addr = udp.local_addr().expect("UDP address");
            // The same port over TCP may be taken; then try another one.
            let Ok(tcp) = TcpListener::bind(addr).await else {
                continue;
            };
            let zone = Arc::new(Zone::default());
            let tasks = vec![
                tokio::spawn(serve_udp(Arc::new(udp), zone.clone())),
                tokio::spawn(serve_tcp(tcp, zone.clone())),
            ];
            return FakeDnsServer { addr, zone, tasks };
        }
        panic!("no 127.0.0.1 port was free for both UDP and TCP");
    }

    /// Where to send queries (UDP and TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Replaces `name`'s TXT records: one record per value (no values: the
    /// name exists with no TXT records). Names match case-insensitively,
    /// with or without a trailing dot.
    pub fn set_txt<S: Into<String>>(&self, name: &str, values: impl IntoIterator<Item = S>) {
        let values = values.into_iter().map(Into::into).collect();
        self.records().insert(normalize(name), values);
    }

    /// Forgets `name`: queries for it are NXDOMAIN again.
    pub fn remove(&self, name: &str) {
        self.records().remove(&normalize(name));
    }

    /// While on, every query is answered SERVFAIL.
    pub fn fail(&self, on: bool) {
        self.zone.failing.store(on, Ordering::SeqCst);
    }

    /// While on, answers wait until it is turned off: a test can let
    /// several look-ups arrive before any is answered.
    pub fn hold(&self, on: bool) {
        self.zone.held.send_replace(on);
    }

    /// Queries received so far for `name`.
    pub fn queries_for(&self, name: &str) -> u64 {
        let asked = self.zone.asked.lock().unwrap_or_else(|e| e.into_inner());
        asked.get(name).copied().unwrap_or_default()
    }

    /// Well-formed queries received so far, over UDP and TCP.
    pub fn queries(&self) -> u64 {
        self.zone.queries.load(Ordering::SeqCst)
    }

    fn records(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<String>>> {
        self.zone.records.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for FakeDnsServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn normalize(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

async fn serve_udp(socket: Arc<UdpSocket>, zone: Arc<Zone>) {
    let mut buf = vec![0u8; 65_535];
    loop {
        // An ICMP error from an earlier reply surfaces here; it ends nothing.
        let Ok((len, peer)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        if let Some(reply) = zone.answer(&buf[..len], true) {
            let (socket, zone) = (socket.clone(), zone.clone());
            tokio::spawn(async move {
                zone.released().await;
                let _ = socket.send_to(&reply, peer).await;
            });
        }
    }
}

async fn serve_tcp(listener: TcpListener, zone: Arc<Zone>) {
    loop {
        if let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_tcp_connection(stream, zone.clone()));
        }
    }
}

/// Messages over TCP carry a two-byte length prefix (RFC 1035 §4.2.2).
async fn serve_tcp_connection(mut stream: TcpStream, zone: Arc<Zone>) {
    loop {
        let mut len = [0u8; 2];
        if stream.read_exact(&mut len).await.is_err() {
            return;
        }
        let mut query = vec![0u8; usize::from(u16::from_be_bytes(len))];
        if stream.read_exact(&mut query).await.is_err() {
            return;
        }
        let Some(reply) = zone.answer(&query, false) else {
            return;
        };
        zone.released().await;
        let Ok(reply_len) = u16::try_from(reply.len()) else {
            return;
        };
        let mut framed = reply_len.to_be_bytes().to_vec();
        framed.extend_from_slice(&reply);
        if stream.write_all(&framed).await.is_err() {
            return;
        }
    }
}

/// What a query asks, read from the wire.
struct Question<'a> {
    /// The question section exactly as sent: echoed back, case and all.
    raw: &'a [u8],
    name: String,
    qtype: u16,
    qclass: u16,
    /// The requester's UDP payload size from its OPT record, if it sent one.
    edns_payload: Option<u16>,
}

impl Zone {
    /// Returns once answers are not held.
    async fn released(&self) {
        let _ = self.held.subscribe().wait_for(|held| !held).await;
    }

    /// The reply to `packet`, or `None` for something that is not a query.
    fn answer(&self, packet: &[u8], udp: bool) -> Option<Vec<u8>> {
        let id = read_u16(packet, 0)?;
        let flags = read_u16(packet, 2)?;
        if flags & FLAG_QR != 0 || packet.len() < HEADER_LEN {
            return None;
        }
        let request_flags = flags & (0x7800 | FLAG_RD);
        if (flags >> 11) & 0xF != 0 {
            return Some(header(id, request_flags | RCODE_NOTIMP, [0; 4]));
        }
        let Some(question) = parse_question(packet) else {
            return Some(header(id, request_flags | RCODE_FORMERR, [0; 4]));
        };
        self.queries.fetch_add(1, Ordering::SeqCst);
        self.asked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(question.name.clone())
            .and_modify(|count| *count += 1)
            .or_insert(1);
        let (rcode, answers) = if self.failing.load(Ordering::SeqCst) {
            (RCODE_SERVFAIL, Vec::new())
        } else {
            let records = self.records.lock().unwrap_or_else(|e| e.into_inner());
            match records.get(&question.name) {
                None => (RCODE_NXDOMAIN, Vec::new()),
                Some(values)
                    if matches!(question.qtype, TYPE_TXT | TYPE_ANY)
                        && matches!(question.qclass, CLASS_IN | CLASS_ANY) =>
                {
                    (0, values.clone())
                }
                Some(_) => (0, Vec::new()),
            }
        };
        let limit = match question.edns_payload {
            Some(size) => usize::from(size).max(PLAIN_UDP_LIMIT),
            None => PLAIN_UDP_LIMIT,
        };
        let reply = build_reply(id, request_flags | rcode, &question, &answers);
        if udp && reply.len() > limit {
            // Too big for a datagram: say so, and the client asks again over TCP.
            return Some(build_reply(
                id,
                request_flags | rcode | FLAG_TC,
                &question,
                &[],
            ));
        }
        Some(reply)
    }
}

fn read_u16(packet: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*packet.get(at)?, *packet.get(at + 1)?]))
}

/// A header with QR and RA set; `counts` are QD, AN, NS, AR.
fn header(id: u16, flags: u16, counts: [u16; 4]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&(flags | FLAG_QR | FLAG_RA).to_be_bytes());
    for count in counts {
        out.extend_from_slice(&count.to_be_bytes());
    }
    out
}

/// The one question, and the EDNS payload size from the additional section.
fn parse_question(packet: &[u8]) -> Option<Question<'_>> {
    if read_u16(packet, 4)? != 1 {
        return None;
    }
    let mut labels = Vec::new();
    let mut at = HEADER_LEN;
    loop {
        let len = usize::from(*packet.get(at)?);
        at += 1;
        if len == 0 {
            break;
        }
        // Compression pointers (and the reserved 0x40/0x80 types) have no
        // place in the first name of a message.
        if len > 63 {
            return None;
        }
        let label = packet.get(at..at + len)?;
        labels.push(String::from_utf8_lossy(label).to_ascii_lowercase());
        at += len;
    }
    if at - HEADER_LEN > 255 {
        return None;
    }
    let qtype = read_u16(packet, at)?;
    let qclass = read_u16(packet, at + 2)?;
    let raw = &packet[HEADER_LEN..at + 4];
    at += 4;
    let records = usize::from(read_u16(packet, 6)?) + usize::from(read_u16(packet, 8)?);
    for _ in 0..records {
        at = skip_record(packet, at)?.0;
    }
    let mut edns_payload = None;
    for _ in 0..read_u16(packet, 10)? {
        let (next, rtype, class) = skip_record(packet, at)?;
        if rtype == TYPE_OPT {
            edns_payload = Some(class);
        }
        at = next;
    }
    Some(Question {
        raw,
        name: labels.join("."),
        qtype,
        qclass,
        edns_payload,
    })
}

/// Steps over one resource record: where the next starts, its type and class.
fn skip_record(packet: &[u8], mut at: usize) -> Option<(usize, u16, u16)> {
    loop {
        let len = *packet.get(at)?;
        if len & 0xC0 == 0xC0 {
            at += 2;
            break;
        }
        at += 1 + usize::from(len);
        if len == 0 {
            break;
        }
    }
    let rtype = read_u16(packet, at)?;
    let class = read_u16(packet, at + 2)?;
    let rdlen = usize::from(read_u16(packet, at + 8)?);
    let next = at + 10 + rdlen;
    (next <= packet.len()).then_some((next, rtype, class))
}

/// A reply echoing the question, one TXT record (TTL 0) per value, and an
/// OPT record when the query had one.
fn build_reply(id: u16, flags: u16, question: &Question<'_>, values: &[String]) -> Vec<u8> {
    let answers = u16::try_from(values.len()).unwrap_or(u16::MAX);
    let additional = u16::from(question.edns_payload.is_some());
    let mut out = header(id, flags, [1, answers, 0, additional]);
    out.extend_from_slice(question.raw);
    for value in values.iter().take(usize::from(answers)) {
        let rdata = txt_rdata(value);
        // The owner name points back at the question's name (offset 12).
        out.extend_from_slice(&[0xC0, HEADER_LEN as u8]);
        out.extend_from_slice(&TYPE_TXT.to_be_bytes());
        out.extend_from_slice(&CLASS_IN.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        let rdlen = u16::try_from(rdata.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&rdlen.to_be_bytes());
        out.extend_from_slice(&rdata[..usize::from(rdlen)]);
    }
    if question.edns_payload.is_some() {
        // Root owner, type OPT, our payload size, no extended flags, no options.
        out.push(0);
        out.extend_from_slice(&TYPE_OPT.to_be_bytes());
        out.extend_from_slice(&OUR_UDP_PAYLOAD.to_be_bytes());
        out.extend_from_slice(&[0; 6]);
    }
    out
}

/// TXT data: the value as length-prefixed strings of at most 255 bytes each.
fn txt_rdata(value: &str) -> Vec<u8> {
    let bytes = value.as_bytes();
    if bytes.is_empty() {
        return vec![0];
    }
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / MAX_STRING + 1);
    for chunk in bytes.chunks(MAX_STRING) {
        out.push(chunk.len() as u8);
        out.extend_from_slice(chunk);
    }
    out
}
