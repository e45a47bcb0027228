// Follows a background job on a page: polls the job-status JSON and shows queued / running / done /
// failed (with the error in words). <div data-job-status-url="…" data-label-queued="…" …>.
// When the result is a list of pair-day verdicts, they are listed as the upload page always did.
// When done: data-done-href offers that link (data-label-download), data-reload-on-done reloads the
// page (it then shows what the job computed), and a "job-done" event carries the result to the page.
(function () {
  "use strict";
  function renderVerdicts(box, verdicts) {
    var ul = document.createElement("ul");
    ul.className = "verdicts";
    ul.setAttribute("data-testid", "verdicts");
    verdicts.forEach(function (v) {
      var li = document.createElement("li");
      li.appendChild(document.createTextNode(v.day + " "));
      var pair = document.createElement("span");
      pair.setAttribute("translate", "no");  // a pair's name is data, in the language it was given
      pair.textContent = v.pair_name || v.pair;
      li.appendChild(pair);
      li.appendChild(document.createTextNode(document.documentElement.lang === "en" ? ": " : "："));
      var verdict = document.createElement("span");
      verdict.className = v.compliant ? "yes" : "no";
      verdict.textContent = v.compliant ? box.dataset.labelCompliant : box.dataset.labelNotCompliant;
      li.appendChild(verdict);
      if (!v.compliant && v.reasons && v.reasons.length) {
        var why = document.createElement("span");
        why.className = "why";
        var lang = document.documentElement.lang;
        var reasons = (v.reasons_by_language && v.reasons_by_language[lang]) || v.reasons;
        why.textContent = reasons.join(lang === "en" ? "; " : "；");
        li.appendChild(why);
      }
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }
  function follow(box) {
    var state = box.querySelector("[data-job-state]");
    var delay = 1000;
    function poll() {
      var url = box.dataset.jobStatusUrl + "?lang=" + encodeURIComponent(document.documentElement.lang);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (job) {
          box.dataset.state = job.state;
          var label = box.dataset["label" + job.state.charAt(0).toUpperCase() + job.state.slice(1)];
          var colon = document.documentElement.lang === "en" ? ": " : "：";
          state.textContent = job.state === "failed" && job.error ? label + colon + job.error : label;
          if (job.state === "done") {
            if (Array.isArray(job.result)) renderVerdicts(box, job.result);
            if (box.dataset.doneHref) {
              var a = document.createElement("a");
              a.href = box.dataset.doneHref;
              a.setAttribute("data-testid", "job-download");
              a.textContent = box.dataset.labelDownload || box.dataset.doneHref;
              box.appendChild(a);
            }
            box.dispatchEvent(new CustomEvent("job-done", { detail: job, bubbles: true }));
            if (box.hasAttribute("data-reload-on-done")) window.location.reload();
            return;
          }
          if (job.state === "failed") return;
          delay = Math.min(delay * 1.5, 10000);
          setTimeout(poll, delay);
        })
        .catch(function () { delay = Math.min(delay * 2, 30000); setTimeout(poll, delay); });
    }
    poll();
  }
  window.followJob = follow;  // for a box a page adds later (e.g. after posting a sheet)
  document.querySelectorAll("[data-job-status-url]").forEach(follow);
})();
