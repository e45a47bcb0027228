// The change map of a street import: retired segments grey and dashed, new ones green, pieces
// that replaced changed streets blue. No tiles: drawn on a plain background (works offline).
(function () {
  var el = document.getElementById("change-map");
  var data = JSON.parse(document.getElementById("change-features").textContent || "null");
  if (!el || !data) return;
  var map = L.map(el, { preferCanvas: true });
  function style(f) {
    var p = f.properties;
    if (p.side === "old") return { color: "#9e9e9e", weight: 5, dashArray: "6 4", opacity: 0.9 };
    if (p["class"] === "new") return { color: "#2e7d32", weight: 4 };
    return { color: "#1565c0", weight: 3 };
  }
  var layer = L.geoJSON(data, {
    style: style,
    onEachFeature: function (f, l) {
      var p = f.properties;
      l.bindTooltip("#" + f.id + " " + (p.name || "") + " · " + p.length_m + " m");
    },
  }).addTo(map);
  if (data.features.length) map.fitBounds(layer.getBounds(), { padding: [20, 20] });
  else map.setView([40, 116.3], 14);
})();
