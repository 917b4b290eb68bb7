/* Kasane's page helpers, loaded on every staff page (CSP: a file of our own, no inline code).
 *
 * 1. Failed saves are visible: when an htmx request fails (an error answer, no connection,
 *    a timeout) a polite message appears at the form and the form keeps what was typed.
 * 2. Drafts: what is typed into a form's text areas is kept in this browser's storage while
 *    typing, offered back when the form is opened again, and removed when the form is saved,
 *    when someone else signs in on this browser, and at logout. Never sent anywhere.
 * 3. One-time submission keys: every form that posts carries a random `_submission` value;
 *    the server answers a repeated submission with the first one's result and writes nothing.
 */
(function () {
  "use strict";
  var DRAFT = "kasane-draft:";
  var PENDING = "kasane-draft-pending";

  function texts() {
    var el = document.getElementById("kasane-texts");
    return el ? el.dataset : {};
  }
  function user() {
    var meta = document.querySelector('meta[name="kasane-user"]');
    return meta ? meta.content : "";
  }
  function store() {
    try { return window.localStorage; } catch (e) { return null; }
  }
  function randomKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  function posts(form) {
    return (form.getAttribute("method") || "").toLowerCase() === "post" ||
      (form.hasAttribute("hx-post") || form.hasAttribute("data-hx-post"));
  }

  /* ---- submission keys ---- */
  function giveKey(form, fresh) {
    if (!document.body.hasAttribute("data-submission-keys")) { return; }
    if (!posts(form) || form.getAttribute("action") === "/logout") { return; }
    var input = form.querySelector('input[name="_submission"]');
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = "_submission";
      form.appendChild(input);
    } else if (!fresh) {
      return;
    }
    input.value = randomKey();
  }

  /* ---- drafts ---- */
  function draftKey(form, area) {
    var action = form.getAttribute("action") || form.getAttribute("data-hx-post") || form.getAttribute("hx-post") || "";
    return DRAFT + user() + ":" + location.pathname + ":" + action + ":" + area.name;
  }
  function draftAreas(form) {
    if (!user() || !posts(form)) { return []; }
    return Array.prototype.filter.call(form.querySelectorAll("textarea[name]"), function (a) {
      return !a.hasAttribute("data-no-draft");
    });
  }
  function forgetDrafts(keys) {
    var s = store();
    if (!s) { return; }
    keys.forEach(function (k) { s.removeItem(k); });
  }
  function forgetAll(except) {
    var s = store();
    if (!s) { return; }
    for (var i = s.length - 1; i >= 0; i--) {
      var k = s.key(i);
      if (k && k.indexOf(DRAFT) === 0 && (!except || k.indexOf(DRAFT + except + ":") !== 0)) {
        s.removeItem(k);
      }
    }
  }
  function offerDraft(area, key, saved) {
    var t = texts();
    var box = document.createElement("div");
    box.className = "draft-offer";
    box.setAttribute("role", "status");
    var when = new Date(saved.at);
    var label = document.createElement("span");
    label.textContent = (t.draftFound || "Unsaved draft") + " (" + when.toLocaleString() + ")";
    var restore = document.createElement("button");
    restore.type = "button";
    restore.textContent = t.draftRestore || "Restore";
    var discard = document.createElement("button");
    discard.type = "button";
    discard.textContent = t.draftDiscard || "Discard";
    restore.addEventListener("click", function () {
      area.value = saved.text;
      area.dispatchEvent(new Event("input", { bubbles: true }));
      box.remove();
      area.focus();
    });
    discard.addEventListener("click", function () {
      forgetDrafts([key]);
      box.remove();
    });
    box.append(label, " ", restore, " ", discard);
    area.parentNode.insertBefore(box, area);
  }
  function watchDrafts(form) {
    var s = store();
    if (!s) { return; }
    draftAreas(form).forEach(function (area) {
      if (area.dataset.kasaneDraft) { return; }
      area.dataset.kasaneDraft = "1";
      var key = draftKey(form, area);
      var raw = s.getItem(key);
      if (raw) {
        try {
          var saved = JSON.parse(raw);
          if (saved.text && saved.text !== area.value) { offerDraft(area, key, saved); }
        } catch (e) { s.removeItem(key); }
      }
      var timer = null;
      area.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          try {
            if (area.value) {
              s.setItem(key, JSON.stringify({ text: area.value, at: Date.now() }));
            } else {
              s.removeItem(key);
            }
          } catch (e) { /* storage full or refused: typing goes on */ }
        }, 400);
      });
    });
  }
  function draftKeysOf(form) {
    return draftAreas(form).map(function (a) { return draftKey(form, a); });
  }

  /* ---- failure messages ---- */
  function noticeFor(form) {
    var box = form && form.querySelector(".form-notice");
    if (form && !box) {
      box = document.createElement("p");
      box.className = "form-notice";
      box.setAttribute("role", "alert");
      form.insertBefore(box, form.firstChild);
    }
    return box || document.getElementById("kasane-notice");
  }
  function showFailure(elt, message) {
    var form = elt && (elt.closest ? elt.closest("form") : null);
    var box = noticeFor(form);
    if (!box) { return; }
    box.textContent = message;
    box.hidden = false;
  }
  function clearFailure(elt) {
    var form = elt && (elt.closest ? elt.closest("form") : null);
    var box = form && form.querySelector(".form-notice");
    if (box) { box.textContent = ""; box.hidden = true; }
  }
  function outageText(xhr) {
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var outage = doc.querySelector("[data-kasane-outage] p");
    return outage ? outage.textContent.trim() : "";
  }

  /* ---- wiring ---- */
  function requester(evt) { // the element that sent the request (detail.elt may be its target)
    var config = evt.detail.requestConfig;
    return (config && config.elt) || evt.detail.elt;
  }

  function prepare(root) {
    var forms = root.tagName === "FORM" ? [root] : root.querySelectorAll("form");
    Array.prototype.forEach.call(forms, function (form) {
      giveKey(form, false);
      watchDrafts(form);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var me = user();
    if (me) { forgetAll(me); } // drafts of another person who used this browser
    var s = store(), pending = s && s.getItem(PENDING);
    if (pending) {
      s.removeItem(PENDING);
      // the page after a plain (non-htmx) submission: saved unless it is a failure page
      if (!document.querySelector("[data-kasane-failed]")) {
        try { forgetDrafts(JSON.parse(pending)); } catch (e) { /* ignore */ }
      }
    }
    prepare(document);
  });
  document.addEventListener("htmx:load", function (evt) { prepare(evt.target); });

  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (form.getAttribute("action") === "/logout") { forgetAll(null); return; }
    if (!form.hasAttribute("hx-post") && !form.hasAttribute("data-hx-post") && store()) {
      try { store().setItem(PENDING, JSON.stringify(draftKeysOf(form))); } catch (e) { /* */ }
    }
  }, true);

  // before the swap: the form may be replaced by the answer, and an event on a detached
  // element never reaches this listener
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr, elt = requester(evt);
    var form = elt && elt.closest ? elt.closest("form") : null;
    if (xhr && xhr.status >= 200 && xhr.status < 300) {
      clearFailure(elt);
      if (form) {
        forgetDrafts(draftKeysOf(form));
        giveKey(form, true); // the form stays on the page: its next save is a new one
      }
    }
  });
  document.addEventListener("htmx:responseError", function (evt) {
    var t = texts(), xhr = evt.detail.xhr;
    var message = outageText(xhr) ||
      (t.failed || "Not saved (error {status}). What you typed is still here: please try again.")
        .replace("{status}", xhr.status);
    showFailure(requester(evt), message);
  });
  function offline(evt) {
    showFailure(requester(evt), texts().offline ||
      "The server could not be reached. What you typed is still here: please try again.");
  }
  document.addEventListener("htmx:sendError", offline);
  document.addEventListener("htmx:timeout", offline);
})();
