// Supervisors' live map: last positions of the office's open recordings, redrawn every 30 s.
(function () {
  "use strict";
  var box = document.querySelector(".live");
  var map = L.map("live-map", { zoomControl: true }).setView([40.0, 116.33], 15);
  if (window.AlleyBasemap) window.AlleyBasemap.add(map);
  var layer = L.layerGroup().addTo(map);
  var fitted = false;
  function refresh() {
    fetch(box.dataset.api + "?office=" + encodeURIComponent(box.dataset.office), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (fc) {
        layer.clearLayers();
        var list = document.getElementById("live-list");
        list.textContent = "";
        var bounds = [];
        (fc.features || []).forEach(function (f) {
          var c = f.geometry.coordinates, p = f.properties;
          var ll = [c[1], c[0]];
          bounds.push(ll);
          L.circleMarker(ll, { radius: 8, color: "#a4281b", fillOpacity: 0.8 })
            .bindTooltip(p.steward).addTo(layer);
          var li = document.createElement("li");
          li.textContent = p.steward + " · " + new Date(p.last_fix_at).toLocaleTimeString();
          list.appendChild(li);
        });
        document.querySelector("[data-testid=live-count]").textContent = String(bounds.length);
        if (bounds.length && !fitted) { map.fitBounds(bounds, { maxZoom: 17 }); fitted = true; }
      })
      .catch(function () { /* offline: keep the last picture */ });
  }
  refresh();
  setInterval(refresh, 30000);
})();
