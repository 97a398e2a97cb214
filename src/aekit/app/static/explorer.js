// aekit latent-space explorer: plain JavaScript, no libraries, nothing fetched.
// The page's data (a JSON script element) holds the points' plane coordinates, the plane, the
// points' thumbnails or values, and the decoder: an MLP's float32 weights run here in float64
// arithmetic, or a grid of outputs decoded beforehand.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("aekit-data").textContent);
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  var NO_LABEL_COLOR = "#999";

  function bytes(b64) {
    var s = atob(b64), a = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
    return a;
  }

  function floats(b64) {
    // little-endian float32 (as written by aekit); DataView reads them on any platform
    var b = bytes(b64), view = new DataView(b.buffer), n = b.length / 4, out = new Float32Array(n);
    for (var i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }

  // ---- activations (those of aekit.nn.activations) ----------------------------------------

  function erf(x) {
    // complementary error function by a Chebyshev-fitted exponential, fractional error < 1.2e-7
    var z = Math.abs(x), t = 1 / (1 + 0.5 * z);
    var r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
      t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? 1 - r : r - 1;
  }

  function activation(name, slope, approximate) {
    switch (name) {
      case "relu": return function (x) { return x > 0 ? x : 0; };
      case "leaky_relu": return function (x) { return x >= 0 ? x : slope * x; };
      case "elu": return function (x) { return x > 0 ? x : slope * Math.expm1(x); };
      case "gelu":
        if (approximate === "tanh") {
          var c = Math.sqrt(2 / Math.PI);
          return function (x) { return 0.5 * x * (1 + Math.tanh(c * (x + 0.044715 * x * x * x))); };
        }
        return function (x) { return 0.5 * x * (1 + erf(x / Math.SQRT2)); };
      case "tanh": return Math.tanh;
      case "sigmoid": return function (x) { return 1 / (1 + Math.exp(-x)); };
      case "linear": return function (x) { return x; };
    }
    throw new Error("aekit explorer: unknown activation " + name);
  }

  // The likelihood's output: elementwise, or a softmax over the row (word proportions).
  function outputActivation(name) {
    if (name === "softmax") {
      return function (y) {
        var m = -Infinity, s = 0, j;
        for (j = 0; j < y.length; j++) m = Math.max(m, y[j]);
        for (j = 0; j < y.length; j++) { y[j] = Math.exp(y[j] - m); s += y[j]; }
        for (j = 0; j < y.length; j++) y[j] /= s;
        return y;
      };
    }
    var f = name === "exp" ? function (x) { return Math.exp(Math.min(x, 20)); } : activation(name, 0, "none");
    return function (y) { for (var j = 0; j < y.length; j++) y[j] = f(y[j]); return y; };
  }

  // ---- the plane and the decoder ------------------------------------------------------------

  var plane = data.plane, k = plane.mean.length;

  function planeCode(u, v) {
    var z = new Float64Array(k);
    for (var j = 0; j < k; j++) z[j] = plane.mean[j] + u * plane.axes[0][j] + v * plane.axes[1][j];
    return z;
  }

  function mlpDecoder(spec) {
    var layers = spec.layers.map(function (l) { return { nIn: l.in, nOut: l.out, w: floats(l.w), b: floats(l.b) }; });
    var hidden = activation(spec.activation, spec.slope, spec.approximate), output = outputActivation(spec.output);
    var last = layers.length - 1, identity = activation("linear");
    return function (u, v) {
      var x = planeCode(u, v);
      for (var li = 0; li <= last; li++) {
        var L = layers[li], w = L.w, n = L.nIn, y = new Float64Array(L.nOut), f = li < last ? hidden : identity;
        for (var o = 0; o < L.nOut; o++) {
          var s = 0, base = o * n;
          for (var i = 0; i < n; i++) s += w[base + i] * x[i];
          y[o] = f(s + L.b[o]);
        }
        x = y;
      }
      return output(x);
    };
  }

  function gridDecoder(spec, width) {
    var values = floats(spec.values), g = spec.size, b = spec.bounds;
    return function (u, v) {
      var i = Math.floor((u - b[0]) / (b[1] - b[0]) * g), j = Math.floor((v - b[2]) / (b[3] - b[2]) * g);
      i = Math.min(g - 1, Math.max(0, i));
      j = Math.min(g - 1, Math.max(0, j));
      var start = (j * g + i) * width;
      return Float64Array.from(values.subarray(start, start + width));
    };
  }

  var decodeRaw = data.decoder.kind === "mlp" ? mlpDecoder(data.decoder) : gridDecoder(data.decoder, data.output.n);

  function path(u0, v0, u1, v1, method, steps) {
    // `steps` plane points from (u0, v0) to (u1, v1): straight, or along the arc about the mean code
    var out = [], c = data.center, a = [u0 - c[0], v0 - c[1]], b = [u1 - c[0], v1 - c[1]];
    var ra = Math.hypot(a[0], a[1]), rb = Math.hypot(b[0], b[1]);
    var cos = ra > 0 && rb > 0 ? (a[0] * b[0] + a[1] * b[1]) / (ra * rb) : 1;
    var omega = Math.acos(Math.min(1, Math.max(-1, cos))), sin = Math.sin(omega);
    for (var s = 0; s < steps; s++) {
      var t = steps > 1 ? s / (steps - 1) : 0;
      if (method === "slerp" && sin > 1e-7) {
        var p = Math.sin((1 - t) * omega) / sin, q = Math.sin(t * omega) / sin, r = (1 - t) * ra + t * rb;
        var du = p * a[0] / ra + q * b[0] / rb, dv = p * a[1] / ra + q * b[1] / rb;
        out.push([c[0] + r * du, c[1] + r * dv]);
      } else {
        out.push([u0 + t * (u1 - u0), v0 + t * (v1 - v0)]);
      }
    }
    return out;
  }

  // ---- drawing outputs ------------------------------------------------------------------------

  var range = data.output.range, lo = range[0], span = range[1] > range[0] ? range[1] - range[0] : 1;

  function inUnits(x, j) {
    // a table's value in its own units (the display scaling), else as the model has it
    return data.display ? x * data.display.scale[j] + data.display.offset[j] : x;
  }

  function drawImage(canvas, values, shape, size) {
    var c = shape[0], h = shape[1], w = shape[2], plane2 = h * w;
    canvas.width = w;
    canvas.height = h;
    canvas.style.width = size + "px";
    canvas.style.height = Math.round(size * h / w) + "px";
    var ctx = canvas.getContext("2d"), img = ctx.createImageData(w, h);
    for (var p = 0; p < plane2; p++) {
      for (var ch = 0; ch < 3; ch++) {
        var x = values[(c >= 3 ? ch : 0) * plane2 + p];
        img.data[4 * p + ch] = Math.round(255 * Math.min(1, Math.max(0, (x - lo) / span)));
      }
      img.data[4 * p + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  function drawBars(canvas, values, names, labelled) {
    var n = values.length, shown = Math.min(n, labelled ? 60 : 200), rowH = labelled ? 14 : 0;
    var width = labelled ? 380 : 70, height = labelled ? shown * rowH + 6 : 50, left = labelled ? 130 : 2;
    canvas.width = width;
    canvas.height = height;
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    var ctx = canvas.getContext("2d"), scale = Math.max(Math.abs(range[0]), Math.abs(range[1]), 1e-12);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, width, height);
    var zero = left + (width - left - 50 * (labelled ? 1 : 0)) / 2, half = (width - left - (labelled ? 50 : 0)) / 2 - 2;
    ctx.font = "11px system-ui, sans-serif";
    for (var i = 0; i < shown; i++) {
      var x = values[i], len = Math.max(-1, Math.min(1, x / scale)) * half;
      ctx.fillStyle = x >= 0 ? "#1f77b4" : "#d62728";
      if (labelled) {
        ctx.fillRect(Math.min(zero, zero + len), 3 + i * rowH, Math.abs(len), rowH - 3);
        ctx.fillStyle = "#222";
        ctx.textAlign = "right";
        ctx.fillText(String(names[i]).slice(0, 20), left - 4, 3 + i * rowH + rowH - 4);
        ctx.textAlign = "left";
        ctx.fillText(inUnits(x, i).toPrecision(3), width - 48, 3 + i * rowH + rowH - 4);
      } else {
        var bw = (width - 4) / shown, mid = height / 2, bl = len / half * (height / 2 - 2);
        ctx.fillRect(2 + i * bw, Math.min(mid, mid - bl), Math.max(1, bw - 0.5), Math.abs(bl));
      }
    }
    ctx.strokeStyle = "#888";
    ctx.beginPath();
    if (labelled) { ctx.moveTo(zero, 0); ctx.lineTo(zero, height); } else { ctx.moveTo(0, height / 2); ctx.lineTo(width, height / 2); }
    ctx.stroke();
  }

  function drawOutput(canvas, values, large) {
    if (data.output.shape) drawImage(canvas, values, data.output.shape, large ? 224 : 44);
    else drawBars(canvas, values, data.output.names, large);
  }

  // ---- the map --------------------------------------------------------------------------------

  var map = document.getElementById("aekit-map"), ctx = map.getContext("2d");
  var W = map.width, H = map.height, view = data.view;
  var coords = floats(data.coords), n = data.n_points, labels = data.labels;

  function toScreen(u, v) { return [(u - view[0]) / (view[1] - view[0]) * W, H - (v - view[2]) / (view[3] - view[2]) * H]; }
  function fromScreen(x, y) { return [view[0] + x / W * (view[1] - view[0]), view[2] + (H - y) / H * (view[3] - view[2])]; }

  function lerpColor(t) {
    var stops = [[68, 1, 84], [33, 145, 140], [253, 231, 37]], s = Math.min(1, Math.max(0, t)) * 2, i = Math.min(1, Math.floor(s)), f = s - i;
    var a = stops[i], b = stops[i + 1];
    return "rgb(" + [0, 1, 2].map(function (c) { return Math.round(a[c] + f * (b[c] - a[c])); }).join(",") + ")";
  }

  function classColor(i) { return i < PALETTE.length ? PALETTE[i] : "hsl(" + ((i * 137.5) % 360) + ",60%,45%)"; }

  var vmin = 0, vmax = 1;
  if (labels && labels.kind === "continuous") {
    var known = labels.values.filter(function (v) { return v !== null; });  // null: no label
    if (known.length) {
      vmin = Math.min.apply(null, known);
      vmax = Math.max.apply(null, known);
    }
  }

  function pointColor(i) {
    if (!labels) return "#1f77b4";
    if (labels.kind === "classes") return classColor(labels.index[i]);
    return labels.values[i] === null ? NO_LABEL_COLOR : lerpColor((labels.values[i] - vmin) / (vmax - vmin || 1));
  }

  function labelText(i) {
    if (!labels) return "";
    if (labels.kind === "classes") return labels.names[labels.index[i]];
    return labels.values[i] === null ? "no label" : String(labels.values[i]);
  }

  var points = document.createElement("canvas");
  points.width = W;
  points.height = H;
  (function drawPoints() {
    var p = points.getContext("2d");
    p.fillStyle = "#fff";
    p.fillRect(0, 0, W, H);
    p.globalAlpha = 0.65;
    for (var i = 0; i < n; i++) {
      var s = toScreen(coords[2 * i], coords[2 * i + 1]);
      p.fillStyle = pointColor(i);
      p.fillRect(s[0] - 1.5, s[1] - 1.5, 3, 3);
    }
  })();

  var state = { mark: null, drag: null, strip: null };

  function redraw() {
    ctx.drawImage(points, 0, 0);
    var line = state.strip || (state.drag && state.drag.moved ? [state.drag.start, state.drag.end] : null);
    if (line) {
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      line.forEach(function (q, i) { var s = toScreen(q[0], q[1]); if (i) ctx.lineTo(s[0], s[1]); else ctx.moveTo(s[0], s[1]); });
      ctx.stroke();
      line.forEach(function (q) { var s = toScreen(q[0], q[1]); ctx.fillStyle = "#000"; ctx.fillRect(s[0] - 2.5, s[1] - 2.5, 5, 5); });
    }
    if (state.mark) {
      var m = toScreen(state.mark[0], state.mark[1]);
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(m[0], m[1], 7, 0, 2 * Math.PI);
      ctx.moveTo(m[0] - 11, m[1]); ctx.lineTo(m[0] + 11, m[1]);
      ctx.moveTo(m[0], m[1] - 11); ctx.lineTo(m[0], m[1] + 11);
      ctx.stroke();
    }
  }

  // ---- text around the map -----------------------------------------------------------------

  function fmt(x) { return Number(x).toPrecision(4); }

  (function describe() {
    var about = [], axes = document.getElementById("aekit-axes");
    var shown = data.n_points === data.n_total ? data.n_points + " points" : data.n_points + " of " + data.n_total + " points (a random subset)";
    if (plane.kind === "code") {
      about.push("The code is 2-d: the map is the code plane itself (" + shown + ", placed by their codes).");
      axes.textContent = "horizontal: code 0, vertical: code 1";
    } else if (plane.kind === "line") {
      about.push("The code is 1-d: the horizontal axis is the code; the vertical axis carries nothing (" + shown + ").");
      axes.textContent = "horizontal: code 0";
    } else {
      about.push("The codes have " + k + " dimensions; the map shows the plane of their two leading principal components (" +
        Math.round(100 * plane.explained[0]) + "% and " + Math.round(100 * plane.explained[1]) +
        "% of the codes' variance), and a point (u, v) decodes from mean + u \u00b7 pc1 + v \u00b7 pc2 (" + shown + ").");
      axes.textContent = "horizontal: u along pc1, vertical: v along pc2";
    }
    var dec = data.decoder;
    if (dec.kind === "mlp") {
      var params = dec.layers.reduce(function (s, l) { return s + l.in * l.out + l.out; }, 0);
      about.push("Decoding runs in this page: the MLP decoder's " + dec.layers.map(function (l) { return l.in; }).concat([dec.layers[dec.layers.length - 1].out]).join("-") +
        " layers (" + params + " weights, stored as float32), " + dec.activation + " between layers and a " + dec.output + " output.");
    } else {
      about.push("This model's decoder cannot run in the page, so its outputs were decoded beforehand on a " + dec.size + " \u00d7 " + dec.size +
        " grid over the map; a click shows the output of the nearest grid cell.");
    }
    about.push("Hover a point to see its input; click to decode; drag to decode a path (" + data.steps + " steps).");
    document.getElementById("aekit-about").textContent = data.model + ". " + about.join(" ");
    var legend = document.getElementById("aekit-legend");
    if (labels && labels.kind === "classes") {
      labels.names.forEach(function (name, i) {
        var item = document.createElement("span"), sw = document.createElement("span");
        sw.className = "swatch";
        sw.style.background = classColor(i);
        item.appendChild(sw);
        item.appendChild(document.createTextNode(name));
        legend.appendChild(item);
      });
    } else if (labels) {
      var bar = document.createElement("span");
      bar.style.cssText = "display:inline-block;width:160px;height:.8rem;background:linear-gradient(to right," + lerpColor(0) + "," + lerpColor(0.5) + "," + lerpColor(1) + ")";
      legend.appendChild(document.createTextNode(fmt(vmin) + " "));
      legend.appendChild(bar);
      legend.appendChild(document.createTextNode(" " + fmt(vmax)));
      if (labels.values.indexOf(null) >= 0) {
        var none = document.createElement("span"), grey = document.createElement("span");
        grey.className = "swatch";
        grey.style.background = NO_LABEL_COLOR;
        none.appendChild(grey);
        none.appendChild(document.createTextNode("no label"));
        legend.appendChild(none);
      }
    }
  })();

  // ---- hover ---------------------------------------------------------------------------------

  var tip = document.getElementById("aekit-tip"), thumbs = data.points, atlas = null, pointValues = null;
  if (thumbs.kind === "images") { atlas = new Image(); atlas.src = thumbs.atlas; } else { pointValues = floats(thumbs.values); }

  function nearest(x, y, radius) {
    var best = -1, bestD = radius * radius;
    for (var i = 0; i < n; i++) {
      var s = toScreen(coords[2 * i], coords[2 * i + 1]), d = (s[0] - x) * (s[0] - x) + (s[1] - y) * (s[1] - y);
      if (d <= bestD) { bestD = d; best = i; }
    }
    return best;
  }

  function showTip(i, clientX, clientY) {
    tip.textContent = "";
    var head = document.createElement("div");
    head.textContent = (data.ids ? data.ids[i] : "point " + i) + (labels ? ": " + labelText(i) : "");
    tip.appendChild(head);
    if (atlas) {
      var shape = thumbs.shape, h = shape[1], w = shape[2], c = document.createElement("canvas");
      c.width = w * 3;
      c.height = h * 3;
      var t = c.getContext("2d");
      t.imageSmoothingEnabled = false;
      t.drawImage(atlas, (i % thumbs.cols) * w, Math.floor(i / thumbs.cols) * h, w, h, 0, 0, w * 3, h * 3);
      tip.appendChild(c);
    } else {
      var table = document.createElement("table"), d = thumbs.names.length, shown = Math.min(d, 15);
      for (var j = 0; j < shown; j++) {
        var row = table.insertRow();
        row.insertCell().textContent = thumbs.names[j];
        row.insertCell().textContent = fmt(inUnits(pointValues[i * d + j], j));
      }
      tip.appendChild(table);
      if (d > shown) tip.appendChild(document.createTextNode("\u2026 and " + (d - shown) + " more"));
    }
    tip.style.left = clientX + 14 + "px";
    tip.style.top = clientY + 14 + "px";
    tip.style.display = "block";
  }

  // ---- clicks and drags ---------------------------------------------------------------------

  var picture = document.getElementById("aekit-picture"), where = document.getElementById("aekit-where");
  var strip = document.getElementById("aekit-strip"), method = document.getElementById("aekit-method");
  var api = { timings: [] };

  function showDecoded(u, v) {
    var values = decodeRaw(u, v);
    drawOutput(picture, values, true);
    var z = planeCode(u, v), shownZ = Array.prototype.slice.call(z, 0, 8).map(fmt).join(", ") + (k > 8 ? ", \u2026" : "");
    where.textContent = "u = " + fmt(u) + ", v = " + fmt(v) + (plane.kind === "pca" ? "; code = [" + shownZ + "]" : "");
    return values;
  }

  function showStrip(a, b) {
    var pts = path(a[0], a[1], b[0], b[1], method.value, data.steps);
    strip.textContent = "";
    pts.forEach(function (q) {
      var c = document.createElement("canvas");
      c.title = "u = " + fmt(q[0]) + ", v = " + fmt(q[1]);
      drawOutput(c, decodeRaw(q[0], q[1]), false);
      strip.appendChild(c);
    });
    state.strip = pts;
  }

  function eventPoint(e) {
    var r = map.getBoundingClientRect();
    var x = (e.clientX - r.left - map.clientLeft) * W / map.clientWidth, y = (e.clientY - r.top - map.clientTop) * H / map.clientHeight;
    return { x: x, y: y, uv: fromScreen(x, y) };
  }

  map.addEventListener("mousedown", function (e) {
    var p = eventPoint(e);
    state.drag = { x: p.x, y: p.y, start: p.uv, end: p.uv, moved: false };
    tip.style.display = "none";
    e.preventDefault();
  });

  window.addEventListener("mousemove", function (e) {
    var p = eventPoint(e);
    if (state.drag) {
      state.drag.moved = state.drag.moved || Math.hypot(p.x - state.drag.x, p.y - state.drag.y) > 4;
      if (state.drag.moved) {
        state.drag.end = p.uv;
        state.strip = null;
        state.mark = p.uv;
        showDecoded(p.uv[0], p.uv[1]);
        redraw();
      }
      return;
    }
    if (e.target !== map) { tip.style.display = "none"; return; }
    var i = nearest(p.x, p.y, 6);
    if (i < 0) tip.style.display = "none"; else showTip(i, e.clientX, e.clientY);
  });

  window.addEventListener("mouseup", function (e) {
    var drag = state.drag;
    if (!drag) return;
    state.drag = null;
    var t0 = performance.now(), p = eventPoint(e);
    if (drag.moved) {
      state.mark = p.uv;
      showDecoded(p.uv[0], p.uv[1]);
      showStrip(drag.start, p.uv);
      api.timings.push({ what: "drag", ms: performance.now() - t0 });
    } else {
      state.mark = drag.start;
      showDecoded(drag.start[0], drag.start[1]);
      api.timings.push({ what: "click", ms: performance.now() - t0 });
    }
    redraw();
  });

  method.addEventListener("change", function () {
    if (state.strip) { showStrip(state.strip[0], state.strip[state.strip.length - 1]); redraw(); }
  });

  // ---- what tests and other scripts use ------------------------------------------------------

  api.decode = function (u, v) { return Array.from(decodeRaw(Number(u), Number(v))); };
  api.path = function (u0, v0, u1, v1, how) { return path(u0, v0, u1, v1, how || "linear", data.steps); };
  api.toScreen = toScreen;
  api.clientPoint = function (u, v) {
    // where (u, v) is on the page, in CSS pixels from the viewport's corner
    var r = map.getBoundingClientRect(), s = toScreen(u, v);
    return [r.left + map.clientLeft + s[0] * map.clientWidth / W, r.top + map.clientTop + s[1] * map.clientHeight / H];
  };
  api.mark = function () { return state.mark; };
  api.strip = function () { return state.strip; };
  api.plane = plane;
  api.view = view;
  api.center = data.center;
  api.decoderKind = data.decoder.kind;
  api.gridSize = data.decoder.kind === "grid" ? data.decoder.size : null;
  api.nPoints = n;
  window.aekitExplorer = api;

  function fragmentNumbers(name, count) {
    var m = new RegExp("(?:^#|&)" + name + "=([^&]+)").exec(location.hash);
    if (!m) return null;
    var xs = decodeURIComponent(m[1]).split(",").map(Number);
    return xs.length === count && xs.every(isFinite) ? xs : undefined;
  }

  function fromFragment() {
    // #decode=U,V writes the decoded values into #aekit-decode; #path=U0,V0,U1,V1 draws a strip
    var line = fragmentNumbers("path", 4), uv = fragmentNumbers("decode", 2), out = document.getElementById("aekit-decode");
    if (line) showStrip([line[0], line[1]], [line[2], line[3]]);
    if (uv === undefined) out.textContent = JSON.stringify({ error: "#decode needs two numbers U,V" });
    if (uv) {
      state.mark = uv;
      out.textContent = JSON.stringify(Array.from(showDecoded(uv[0], uv[1])));
    }
    redraw();
  }

  window.addEventListener("hashchange", fromFragment);
  // decode the mean code once while the page loads: the picture is not empty, and the first click
  // runs the decoder's already compiled loop
  var loadStart = performance.now();
  showDecoded(data.center[0], data.center[1]);
  api.loadDecodeMs = performance.now() - loadStart;
  where.textContent += " (the mean code). Click anywhere on the map to decode that point; drag to walk from one place to another.";
  redraw();
  fromFragment();
})();
