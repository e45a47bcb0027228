/* Turn an API error body into one readable sentence: DRF answers {"field": ["msg"]}, nested lists
 * and objects for list fields ({"photos": {"0": ["msg"]}}), or {"detail": "msg"}. Never
 * "[object Object]". */
(function () {
  "use strict";
  function collect(value, out) {
    if (value == null) return out;
    if (typeof value === "string" || typeof value === "number") { out.push(String(value)); return out; }
    if (Array.isArray(value)) { value.forEach((v) => collect(v, out)); return out; }
    if (typeof value === "object") { Object.values(value).forEach((v) => collect(v, out)); }
    return out;
  }
  window.hazardErrorText = function (data, fallback) {
    const parts = [...new Set(collect(data, []))].filter((s) => s.trim());
    return parts.length ? parts.join(" ") : fallback;
  };
})();
