/* The system's own base map for Leaflet: streets with names, area outlines and labels from
 * /api/geo/basemap/ (PostGIS), drawn on canvas below every other layer. Works with no internet.
 *
 *   AlleyBasemap.add(map)            // or AlleyBasemap.add(map, {scale: false})
 *   AlleyBasemap.add(map, {data})    // draw given GeoJSON (geo.basemap.basemap()), fetch nothing
 *
 * Config (endpoint, an optional online tile layer, localised attribution) comes from the
 * <script id="alley-basemap-config" type="application/json"> that base.html writes.
 * The map container gets data-basemap-features="<n>" once a load has drawn n features.
 */
(function () {
  "use strict";
  const CLASS_WIDTH = {
    motorway: 9, trunk: 9, primary: 8, secondary: 7, tertiary: 6, residential: 5,
    living_street: 4.5, unclassified: 4.5, pedestrian: 4, service: 3, footway: 1.6,
    path: 1.6, cycleway: 1.6, steps: 1.6, track: 1.6,
  };
  const CLASS_FILL = { motorway: "#f3b48a", trunk: "#f3b48a", primary: "#fcd6a4", secondary: "#f7f4b5", tertiary: "#ffffff" };
  const THIN = { footway: 1, path: 1, cycleway: 1, steps: 1, track: 1 };
  const AREA_STYLE = {
    office: { color: "#7b3294", weight: 3, dashArray: "10 6", opacity: 0.8 },
    community: { color: "#8e6c8a", weight: 2, dashArray: "6 5", opacity: 0.8 },
    grid: { color: "#9a9a9a", weight: 1.2, dashArray: "3 4", opacity: 0.9 },
  };

  function config() {
    const el = document.getElementById("alley-basemap-config");
    const base = { url: "/api/geo/basemap/", online: null, attribution: "" };
    if (!el) return base;
    try { return Object.assign(base, JSON.parse(el.textContent)); } catch (e) { return base; }
  }

  function widthAt(cls, z) {
    const w = CLASS_WIDTH[cls] || 3.5;
    return Math.max(THIN[cls] ? 1 : 1.2, Math.min(18, w * Math.pow(2, (z - 16) * 0.7)));
  }

  // The bbox asked for: the view padded by half and snapped outwards to a grid, so small pans
  // reuse what was loaded and the browser cache sees the same URLs again.
  function wantedBox(map) {
    const z = Math.max(8, Math.min(20, Math.round(map.getZoom())));
    const step = 360 / Math.pow(2, Math.max(z - 1, 1));
    const b = map.getBounds().pad(0.5);
    const snap = (v, f) => Math.max(-180, Math.min(180, f(v / step) * step));
    const box = [snap(b.getWest(), Math.floor), Math.max(-85, snap(b.getSouth(), Math.floor)),
                 snap(b.getEast(), Math.ceil), Math.min(85, snap(b.getNorth(), Math.ceil))];
    return { z: z, box: box, key: z + ":" + box.map((v) => v.toFixed(6)).join(",") };
  }

  function labelIcon(p) {
    const span = document.createElement("span");
    span.className = "bm-label bm-label-" + p.of;
    span.setAttribute("translate", "no");
    span.textContent = p.name;
    return L.divIcon({ className: "bm-label-wrap", html: span.outerHTML, iconSize: null });
  }

  // Greedy placement: offices, then communities, then streets (major first), then grids; a label
  // that would overlap one already placed is left out (it appears when zoomed in).
  const LABEL_RANK = { office: 0, community: 1, street: 2, grid: 3 };
  const LABEL_SIZE = { office: 15, community: 13, street: 12, grid: 11 };
  function placeLabels(map, features) {
    const size = map.getSize(), placed = [], out = [];
    const todo = features.filter((f) => f.properties.kind === "label")
      .sort((a, b) => LABEL_RANK[a.properties.of] - LABEL_RANK[b.properties.of]);
    for (const f of todo) {
      const c = f.geometry.coordinates, p = map.latLngToContainerPoint([c[1], c[0]]);
      const fs = LABEL_SIZE[f.properties.of] || 12, name = f.properties.name || "";
      const w = Array.from(name).reduce((s, ch) => s + (ch.charCodeAt(0) > 0x2e80 ? fs : fs * 0.6), 0) + 6;
      const box = [p.x - w / 2, p.y - fs / 2 - 3, p.x + w / 2, p.y + fs / 2 + 3];
      if (box[2] < -size.x || box[0] > 2 * size.x || box[3] < -size.y || box[1] > 2 * size.y) continue;
      if (placed.some((q) => box[0] < q[2] && q[0] < box[2] && box[1] < q[3] && q[1] < box[3])) continue;
      placed.push(box); out.push(f);
    }
    return out;
  }

  function add(map, opts) {
    opts = opts || {};
    const cfg = config();
    const container = map.getContainer();
    container.classList.add("alley-basemap");
    if (!map.getPane("basemap")) {
      // Never a target of the mouse: the map itself (and drawing tools) must get every event.
      const pane = map.createPane("basemap");
      pane.style.zIndex = 250;
      pane.style.pointerEvents = "none";
      map.createPane("basemapLabels").style.zIndex = 390;
      map.getPane("basemapLabels").style.pointerEvents = "none";
    }
    const renderer = L.canvas({ pane: "basemap", padding: 0.5 });
    if (cfg.online && cfg.online.url) {
      L.tileLayer(cfg.online.url, { maxZoom: 19, attribution: cfg.online.attribution || "" }).addTo(map);
    }
    const streetStyle = (casing) => (f) => {
      const p = f.properties, z = map.getZoom();
      if (p.kind !== "street") return Object.assign({ fill: false }, AREA_STYLE[p.kind] || AREA_STYLE.grid);
      const w = widthAt(p.class, z);
      if (casing) return { color: THIN[p.class] ? "#c9b9a8" : "#b8b2a6", weight: THIN[p.class] ? w : w + 2, opacity: 1, lineCap: "round" };
      return { color: CLASS_FILL[p.class] || "#ffffff", weight: w, opacity: 1, lineCap: "round" };
    };
    const lineFilter = (f) => f.properties.kind !== "label";
    const casing = L.geoJSON(null, { renderer, pane: "basemap", interactive: false, style: streetStyle(true),
                                     filter: (f) => f.properties.kind === "street" });
    const fill = L.geoJSON(null, { renderer, pane: "basemap", interactive: false, style: streetStyle(false),
                                   filter: (f) => f.properties.kind === "street" && !THIN[f.properties.class] });
    const outlines = L.geoJSON(null, { renderer, pane: "basemap", interactive: false, style: streetStyle(false),
                                       filter: (f) => lineFilter(f) && f.properties.kind !== "street" });
    const labels = L.layerGroup([], { pane: "basemapLabels" });
    const group = L.layerGroup([casing, fill, outlines, labels]).addTo(map);
    let loadedKey = null, controller = null;

    function draw(data) {
      for (const layer of [casing, fill, outlines]) { layer.clearLayers(); layer.addData(data); }
      labels.clearLayers();
      for (const f of placeLabels(map, data.features)) {
        const c = f.geometry.coordinates;
        labels.addLayer(L.marker([c[1], c[0]], { icon: labelIcon(f.properties), pane: "basemapLabels",
                                                interactive: false, keyboard: false }));
      }
      container.dataset.basemapFeatures = String(data.features.length);
      map.fire("basemap:load", { features: data.features.length });
    }

    function refresh() {
      const want = wantedBox(map);
      if (want.key === loadedKey) return;
      if (controller) controller.abort();
      controller = new AbortController();
      const q = new URLSearchParams({ bbox: want.box.join(","), z: String(want.z) });
      fetch(cfg.url + "?" + q, { signal: controller.signal, credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error("basemap " + r.status))))
        .then((data) => { loadedKey = want.key; draw(data); })
        .catch((e) => { if (e.name !== "AbortError") console.warn("base map:", e.message); });
    }

    if (!opts.data) map.on("moveend zoomend", refresh);
    map.on("zoomend", () => { casing.setStyle(streetStyle(true)); fill.setStyle(streetStyle(false)); });
    if (map.attributionControl && cfg.attribution) map.attributionControl.addAttribution(cfg.attribution);
    if (opts.scale !== false) L.control.scale({ imperial: false, maxWidth: 140, position: opts.scalePosition || "bottomright" }).addTo(map);
    if (opts.data) draw(opts.data);  // given inline (a page rendered without a server)
    else if (map._loaded) refresh(); else map.whenReady(refresh);
    return group;
  }

  window.AlleyBasemap = { add: add, config: config };
})();
