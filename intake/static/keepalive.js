// Staff sessions end after STAFF_IDLE_MINUTES without a request. Typing a long reply is not
// idleness: while someone types or clicks on a staff page, tell the server now and then, so the
// session does not end under them and take what they typed with it.
(function () {
  "use strict";
  var script = document.currentScript;
  var url = script && script.dataset.pingUrl;
  var every = 5 * 60 * 1000;
  var last = Date.now();
  if (!url) { return; }
  function token() {
    var field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }
  function activity() {
    if (Date.now() - last < every) { return; }
    last = Date.now();
    fetch(url, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": token() } })
      .catch(function () { /* offline: the next activity tries again */ last = 0; });
  }
  ["input", "keydown", "click"].forEach(function (name) {
    document.addEventListener(name, activity, { passive: true, capture: true });
  });
})();
