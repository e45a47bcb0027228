// The steward's patrol recorder. Every fix goes to IndexedDB first; every `interval` seconds the
// fixes not yet sent are sealed into a numbered batch and every unacknowledged batch is sent
// (a resend is stored once by the server). A reload, a sleeping phone or no network loses
// nothing: the recording is resumed from IndexedDB. Test hooks: window.alleyRecorder
// (addFix, setClock, flush) and ?clock=manual&interval=<s> (see tests/recorder/test_browser.py).
(function () {
  "use strict";
  var root = document.getElementById("patrol");
  var cfg = root.dataset;
  var T = JSON.parse(document.getElementById("patrol-i18n").textContent);
  var query = new URLSearchParams(location.search);
  var intervalMs = 1000 * Number(query.get("interval") || cfg.interval || 20);
  var manualClock = query.get("clock") === "manual";
  var clock = null;
  var MAX_BATCH = 500;
  var state = { cur: null, line: [], watch: null, lock: null, busy: false, status: null };

  function now() { return manualClock && clock !== null ? clock : Date.now() / 1000; }
  function $(id) { return document.getElementById(id); }

  // ---- IndexedDB: meta (current recording, device id), fixes (indexed by recording and seq)
  var dbp = new Promise(function (resolve, reject) {
    var req = indexedDB.open("alley-recorder", 1);
    req.onupgradeneeded = function () {
      var db = req.result;
      db.createObjectStore("meta");
      var fixes = db.createObjectStore("fixes", { autoIncrement: true });
      fixes.createIndex("rid_seq", ["rid", "seq"]);
      fixes.createIndex("rid", "rid");
    };
    req.onsuccess = function () { resolve(req.result); };
    req.onerror = function () { reject(req.error); };
  });
  function run(stores, mode, fn) {
    return dbp.then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(stores, mode), out = {};
        fn(t, out);
        t.oncomplete = function () { resolve(out.value); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }
  function getMeta(key) {
    return run(["meta"], "readonly", function (t, out) {
      t.objectStore("meta").get(key).onsuccess = function (e) { out.value = e.target.result; };
    });
  }
  function putMeta(key, value) {
    return run(["meta"], "readwrite", function (t) { t.objectStore("meta").put(value, key); });
  }
  function fixesOf(rid, seq) {
    return run(["fixes"], "readonly", function (t, out) {
      var idx = seq === undefined ? t.objectStore("fixes").index("rid").getAll(rid)
        : t.objectStore("fixes").index("rid_seq").getAll([rid, seq]);
      idx.onsuccess = function (e) { out.value = e.target.result; };
    });
  }

  // Seal the unsent fixes into numbered batches (fixes and meta in one transaction).
  function seal() {
    return run(["fixes", "meta"], "readwrite", function (t, out) {
      var cur = state.cur;
      var store = t.objectStore("fixes");
      var req = store.index("rid_seq").openCursor(IDBKeyRange.only([cur.rid, -1]));
      var n = 0;
      req.onsuccess = function (e) {
        var c = e.target.result;
        if (c) {
          if (n % MAX_BATCH === 0) { cur.unacked.push(cur.nextSeq); cur.nextSeq += 1; }
          var fix = c.value;
          fix.seq = cur.nextSeq - 1;
          c.update(fix);
          n += 1;
          c.continue();
        } else {
          t.objectStore("meta").put(cur, "current");
          out.value = n;
        }
      };
    });
  }

  function deviceId() {
    return getMeta("device").then(function (d) {
      if (d) return d;
      // Letters only, from the browser's random source: never a phone number.
      var bytes = crypto.getRandomValues(new Uint8Array(24));
      d = Array.prototype.map.call(bytes, function (b) { return String.fromCharCode(97 + b % 26); }).join("");
      return putMeta("device", d).then(function () { return d; });
    });
  }

  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : cfg.csrf;
  }
  // With the recording's upload key the server needs neither the session nor a CSRF token.
  function send(method, url, body, key) {
    var headers = { "Content-Type": "application/json", "X-CSRFToken": csrf() };
    if (key) headers.Authorization = "Recording " + key;
    return fetch(url, {
      method: method, credentials: "same-origin", headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  }
  function setNet(online) {
    var el = $("net");
    el.textContent = online ? T.online : T.offline;
    el.classList.toggle("off", !online);
  }

  // ---- recording
  function addFix(fix) {
    if (!state.cur || state.cur.finishing) return Promise.resolve();
    var f = { rid: state.cur.rid, seq: -1, t: fix.t, lon: fix.lon, lat: fix.lat, acc: fix.acc == null ? null : fix.acc };
    state.line.push([f.lat, f.lon]);
    drawLine();
    return run(["fixes"], "readwrite", function (t) { t.objectStore("fixes").add(f); });
  }
  function onPosition(pos) {
    if (manualClock && clock === null) return;  // a test has not set its clock yet
    var c = pos.coords;
    addFix({ t: manualClock ? now() : pos.timestamp / 1000, lon: c.longitude, lat: c.latitude, acc: c.accuracy });
  }
  function watch() {
    if (!navigator.geolocation) { $("msg").textContent = T.no_gps; return; }
    state.watch = navigator.geolocation.watchPosition(onPosition, function () {
      $("msg").textContent = T.no_gps;
    }, { enableHighAccuracy: true, maximumAge: 0, timeout: 60000 });
    keepAwake();
  }
  function keepAwake() {
    if (!("wakeLock" in navigator) || state.lock) return;
    navigator.wakeLock.request("screen").then(function (l) {
      state.lock = l;
      l.addEventListener("release", function () { state.lock = null; });
    }).catch(function () { /* not allowed here: the screen may sleep, fixes continue when it wakes */ });
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && state.cur && !state.cur.finishing) keepAwake();
  });

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function start() {
    return deviceId().then(function (device) {
      state.cur = { rid: uuid(), device: device, started_at: now(), opened: false, nextSeq: 0, unacked: [], finishing: false };
      state.line = [];
      return putMeta("current", state.cur);
    }).then(function () { showRecording(); watch(); return flush(); });
  }
  // "结束巡查" needs a second tap within 5 s: a pocket or a shaky thumb must not end the patrol.
  var armed = null;
  function stopTapped() {
    if (!state.cur || state.cur.finishing) return Promise.resolve();
    if (armed === null) {
      $("stop").textContent = T.confirm_stop;
      armed = setTimeout(function () { armed = null; $("stop").textContent = T.stop; }, 5000);
      return Promise.resolve();
    }
    clearTimeout(armed); armed = null; $("stop").textContent = T.stop;
    return stop();
  }
  function pendingText(n) {
    return n ? T.batches_waiting.replace("%(n)s", String(n)) : T.all_sent;
  }
  function stop() {
    if (!state.cur) return Promise.resolve();
    if (state.watch !== null) navigator.geolocation.clearWatch(state.watch);
    state.watch = null;
    if (state.lock) state.lock.release();
    state.cur.finishing = true;
    $("state").textContent = T.finishing;
    $("stop").disabled = true;
    return putMeta("current", state.cur).then(flush);
  }

  // ---- sending: open (idempotent), every unacknowledged batch, then finish
  function flush() {
    if (state.busy || !state.cur) return Promise.resolve();
    state.busy = true;
    var cur = state.cur;
    return seal().then(function () {
      if (cur.opened) return true;
      return send("POST", cfg.open, { id: cur.rid, device_id: cur.device, started_at: cur.started_at })
        .then(function (r) {
          if (r.ok) {
            // The recording's upload key is kept with it in IndexedDB (a reload or a night
            // offline keeps it); every open hands out a fresh one.
            return r.json().then(function (b) {
              cur.opened = true; cur.key = b.upload_key || null;
              return putMeta("current", cur);
            }).then(function () { return true; });
          }
          return r.json().then(function (b) { $("msg").textContent = b.detail; return false; });
        });
    }).then(function (opened) {
      return opened ? sendBatches(cur) : false;
    }).then(function (allSent) {
      setNet(true);
      if (allSent && cur.finishing) return finish(cur);
      return refreshStatus();
    }).catch(function () {
      setNet(false);  // offline: everything stays in IndexedDB for the next try
    }).then(function () {
      state.busy = false;
      $("pending").textContent = pendingText(state.cur ? state.cur.unacked.length : 0);
    });
  }
  function sendBatches(cur) {
    var seqs = cur.unacked.slice().sort(function (a, b) { return a - b; });
    var reopen = false;
    return seqs.reduce(function (p, seq) {
      return p.then(function () {
        if (reopen) return;
        return fixesOf(cur.rid, seq).then(function (fixes) {
          var body = { seq: seq, fixes: fixes.map(function (f) { return { t: f.t, lon: f.lon, lat: f.lat, acc: f.acc }; }) };
          return send("POST", cfg.api + cur.rid + "/batches/", body, cur.key);
        }).then(function (r) {
          if (r.status >= 500) throw new Error("server");
          if (r.status === 401 || r.status === 403) {
            // The key ended (logged out, opened elsewhere) or the session did: keep the batches
            // and open again at the next try (after a login if needed) for a fresh key.
            reopen = true; cur.opened = false; cur.key = null;
            return putMeta("current", cur);
          }
          if (!r.ok) r.json().then(function (b) { $("msg").textContent = T.rejected + "：" + b.detail; });
          // Acknowledged (stored, already stored, or refused for a reason a resend cannot fix).
          cur.unacked = cur.unacked.filter(function (s) { return s !== seq; });
          return putMeta("current", cur);
        });
      });
    }, Promise.resolve()).then(function () { return !reopen && cur.unacked.length === 0; });
  }
  function finish(cur) {
    return send("POST", cfg.api + cur.rid + "/finish/").then(function (r) {
      if (r.status >= 500) throw new Error("server");
      return r.json();
    }).then(function (body) {
      render(body);
      $("state").textContent = T.finished;
      return run(["fixes", "meta"], "readwrite", function (t) {
        var idx = t.objectStore("fixes").index("rid").openCursor(IDBKeyRange.only(cur.rid));
        idx.onsuccess = function (e) { var c = e.target.result; if (c) { c.delete(); c.continue(); } };
        t.objectStore("meta").delete("current");
      });
    }).then(function () {
      state.cur = null;
      $("start").hidden = false; $("stop").hidden = true; $("stop").disabled = false;
    });
  }
  var lastStatus = 0;
  function refreshStatus() {
    // The rule runs on the server for this: not more often than every 10 s.
    if (!state.cur || !state.cur.opened || Date.now() - lastStatus < Math.max(intervalMs, 10000)) {
      return Promise.resolve();
    }
    lastStatus = Date.now();
    return fetch(cfg.api + state.cur.rid + "/status/", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) render(body); });
  }

  // ---- display
  function hms(s) {
    s = Math.max(0, Math.floor(s));
    var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), x = s % 60;
    return h + ":" + (m < 10 ? "0" : "") + m + ":" + (x < 10 ? "0" : "") + x;
  }
  function metres(m) { return Math.round(m) + " " + T.metres; }
  function minutes(m) { return m == null ? "—" : Math.round(m) + " " + T.minutes; }
  function localDistance() {
    var d = 0, R = 6371008.8, l = state.line;
    for (var i = 1; i < l.length; i++) {
      var p1 = l[i - 1][0] * Math.PI / 180, p2 = l[i][0] * Math.PI / 180;
      var dp = p2 - p1, dl = (l[i][1] - l[i - 1][1]) * Math.PI / 180;
      var a = Math.sin(dp / 2) * Math.sin(dp / 2) + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) * Math.sin(dl / 2);
      d += 2 * R * Math.asin(Math.sqrt(Math.min(1, a)));
    }
    return d;
  }
  function render(s) {
    state.status = s;
    var partner = s.partner;
    $("partner").textContent = partner && partner.recording ? metres(partner.distance_m) : (partner ? T.partner_not_recording : "—");
    $("together").textContent = minutes(s.minutes_together);
    $("inside").textContent = minutes(s.minutes_inside);
    $("needed").textContent = minutes(s.minutes_needed);
    $("needed").className = s.minutes_needed === 0 ? "ok" : "";
    var reasons = $("reasons");
    reasons.textContent = "";
    (s.verdicts && s.verdicts.length ? s.verdicts[0].reasons : []).forEach(function (r) {
      var li = document.createElement("li"); li.textContent = r; reasons.appendChild(li);
    });
    if (s.verdicts && s.verdicts.length) {
      $("msg").textContent = s.verdicts[0].compliant ? T.compliant : T.not_compliant;
    }
    colourClaim(s.walked || {});
    if (partnerMarker) partnerMarker.remove();
    partnerMarker = partner && partner.position
      ? L.circleMarker([partner.position[1], partner.position[0]], { radius: 8, color: "#8a4b00" }).addTo(map) : null;
  }
  function tick() {
    if (!state.cur) return;
    $("elapsed").textContent = hms(now() - state.cur.started_at);
    $("distance").textContent = metres(localDistance());
  }
  function showRecording() {
    $("start").hidden = true; $("stop").hidden = false;
    $("state").textContent = T.recording;
    tick();
  }

  // ---- map: claimed alleys and the walked line over the system's own base map (street names)
  var map = L.map("patrol-map", { attributionControl: false, zoomControl: true }).setView([40.0, 116.33], 15);
  if (window.AlleyBasemap) window.AlleyBasemap.add(map);
  var claimLayer = L.geoJSON(null, { style: { color: "#888", weight: 6, opacity: 0.8 } }).addTo(map);
  var walkedLine = L.polyline([], { color: "#1565c0", weight: 4 }).addTo(map);
  var partnerMarker = null;
  function drawLine() {
    walkedLine.setLatLngs(state.line);
    if (state.line.length === 1 && !claimLayer.getLayers().length) map.setView(state.line[0], 17);
  }
  function colourClaim(walked) {
    claimLayer.eachLayer(function (layer) {
      var share = walked[layer.feature.properties.id] || 0;
      layer.setStyle({ color: share >= 0.5 ? "#1e6b34" : "#888" });
    });
  }
  function loadClaim() {
    return fetch(cfg.claim, { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (fc) { return putMeta("claim", fc).then(function () { return fc; }); })
      .catch(function () { return getMeta("claim"); })
      .then(function (fc) {
        if (!fc || !fc.features || !fc.features.length) return;
        claimLayer.addData(fc);
        map.fitBounds(claimLayer.getBounds(), { maxZoom: 17 });
        if (state.status) colourClaim(state.status.walked || {});
      });
  }

  // ---- wiring
  $("start").addEventListener("click", start);
  T.stop = $("stop").textContent;
  $("stop").addEventListener("click", stopTapped);
  window.addEventListener("online", flush);
  setInterval(flush, intervalMs);
  setInterval(tick, 1000);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(cfg.sw, { scope: cfg.scope }).catch(function () {});
  }
  loadClaim();
  // A reload (or a phone that killed the tab) resumes the recording where it was.
  var ready = getMeta("current").then(function (cur) {
    if (!cur) return;
    state.cur = cur;
    return fixesOf(cur.rid).then(function (fixes) {
      state.line = fixes.map(function (f) { return [f.lat, f.lon]; });
      drawLine();
      showRecording();
      if (cur.finishing) { $("state").textContent = T.finishing; return flush(); }
      watch();
      return flush();
    });
  });
  window.alleyRecorder = {
    ready: ready,
    addFix: addFix,
    flush: flush,
    setClock: function (t) { clock = t; tick(); },
    state: function () {
      return { recording: state.cur ? state.cur.rid : null, pending: state.cur ? state.cur.unacked.length : 0, fixes: state.line.length, busy: state.busy, keyed: !!(state.cur && state.cur.key) };
    }
  };
})();
