// The Snakepit dashboard: renders the snapshots that /api/events streams (docs/server.md lists their
// fields). Plain DOM and SVG, no framework; every text from the server goes in through textContent.
"use strict";

const ENDED_SHOWN_MS = 120000; // a worker that crashed or stopped stays in the table this long
const COLORS = { calls: "#2563eb", failed: "#c53030", p50: "#1f8a4c", p95: "#b7791f", p99: "#c53030",
  queued: "#7c3aed", busy: "#0891b2" };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function duration(ms) {
  if (ms === null || ms === undefined) return "-";
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
  if (s < 86400) return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
  return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
}

function mib(bytes) {
  return bytes > 0 ? (bytes / 1048576).toFixed(1) + " MiB" : "-";
}

function time(ms) {
  return new Date(ms).toLocaleTimeString();
}

function tile(label, value, alert) {
  return el("div", { class: "tile" + (alert ? " alert" : ""), "data-tile": label },
    el("div", { class: "value" }, value), el("div", { class: "label" }, label));
}

// A line chart of the series named in `lines` over the history's seconds; nulls are gaps.
function chart(title, history, lines, unit) {
  const width = 600, height = 120, pad = 4;
  const svgNs = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNs, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("preserveAspectRatio", "none");
  const n = history.t.length;
  let max = 0;
  for (const line of lines) for (const v of history[line.key]) if (v !== null && v > max) max = v;
  max = max > 0 ? max * 1.1 : 1;
  for (const line of lines) {
    let d = "", pen = false;
    history[line.key].forEach((v, i) => {
      if (v === null) { pen = false; return; }
      const x = n > 1 ? pad + (i * (width - 2 * pad)) / (n - 1) : width / 2;
      const y = height - pad - (v / max) * (height - 2 * pad);
      d += (pen ? "L" : "M") + x.toFixed(1) + " " + y.toFixed(1);
      pen = true;
    });
    const path = document.createElementNS(svgNs, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", line.color);
    path.setAttribute("stroke-width", "1.6");
    path.setAttribute("vector-effect", "non-scaling-stroke");
    svg.append(path);
  }
  const last = lines.map((line) => {
    const values = history[line.key].filter((v) => v !== null);
    const latest = values.length ? values[values.length - 1] : null;
    return el("span", {}, el("i", { style: "background:" + line.color }),
      line.label + " " + (latest === null ? "-" : (+latest.toFixed(2)) + unit));
  });
  return el("div", { class: "chart", "data-chart": title },
    el("h3", {}, title, el("span", { class: "adapter" }, "  (last " + n + " s, top " + (+max.toFixed(2)) + unit + ")")),
    svg, el("div", { class: "legend" }, ...last));
}

function workerRows(pool, now) {
  const rows = pool.workers.map((w) => el("tr", { class: "live", "data-worker": w.id, "data-pid": w.pid, "data-state": w.state },
    el("td", {}, w.id), el("td", {}, w.pid), el("td", { class: "state" }, w.state), el("td", {}, duration(w.uptimeMs)),
    el("td", {}, w.callsAnswered), el("td", {}, mib(w.residentBytes)),
    el("td", {}, w.heartbeatRoundTripMs === null ? "-" : w.heartbeatRoundTripMs.toFixed(2) + " ms"), el("td", {}, "")));
  const live = new Set(pool.workers.map((w) => w.id));
  const ended = new Map();
  for (const e of pool.events) { // newest first: the first ending seen of a worker is its last
    if ((e.kind === "crashed" || e.kind === "stopped") && !live.has(e.worker) && now - e.at < ENDED_SHOWN_MS) {
      const seen = ended.get(e.worker);
      if (!seen || (seen.kind !== "crashed" && e.kind === "crashed")) ended.set(e.worker, e);
    }
  }
  for (const e of ended.values()) {
    const state = e.kind === "crashed" ? "CRASHED" : "STOPPED";
    rows.push(el("tr", { class: e.kind, "data-worker": e.worker, "data-pid": e.pid, "data-state": state },
      el("td", {}, e.worker), el("td", {}, e.pid), el("td", { class: "state" }, state), el("td", {}, "at " + time(e.at)),
      el("td", {}, "-"), el("td", {}, "-"), el("td", {}, "-"), el("td", {}, e.cause)));
  }
  return rows;
}

function renderPool(pool, now) {
  const s = pool.stats, h = pool.health;
  const recycled = Object.entries(s.recycles).filter(([, n]) => n > 0).map(([why, n]) => why + " " + n).join(", ");
  const section = el("section", { class: "pool", "data-pool": pool.name, "data-status": h.status },
    el("h2", {}, pool.name, el("span", { class: "badge " + h.status }, h.status),
      el("span", { class: "adapter" }, pool.adapter + " · generation " + pool.generation)),
    h.reasons.length ? el("div", { class: "reasons" }, h.reasons.join("; ")) : null,
    el("div", { class: "tiles" },
      tile("workers", s.busy + s.idle + " / " + s.targetSize),
      tile("busy", s.busy), tile("queued", s.queued, s.queued > 0),
      tile("calls ok", s.callsSucceeded), tile("calls failed", s.callsFailed, s.callsFailed > 0),
      tile("crashes", s.workersCrashed, s.workersCrashed > 0), tile("replaced", s.workersReplaced),
      tile("recycles", s.workersRecycled), tile("sessions", s.sessions), tile("streams", s.streams),
      tile("uptime", duration(s.uptimeMs))),
    recycled ? el("div", { class: "adapter" }, "recycled: " + recycled) : null,
    pool.lastCrash ? el("div", { class: "last-crash", "data-last-crash": pool.lastCrash.pid },
      "last crash: " + pool.lastCrash.worker + " (pid " + pool.lastCrash.pid + ") at " + time(pool.lastCrash.at) + ": "
      + pool.lastCrash.cause) : null,
    el("div", { class: "charts" },
      chart("calls per second", pool.history, [{ key: "callsPerSecond", label: "calls", color: COLORS.calls },
        { key: "failuresPerSecond", label: "failed", color: COLORS.failed }], "/s"),
      chart("latency", pool.history, [{ key: "p50Ms", label: "p50", color: COLORS.p50 },
        { key: "p95Ms", label: "p95", color: COLORS.p95 }, { key: "p99Ms", label: "p99", color: COLORS.p99 }], " ms"),
      chart("queue and busy workers", pool.history, [{ key: "queued", label: "queued", color: COLORS.queued },
        { key: "busy", label: "busy", color: COLORS.busy }], "")),
    el("table", { class: "workers" },
      el("thead", {}, el("tr", {}, ...["worker", "pid", "state", "age", "calls", "memory", "heartbeat", "cause"]
        .map((t) => el("th", {}, t)))),
      el("tbody", {}, ...workerRows(pool, now))),
    el("ul", { class: "events" }, ...pool.events.slice(0, 20).map((e) => el("li", { class: e.kind, "data-event": e.kind },
      time(e.at) + "  " + e.worker + " (pid " + e.pid + ") " + e.kind + (e.cause ? ": " + e.cause : "")))));
  return section;
}

function render(snapshot) {
  const main = document.getElementById("pools");
  main.replaceChildren(...snapshot.pools.map((pool) => renderPool(pool, snapshot.time)));
  document.getElementById("clock").textContent = "server time " + time(snapshot.time);
  document.body.dataset.snapshots = String((+document.body.dataset.snapshots || 0) + 1);
}

function connect() {
  const status = document.getElementById("connection");
  const set = (state, text) => { status.className = "connection " + state; status.dataset.state = state; status.textContent = text; };
  const source = new EventSource("/api/events");
  source.addEventListener("open", () => set("live", "live"));
  source.addEventListener("snapshot", (event) => render(JSON.parse(event.data)));
  // The browser reconnects by itself (the stream asks for a retry after 2 s).
  source.addEventListener("error", () => set("lost", "reconnecting"));
}

connect();
