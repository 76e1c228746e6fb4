// Integrator console: small progressive enhancements. Every page works
// without this script.
(function () {
  "use strict";

  // Mappings editor: add and remove rows.
  document.querySelectorAll("[data-add-mapping]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var body = document.getElementById("mappings");
      var tpl = document.getElementById("mapping-row");
      body.appendChild(tpl.content.cloneNode(true));
      var rows = body.querySelectorAll("tr");
      rows[rows.length - 1].querySelector("input").focus();
    });
  });
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (t.matches && t.matches("[data-remove-row]")) {
      e.preventDefault();
      t.closest("tr").remove();
    }
  });

  // The source's real groups, fetched live through the connector, offered
  // in the mapping editor.
  var groupsList = document.getElementById("source-groups");
  if (groupsList && groupsList.dataset.url) {
    var status = document.getElementById("groups-status");
    fetch(groupsList.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (env) {
        if (env.status !== "success") { throw new Error(env.error); }
        env.data.forEach(function (g) {
          var o = document.createElement("option");
          o.value = g.name;
          o.label = g.detail ? g.name + " (" + g.detail + ")" : g.name;
          groupsList.appendChild(o);
        });
        if (status) { status.textContent = env.data.length + " groups from the source to choose from."; }
      })
      .catch(function (err) {
        if (status) { status.textContent = "Could not list the source's groups: " + err.message; }
      });
  }

  // Preview of unsaved settings: a dry run, shown under the form.
  var previewBtn = document.querySelector("[data-preview]");
  if (previewBtn) {
    previewBtn.addEventListener("click", function (e) {
      e.preventDefault();
      var form = previewBtn.form;
      var out = document.getElementById("preview");
      out.innerHTML = '<div class="card preview"><span class="live">Running a dry run with these settings…</span></div>';
      fetch(previewBtn.getAttribute("formaction"), {
        method: "POST", credentials: "same-origin", headers: { "X-Fragment": "preview" },
        body: new URLSearchParams(new FormData(form))
      }).then(function (r) { return r.text(); })
        .then(function (html) { out.innerHTML = html; out.focus(); })
        .catch(function (err) { out.textContent = "Preview failed: " + err.message; });
    });
  }

  // Live run: poll the JSON API and update the counters in place.
  var live = document.querySelector("[data-live-run]");
  if (live) {
    var url = live.dataset.liveRun;
    var tick = function () {
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (env) {
        if (env.status !== "success") { return; }
        var run = env.data;
        document.querySelectorAll("[data-count]").forEach(function (el) {
          var v = run.counts[el.dataset.count];
          if (v !== undefined) { el.textContent = v.toLocaleString(); }
        });
        var rate = document.querySelector("[data-rate]");
        if (rate) { rate.textContent = Math.round(run.rate).toLocaleString() + " records/s"; }
        if (run.status !== "running") { window.location.reload(); return; }
        setTimeout(tick, 1000);
      }).catch(function () { setTimeout(tick, 3000); });
    };
    setTimeout(tick, 1000);
  }

  // Run lists refresh while a run is going.
  var refresh = document.querySelector("[data-refresh]");
  if (refresh) {
    setTimeout(function () { window.location.reload(); }, parseInt(refresh.dataset.refresh, 10) || 2000);
  }

  // Confirmations for destructive buttons.
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (e) {
      if (!window.confirm(el.dataset.confirm)) { e.preventDefault(); }
    });
  });
})();
