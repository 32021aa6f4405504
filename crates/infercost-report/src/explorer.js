// The report's explorer (see explorer.rs): re-prices the plan's bills for the selected deployment, volume,
// context, burst and prices, synchronously in the controls' input/change handlers. Plain JavaScript, no network.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("ic-data").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var root = $("ic-explorer");
  var priceInputs = Array.prototype.slice.call(root.querySelectorAll("input[data-plan]"));
  var P = D.plans.map(function (p) { return p.p; });

  function readPrices() {
    priceInputs.forEach(function (inp) {
      var i = D.plans.findIndex(function (p) { return p.n === inp.dataset.plan; });
      var x = parseFloat(inp.value);
      if (i >= 0) P[i] = isFinite(x) && x >= 0 ? x : D.plans[i].p;
    });
  }
  function same(i) { return P[i] === D.plans[i].p; }
  // A fleet's GPU line in micro-dollars, rounded once as the planner's bills round it.
  function gpuMicro(f) {
    var pl = D.plans[f.p], b = pl.b;
    // A mix of plans: the cheapest of its ways of buying the day, each layer's GPU-hours at its plan's price,
    // summed in the planner's order (committed, spot, on-demand).
    if (f.m) {
      var all = same(f.p) && (f.m.s === null || same(f.m.s)) && f.m.x.every(function (x) { return x[0] < 0 || same(x[0]); });
      if (all) return f.g;
      return mixPick(f).usd;
    }
    if (same(f.p) && (b === null || same(b))) return f.g;
    if (f.l && b !== null) {
      var best = Infinity;
      f.l.forEach(function (x) { best = Math.min(best, Math.round((x[0] * P[f.p] + x[1] * P[b]) * 1e6)); });
      return best;
    }
    return Math.round(f.h * P[f.p] * 1e6);
  }
  // A mix's cheapest way of buying the day at the page's prices: its micro-dollars and its term plan (or -1) and
  // whether it uses spot.
  function mixPick(f) {
    var best = null;
    f.m.x.forEach(function (x) {
      var committed = x[0] >= 0 ? x[1] * P[x[0]] : 0;
      var spot = f.m.s !== null && x[2] > 0 ? x[2] * P[f.m.s] : 0;
      var usd = Math.round((committed + spot + x[3] * P[f.p]) * 1e6);
      if (best === null || usd < best.usd) best = { usd: usd, term: x[0], spot: x[2] > 0 };
    });
    return best;
  }
  // A fleet's plan as shown: a mix names its term and spot plans too.
  function fleetName(f) {
    var n = D.plans[f.p].n;
    if (!f.m) return n;
    var pick = mixPick(f);
    if (pick.term >= 0) n += " + " + D.plans[pick.term].n;
    if (pick.spot) n += " + " + D.plans[f.m.s].n;
    return n + " (mix)";
  }
  function fleetMicro(f) { return gpuMicro(f) + f.e + f.t + f.a; }
  // A chosen fleet is billed on the cheapest plan of its jurisdiction, as the planner bills it.
  function best(f) {
    var pick = f, m = fleetMicro(f);
    (f.alt || []).forEach(function (a) {
      var x = fleetMicro(a);
      if (x < m) { pick = a; m = x; }
    });
    return pick;
  }
  function optionUsd(o) {
    if (o.fix !== undefined) return o.fix;
    var s = 0;
    o.f.forEach(function (f) { s += fleetMicro(best(f)) / 1e6; });
    return s;
  }
  function optionName(o) {
    if (o.fix !== undefined || !o.f[0]) return o.n;
    if (o.f[0].u === undefined) return o.f[0].m ? fleetName(o.f[0]) : o.n;
    var names = [];
    o.f.forEach(function (f) {
      var n = fleetName(best(f));
      if (names[names.length - 1] !== n) names.push(n);
    });
    return names.join(" + ");
  }
  // The cheapest lawful option over GPUs at one sweep point, or null.
  function cheapest(di, vi, ci, bi) {
    var best = null;
    (D.cells[di + "|" + vi + "|" + ci + "|" + bi] || []).forEach(function (g) {
      g.o.forEach(function (o) {
        var usd = optionUsd(o);
        if (best === null || usd < best.usd) best = { usd: usd, gpu: g.g, option: o };
      });
    });
    return best;
  }
  // Log–log through the swept points, as infercost_plan::analysis::interpolate does.
  function interpolate(curve, x) {
    var pts = curve.filter(function (p) { return p[0] > 0 && p[1] > 0; });
    if (!pts.length) return null;
    if (pts.length === 1 || x <= pts[0][0]) return pts[0][1];
    var i = pts.findIndex(function (p, k) { return k > 0 && x <= p[0]; });
    i = i < 0 ? pts.length - 2 : i - 1;
    var x0 = pts[i][0], y0 = pts[i][1], x1 = pts[i + 1][0], y1 = pts[i + 1][1];
    var t = (Math.log(x) - Math.log(x0)) / (Math.log(x1) - Math.log(x0));
    return Math.exp(Math.log(y0) + t * (Math.log(y1) - Math.log(y0)));
  }
  // Money as infercost_core::fmt::usd writes it, so a figure reads the same here as in the report's text:
  // $3.50 below $100, $2,008 below $10k, $44.2k below $1M, $3.50M, $1.23B, then scientific past a trillion.
  function fixed(x, d) {
    // Rust rounds an exact tie (its exact decimal ends in that 5) to even; toFixed rounds it up.
    var e = x.toFixed(100), i = e.indexOf(".") + d + 1;
    var tie = e.charAt(i) === "5" && /^0*$/.test(e.slice(i + 1));
    return tie && Number(e.charAt(i - 1)) % 2 === 0 ? e.slice(0, i) : x.toFixed(d);
  }
  function grouped(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  function money(x) {
    if (!isFinite(x)) return "\u2014";
    var a = Math.abs(x), s;
    if (a >= 1e12) s = "$" + a.toExponential(2).replace("e+", "e");
    else if (a >= 1e9) s = "$" + fixed(a / 1e9, 2) + "B";
    else if (a >= 1e6) s = "$" + fixed(a / 1e6, 2) + "M";
    else if (a >= 1e4) s = "$" + fixed(a / 1e3, 1) + "k";
    else if (a >= 100) s = "$" + grouped(Math.round(a));
    else s = "$" + fixed(a, 2);
    return x < 0 && s !== "$0.00" ? "-" + s : s;
  }
  function num(x) { var s = String(x); return /[.e]/.test(s) ? s : s + ".0"; }
  function cell(tag, text, cls) {
    var e = document.createElement(tag);
    e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function selection() {
    var di = D.deps.indexOf($("ic-deployment").value);
    var ci = D.ctxs.indexOf(parseFloat($("ic-context").value));
    var bi = D.bursts.indexOf(parseFloat($("ic-burst").value));
    var v = parseFloat($("ic-volume").value);
    var lo = D.vols[0], hi = D.vols[D.vols.length - 1], note = "";
    var times = function (x) { return x.toLocaleString("en-US") + "\u00d7"; };
    if (!isFinite(v)) {
      v = lo;
      note = "(not a number: showing " + times(lo) + ")";
    } else if (v < lo || v > hi) {
      v = Math.min(hi, Math.max(lo, v));
      note = "(clamped to the swept range " + times(lo) + "\u2013" + times(hi) + ")";
    }
    return { di: di, ci: ci, bi: bi, v: v, note: note };
  }

  function renderBill(pt, note) {
    var box = $("ic-bill");
    box.textContent = "";
    if (!pt) { box.appendChild(cell("p", "No lawful fleet at this point.", "note")); return; }
    if (note) box.appendChild(cell("p", note, "note"));
    var t = document.createElement("table"), head = document.createElement("tr");
    ["users", "plan", "policy", "GPUs at peak", "GPU", "egress", "transfer", "API", "total"].forEach(function (h) {
      head.appendChild(cell("th", h));
    });
    t.appendChild(head);
    var o = pt.option;
    if (o.fix !== undefined) {
      var tr = document.createElement("tr");
      tr.appendChild(cell("td", "all"));
      tr.appendChild(cell("td", o.n + " (planned total, its fleets are not in the result)"));
      for (var k = 0; k < 6; k++) tr.appendChild(cell("td", ""));
      tr.appendChild(cell("td", money(o.fix), "num"));
      t.appendChild(tr);
    } else {
      o.f.forEach(function (own) {
        var f = best(own), moved = f !== own;
        var tr = document.createElement("tr");
        tr.appendChild(cell("td", own.u === undefined ? "all" : own.u + (own["in"] ? " (in " + own["in"] + ")" : "")));
        tr.appendChild(cell("td", fleetName(f)));
        tr.appendChild(cell("td", moved ? "cheapest at these prices" : (own.pol || o.pol || "")));
        tr.appendChild(cell("td", String(f.r * f.tp), "num"));
        [gpuMicro(f), f.e, f.t, f.a, fleetMicro(f)].forEach(function (m) { tr.appendChild(cell("td", money(m / 1e6), "num")); });
        t.appendChild(tr);
      });
    }
    box.appendChild(t);
  }

  function renderChart(curve, sel, usd) {
    var W = 640, H = 240, L = 70, R = 20, T = 15, B = 40, NS = "http://www.w3.org/2000/svg";
    var pts = curve.filter(function (p) { return p[1] > 0; });
    var box = $("ic-chart");
    box.textContent = "";
    if (!pts.length) return;
    var ys = pts.map(function (p) { return p[1]; }).concat(usd ? [usd] : []);
    var x0 = Math.log(D.vols[0]), x1 = Math.log(D.vols[D.vols.length - 1]);
    var y0 = Math.log(Math.min.apply(null, ys)), y1 = Math.log(Math.max.apply(null, ys));
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
    var sx = function (v) { return L + (Math.log(v) - x0) / (x1 - x0) * (W - L - R); };
    var sy = function (u) { return H - B - (Math.log(u) - y0) / (y1 - y0) * (H - T - B); };
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("class", "chart");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "Cheapest lawful cost against volume, log–log, with the selection marked");
    function el(name, attrs, text) {
      var e = document.createElementNS(NS, name);
      Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
      if (text !== undefined) e.textContent = text;
      svg.appendChild(e);
      return e;
    }
    el("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#444" });
    el("line", { x1: L, y1: T, x2: L, y2: H - B, stroke: "#444" });
    el("polyline", {
      points: pts.map(function (p) { return sx(p[0]) + "," + sy(p[1]); }).join(" "),
      fill: "none", stroke: "#0072B2", "stroke-width": 2.5
    });
    pts.forEach(function (p) {
      el("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 3.5, fill: "#0072B2" });
      el("text", { x: sx(p[0]), y: H - B + 16, "text-anchor": "middle", "font-size": 11 }, p[0] + "×");
    });
    el("text", { x: L - 6, y: sy(pts[0][1]) + 4, "text-anchor": "end", "font-size": 11 }, money(pts[0][1]));
    var last = pts[pts.length - 1];
    el("text", { x: L - 6, y: sy(last[1]) + 4, "text-anchor": "end", "font-size": 11 }, money(last[1]));
    if (usd) el("circle", { cx: sx(sel.v), cy: sy(usd), r: 6, fill: "#D55E00", stroke: "#000" });
    el("text", { x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle", "font-size": 12 }, "volume (× pilot), USD per month on log scales");
    box.appendChild(svg);
  }

  function toml(sel) {
    var t = D.toml, s = t.head + (t.deps[sel.di] || "");
    // A sweep must include the pilot (1×) on each axis; the selection is the other value.
    var axis = function (x) { return "[" + (x === 1 ? "1.0" : "1.0, " + num(x)) + "]"; };
    s += "\n[sweep]\nvolume = " + axis(sel.v) + "\ncontext = " + axis(D.ctxs[sel.ci]) + "\nburst = " + axis(D.bursts[sel.bi]) + "\n" + t.gpus + t.tail;
    D.plans.forEach(function (p, i) {
      if (!same(i) && p.toml) s += p.toml.replace("@PRICE@", num(P[i]));
    });
    return s;
  }

  function update() {
    readPrices();
    var sel = selection();
    var curve = D.vols.map(function (v, vi) {
      var c = cheapest(sel.di, vi, sel.ci, sel.bi);
      return [v, c ? c.usd : 0];
    });
    var vi = D.vols.indexOf(sel.v), out = $("ic-usd-per-month"), usd = null, pt = null, note = "";
    if (vi >= 0) {
      pt = cheapest(sel.di, vi, sel.ci, sel.bi);
      usd = pt ? pt.usd : null;
      $("ic-interp").textContent = "";
    } else {
      usd = interpolate(curve, sel.v);
      var below = 0;
      D.vols.forEach(function (v, k) { if (v < sel.v) below = k; });
      pt = cheapest(sel.di, below, sel.ci, sel.bi);
      $("ic-interp").textContent = "(interpolated between sweep points)";
      note = "Between sweep points: the bill of the sweep point below, at " + D.vols[below] + "×.";
    }
    $("ic-volume-note").textContent = sel.note;
    out.dataset.usd = usd === null ? "" : String(usd);
    out.textContent = usd === null ? "no lawful fleet" : money(usd);
    $("ic-plan").textContent = pt ? optionName(pt.option) + " (" + pt.gpu + ")" : "—";
    renderBill(pt, note);
    renderChart(curve, sel, usd);
    $("ic-toml").value = toml(sel);
  }

  ["ic-deployment", "ic-volume", "ic-context", "ic-burst"].forEach(function (id) {
    $(id).addEventListener("input", update);
    $(id).addEventListener("change", update);
  });
  priceInputs.forEach(function (inp) {
    inp.addEventListener("input", update);
    inp.addEventListener("change", update);
  });
  $("ic-reset").addEventListener("click", function () {
    priceInputs.forEach(function (inp) {
      var p = D.plans.find(function (x) { return x.n === inp.dataset.plan; });
      if (p) inp.value = p.p;
    });
    update();
  });
  $("ic-copy").addEventListener("click", function () {
    var text = $("ic-toml").value, done = function () { $("ic-copied").textContent = "copied"; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { $("ic-toml").select(); document.execCommand("copy"); done(); });
    } else {
      $("ic-toml").select();
      document.execCommand("copy");
      done();
    }
  });
  root.hidden = false;
  window.icExplorerUpdate = update;
  update();
})();
