"use strict";
// The page listens to GET /events (Server-Sent Events, see app/web_events.h):
// a snapshot first (conns, counters), the kept history (app/web_history.h),
// then live events.
const MAX_LADDER_EVENTS = 400, MAX_TIMELINE = 600, MAX_LADDERS = 12, MAX_CLOSED_ROWS = 24;
const HOST_X = 150, LWIP_X = 500, WIDTH = 660, TOP = 70, SEG_ROW = 34, STATE_ROW = 18, DROP = 22;
const PAGE_PORT = location.port || "80";
const conns = new Map(); // "LOCAL REMOTE" -> connection
let replaying = false, droppedTotal = 0;

function conn(key) {
  let c = conns.get(key);
  if (!c) {
    const [local, remote] = key.split(" ");
    c = { key, local, remote, row: null, state: "", host: "CLOSED", firstLwip: null, events: [],
          truncated: false, unseen: 0, closed: false, seen: Date.now(), sub: false, svg: null };
    conns.set(key, c);
    const opt = document.createElement("option");
    opt.value = key; opt.textContent = remote + " \u2192 " + local;
    document.getElementById("filter").appendChild(opt);
  }
  return c;
}

function esc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function addEvent(c, e) {
  if (c.events.length >= MAX_LADDER_EVENTS) { c.truncated = true; return; }
  c.events.push(e);
}

// The host's states come from the connection model (lwiptap/conn_events.h),
// inferred from its flags and ack numbers: the same as --diagram draws.
function hostEnters(c, s) {
  if (c.host !== s) { c.host = s; addEvent(c, { kind: "state", side: "host", text: s }); }
}
function onPeer(e) {
  const c = conn(e.c);
  if (c.t0 === undefined) c.t0 = e.t;
  hostEnters(c, e.to);
  if (e.why) timelineLine(e.c, "why", "      host " + e.to + ": " + e.why);
  scheduleDraw(c);
}

function segText(s) {
  let t = "[" + s.flags + "] seq " + s.seq + (s.len > 0 ? ":" + ((s.seq + s.len) >>> 0) : "");
  if (s.flags.includes(".")) t += " ack " + s.ack;
  return t + " win " + s.win + " len " + s.len + s.labels + (s.drop ? " LOST" : "");
}

function drawLadder(c) {
  let h = TOP + 30;
  for (const e of c.events) h += e.kind === "seg" ? SEG_ROW : STATE_ROW;
  if (c.sub) h += STATE_ROW;
  const out = [];
  out.push(`<svg width="100%" viewBox="0 0 ${WIDTH} ${h}">`);
  out.push(`<defs><marker id="arrow-${c.idx}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="context-stroke"/></marker></defs>`);
  out.push(`<text x="${HOST_X}" y="18" text-anchor="middle" font-weight="bold">host ${esc(c.remote)}</text>`);
  out.push(`<text x="${LWIP_X}" y="18" text-anchor="middle" font-weight="bold">lwIP ${esc(c.local)}</text>`);
  for (const x of [HOST_X, LWIP_X]) out.push(`<line x1="${x}" y1="30" x2="${x}" y2="${h - 6}" stroke="#444" stroke-width="2"/>`);
  if (c.unseen) {
    // Its first events were not kept (or came before the page's history):
    // the states it started in are not known, so none is drawn.
    const why = c.unseen === true ? "it began before the events this page was given"
      : "its first " + c.unseen + " events were not kept";
    out.push(`<text x="${(HOST_X + LWIP_X) / 2}" y="48" text-anchor="middle" class="unseen">(start not seen): ${esc(why)}</text>`);
  } else {
    out.push(`<text x="${HOST_X - 8}" y="48" text-anchor="end" class="state">CLOSED</text>`);
    out.push(`<text x="${LWIP_X + 8}" y="48" class="state">${esc(c.firstLwip || "")}</text>`);
  }
  let y = TOP;
  for (const e of c.events) {
    if (e.kind === "state") {
      const host = e.side === "host";
      out.push(`<text x="${host ? HOST_X - 8 : LWIP_X + 8}" y="${y}" text-anchor="${host ? "end" : "start"}" class="state">${esc(e.text)}</text>`);
      y += STATE_ROW;
      continue;
    }
    const s = e.seg, x1 = s.tx ? LWIP_X : HOST_X, x2 = s.tx ? HOST_X : LWIP_X, y2 = y + DROP;
    const rtx = s.labels.includes("retransmission"), colour = rtx ? "#c0392b" : "#1f3a93";
    out.push(`<g class="segment${s.drop ? " dropped" : ""}${rtx ? " retransmission" : ""}"><title>${esc(s.why || s.line)}\n${esc(s.line)}</title>`);
    out.push(`<text x="4" y="${y + 4}" class="time">+${(e.t - c.t0)} ms</text>`);
    if (s.drop) {
      const xm = (x1 + x2) / 2, ym = (y + y2) / 2;
      out.push(`<line x1="${x1}" y1="${y}" x2="${xm}" y2="${ym}" stroke="${colour}" stroke-width="1.5"/>`);
      out.push(`<path d="M${xm - 6} ${ym - 6} l12 12 m0 -12 l-12 12" stroke="#c0392b" stroke-width="2.5"/>`);
    } else {
      out.push(`<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y2}" stroke="${colour}" stroke-width="1.5" marker-end="url(#arrow-${c.idx})"/>`);
    }
    out.push(`<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y2}" stroke="transparent" stroke-width="10"/>`);
    out.push(`<text x="${(HOST_X + LWIP_X) / 2}" y="${y + 2}" text-anchor="middle" fill="${colour}">${esc(segText(s))}</text></g>`);
    y += SEG_ROW;
  }
  if (c.sub) {
    out.push(`<text x="${(HOST_X + LWIP_X) / 2}" y="${y}" text-anchor="middle" class="own">... a page's event stream: its segments carry these events and are not drawn</text>`);
  }
  if (c.truncated) {
    out.push(`<text x="${(HOST_X + LWIP_X) / 2}" y="${h - 10}" text-anchor="middle">... more events than the ${MAX_LADDER_EVENTS} drawn</text>`);
  }
  out.push("</svg>");
  return out.join("");
}

let ladderIdx = 0, dirty = new Set(), drawScheduled = false;
// A dropped ladder is drawn again, whole, if its connection speaks again.
function dropLadder(el) {
  conns.get(el.dataset.conn).svg = null;
  el.remove();
}
function scheduleDraw(c) {
  dirty.add(c);
  if (!drawScheduled) { drawScheduled = true; requestAnimationFrame(drawDirty); }
}
function drawDirty() {
  drawScheduled = false;
  const box = document.getElementById("ladders");
  for (const c of dirty) {
    if (!c.svg) {
      c.idx = ladderIdx++;
      c.svg = document.createElement("div");
      c.svg.className = "ladder";
      c.svg.dataset.conn = c.key;
      // The newest ladder on top, the page's own connections (HTTP) below the
      // others: they are not the lesson. The oldest go first, so that a
      // replayed history shows its most recent connections.
      if (c.local.endsWith(":" + PAGE_PORT)) {
        c.svg.classList.add("own-conn");
        box.appendChild(c.svg);
      } else {
        box.prepend(c.svg);
      }
      const own = box.querySelectorAll(".own-conn");
      if (own.length > 4) dropLadder(own[0]);
      while (box.children.length > MAX_LADDERS) {
        const others = box.querySelectorAll(".ladder:not(.own-conn)");
        dropLadder(others[others.length - 1]);
      }
    }
    c.svg.innerHTML = `<h3>${esc(c.remote)} \u2192 ${esc(c.local)}</h3>` + drawLadder(c);
  }
  dirty.clear();
  renderTable();
}

function timelineLine(key, cls, text) {
  const box = document.getElementById("timeline");
  const d = document.createElement("div");
  d.className = cls; d.dataset.conn = key; d.textContent = text;
  const filter = document.getElementById("filter").value;
  if (filter && key !== filter) d.hidden = true;
  const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
  box.appendChild(d);
  while (box.children.length > MAX_TIMELINE) box.firstChild.remove();
  if (atEnd) box.scrollTop = box.scrollHeight;
}

function onSeg(s) {
  const c = conn(s.c);
  if (c.t0 === undefined) c.t0 = s.t;
  addEvent(c, { kind: "seg", seg: s, t: s.t });
  const rtx = s.labels.includes("retransmission");
  timelineLine(s.c, s.drop ? "lost" : rtx ? "rtx" : "", "+" + s.t + " ms " + (s.line || segText(s)) + (s.drop ? "  [dropped by a fault stage]" : ""));
  if (s.why) timelineLine(s.c, "why", "      " + s.why);
  scheduleDraw(c);
}

function onState(e) {
  const c = conn(e.c);
  if (c.firstLwip === null) c.firstLwip = e.from;
  if (c.t0 === undefined) c.t0 = e.t;
  addEvent(c, { kind: "state", side: "lwip", text: e.to });
  if (!replaying || !c.row) c.state = e.to;
  if (e.to === "CLOSED") { c.closed = true; }
  timelineLine(e.c, "st", "+" + e.t + " ms lwIP " + e.c + ": " + e.from + " -> " + e.to);
  scheduleDraw(c);
}

function closeRow(c) { c.closed = true; c.state = "CLOSED"; }
function onConns(d) {
  const present = new Set();
  for (const r of d.rows) {
    const c = conn(r.c);
    c.row = r; c.state = r.state; c.closed = false; c.seen = Date.now(); c.sub = !!r.sub;
    present.add(r.c);
  }
  // Gone since (perhaps before this page opened): shown closed, never as it last was.
  for (const key of d.closed || []) if (!present.has(key)) closeRow(conn(key));
  const complete = d.rows.length >= d.total;
  for (const c of conns.values()) {
    if (!present.has(c.key) && !c.closed && (c.row || (complete && c.state))) closeRow(c);
  }
  document.getElementById("conn-total").textContent =
    d.total + " pcbs" + (d.total > d.rows.length ? ", the first " + d.rows.length + " listed" : "");
  renderTable();
}

function dir(d) { return d ? d.seg + " / " + d.bytes + " / " + d.rtx : "-"; }
function renderTable() {
  const body = document.querySelector("#conns tbody");
  const filter = document.getElementById("filter").value;
  const rows = [...conns.values()].filter(c => c.row || c.state);
  const open = rows.filter(c => !c.closed), closed = rows.filter(c => c.closed).slice(-MAX_CLOSED_ROWS);
  const html = [];
  for (const c of [...open, ...closed]) {
    const r = c.row || {};
    const cls = "conn" + (c.closed ? " closed" : "") + (filter === c.key ? " selected" : "");
    const listen = c.remote === "*";
    html.push(`<tr class="${cls}" data-conn="${esc(c.key)}"><td>${esc(c.local)}</td><td>${esc(c.remote)}${c.sub ? " (event stream)" : ""}</td>` +
      `<td class="state">${esc(c.closed ? "CLOSED" : c.state)}</td>` +
      (listen ? `<td colspan="7"></td>` :
      `<td>${dir(r.sent)}</td><td>${dir(r.recv)}</td><td>${r.srtt !== undefined ? r.srtt + " ms" : "-"}</td><td>${r.rto !== undefined ? r.rto + " ms" : "-"}</td>` +
      `<td>${r.cwnd ?? "-"}</td><td>${r.snd_wnd ?? "-"}</td><td>${r.rcv_wnd ?? "-"}</td>`) + `</tr>`);
  }
  body.innerHTML = html.join("");
}

function onCounters(d) {
  const mem = d.mem, pct = mem.limit ? Math.min(100, 100 * mem.used / mem.limit) : 0;
  const kib = b => (b / 1024).toFixed(0) + " KiB";
  const guard = Object.entries(d.guard);
  const faults = [];
  for (const side of ["rx", "tx"]) {
    for (const [k, v] of Object.entries(d.fault[side])) if (v) faults.push(side + " " + k + " " + v);
  }
  document.getElementById("counters").innerHTML =
    `<div>memory ${kib(mem.used)} of ${kib(mem.limit)} (--mem-limit), peak ${kib(mem.peak)}</div>` +
    `<div class="bar"><div style="width:${pct.toFixed(1)}%"></div></div>` +
    `<div><b>guard drops</b>: ${guard.length ? guard.map(([k, v]) => esc(k) + " " + v).join(", ") : "none"}</div>` +
    `<div><b>fault stage</b>: ${faults.length ? faults.join(", ") : "no decisions"}</div>` +
    `<div><b>pages subscribed</b>: ${d.subscribers}; <b>events dropped</b>: ${droppedTotal} for this page, ${d.events_dropped} for all</div>`;
}

function onGap(d) {
  droppedTotal = d.total;
  const g = document.getElementById("gap");
  g.hidden = false;
  g.textContent = d.total + " events dropped (this page read too slowly)";
  timelineLine("", "gapline", "... " + d.dropped + " events dropped here ...");
}

document.getElementById("filter").addEventListener("change", () => {
  const f = document.getElementById("filter").value;
  for (const d of document.getElementById("timeline").children) d.hidden = !!f && d.dataset.conn !== f;
  for (const d of document.getElementById("ladders").children) d.hidden = !!f && d.dataset.conn !== f;
  renderTable();
});
document.querySelector("#conns tbody").addEventListener("click", ev => {
  const tr = ev.target.closest("tr");
  if (!tr) return;
  const sel = document.getElementById("filter");
  sel.value = sel.value === tr.dataset.conn ? "" : tr.dataset.conn;
  sel.dispatchEvent(new Event("change"));
});

// The history is the whole story so far: after a reconnect it replaces what
// the page had drawn, rather than being drawn twice.
function startHistory() {
  replaying = true;
  for (const c of conns.values()) {
    Object.assign(c, { host: "CLOSED", firstLwip: null, events: [], truncated: false, unseen: 0, t0: undefined });
    if (c.svg) scheduleDraw(c);
  }
  document.getElementById("timeline").replaceChildren();
}
// A connection in the snapshot that the history told nothing of began
// before what it keeps.
function endHistory() {
  replaying = false;
  for (const c of conns.values()) {
    if (c.row && c.remote !== "*" && c.events.length === 0 && !c.unseen) { c.unseen = true; scheduleDraw(c); }
  }
}

function connect() {
  const es = new EventSource("/events");
  const status = document.getElementById("status");
  const on = (kind, fn) => es.addEventListener(kind, m => fn(JSON.parse(m.data)));
  es.onopen = () => { status.textContent = "live"; status.className = "status on"; };
  es.onerror = () => { status.textContent = "disconnected, retrying..."; status.className = "status off"; };
  on("conns", onConns);
  on("counters", onCounters);
  on("seg", onSeg);
  on("state", onState);
  on("peer", onPeer);
  on("gap", onGap);
  on("unseen", d => { conn(d.c).unseen = d.events; });
  on("history", startHistory);
  on("live", endHistory);
}
connect();
