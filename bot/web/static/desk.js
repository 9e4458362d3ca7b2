// The editor's desk: a little progressive enhancement over plain forms (written for pubbot).
// The live counter asks the server to measure the draft with the platform's own rules, so
// the count shown is the count a save is judged by. Without JavaScript every form still works.
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";

  function enhanceEditor(form) {
    var area = form.querySelector("textarea");
    var counter = form.querySelector("[data-counter]");
    var length = counter && counter.querySelector("[data-length]");
    var problem = form.querySelector("[data-problem]");
    var preview = document.querySelector("[data-preview] [data-preview-text]");
    var timer = null;
    var latest = 0;
    if (!area || !counter || !length) { return; }

    function show(m) {
      length.textContent = String(m.length);
      counter.classList.toggle("over", !m.fits);
      form.classList.toggle("refused", Boolean(m.problem));
      if (problem) { problem.textContent = m.problem || ""; }
    }

    function measure() {
      var mine = ++latest;
      fetch(form.getAttribute("data-measure"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
        body: JSON.stringify({ text: area.value })
      }).then(function (r) {
        return r.ok ? r.json() : null;
      }).then(function (m) {
        if (m && mine === latest) { show(m); }
      }).catch(function () { /* offline: the save still checks */ });
    }

    area.addEventListener("input", function () {
      if (preview) { preview.textContent = area.value; }
      window.clearTimeout(timer);
      timer = window.setTimeout(measure, 120);
    });
  }

  var editors = document.querySelectorAll("form[data-measure]");
  for (var i = 0; i < editors.length; i++) { enhanceEditor(editors[i]); }

  // A decision button may not be pressed twice while its page loads.
  document.addEventListener("submit", function (ev) {
    var button = ev.target.querySelector("button");
    if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
  });
}());
