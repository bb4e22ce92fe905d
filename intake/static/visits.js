// Visits on a phone with bad signal (intake/visits): the form is kept as a draft in IndexedDB
// while the member types; a saved visit goes to an outbox that is sent when the phone is online
// (and on every page load), with a fresh CSRF token each time. Only a JSON answer of the server
// (stored, already stored, conflict) takes a visit out of the outbox: nothing is lost to a
// dropped connection or an expired sign-in. Plain script, no build step (CSP script-src 'self').
(function () {
  "use strict";
  var DB_NAME = "intake-visits";
  var MAX_SIDE = 1600;
  var box = document.getElementById("outbox");
  var form = document.getElementById("visit-form");
  if (!box || !window.indexedDB) { return; }
  var text = box.dataset;
  var sent = [];  // answers of this page's sends, shown until the next page load

  // --- IndexedDB: "drafts" (the form being typed, key "current") and "outbox" (by uuid) ---
  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore("drafts");
        req.result.createObjectStore("outbox", { keyPath: "uuid" });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function store(name, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var req = work(tx.objectStore(name));
        tx.oncomplete = function () { db.close(); resolve(req ? req.result : undefined); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }
  var outbox = {
    all: function () { return store("outbox", "readonly", function (s) { return s.getAll(); }); },
    put: function (entry) { return store("outbox", "readwrite", function (s) { return s.put(entry); }); },
    remove: function (uuid) { return store("outbox", "readwrite", function (s) { return s.delete(uuid); }); }
  };
  var drafts = {
    get: function () { return store("drafts", "readonly", function (s) { return s.get("current"); }); },
    put: function (draft) { return store("drafts", "readwrite", function (s) { return s.put(draft, "current"); }); },
    clear: function () { return store("drafts", "readwrite", function (s) { return s.delete("current"); }); }
  };

  function newUuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function localNow() {
    var d = new Date();
    d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
    return d.toISOString().slice(0, 16);
  }

  // --- the outbox on the page ---
  function render(entries, note) {
    var list = box.querySelector(".js-outbox-list");
    list.textContent = "";
    entries.forEach(function (entry) {
      var li = document.createElement("li");
      li.dataset.uuid = entry.uuid;
      li.dataset.state = entry.state || "waiting";
      var title = document.createElement("strong");
      title.textContent = [entry.unitLabel, entry.fields.place].filter(Boolean).join(" · ") || text.untitled;
      li.appendChild(title);
      var state = document.createElement("span");
      state.className = "state";
      state.textContent = " " + (text[entry.state || "waiting"] || text.waiting);
      li.appendChild(state);
      if (entry.state === "invalid") {
        var errors = document.createElement("ul");
        errors.className = "errors";
        Object.keys(entry.errors || {}).forEach(function (k) {
          var e = document.createElement("li"); e.textContent = entry.errors[k]; errors.appendChild(e);
        });
        li.appendChild(errors);
        var edit = document.createElement("button");
        edit.type = "button"; edit.textContent = text.edit;
        edit.addEventListener("click", function () { backToForm(entry); });
        li.appendChild(edit);
      }
      if (entry.state === "sending") {
        var bar = document.createElement("progress");
        bar.max = 1; bar.value = 0; bar.setAttribute("aria-label", text.progress);
        li.appendChild(bar);
      }
      list.appendChild(li);
    });
    sent.forEach(function (s, i) {
      if (i === 0) {
        var heading = document.createElement("li");
        heading.className = "sent-heading"; heading.textContent = text.sentHeading;
        list.appendChild(heading);
      }
      var li = document.createElement("li");
      li.dataset.state = s.state;
      var a = document.createElement("a");
      a.href = s.url; a.textContent = s.label + " · " + text[s.state];
      li.appendChild(a);
      list.appendChild(li);
    });
    box.querySelector(".js-outbox-note").textContent = note || (entries.length ? "" : text.empty);
    box.dataset.count = String(entries.length);
    box.hidden = entries.length === 0 && sent.length === 0 && !note;
  }

  function signInNote() {
    var note = box.querySelector(".js-outbox-note");
    note.textContent = text.signin + " ";
    var a = document.createElement("a");
    a.href = text.signinUrl; a.textContent = text.signinLabel; a.className = "button";
    note.appendChild(a);
    box.dataset.signin = "1";
  }

  function freshToken() {
    return fetch(text.sessionUrl, { credentials: "same-origin", redirect: "manual", cache: "no-store",
      headers: { Accept: "application/json" } }).then(function (r) {
      if (r.type === "opaqueredirect" || r.status === 401 || r.status === 403) { return { signedOut: true }; }
      if (!r.ok) { return {}; }
      return r.json().then(function (body) { return { token: body.csrf_token, user: body.user }; });
    }, function () { return {}; });
  }

  function send(entry, token, bar) {
    return new Promise(function (resolve) {
      var data = new FormData();
      Object.keys(entry.fields).forEach(function (name) { data.append(name, entry.fields[name]); });
      data.set("uuid", entry.uuid);
      entry.photos.forEach(function (p) { data.append("photos", p.blob, p.name); });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", text.sendUrl);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.upload.onprogress = function (e) { if (bar && e.lengthComputable) { bar.value = e.loaded / e.total; } };
      xhr.onload = function () {
        var body = null;
        if ((xhr.getResponseHeader("Content-Type") || "").indexOf("application/json") === 0) {
          try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
        }
        resolve({ status: xhr.status, body: body, signedOut: (xhr.responseURL || "").indexOf("/auth/login") !== -1 });
      };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () { resolve({ status: 0, body: null }); };
      xhr.send(data);
    });
  }

  var flushing = null;
  function flush() {
    if (!flushing) { flushing = doFlush().then(done, done); }
    function done() { flushing = null; }
    return flushing;
  }
  function doFlush() {
    return outbox.all().then(function (entries) {
      render(entries);
      if (!entries.length) { return null; }
      return freshToken().then(function (session) {
        if (session.signedOut) { signInNote(); return null; }
        if (!session.token) { return null; }  // offline or the server is away: next time
        // A phone may be shared: a visit is sent only under the account that saved it.
        return sendEach(entries.filter(function (e) { return !e.user || e.user === session.user; }), session.token);
      });
    }).then(function () { return outbox.all(); }).then(function (entries) {
      if (box.dataset.signin === "1" && entries.length) { render(entries); signInNote(); } else { render(entries); }
    });
  }
  function sendEach(entries, token) {
    var i = 0;
    function next() {
      if (i >= entries.length) { return null; }
      var entry = entries[i++];
      entry.state = "sending";
      render(entries);
      var bar = box.querySelector('li[data-uuid="' + entry.uuid + '"] progress');
      return send(entry, token, bar).then(function (answer) {
        var status = answer.body && answer.body.status;
        if (status === "created" || status === "same" || status === "conflict") {
          sent.push({ label: [entry.unitLabel, entry.fields.place].filter(Boolean).join(" · "),
            url: answer.body.url, state: status === "conflict" ? "conflict" : "sent" });
          entries.splice(--i, 1);
          return outbox.remove(entry.uuid).then(next);
        }
        if (status === "invalid") {
          entry.state = "invalid"; entry.errors = answer.body.errors;
          return outbox.put(entry).then(next);
        }
        entry.state = "failed";
        return outbox.put(entry).then(function () {
          if (answer.signedOut) { box.dataset.signin = "1"; }
          return null;  // the connection or the sign-in failed: stop, keep the rest for later
        });
      });
    }
    return next();
  }

  function backToForm(entry) {
    drafts.put({ uuid: entry.uuid, fields: entry.fields, photos: entry.photos, unitLabel: entry.unitLabel,
      errors: entry.errors }).then(function () { return outbox.remove(entry.uuid); }).then(function () {
      window.location.href = text.newUrl;
    });
  }

  // --- the form: a draft as the member types, photos made smaller on the phone ---
  function shrink(file) {
    var decode = window.createImageBitmap ? createImageBitmap(file, { imageOrientation: "from-image" }) : Promise.reject();
    return decode.then(function (image) {
      var scale = Math.min(1, MAX_SIDE / Math.max(image.width, image.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(image.width * scale);
      canvas.height = Math.round(image.height * scale);
      canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) { if (blob) { resolve(blob); } else { reject(); } }, "image/jpeg", 0.85);
      });
    });
  }

  function setupForm() {
    var draft = null;
    var photoInput = form.querySelector("input[type=file]");
    var photoList = form.querySelector(".js-photo-list");
    var draftNote = form.querySelector(".js-draft-note");

    function fields() {
      var values = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.type === "file" || el.name === "csrf_token" || el.name === "uuid") { return; }
        if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
        values[el.name] = el.value;
      });
      return values;
    }
    function fill(values) {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.type === "file" || el.name === "csrf_token" || el.name === "uuid" || el.name === "cycle_id") { return; }
        if (el.type === "radio" || el.type === "checkbox") { el.checked = values[el.name] === el.value; }
        else { el.value = values[el.name] || ""; }
      });
    }
    function unitLabel() {
      var select = form.querySelector("select[name=unit_id]");
      return select && select.value !== "0" ? select.options[select.selectedIndex].text : "";
    }
    function showPhotos() {
      photoList.textContent = "";
      draft.photos.forEach(function (p, index) {
        var li = document.createElement("li");
        li.textContent = p.name + " (" + Math.round(p.blob.size / 1024) + " KB) ";
        var remove = document.createElement("button");
        remove.type = "button"; remove.textContent = "×"; remove.setAttribute("aria-label", p.name);
        remove.addEventListener("click", function () { draft.photos.splice(index, 1); save(); showPhotos(); });
        li.appendChild(remove);
        photoList.appendChild(li);
      });
    }
    function save() {
      draft.fields = fields();
      draft.unitLabel = unitLabel();
      return drafts.put(draft).then(function () {
        // A note about fields still to be filled stays until they are.
        if (!form.querySelector(".js-missing")) { draftNote.textContent = form.dataset.draft; draftNote.hidden = false; }
      });
    }
    function start(existing) {
      draft = existing || { uuid: newUuid(), fields: {}, photos: [] };
      form.elements.uuid.value = draft.uuid;
      if (existing) { fill(draft.fields); }
      if (!form.elements.visited_at.value) { form.elements.visited_at.value = localNow(); }
      showPhotos();
      if (draft.errors) { render([], Object.keys(draft.errors).map(function (k) { return draft.errors[k]; }).join(" ")); }
      form.dataset.ready = "1";
    }

    // Nothing chosen or typed ("0" is the unit's "Choose…" line).
    function blank(el) { var v = String(el.value || "").trim(); return !v || v === "0"; }
    function unmark(e) {
      var box = e.target.closest && e.target.closest(".js-missing");
      if (box && !blank(e.target)) { box.classList.remove("has-error", "js-missing"); e.target.removeAttribute("aria-invalid"); }
    }
    form.addEventListener("input", function (e) { unmark(e); save(); });
    form.addEventListener("change", function (e) { unmark(e); if (e.target !== photoInput) { save(); } });
    photoInput.addEventListener("change", function () {
      var files = Array.prototype.slice.call(photoInput.files);
      photoInput.value = "";
      files.reduce(function (chain, file) {
        return chain.then(function () {
          return shrink(file).then(function (blob) {
            draft.photos.push({ name: file.name.replace(/\.[^.]*$/, "") + ".jpg", blob: blob });
          }, function () { draftNote.textContent = form.dataset.photoError + " " + file.name; draftNote.hidden = false; });
        });
      }, Promise.resolve()).then(save).then(showPhotos);
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      // What the server would refuse at once is said here, with the form as it is: a visit
      // without its unit, place or time is not queued and the form is not emptied.
      var missing = ["unit_id", "place", "visited_at"].map(function (id) { return document.getElementById(id); })
        .filter(function (el) { return el && blank(el); });
      Array.prototype.forEach.call(form.querySelectorAll(".js-missing"), function (el) {
        el.classList.remove("has-error", "js-missing");
      });
      if (missing.length) {
        missing.forEach(function (el) {
          var box = el.closest(".field");
          if (box) { box.classList.add("has-error", "js-missing"); }
          el.setAttribute("aria-invalid", "true");
        });
        draftNote.textContent = form.dataset.missingNote; draftNote.hidden = false;
        missing[0].focus();
        return;
      }
      var entry = { uuid: draft.uuid, fields: fields(), photos: draft.photos, unitLabel: unitLabel(), state: "waiting",
        user: text.user, savedAt: new Date().toISOString() };
      outbox.put(entry).then(drafts.clear).then(function () {
        form.reset();
        start(null);
        draftNote.textContent = form.dataset.saved; draftNote.hidden = false;
        window.scrollTo(0, 0);
        return flush();
      }).then(function () { return outbox.all(); }).then(function (entries) {
        // Say what became of it: sent, refused (to be corrected), or still waiting.
        var mine = entries.filter(function (e) { return e.uuid === entry.uuid; })[0];
        if (!mine) { draftNote.textContent = form.dataset.sentNote; }
        else if (mine.state === "invalid") { draftNote.textContent = form.dataset.refusedNote; }
      });
    });
    return drafts.get().then(start);
  }

  window.intakeVisits = { flush: flush };
  (form ? setupForm() : Promise.resolve()).then(flush);
  window.addEventListener("online", flush);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.register(text.swUrl).catch(function () { return null; });
  }
})();
