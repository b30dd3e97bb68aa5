/* page.js - draws the html report from the JSON in #bt-data (built into
 * the analyzer; no library, no network).  docs/html-report.md says what
 * each part shows.  Numbers the tests read are written into data-*
 * attributes; #selftest clicks a survivor and records what happened. */
"use strict";
(function () {
  var T0 = performance.now();
  var D = JSON.parse(document.getElementById("bt-data").textContent);
  var TYPES = ["DRAM", "L1", "SYSTEM_MEMORY", "L1_SMALL", "TRACE", "UNKNOWN"];
  var COLORS = { DRAM: "#4e79a7", L1: "#f28e2b", SYSTEM_MEMORY: "#59a14f", L1_SMALL: "#e15759",
                 TRACE: "#b07aa1", UNKNOWN: "#9c9c9c", heap: "#76b7b2" };
  var SVGNS = "http://www.w3.org/2000/svg";
  /* one width for every chart, measured once (reading a box's width after
   * each change of the page would lay it out again: slow on big pages) */
  var WIDTH = 1000;
  var FATES = ["destroyed at process exit", "destroyed later", "never seen to die"];

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  }
  function group3(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  function human(b) {
    if (b >= 1073741824) return (b / 1073741824).toFixed(b % 1073741824 ? 1 : 0) + " GiB";
    if (b >= 1048576) return (b / 1048576).toFixed(b % 1048576 ? 1 : 0) + " MiB";
    if (b >= 1024) return (b / 1024).toFixed(b % 1024 ? 1 : 0) + " KiB";
    return b + " B";
  }
  function bytes(b) { return b >= 1024 ? group3(b) + " B (" + human(b) + ")" : group3(b) + " B"; }
  function secs(ns) {
    if (ns == null) return "-";
    var s = ns / 1e9;
    return "+" + (s >= 10 ? s.toFixed(2) : s >= 0.1 ? s.toFixed(3) : s.toFixed(6)) + " s";
  }
  /* axis labels: as short as the zoom allows */
  function tick(ns, span) {
    if (span >= 5e9) return (ns / 1e9).toFixed(1) + " s";
    if (span >= 5e6) return (ns / 1e6).toFixed(span >= 5e8 ? 0 : span >= 5e7 ? 1 : 2) + " ms";
    return (ns / 1e3).toFixed(1) + " us";
  }
  function base(p) { return p ? p.replace(/.*\//, "") : "?"; }

  /* sparse [bucket, last, peak, count] -> dense arrays of nb buckets */
  function dense(sp, nb) {
    var last = new Float64Array(nb), peak = new Float64Array(nb), cnt = new Float64Array(nb);
    var j = 0, cl = 0, cc = 0;
    for (var i = 0; i < nb; i++) {
      if (j < sp.length && sp[j][0] === i) {
        last[i] = sp[j][1]; peak[i] = sp[j][2]; cnt[i] = sp[j][3]; cl = last[i]; cc = cnt[i]; j++;
      } else { last[i] = peak[i] = cl; cnt[i] = cc; }
    }
    return { last: last, peak: peak, count: cnt };
  }

  /* ---- the timeline: one chart per device, one view (zoom) per process */
  function Timeline(p, host) {
    this.p = p;
    this.w = p.bucket_ns;
    this.nb = Math.max(p.nb, 1);
    this.span = Math.max(p.duration_ns, this.nb * this.w, 1);
    this.v0 = 0;
    this.v1 = Math.max(p.duration_ns, 1);
    this.charts = [];
    this.onpick = null;
    this.host = host;
  }
  Timeline.prototype.add = function (label, dev, tracks, markers, box) {
    var series = [];
    TYPES.concat(["heap"]).forEach(function (t) {
      if (tracks[t]) series.push({ type: t, d: dense(tracks[t], this.nb) });
    }, this);
    /* a mesh (or a lone chart) tall, its chips compact */
    var H = dev && dev.kind === "chip" && this.p.devices.length > 2 ? 64 : 110;
    var c = { label: label, dev: dev, series: series, markers: markers, box: box, H: H };
    var s = svg("svg", { height: H });
    var tip = el("div", { cls: "tip" });
    box.appendChild(s);
    box.appendChild(tip);
    c.svg = s; c.tip = tip;
    this.charts.push(c);
    this.wire(c);
    return c;
  };
  Timeline.prototype.bucketAt = function (t) {
    return Math.max(0, Math.min(this.nb - 1, Math.floor(t / this.w)));
  };
  Timeline.prototype.geom = function (c) {
    var W = WIDTH, H = c.H, L = 60, R = 10, T = 8, B = 18;
    var self = this;
    return { W: W, H: H, L: L, R: R, T: T, B: B,
      x: function (t) { return L + (t - self.v0) / (self.v1 - self.v0) * (W - L - R); },
      t: function (x) { return self.v0 + (x - L) / (W - L - R) * (self.v1 - self.v0); } };
  };
  Timeline.prototype.draw = function () { this.charts.forEach(this.drawOne, this); };
  Timeline.prototype.drawOne = function (c) {
    var g = this.geom(c), s = c.svg, self = this;
    while (s.firstChild) s.removeChild(s.firstChild);
    s.setAttribute("viewBox", "0 0 " + g.W + " " + g.H);
    var i0 = this.bucketAt(this.v0), i1 = this.bucketAt(this.v1), max = 1;
    c.series.forEach(function (sr) { for (var i = i0; i <= i1; i++) max = Math.max(max, sr.d.peak[i]); });
    var y = function (b) { return g.H - g.B - b / max * (g.H - g.T - g.B); };
    /* axes and ticks */
    s.appendChild(svg("line", { x1: g.L, y1: g.H - g.B, x2: g.W - g.R, y2: g.H - g.B, stroke: "#aab" }));
    for (var k = 0; k <= 4; k++) {
      var tt = this.v0 + (this.v1 - this.v0) * k / 4, xx = g.x(tt);
      s.appendChild(svg("line", { x1: xx, y1: g.H - g.B, x2: xx, y2: g.H - g.B + 4, stroke: "#aab" }));
      var lab = svg("text", { x: xx, y: g.H - 5, "font-size": 10, fill: "#5f6b76", "text-anchor": k === 0 ? "start" : k === 4 ? "end" : "middle" });
      lab.textContent = tick(tt, this.v1 - this.v0);
      s.appendChild(lab);
    }
    var ym = svg("text", { x: g.L - 6, y: g.T + 9, "font-size": 10, fill: "#5f6b76", "text-anchor": "end" });
    ym.textContent = human(max);
    s.appendChild(ym);
    var y0 = svg("text", { x: g.L - 6, y: g.H - g.B, "font-size": 10, fill: "#5f6b76", "text-anchor": "end" });
    y0.textContent = "0";
    s.appendChild(y0);
    /* each type: the peak as a light band, the value at bucket ends as a step line */
    c.series.forEach(function (sr) {
      var col = COLORS[sr.type] || "#888", line = "", band = "";
      for (var i = i0; i <= i1; i++) {
        var xa = Math.max(g.L, g.x(i * self.w)), xb = Math.min(g.W - g.R, g.x((i + 1) * self.w));
        line += (i === i0 ? "M" : "L") + xa.toFixed(1) + "," + y(sr.d.last[i]).toFixed(1) + "L" + xb.toFixed(1) + "," + y(sr.d.last[i]).toFixed(1);
        band += (i === i0 ? "M" : "L") + xa.toFixed(1) + "," + y(sr.d.peak[i]).toFixed(1) + "L" + xb.toFixed(1) + "," + y(sr.d.peak[i]).toFixed(1);
      }
      var xe = Math.min(g.W - g.R, g.x((i1 + 1) * self.w)), xs = Math.max(g.L, g.x(i0 * self.w));
      s.appendChild(svg("path", { d: band + "L" + xe.toFixed(1) + "," + y(0) + "L" + xs.toFixed(1) + "," + y(0) + "Z", fill: col, "fill-opacity": 0.18, stroke: "none" }));
      s.appendChild(svg("path", { d: line, fill: "none", stroke: col, "stroke-width": 1.6 }));
    });
    /* markers: open, close (named), process exit */
    c.markers.forEach(function (m) {
      if (m.t < self.v0 || m.t > self.v1) return;
      var xm = g.x(m.t);
      s.appendChild(svg("line", { x1: xm, y1: g.T, x2: xm, y2: g.H - g.B, stroke: m.color, "stroke-width": 1.2, "stroke-dasharray": "4,3" }));
      var right = xm > g.W - (m.name.length * 6 + 10);
      var tx = svg("text", { x: right ? xm - 3 : xm + 3, y: g.T + 10, "font-size": 10, fill: m.color, "text-anchor": right ? "end" : "start" });
      tx.textContent = m.name;
      s.appendChild(tx);
    });
    if (this.pick != null && this.pick >= this.v0 && this.pick <= this.v1)
      s.appendChild(svg("line", { x1: g.x(this.pick), y1: g.T, x2: g.x(this.pick), y2: g.H - g.B, stroke: "#1d2328", "stroke-width": 1 }));
    c.sel = svg("rect", { x: 0, y: g.T, width: 0, height: g.H - g.T - g.B, fill: "#4e79a7", "fill-opacity": 0.15, visibility: "hidden" });
    c.guide = svg("line", { x1: 0, y1: g.T, x2: 0, y2: g.H - g.B, stroke: "#555", "stroke-width": 0.8, visibility: "hidden" });
    s.appendChild(c.sel);
    s.appendChild(c.guide);
  };
  Timeline.prototype.tipText = function (c, t) {
    var i = this.bucketAt(t), lines = [c.label + "  at " + secs(t)];
    if (this.w > 1000) lines[0] += "  (bucket of " + (this.w / 1e6).toFixed(3) + " ms)";
    c.series.forEach(function (sr) {
      var v = sr.d.last[i], pk = sr.d.peak[i], n = sr.d.count[i];
      lines.push((sr.type === "heap" ? "heap" : sr.type) + ": " + bytes(v) + " in " + group3(n) + (sr.type === "heap" ? " blocks" : " buffers") + (pk > v ? ", peak " + bytes(pk) : ""));
    });
    if (!c.series.length) lines.push("no device memory recorded");
    return lines.join("\n");
  };
  Timeline.prototype.wire = function (c) {
    var self = this, down = null;
    function xOf(ev) { var r = c.svg.getBoundingClientRect(); return (ev.clientX - r.left) / r.width * self.geom(c).W; }
    c.svg.addEventListener("mousemove", function (ev) {
      var g = self.geom(c), x = Math.max(g.L, Math.min(g.W - g.R, xOf(ev))), t = g.t(x);
      c.guide.setAttribute("x1", x); c.guide.setAttribute("x2", x); c.guide.setAttribute("visibility", "visible");
      c.tip.textContent = self.tipText(c, t);
      c.tip.style.display = "block";
      var r = c.svg.getBoundingClientRect(), px = ev.clientX - r.left;
      c.tip.style.left = (px > r.width * 0.6 ? px - c.tip.offsetWidth - 12 : px + 12) + "px";
      c.tip.style.top = "24px";
      if (down != null) {
        var a = Math.min(down, x), b = Math.max(down, x);
        c.sel.setAttribute("x", a); c.sel.setAttribute("width", b - a); c.sel.setAttribute("visibility", "visible");
      }
    });
    c.svg.addEventListener("mouseleave", function () { c.tip.style.display = "none"; c.guide.setAttribute("visibility", "hidden"); down = null; c.sel.setAttribute("visibility", "hidden"); });
    c.svg.addEventListener("mousedown", function (ev) { down = xOf(ev); ev.preventDefault(); });
    c.svg.addEventListener("mouseup", function (ev) {
      if (down == null) return;
      var g = self.geom(c), x = xOf(ev), a = Math.min(down, x), b = Math.max(down, x);
      down = null;
      if (b - a > 4) self.zoom(g.t(Math.max(a, g.L)), g.t(Math.min(b, g.W - g.R)));
      else if (self.onpick) { self.pick = g.t(x); self.draw(); self.onpick(self.pick); }
    });
    c.svg.addEventListener("dblclick", function () { self.zoom(0, Math.max(self.p.duration_ns, 1)); });
  };
  Timeline.prototype.zoom = function (a, b) {
    if (b - a < 1000) b = a + 1000; /* 1 us at least */
    this.v0 = Math.max(0, a); this.v1 = b;
    this.draw();
    if (this.onzoom) this.onzoom();
  };

  /* ---- icicle flame graph: root on top, callees below, width = bytes */
  function tree(stacks, rootName) {
    var root = { name: rootName, v: 0, kids: {}, order: [] };
    stacks.forEach(function (s) {
      var n = root;
      root.v += s.v;
      for (var i = s.frames.length - 1; i >= 0; i--) {
        var f = s.frames[i], key = f[0];
        if (!n.kids[key]) { n.kids[key] = { name: key, loc: f[1], v: 0, kids: {}, order: [] }; n.order.push(key); }
        n = n.kids[key];
        n.v += s.v;
      }
    });
    return root;
  }
  function short(fn) {
    /* drop the trailing parameter list: "f(int, char)" -> "f", but keep
     * "(anonymous namespace)" and lambdas' parentheses inside the name */
    var s = fn;
    if (/\)( const)?$/.test(s)) {
      var depth = 0, i = s.length - 1;
      for (; i >= 0; i--) {
        if (s[i] === ")") depth++;
        else if (s[i] === "(" && --depth === 0) break;
      }
      if (i > 0) s = s.slice(0, i);
    }
    return s.length > 80 ? "..." + s.slice(-77) : s;
  }
  function icicle(box, root, unit) {
    box.innerHTML = "";
    if (!root.v) { box.appendChild(el("p", { cls: "mut", text: "Nothing to show." })); return; }
    var focus = root, W = WIDTH, RH = 18;
    function depth(n) { var d = 0; n.order.forEach(function (k) { d = Math.max(d, depth(n.kids[k])); }); return d + 1; }
    function draw() {
      var H = depth(focus) * RH + 2, s = svg("svg", { viewBox: "0 0 " + W + " " + H, height: H });
      var hue = 0;
      function walk(n, x, w, d) {
        if (w < 0.5) return;
        hue = (hue + 37) % 360;
        var r = svg("rect", { x: x, y: d * RH, width: Math.max(w, 0.5), height: RH - 1, fill: d === 0 ? "#c9d3dd" : "hsl(" + (20 + hue % 40) + ",80%," + (62 + (hue % 20)) + "%)" });
        var t = svg("title", {});
        t.textContent = n.name + (n.loc ? "  " + n.loc : "") + "\n" + bytes(n.v) + " (" + (100 * n.v / root.v).toFixed(1) + "% of " + unit + ")";
        r.appendChild(t);
        r.addEventListener("click", function () { focus = n === focus ? root : n; draw(); });
        s.appendChild(r);
        if (w > 40) {
          var tx = svg("text", { x: x + 4, y: d * RH + 13 });
          var label = short(n.name), room = Math.floor((w - 8) / 6.5);
          tx.textContent = label.length > room ? label.slice(0, Math.max(room - 2, 1)) + ".." : label;
          s.appendChild(tx);
        }
        var cx = x;
        n.order.slice().sort(function (a, b) { return n.kids[b].v - n.kids[a].v; }).forEach(function (k) {
          var c = n.kids[k], cw = w * c.v / n.v;
          walk(c, cx, cw, d + 1);
          cx += cw;
        });
      }
      walk(focus, 0, W, 0);
      box.innerHTML = "";
      box.appendChild(s);
    }
    draw();
  }

  /* ---- survivors and dangling groups, folded; the body is built on open */
  function frameList(frames, initDepthMarked) {
    var ol = el("ol", { cls: "stack" });
    frames.forEach(function (f) {
      var li = el("li", { cls: f[2] && initDepthMarked ? "init" : "" }, [
        el("span", { cls: "fn" }, [f[3] ? el("span", { cls: "tag", text: "py" }) : null, f[2] && initDepthMarked ? el("span", { cls: "tag mark", text: "init" }) : null, f[0]]),
        el("span", { cls: "loc", text: f[1] || "" })]);
      ol.appendChild(li);
    });
    return ol;
  }
  function groupBody(g, dangling) {
    var b = el("div", { cls: "body" });
    /* made_at: from Python, the line that made it (as the text report) */
    b.appendChild(el("div", { text: g.held_text ? g.held_text : g.held_by === "program" ? "held by the program: " + (g.mesh_buffers ? "a tensor (MeshBuffer)" : "a buffer it created") + (g.made_at ? " made at " + g.made_at + "," : "") + " still referenced when " + g.closed_by + " closed it"
      : "held by the runtime: " + (dangling ? "an object the runtime keeps (program cache) past the close" : "a control buffer it made while opening the device") }));
    b.appendChild(el("div", { text: (dangling ? "memory released in bulk by allocator teardown, object alive after " : g.held_text ? "referenced after " : "alive after ") + g.closed_by + " at " + secs(g.close_ns) }));
    if (!g.held_text) /* tt-metal's: OpenCL and Vulkan objects have no such thing */
      b.appendChild(el("div", { text: (g.owns_data === 0 ? "created at pre-existing addresses (owns_data=false)" : g.owns_data === 1 ? "owning buffers (owns_data=true)" : "owns_data unknown (the create call was not seen)") + "; " + (g.registered ? "registered with an allocator" : "never registered with an allocator") }));
    if (!g.held_text) b.appendChild(el("div", { text: g.open_call ? "created during " + (/mesh/i.test(g.open_call) ? "mesh" : "device") + " init: " + g.open_call : "created after init" + (g.top_call ? ", under " + g.top_call : "") }));
    var fates = [];
    g.fates.forEach(function (n, i) { if (n) fates.push(n + " " + FATES[i]); });
    b.appendChild(el("div", { text: "fate: " + fates.join(", ") }));
    if (g.gil_released) b.appendChild(el("div", { text: "made from Python with the GIL released (ctypes.CDLL, a binding's gil_scoped_release): its Python callers cannot be read" }));
    var marked = g.frames.some(function (f) { return f[2]; });
    b.appendChild(el("div", { cls: "mut", text: marked ? "creation stack, init path marked (open call -> Buffer::create):" : "creation stack:" }));
    b.appendChild(frameList(g.frames, true));
    var tb = el("table", { cls: "bufs" }, [el("tr", {}, ["device", "type", "address", "size", "created", "died"].map(function (h) { return el("th", { text: h }); }))]);
    g.buffers.forEach(function (x) {
      tb.appendChild(el("tr", {}, [x[0] < 0 ? "?" : (x[7] ? "mesh " : "") + String(x[0]), x[1], x[2] || "-", group3(x[3]), secs(x[4]), x[5] == null ? "never" : secs(x[5])].map(function (v) { return el("td", { cls: "mono", text: v }); })));
    });
    b.appendChild(tb);
    if (g.nbufs > g.buffers.length) b.appendChild(el("div", { cls: "mut", text: "... " + (g.nbufs - g.buffers.length) + " more buffers" }));
    return b;
  }
  function groupEl(g, idx, dangling) {
    var d = el("details", { cls: "group", "data-bytes": g.bytes, "data-count": g.count, "data-verdict": dangling ? "dangling" : "survivor" });
    var sum = el("summary", {}, [
      el("b", { text: "#" + idx + "  " + (g.heading || (g.count + " buffer" + (g.count === 1 ? "" : "s") + ", " + human(g.bytes) + " of " + g.types + " on device" + (g.devices.indexOf(",") >= 0 ? "s " : " ") + g.devices + (g.mesh >= 0 ? " (mesh " + g.mesh + ")" : ""))) }),
      el("span", { cls: "verdict " + (dangling ? "dangling" : "survivor"), text: dangling ? "dangling" : "survivor" }),
      el("span", { cls: "mut", text: "  " + (g.held_text ? "" /* OpenCL, Vulkan: no init phase */ : (g.phase === "init" ? "init path" : "after init") + " \u00b7 ") + short(g.frames.length > 1 ? g.frames[1][0] : g.frames.length ? g.frames[0][0] : "?") })]);
    d.appendChild(sum);
    d.addEventListener("toggle", function () {
      if (d.open && !d.built) { d.built = true; d.appendChild(groupBody(g, dangling)); }
    });
    return d;
  }

  /* ---- one process */
  function process(p, root) {
    var sec = el("section", { cls: "proc", "data-pid": p.pid });
    root.appendChild(sec);
    sec.appendChild(el("h2", { text: base(p.exe) + "  (pid " + p.pid + ")" }));
    var dl = el("dl", { cls: "head" });
    [["command", p.cmdline || "?"], ["pid / ppid", p.pid + " / " + p.ppid],
     ["started", p.start_realtime_ns ? new Date(p.start_realtime_ns / 1e6).toISOString() : "?"],
     ["duration", secs(p.duration_ns).replace("+", "")],
     ["events", group3(p.events) + (p.lost ? ", " + group3(p.lost) + " missing from the trace" : "") + (p.complete ? "" : p.running ? " (still running: what it has written so far)" : " (trace incomplete: the process was killed, or its recorder stopped early)")],
     ["trace", p.trace]].forEach(function (kv) { dl.appendChild(el("dt", { text: kv[0] })); dl.appendChild(el("dd", { cls: kv[0] === "command" || kv[0] === "trace" ? "mono" : "", text: kv[1] })); });
    sec.appendChild(dl);
    if (p.error) sec.appendChild(el("p", { cls: "err", text: "damage: " + p.error }));
    p.warnings.forEach(function (w) { sec.appendChild(el("p", { cls: "mut", text: "note: " + w })); });
    if (p.anomalies.length) {
      var ul = el("ul", { cls: "anom" });
      p.anomalies.forEach(function (a) {
        ul.appendChild(el("li", { cls: "mono", text: a.kind + "  x" + a.count + "  " + a.message + (a.frames.length ? "  at " + a.frames.slice(0, 2).map(function (f) { return short(f[0]); }).join(" <- ") : "") }));
      });
      sec.appendChild(ul);
    }

    /* timeline */
    sec.appendChild(el("h3", { text: "Live device memory by buffer type" }));
    var legend = el("div", { cls: "legend" });
    var used = {};
    p.devices.forEach(function (d) { for (var t in d.tracks) used[t] = 1; });
    TYPES.forEach(function (t) { if (used[t]) legend.appendChild(el("span", {}, [el("i", { style: "background:" + COLORS[t] }), t])); });
    legend.appendChild(el("span", { cls: "mut", text: "line: bytes at each point; band: peak. Drag to zoom, double-click to reset, click to pick a time." }));
    sec.appendChild(legend);
    var tl = new Timeline(p);
    var reset = el("button", { text: "reset zoom" });
    reset.addEventListener("click", function () { tl.zoom(0, Math.max(p.duration_ns, 1)); });
    var range = el("span", { cls: "mut" });
    sec.appendChild(el("div", { cls: "controls" }, [reset, " ", range]));
    tl.onzoom = function () { range.textContent = "showing " + secs(tl.v0) + " .. " + secs(tl.v1); };
    tl.onzoom();
    var exitM = { t: p.duration_ns, name: "exit", color: "#5f6b76" };
    /* meshes first: their chips' memory summed */
    var devs = p.devices.filter(function (d) { return d.kind === "mesh"; }).concat(p.devices.filter(function (d) { return d.kind !== "mesh"; }));
    devs.forEach(function (d) {
      if (d.kind === "mesh") { /* survivors are its chips' */
        d.surv_count = 0; d.surv_bytes = 0;
        p.devices.forEach(function (c) { if (c.kind === "chip" && c.mesh_id === d.mesh_id) { d.surv_count += c.surv_count; d.surv_bytes += c.surv_bytes; } });
      }
      var box = el("div", { cls: "chart", "data-device": d.label });
      box.appendChild(el("div", { cls: "lab" }, [d.label, el("span", { cls: "mut", text: d.closed_ns != null ? "  closed by " + d.closed_by + " at " + secs(d.closed_ns) + (d.surv_count ? ": " + d.surv_count + " buffers (" + bytes(d.surv_bytes) + ") left" : ": nothing left") : "  never closed" })]));
      sec.appendChild(box);
      var markers = [];
      if (d.opened_ns != null) markers.push({ t: d.opened_ns, name: "open", color: "#2e7d32" });
      if (d.closed_ns != null) markers.push({ t: d.closed_ns, name: "close (" + d.closed_by.replace(/.*::/, "") + ")", color: "#c0392b" });
      markers.push(exitM);
      var c = tl.add(d.label, d, d.tracks, markers, box);
      /* what the timeline holds just after the close, and the verdict's numbers */
      if (d.closed_ns != null) {
        var i = tl.bucketAt(d.closed_ns);
        c.series.forEach(function (sr) { box.setAttribute("data-after-close-" + sr.type, sr.d.last[i]); });
      }
      for (var t in d.surv_by_type) box.setAttribute("data-survivors-" + t, d.surv_by_type[t]);
    });
    if (!p.devices.length) sec.appendChild(el("p", { cls: "mut", text: "No device memory in this trace." }));

    /* survivors */
    var count = 0, total = 0;
    p.survivors.forEach(function (g) { count += g.count; total += g.bytes; });
    sec.appendChild(el("h3", { text: p.survivors.length ? count + " buffer" + (count === 1 ? "" : "s") + " (" + human(total) + ") outlived the close of their device, from " + p.survivors.length + " creation path" + (p.survivors.length === 1 ? "" : "s") : "No buffer outlived the close of its device." }));
    var list = el("div", { cls: "groups survivors" });
    p.survivors.forEach(function (g, i) { list.appendChild(groupEl(g, i + 1, false)); });
    sec.appendChild(list);
    if (p.dangling.length) {
      sec.appendChild(el("h3", { text: "Dangling: buffer objects alive after close whose memory the allocator teardown released (use-after-close risk)" }));
      var dlist = el("div", { cls: "groups dangling" });
      p.dangling.forEach(function (g, i) { dlist.appendChild(groupEl(g, i + 1, true)); });
      sec.appendChild(dlist);
    }

    /* flame graphs */
    if (p.survivors.length) {
      sec.appendChild(el("h3", { text: "Creation stacks of the survivors' bytes" }));
      var fbox = el("div", { cls: "flame survivors" });
      sec.appendChild(fbox);
      icicle(fbox, tree(p.survivors.map(function (g) { return { v: g.bytes, frames: g.frames }; }), "all survivors"), "survivors");
    }
    if (p.live_stacks || p.survivors.length) {
      var pickH = el("h3", {});
      var pbox = el("div", { cls: "flame pick" });
      sec.appendChild(pickH);
      sec.appendChild(pbox);
      var firstClose = null;
      p.devices.forEach(function (d) { if (d.closed_ns != null && (firstClose == null || d.closed_ns < firstClose)) firstClose = d.closed_ns; });
      var ls = p.live_stacks;
      if (ls) ls.stacks.forEach(function (st) { st.d = dense(st.series, Math.max(ls.nb, 1)); });
      var pick = function (t) {
        var stacks = [], total = 0;
        if (ls) { /* every buffer alive then, per creation stack (value at the end of its bucket) */
          var j = Math.max(0, Math.min(ls.nb - 1, Math.floor(t / ls.bucket_ns)));
          ls.stacks.forEach(function (st) { var v = st.d.last[j]; if (v > 0) { stacks.push({ v: v, frames: st.frames }); total += v; } });
        } else {
          p.survivors.forEach(function (g) {
            var v = 0;
            g.buffers.forEach(function (x) { if (x[4] <= t && (x[5] == null || x[5] > t)) v += x[3]; });
            if (v) stacks.push({ v: v, frames: g.frames });
          });
        }
        pickH.textContent = (ls ? "All device memory alive at " + secs(t) + " by creation stack (" + bytes(total) + (ls.bucket_ns > 1000 ? ", to " + (ls.bucket_ns / 1e6).toFixed(3) + " ms" : "") + ")" : "Survivors' bytes alive at " + secs(t)) + ": click the timeline to pick another time";
        pbox.setAttribute("data-picked-ns", Math.round(t));
        pbox.setAttribute("data-alive-bytes", total);
        icicle(pbox, tree(stacks, "alive at " + secs(t)), "bytes alive then");
      };
      tl.onpick = pick;
      /* by default: after the first close, before the exit (what was left) */
      tl.pick = firstClose != null ? firstClose + (p.duration_ns - firstClose) / 2 : p.duration_ns;
      pick(tl.pick);
    }

    /* host memory */
    if (p.leaks) {
      var lb = 0, lc = 0;
      p.leaks.groups.forEach(function (g) { lb += g.bytes; lc += g.count; });
      sec.appendChild(el("h3", { text: "Host memory never freed: " + group3(lc) + " blocks, " + bytes(lb) + ", from " + p.leaks.ngroups + " allocation stacks (" + group3(p.leaks.mallocs) + " allocations, " + group3(p.leaks.frees) + " frees)" }));
      if (p.host_heap) {
        var hbox = el("div", { cls: "chart", "data-device": "host heap" });
        hbox.appendChild(el("div", { cls: "lab", text: "host heap (blocks allocated, not yet freed)" }));
        sec.appendChild(hbox);
        tl.add("host heap", null, { heap: p.host_heap }, [exitM], hbox);
      }
      var hl = el("div", { cls: "groups leaks" });
      p.leaks.groups.forEach(function (g, i) {
        var d = el("details", { cls: "group", "data-bytes": g.bytes });
        d.appendChild(el("summary", {}, [el("b", { text: "#" + (i + 1) + "  " + g.count + " block" + (g.count === 1 ? "" : "s") + ", " + bytes(g.bytes) }), el("span", { cls: "mut", text: "  " + (g.frames.length ? short(g.frames[Math.min(1, g.frames.length - 1)][0]) : "?") })]));
        d.addEventListener("toggle", function () { if (d.open && !d.built) { d.built = true; d.appendChild(el("div", { cls: "body" }, [frameList(g.frames, false)])); } });
        hl.appendChild(d);
      });
      sec.appendChild(hl);
    }
    return tl;
  }

  function main() {
    var app = document.getElementById("app");
    app.textContent = "";
    WIDTH = Math.max(400, app.clientWidth - 48); /* #app's padding */
    app.appendChild(el("h1", { text: "buftrace report" }));
    var ev = 0;
    D.processes.forEach(function (p) { ev += p.events; });
    app.appendChild(el("p", { cls: "mut", text: D.processes.length + " process" + (D.processes.length === 1 ? "" : "es") + ", " + group3(ev) + " events \u00b7 buftrace " + D.version }));
    var tls = D.processes.map(function (p) { return process(p, app); });
    tls.forEach(function (t) { t.draw(); });
    window.addEventListener("resize", function () {
      WIDTH = Math.max(400, app.clientWidth - 48);
      tls.forEach(function (t) { t.draw(); });
    });
    app.appendChild(el("footer", { text: "Made by buftrace " + D.version + " (report --format html). Self-contained: no network, no external files." }));
    document.body.setAttribute("data-rendered", "1");
    /* parse and draw time: the large-trace check reads it */
    document.body.setAttribute("data-render-ms", Math.round(performance.now() - T0));
    if (location.hash === "#selftest") selftest();
    if (location.hash === "#open") { /* the README's screenshot: first survivor open */
      var g = document.querySelector("details.group");
      if (g) g.open = true;
    }
  }

  /* Clicks the first survivor and records whether its stack opened. */
  function selftest() {
    var d = document.querySelector("details.group");
    var r = [];
    if (!d) { document.body.setAttribute("data-selftest", "no-survivor"); return; }
    d.querySelector("summary").click();
    setTimeout(function () {
      var st = d.querySelector("ol.stack");
      r.push(d.open ? "open" : "closed");
      r.push(st && st.offsetHeight > 0 ? "stack-visible" : "no-stack");
      r.push("frames=" + (st ? st.children.length : 0));
      var chart = document.querySelector(".chart svg");
      if (chart) {
        var b = chart.getBoundingClientRect();
        chart.dispatchEvent(new MouseEvent("mousemove", { clientX: b.left + b.width / 2, clientY: b.top + 20, bubbles: true }));
        var tip = chart.parentNode.querySelector(".tip");
        r.push(tip && tip.style.display === "block" && tip.textContent.length ? "hover-ok" : "hover-none");
      }
      document.body.setAttribute("data-selftest", r.join(" "));
    }, 50);
  }

  window.addEventListener("error", function (e) {
    document.body.setAttribute("data-error", String(e.message));
  });
  main();
})();
