/* The case page's map: where the report is. The base map is the system's own (AlleyBasemap, when
 * the page loads it); no online tiles. */
(function () {
  "use strict";
  const el = document.getElementById("case-map");
  if (!el || !window.L) return;
  const ll = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lng)];
  const map = L.map(el, { scrollWheelZoom: false }).setView(ll, 17);
  if (window.AlleyBasemap) window.AlleyBasemap.add(map);
  L.circleMarker(ll, { radius: 9, color: "#b00020", weight: 3, fillColor: "#ff5252", fillOpacity: 0.8 }).addTo(map);
  window.hazardCaseMap = map;
})();
