// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  ready(function () {
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
      form.addEventListener("submit", function (e) { if (!check()) { e.preventDefault(); input.focus(); } });
    }
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
    Array.prototype.forEach.call(document.querySelectorAll(".js-back"), function (a) {
      a.addEventListener("click", function (e) { if (history.length > 1) { e.preventDefault(); history.back(); } });
    });
  });
})();
