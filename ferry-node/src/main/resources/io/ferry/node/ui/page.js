// The node's status page: polls /status every second, renders it, and keeps the last five minutes
// of samples in memory for the two plots. No libraries, no build step. Every value from /status
// goes into the page as text (textContent), never as HTML: the cluster list comes from peers.
"use strict";

const POLL_MS = 1000;
const TIMEOUT_MS = 3000;
const WINDOW_MS = 5 * 60 * 1000;
const MIN_SPAN_MS = 10 * 1000;
const MAX_CLUSTER_ROWS = 100;

/** Samples of the last WINDOW_MS: {t, height, in, out}; a failed poll is {t, gap: true}. */
const samples = [];
let downSince = null;

const $ = (id) => document.getElementById(id);

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function svgEl(tag, attrs) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

const num = (n) => (Number.isFinite(n) ? n.toLocaleString("en-US") : "–");
const list = (a) => (Array.isArray(a) ? a : []);
const short = (s, n = 12) => (typeof s === "string" && s.length > n ? s.slice(0, n) + "…" : s ?? "–");
const time = (t) => new Date(t).toLocaleTimeString("en-GB", { hour12: false });

function bytes(n) {
  if (typeof n !== "number" || !isFinite(n)) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i === 0 ? Math.round(n) : n.toFixed(n < 10 ? 1 : 0)) + " " + units[i];
}

function replace(parent, ...children) {
  parent.replaceChildren(...children);
}

// ---------------------------------------------------------------- polling

async function poll() {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), TIMEOUT_MS);
  let s;
  try {
    const r = await fetch("/status", { cache: "no-store", signal: ctrl.signal });
    if (!r.ok) throw new Error("HTTP " + r.status);
    s = await r.json();
  } catch (e) {
    down(e.name === "AbortError" ? "no answer within " + TIMEOUT_MS / 1000 + " s" : e.message);
  } finally {
    clearTimeout(timer);
  }
  if (s) {
    record(s);
    try {
      render(s);
    } catch (e) {
      // A field of an unexpected shape (the cluster list is what peers said): the node is up.
      console.error("status page: cannot render /status", e);
    }
    up();
  }
  drawPlots();
  setTimeout(poll, POLL_MS);
}

function record(s) {
  const t = Date.now();
  const tr = s.traffic || {};
  samples.push({
    t,
    height: s.height,
    in: tr.p2p_in,
    out: (tr.p2p_out ?? 0) + (tr.http_out ?? 0),
  });
  trim(t);
}

function trim(now) {
  while (samples.length && samples[0].t < now - WINDOW_MS) samples.shift();
}

function up() {
  downSince = null;
  $("banner").hidden = true;
  $("main").classList.remove("stale");
  $("dot").className = "dot ok";
  $("updated").textContent = "updated " + time(Date.now());
}

function down(why) {
  const now = Date.now();
  if (downSince === null) downSince = now;
  samples.push({ t: now, gap: true });
  trim(now);
  $("banner").textContent =
    "Cannot reach the node since " + time(downSince) + " (" + why + "). Retrying every second; " +
    "what is shown below is the last status it gave.";
  $("banner").hidden = false;
  $("main").classList.add("stale");
  $("dot").className = "dot bad";
  $("updated").textContent = "unreachable";
}

// ---------------------------------------------------------------- rendering

function render(s) {
  const role = $("role");
  role.textContent = s.role ?? "node";
  role.className = "badge " + (s.role ?? "");
  $("node-id").textContent = s.node_id ?? "–";
  document.title = (s.role ?? "node") + " " + short(s.node_id, 8) + " · " + num(s.height) + " · ferry";
  optionalTag($("network"), s.network, "network ");
  optionalTag($("version"), s.version, "v");

  const h = $("height");
  h.textContent = num(s.height);
  h.dataset.value = String(s.height);
  $("root").textContent = short(s.root, 16);
  $("root").title = s.root ?? "";

  if (s.head) {
    $("head-height").textContent = num(s.head.height);
    const lag = s.head.height - s.height;
    $("head-sub").textContent =
      (lag > 0 ? lag.toLocaleString("en-US") + " behind · " : "at head · ") +
      "producer " + short(s.head.producer, 10);
  } else {
    $("head-height").textContent = "–";
    $("head-sub").textContent = "none yet";
  }

  renderSync(s);
  renderTraffic();
  renderPeers(list(s.peers));
  renderSnapshots(list(s.snapshots));
  renderCluster(s.cluster, s.node_id);
  $("p2p").textContent = s.p2p ?? "–";
  $("http").textContent = s.http ?? "–";
}

/** " · 3 failures", or nothing for none. */
const count = (n, word) => (n ? " · " + num(n) + " " + word + (n === 1 ? "" : "s") : "");

function optionalTag(e, value, prefix) {
  e.hidden = value === undefined || value === null || value === "";
  e.textContent = e.hidden ? "" : prefix + value;
}

function renderSync(s) {
  const phase = (s.phase ?? "–").replace(/_/g, " ");
  $("phase").textContent = phase;
  const bar = $("progress");
  const sync = s.sync;
  const syncing = s.phase === "syncing";
  if (sync) {
    const covered = Math.max(0, Math.min(1, sync.covered ?? 0));
    bar.style.width = (covered * 100).toFixed(1) + "%";
    bar.parentElement.className = covered >= 1 && !syncing ? "bar done" : "bar";
    $("sync-sub").textContent =
      (syncing ? (covered * 100).toFixed(1) + "% · " : "last sync · ") +
      num(sync.keys) + " keys · " + bytes(sync.bytes) + " · " + num(sync.proofs) + " proofs" +
      count(sync.failures, "failure") +
      count(sync.lies, "lie");
  } else {
    bar.style.width = syncing ? "0%" : "100%";
    bar.parentElement.className = syncing ? "bar" : "bar done";
    $("sync-sub").textContent = syncing ? "starting" : "no full sync on this node";
  }
}

/** The newest rate: bytes/s between the last two samples with no gap between them. */
function lastRates() {
  const r = rates();
  return r.length ? r[r.length - 1] : null;
}

function renderTraffic() {
  const r = lastRates();
  const last = samples.filter((x) => !x.gap).pop();
  const big = $("rate");
  big.replaceChildren(r ? bytes(r.in) + "/s" : "–");
  if (r) big.append(el("span", " in", "unit"));
  const totals =
    last && typeof last.in === "number" ? bytes(last.in) + " in, " + bytes(last.out) + " out so far" : "no counters";
  $("rate-sub").textContent = r ? bytes(r.out) + "/s out · " + totals : totals;
}

function renderPeers(peers) {
  $("peer-count").textContent = peers.length ? "· " + peers.length : "";
  replace($("peers"), ...(peers.length ? peers.map((p) => el("li", p)) : [el("li", "no peers connected", "muted")]));
}

function renderSnapshots(snaps) {
  $("snapshot-count").textContent = snaps.length ? "· " + snaps.length : "";
  const box = $("snapshots");
  if (!snaps.length) {
    replace(box, el("p", "no archives yet", "empty-note"));
    return;
  }
  const rows = [...snaps]
    .sort((a, b) => b.height - a.height)
    .map((a) => {
      const tr = el("tr");
      tr.append(el("td", num(a.height), "num"), el("td", a.kind), el("td", bytes(a.bytes), "num"));
      const link = el("a", short(a.name, 34));
      link.href = "/" + encodeURIComponent(a.name);
      link.title = a.name;
      const td = el("td");
      td.append(link);
      tr.append(td);
      return tr;
    });
  replace(box, table(["height", "kind", "size", "archive"], ["height", "size"], rows));
}

/** A table with a header row; the columns named in {@code numeric} align right. */
function table(headers, numeric, rows) {
  const t = el("table");
  const head = el("tr");
  for (const h of headers) head.append(el("th", h, numeric.includes(h) ? "num" : ""));
  const thead = el("thead");
  thead.append(head);
  const tbody = el("tbody");
  tbody.append(...rows);
  t.append(thead, tbody);
  return t;
}

// ---------------------------------------------------------------- cluster

const pick = (o, ...names) => {
  for (const n of names) if (o && o[n] !== undefined && o[n] !== null) return o[n];
  return undefined;
};
const plainAddress = (a) => typeof a === "string" && /^[A-Za-z0-9.\-:[\]]+$/.test(a);

/** How long ago a wallclock (calendar milliseconds) was, by this browser's clock. */
function age(wallclock) {
  if (!Number.isFinite(wallclock) || wallclock <= 0) return "–";
  const s = Math.max(0, Math.round((Date.now() - wallclock) / 1000));
  return s < 2 ? "now" : s < 120 ? s + " s ago" : s < 7200 ? Math.round(s / 60) + " min ago" : Math.round(s / 3600) + " h ago";
}

/** "id@host:port" -> "host:port": the id has its own column. */
function hostOf(p2p) {
  if (typeof p2p !== "string") return "–";
  const at = p2p.lastIndexOf("@");
  return at < 0 ? p2p : p2p.slice(at + 1);
}

function renderCluster(cluster, selfId) {
  const box = $("cluster");
  if (!Array.isArray(cluster) || cluster.length === 0) {
    $("cluster-count").textContent = "";
    replace(box, el("p", "no cluster data yet", "empty-note"));
    return;
  }
  $("cluster-count").textContent = "· " + cluster.length + " nodes";
  const rows = [];
  const offered = new Map(); // "kind|base|height|hash" -> {kind, base, height, hash, nodes}
  for (const n of cluster) {
    if (!n || typeof n !== "object") continue;
    const tr = el("tr");
    const id = el("td");
    const code = el("code", short(pick(n, "id", "node_id"), 10));
    code.title = pick(n, "id", "node_id") ?? "";
    id.append(code);
    if (n.id === selfId) id.append(el("span", " this node", "muted"));
    const http = pick(n, "http");
    const httpTd = el("td");
    if (plainAddress(http)) {
      const a = el("a", http);
      a.href = "http://" + http + "/";
      httpTd.append(a);
    } else {
      httpTd.textContent = http ?? "–";
    }
    const full = typeof n.full === "object" ? n.full : null;
    const incs = list(n.incrementals).filter((i) => i && typeof i === "object");
    tr.append(
      id,
      el("td", hostOf(pick(n, "p2p"))),
      httpTd,
      el("td", pick(n, "network") ?? "–"),
      el("td", pick(n, "version") ?? "–"),
      el("td", num(pick(n, "headHeight", "head_height")), "num"),
      el("td", full ? num(full.height) + " · " + short(full.hash, 10) : "–"),
      el("td", incs.length ? incs.length + " · newest " + num(Math.max(...incs.map((i) => i.height ?? 0))) : "–"),
      el("td", age(n.wallclock), "num"),
    );
    if (rows.length < MAX_CLUSTER_ROWS) rows.push(tr);
    if (full) offer(offered, "full", undefined, full);
    // An incremental builds on the node's full snapshot unless it names its own base.
    const base = (inc) => pick(inc, "base", "base_height", "baseHeight") ?? full?.height;
    for (const inc of incs) offer(offered, "incremental", base(inc), inc);
  }
  const scroll = el("div", null, "scroll");
  const headers = ["node", "p2p", "http", "network", "version", "head", "full snapshot", "incrementals", "seen"];
  scroll.append(table(headers, ["head", "seen"], rows));
  if (cluster.length > rows.length) {
    scroll.append(el("p", "and " + (cluster.length - rows.length) + " more (see /status)", "empty-note"));
  }
  replace(box, scroll, clusterSnapshots(offered));
}

function offer(map, kind, base, s) {
  const key = [kind, base, s.height, s.hash].join("|");
  const entry = map.get(key) || { kind, base, height: s.height, hash: s.hash, nodes: 0 };
  entry.nodes++;
  map.set(key, entry);
}

/** Every snapshot the cluster advertises, newest first, with how many nodes offer it. */
function clusterSnapshots(offered) {
  const div = el("div", null, "cluster-snaps");
  div.append(el("h2", "Snapshots in the cluster"));
  const sorted = [...offered.values()].sort((a, b) => b.height - a.height || a.kind.localeCompare(b.kind));
  if (!sorted.length) {
    div.append(el("p", "none advertised yet", "empty-note"));
    return div;
  }
  const out = [];
  for (const r of sorted.slice(0, 12)) {
    const tr = el("tr");
    const hash = el("td");
    hash.append(el("code", short(r.hash, 16)));
    tr.append(
      el("td", (r.base !== undefined ? num(r.base) + " → " : "") + num(r.height), "num"),
      el("td", r.kind),
      hash,
      el("td", r.nodes + (r.nodes === 1 ? " node" : " nodes")),
    );
    out.push(tr);
  }
  div.append(table(["height", "kind", "hash", "offered by"], ["height"], out));
  return div;
}

// ---------------------------------------------------------------- plots

/** bytes/s between consecutive samples with no gap between them: [{t, in, out}]. */
function rates() {
  const out = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    if (a.gap || b.gap) {
      out.push({ t: b.t, gap: true });
      continue;
    }
    const dt = (b.t - a.t) / 1000;
    const din = b.in - a.in;
    const dout = b.out - a.out;
    // A counter that went down is a restarted node: no rate across the restart.
    if (!(dt > 0) || !(din >= 0) || !(dout >= 0)) {
      out.push({ t: b.t, gap: true });
      continue;
    }
    out.push({ t: b.t, in: din / dt, out: dout / dt });
  }
  return out;
}

function drawPlots() {
  const now = Date.now();
  const first = samples.length ? samples[0].t : now;
  // The window grows with the page's age up to five minutes, so a fresh page is not an empty one.
  const span = Math.min(WINDOW_MS, Math.max(MIN_SPAN_MS, now - first));
  $("height-span").textContent = "last " + spanText(span);
  const hs = samples.map((s) => (s.gap ? s : { t: s.t, v: s.height }));
  plot($("plot-height"), now, span, [{ cls: "height", points: hs, area: true }], {
    fromZero: false,
    label: (v) => num(Math.round(v)),
  });
  const r = rates();
  plot(
    $("plot-bytes"),
    now,
    span,
    [
      { cls: "in", points: r.map((x) => (x.gap ? x : { t: x.t, v: x.in })) },
      { cls: "out", points: r.map((x) => (x.gap ? x : { t: x.t, v: x.out })) },
    ],
    { fromZero: true, label: (v) => bytes(v) + "/s" },
  );
}

function spanText(ms) {
  const s = Math.round(ms / 1000);
  return s < 60 ? s + " s" : Math.round(s / 60) + " min";
}

/** Draws series of {t, v} (or {gap}) into an SVG sized by its box, with a y scale and grid. */
function plot(svg, now, span, series, opts) {
  const W = svg.clientWidth || 500;
  const H = svg.clientHeight || 150;
  const left = 74;
  const right = 8;
  const top = 8;
  const bottom = 20;
  svg.setAttribute("viewBox", "0 0 " + W + " " + H);
  const values = series.flatMap((s) => s.points.filter((p) => !p.gap && typeof p.v === "number").map((p) => p.v));
  const nodes = [];
  if (!values.length) {
    nodes.push(svgEl("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }));
    nodes[0].textContent = "waiting for samples…";
    svg.replaceChildren(...nodes);
    return;
  }
  let lo = opts.fromZero ? 0 : Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < (opts.fromZero ? 1 : 2)) {
    const mid = opts.fromZero ? 0 : (hi + lo) / 2;
    lo = opts.fromZero ? 0 : Math.max(0, Math.floor(mid - 1));
    hi = opts.fromZero ? Math.max(1, hi) : lo + 2;
  }
  const x = (t) => left + ((t - (now - span)) / span) * (W - left - right);
  const y = (v) => top + (1 - (v - lo) / (hi - lo)) * (H - top - bottom);
  for (let i = 0; i <= 2; i++) {
    const v = lo + ((hi - lo) * i) / 2;
    const yy = y(v);
    nodes.push(svgEl("line", { x1: left, x2: W - right, y1: yy, y2: yy, class: "grid" }));
    const label = svgEl("text", { x: left - 6, y: yy + 4, "text-anchor": "end", class: "axis" });
    label.textContent = opts.label(v);
    nodes.push(label);
  }
  const ago = svgEl("text", { x: left, y: H - 4, class: "axis" });
  ago.textContent = "−" + spanText(span);
  const nowLabel = svgEl("text", { x: W - right, y: H - 4, "text-anchor": "end", class: "axis" });
  nowLabel.textContent = "now";
  nodes.push(ago, nowLabel);
  for (const s of series) {
    for (const run of runs(s.points)) {
      const d = run.map((p, i) => (i ? "L" : "M") + x(p.t).toFixed(1) + " " + y(p.v).toFixed(1)).join(" ");
      if (s.area && run.length > 1) {
        const base = y(lo).toFixed(1);
        const area = d + " L" + x(run[run.length - 1].t).toFixed(1) + " " + base +
          " L" + x(run[0].t).toFixed(1) + " " + base + " Z";
        nodes.push(svgEl("path", { d: area, class: "area " + s.cls }));
      }
      nodes.push(
        run.length > 1
          ? svgEl("path", { d, class: "line " + s.cls })
          : svgEl("circle", { cx: x(run[0].t), cy: y(run[0].v), r: 2.5, class: "point " + s.cls }),
      );
    }
  }
  svg.replaceChildren(...nodes);
}

/** Splits points at gaps into runs to draw as separate lines. */
function runs(points) {
  const out = [];
  let cur = [];
  for (const p of points) {
    if (p.gap || typeof p.v !== "number") {
      if (cur.length) out.push(cur);
      cur = [];
    } else {
      cur.push(p);
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

window.addEventListener("resize", drawPlots);
poll();
