// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  ready(function () {
    // On a phone a table's headings are hidden and its rows become cards (app.css): each cell
    // with a value carries its column's heading, shown before the value.
    Array.prototype.forEach.call(document.querySelectorAll("table.queue"), function (table) {
      if (!table.tHead || !table.tHead.rows.length) { return; }
      var heads = [];
      Array.prototype.forEach.call(table.tHead.rows[table.tHead.rows.length - 1].cells, function (th) {
        for (var k = 0; k < (th.colSpan || 1); k++) { heads.push(k === 0 ? th.textContent.trim() : ""); }
      });
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (tr) {
          var column = 0;
          Array.prototype.forEach.call(tr.cells, function (cell) {
            var head = heads[column];
            if (head && cell.tagName === "TD" && !cell.classList.contains("subject") &&
                !cell.hasAttribute("data-label") && cell.textContent.trim()) {
              cell.setAttribute("data-label", head);
            }
            column += cell.colSpan || 1;
          });
        });
      });
    });
    // Anonymous submissions keep no contact details: hide the fields while it is ticked.
    var anon = document.getElementById("anonymous");
    var identity = document.querySelector(".js-identity");
    if (anon && identity) {
      var sync = function () { identity.hidden = anon.checked; };
      anon.addEventListener("change", sync);
      sync();
    }
    // Warn about files over the limit before the upload is sent, so nothing typed is lost.
    var form = document.querySelector("form[data-max-file-mb]");
    var input = form && form.querySelector("input[type=file]");
    var warning = form && form.querySelector(".js-file-warning");
    if (input && warning) {
      var maxBytes = parseInt(form.dataset.maxFileMb, 10) * 1024 * 1024;
      var maxFiles = parseInt(form.dataset.maxFiles, 10);
      var check = function () {
        var problems = [];
        if (input.files.length > maxFiles) { problems.push(form.dataset.tooMany); }
        Array.prototype.forEach.call(input.files, function (f) {
          if (f.size > maxBytes) { problems.push(form.dataset.tooLarge + " " + f.name); }
        });
        warning.textContent = problems.join(" ");
        warning.hidden = problems.length === 0;
        return problems.length === 0;
      };
      input.addEventListener("change", check);
      form.addEventListener("submit", function (e) {
        if (!check()) { e.preventDefault(); input.focus(); return; }
        sendWithProgress(form, e);
      });
    }
    // Photos over a slow line take a while: show that the report is being sent, and how far.
    // The answer (the confirmation, or the form with its errors) replaces the page as a normal
    // submission would; without XHR upload events the form is simply submitted.
    function sendWithProgress(form, e) {
      var box = document.getElementById("upload-progress");
      var button = form.querySelector(".js-submit");
      if (!box || !button || !window.FormData || !("upload" in new XMLHttpRequest())) { return; }
      e.preventDefault();
      var bar = box.querySelector("progress");
      var text = box.querySelector(".js-upload-text");
      var label = button.textContent;
      var show = function (percent) {
        if (percent === null) { bar.removeAttribute("value"); } else { bar.value = percent; }
        text.textContent = text.dataset.sending.replace("%(percent)s", percent === null ? "…" : percent + "%");
      };
      button.disabled = true;
      button.textContent = button.dataset.busy;
      form.setAttribute("aria-busy", "true");
      box.hidden = false;
      show(null);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action") || window.location.href);
      xhr.upload.addEventListener("progress", function (p) {
        if (p.lengthComputable) { show(Math.floor((p.loaded / p.total) * 100)); }
      });
      xhr.addEventListener("load", function () {
        if (xhr.responseURL && xhr.responseURL !== window.location.href) {
          history.replaceState(null, "", xhr.responseURL);
        }
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.addEventListener("error", function () {
        button.disabled = false;
        button.textContent = label;
        form.removeAttribute("aria-busy");
        text.textContent = box.dataset.lost;
        bar.hidden = true;
      });
      xhr.send(new FormData(form));
    }
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
    Array.prototype.forEach.call(document.querySelectorAll(".js-back"), function (a) {
      a.addEventListener("click", function (e) { if (history.length > 1) { e.preventDefault(); history.back(); } });
    });
  });
})();
