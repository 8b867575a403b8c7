// A real DNS server for the end-to-end suite: the server's DNS_NAMESERVER
// points here, so "Verify" on a domain looks up TXT records the specs set.
// Node built-ins only.
//
//   DNS_PORT=3153 DNS_CONTROL_PORT=3154 node end2end/dns/server.mjs
//
// DNS on 127.0.0.1:DNS_PORT (default 3153), UDP and TCP (TCP for answers too
// big for a datagram, as real servers do): TXT queries are answered from an
// in-memory map, one record per value, TTL 0, values longer than 255 bytes
// split into several strings; names match case-insensitively, trailing dot
// or not. Unknown names are NXDOMAIN; known names asked for another type get
// an empty NOERROR answer.
//
// Control over HTTP on 127.0.0.1:DNS_CONTROL_PORT (default 3154):
//   PUT    /txt/<name>  body {"values": ["...", ...]}  sets the name's records → 204
//   DELETE /txt/<name>                                  forgets the name       → 204
//   GET    /txt/<name>  → 200 {"values": [...]} or 404
//   PUT    /fail        body {"on": true|false}  while on, every query is SERVFAIL → 204
//   DELETE /txt         forgets every name → 204
//   GET    /healthz     → 200 "ok" (Playwright's webServer waits on it)
//
// Once both are listening it prints one line to stdout:
//   DNS=127.0.0.1:<port> CONTROL=http://127.0.0.1:<port>
// When stdin is a pipe (a test harness started it), it exits when stdin closes.

import dgram from "node:dgram";
import { fstatSync } from "node:fs";
import http from "node:http";
import net from "node:net";

const HOST = "127.0.0.1";
const dnsPort = port("DNS_PORT", 3153);
const controlPort = port("DNS_CONTROL_PORT", 3154);

const TYPE_TXT = 16;
const TYPE_OPT = 41;
const TYPE_ANY = 255;
const CLASS_IN = 1;
const CLASS_ANY = 255;
const RCODE_FORMERR = 1;
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;
const RCODE_NOTIMP = 4;
const FLAG_QR = 0x8000;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;
const FLAG_RA = 0x0080;
const HEADER_LEN = 12;
const PLAIN_UDP_LIMIT = 512;
const OUR_UDP_PAYLOAD = 1232;
const MAX_STRING = 255;
const MAX_BODY = 1024 * 1024;

/** name (lower case, no trailing dot) → array of values */
const records = new Map();
let failing = false;

function port(name, fallback) {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    console.error(`${name}: ${JSON.stringify(text)} is not a port number`);
    process.exit(2);
  }
  return value;
}

function normalize(name) {
  return name.trim().replace(/\.+$/, "").toLowerCase();
}

// ---- DNS wire format (RFC 1035, EDNS from RFC 6891) ----

function header(id, flags, counts) {
  const out = Buffer.alloc(HEADER_LEN);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE((flags | FLAG_QR | FLAG_RA) & 0xffff, 2);
  counts.forEach((count, i) => out.writeUInt16BE(count, 4 + 2 * i));
  return out;
}

/** Steps over one resource record; returns {next, type, klass} or null. */
function skipRecord(packet, at) {
  for (;;) {
    if (at >= packet.length) return null;
    const len = packet[at];
    if ((len & 0xc0) === 0xc0) {
      at += 2;
      break;
    }
    at += 1 + len;
    if (len === 0) break;
  }
  if (at + 10 > packet.length) return null;
  const type = packet.readUInt16BE(at);
  const klass = packet.readUInt16BE(at + 2);
  const next = at + 10 + packet.readUInt16BE(at + 8);
  return next <= packet.length ? { next, type, klass } : null;
}

/** The one question and the requester's EDNS payload size, or null if malformed. */
function parseQuestion(packet) {
  if (packet.readUInt16BE(4) !== 1) return null;
  const labels = [];
  let at = HEADER_LEN;
  for (;;) {
    if (at >= packet.length) return null;
    const len = packet[at];
    at += 1;
    if (len === 0) break;
    // No compression pointers in the first name of a message.
    if (len > 63 || at + len > packet.length) return null;
    labels.push(packet.subarray(at, at + len).toString("latin1").toLowerCase());
    at += len;
  }
  if (at - HEADER_LEN > 255 || at + 4 > packet.length) return null;
  const qtype = packet.readUInt16BE(at);
  const qclass = packet.readUInt16BE(at + 2);
  const raw = packet.subarray(HEADER_LEN, at + 4);
  at += 4;
  const skipped = packet.readUInt16BE(6) + packet.readUInt16BE(8);
  for (let i = 0; i < skipped; i++) {
    const record = skipRecord(packet, at);
    if (!record) return null;
    at = record.next;
  }
  let ednsPayload = null;
  for (let i = 0; i < packet.readUInt16BE(10); i++) {
    const record = skipRecord(packet, at);
    if (!record) return null;
    if (record.type === TYPE_OPT) ednsPayload = record.klass;
    at = record.next;
  }
  return { raw, name: labels.join("."), qtype, qclass, ednsPayload };
}

/** TXT data: the value as length-prefixed strings of at most 255 bytes. */
function txtRdata(value) {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length === 0) return Buffer.from([0]);
  const parts = [];
  for (let at = 0; at < bytes.length; at += MAX_STRING) {
    const chunk = bytes.subarray(at, at + MAX_STRING);
    parts.push(Buffer.from([chunk.length]), chunk);
  }
  return Buffer.concat(parts);
}

function buildReply(id, flags, question, values) {
  const hasOpt = question.ednsPayload !== null;
  const parts = [header(id, flags, [1, values.length, 0, hasOpt ? 1 : 0]), question.raw];
  for (const value of values) {
    const rdata = txtRdata(value);
    const fixed = Buffer.alloc(12);
    // Owner name: a pointer to the question's name at offset 12.
    fixed.writeUInt16BE(0xc000 | HEADER_LEN, 0);
    fixed.writeUInt16BE(TYPE_TXT, 2);
    fixed.writeUInt16BE(CLASS_IN, 4);
    fixed.writeUInt32BE(0, 6);
    fixed.writeUInt16BE(rdata.length, 10);
    parts.push(fixed, rdata);
  }
  if (hasOpt) {
    const opt = Buffer.alloc(11);
    opt.writeUInt16BE(TYPE_OPT, 1);
    opt.writeUInt16BE(OUR_UDP_PAYLOAD, 3);
    parts.push(opt);
  }
  return Buffer.concat(parts);
}

/** The reply to a query packet, or null for something that is not a query. */
function answer(packet, udp) {
  if (packet.length < HEADER_LEN) return null;
  const id = packet.readUInt16BE(0);
  const flags = packet.readUInt16BE(2);
  if (flags & FLAG_QR) return null;
  const requestFlags = flags & (0x7800 | FLAG_RD);
  if ((flags >> 11) & 0xf) return header(id, requestFlags | RCODE_NOTIMP, [0, 0, 0, 0]);
  const question = parseQuestion(packet);
  if (!question) return header(id, requestFlags | RCODE_FORMERR, [0, 0, 0, 0]);
  let rcode = 0;
  let values = [];
  if (failing) {
    rcode = RCODE_SERVFAIL;
  } else if (!records.has(question.name)) {
    rcode = RCODE_NXDOMAIN;
  } else if (
    (question.qtype === TYPE_TXT || question.qtype === TYPE_ANY) &&
    (question.qclass === CLASS_IN || question.qclass === CLASS_ANY)
  ) {
    values = records.get(question.name);
  }
  const reply = buildReply(id, requestFlags | rcode, question, values);
  const limit = Math.max(PLAIN_UDP_LIMIT, question.ednsPayload ?? 0);
  if (udp && reply.length > limit) {
    // Too big for a datagram: say so, and the client asks again over TCP.
    return buildReply(id, requestFlags | rcode | FLAG_TC, question, []);
  }
  return reply;
}

// ---- servers ----

function newUdpSocket() {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (packet, peer) => {
    const reply = answer(packet, true);
    if (reply) socket.send(reply, peer.port, peer.address);
  });
  socket.on("error", (error) => console.error(`DNS (UDP): ${error.message}`));
  return socket;
}
const udpServer = newUdpSocket();

// Messages over TCP carry a two-byte length prefix (RFC 1035 §4.2.2).
const tcpServer = net.createServer((socket) => {
  let pending = Buffer.alloc(0);
  socket.on("data", (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
      const query = pending.subarray(2, 2 + pending.readUInt16BE(0));
      pending = pending.subarray(2 + query.length);
      const reply = answer(query, false);
      if (!reply || reply.length > 0xffff) {
        socket.destroy();
        return;
      }
      const length = Buffer.alloc(2);
      length.writeUInt16BE(reply.length);
      socket.write(Buffer.concat([length, reply]));
    }
  });
  socket.on("error", () => socket.destroy());
});

function send(response, status, body) {
  const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  response.writeHead(status, {
    "content-type": typeof body === "string" ? "text/plain" : "application/json",
  });
  response.end(text);
}

function readJson(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    request.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) reject(new Error("body too large"));
      else chunks.push(chunk);
    });
    request.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8") || "null"));
      } catch {
        reject(new Error("body is not JSON"));
      }
    });
    request.on("error", reject);
  });
}

const control = http.createServer(async (request, response) => {
  const url = new URL(request.url, `http://${HOST}`);
  const path = url.pathname;
  try {
    if (path === "/healthz" && request.method === "GET") return send(response, 200, "ok");
    if (path === "/fail" && request.method === "PUT") {
      const body = await readJson(request);
      if (typeof body?.on !== "boolean") return send(response, 400, { error: "want {\"on\": true|false}" });
      failing = body.on;
      return send(response, 204);
    }
    if (path === "/txt" && request.method === "DELETE") {
      records.clear();
      return send(response, 204);
    }
    if (path.startsWith("/txt/")) {
      const name = normalize(decodeURIComponent(path.slice("/txt/".length)));
      if (!name) return send(response, 400, { error: "no name" });
      if (request.method === "PUT") {
        const body = await readJson(request);
        const values = body?.values;
        if (!Array.isArray(values) || !values.every((v) => typeof v === "string")) {
          return send(response, 400, { error: "want {\"values\": [\"...\"]}" });
        }
        records.set(name, values);
        return send(response, 204);
      }
      if (request.method === "DELETE") {
        records.delete(name);
        return send(response, 204);
      }
      if (request.method === "GET") {
        return records.has(name)
          ? send(response, 200, { values: records.get(name) })
          : send(response, 404, { error: "no such name" });
      }
    }
    return send(response, 404, { error: "not found" });
  } catch (error) {
    return send(response, 400, { error: error.message });
  }
});

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, HOST, () => {
      server.off("error", reject);
      resolve(server.address().port);
    });
  });
}

function bindUdp(socket, port) {
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, HOST, () => {
      socket.off("error", reject);
      resolve(socket.address().port);
    });
  });
}

// UDP and TCP share one port. With DNS_PORT=0 the free UDP port may be
// taken over TCP; then try another.
let udpSocket = udpServer;
let udpPort = await bindUdp(udpSocket, dnsPort);
for (let tries = 1; ; tries++) {
  try {
    await listen(tcpServer, udpPort);
    break;
  } catch (error) {
    if (dnsPort !== 0 || tries >= 20) throw error;
    udpSocket.close();
    udpSocket = newUdpSocket();
    udpPort = await bindUdp(udpSocket, 0);
  }
}
const httpPort = await listen(control, controlPort);
console.log(`DNS=${HOST}:${udpPort} CONTROL=http://${HOST}:${httpPort}`);

// Exit with the harness that started us, never outliving it.
try {
  if (fstatSync(0).isFIFO()) {
    process.stdin.resume();
    process.stdin.on("end", () => process.exit(0));
  }
} catch {
  // No stdin at all: run until killed.
}
