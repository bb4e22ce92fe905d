// Keyboard shortcuts of the staff queue and item page: j/k next/previous, o or Enter open,
// x select, a accept the suggestion, m assign to me, / search, u back to the queue, ? help.
// Progressive: every action is also a button or link.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }

  ready(function () {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#queue tbody tr"));
    var current = -1;
    var help = document.getElementById("shortcut-help");

    function focusRow(i) {
      if (!rows.length) { return; }
      i = Math.max(0, Math.min(rows.length - 1, i));
      if (current >= 0 && rows[current]) { rows[current].classList.remove("current"); }
      current = i;
      rows[i].classList.add("current");
      rows[i].scrollIntoView({ block: "nearest" });
      try { sessionStorage.setItem("triage-row", String(rows[i].dataset.itemId)); } catch (e) { /* private mode */ }
    }

    // Come back to the row we left.
    if (rows.length) {
      var remembered = null;
      try { remembered = sessionStorage.getItem("triage-row"); } catch (e) { remembered = null; }
      var index = rows.findIndex(function (r) { return r.dataset.itemId === remembered; });
      focusRow(index >= 0 ? index : 0);
    }

    var selectAll = document.getElementById("select-all");
    if (selectAll) {
      selectAll.addEventListener("change", function () {
        rows.forEach(function (r) { var box = r.querySelector("input.select"); if (box) { box.checked = selectAll.checked; } });
      });
    }

    function postTo(action, extra) {
      var form = document.getElementById("assign-me-form");
      if (!form) { return; }
      form.action = action;
      if (extra) { Object.keys(extra).forEach(function (k) { var i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = extra[k]; form.appendChild(i); }); }
      form.submit();
    }

    function click(id) { var el = document.getElementById(id); if (el) { el.click(); return true; } return false; }

    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey) { return; }
      var tag = (e.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "textarea" || tag === "select" || e.target.isContentEditable) {
        if (e.key === "Escape") { e.target.blur(); }
        return;
      }
      var row = current >= 0 ? rows[current] : null;
      switch (e.key) {
        case "j": focusRow(current + 1); break;
        case "k": focusRow(current - 1); break;
        case "o": case "Enter":
          if (row) { var link = row.querySelector("a.open"); if (link) { link.click(); } } else { return; }
          break;
        case "x":
          if (row) { var box = row.querySelector("input.select"); if (box) { box.checked = !box.checked; } }
          break;
        case "a":
          if (row) { var accept = row.querySelector("button.accept"); if (accept) { accept.click(); } }
          else { click("accept-suggestion"); }
          break;
        case "m":
          if (row) { postTo("/staff/items/" + row.dataset.itemId + "/assign"); }
          else { click("assign-me"); }
          break;
        case "/": var q = document.getElementById("q"); if (q) { q.focus(); } else { return; } break;
        case "u": if (!click("back-to-queue")) { return; } break;
        case "?": if (help) { help.hidden = !help.hidden; } break;
        case "Escape": if (help) { help.hidden = true; } break;
        default: return;
      }
      e.preventDefault();
    });
  });
})();
