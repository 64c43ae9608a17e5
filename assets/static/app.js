// thingplus-webapp: the little behaviour htmx does not give us. No inline
// script anywhere (CSP), so everything lives here.
(function () {
  "use strict";

  // A page restored from the back/forward cache may show a signed-in screen
  // after sign-out: ask the server again (it redirects to sign-in if needed).
  window.addEventListener("pageshow", function (e) {
    if (e.persisted) window.location.reload();
  });

  // "n s ago" texts: every element with data-since="<ms epoch>" is kept fresh.
  // The texts come from the page (data-ago-* on <body>, in the page's
  // language): no inline script is allowed, and app.js holds no words.
  function fmt(key, n) {
    return (document.body.getAttribute("data-ago-" + key) || "%d").replace("%d", n);
  }
  function ago(ms) {
    var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 60) return fmt("s", s);
    if (s < 3600) return fmt("min", Math.floor(s / 60));
    if (s < 86400) return fmt("h", Math.floor(s / 3600));
    return fmt("d", Math.floor(s / 86400));
  }
  function tick() {
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var ms = parseInt(el.getAttribute("data-since"), 10);
      if (ms > 0) el.textContent = ago(ms);
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);

  // Live-connection badge for SSE panels: the element with data-live-badge
  // shows whether the stream is open. When SSE is unavailable, the panel's
  // polling fallback (hx-trigger on the element with data-poll-fallback)
  // is switched on by adding the class "polling".
  function badge(state) {
    document.querySelectorAll("[data-live-badge]").forEach(function (el) {
      el.setAttribute("data-state", state);
      el.className = "badge " + (state === "live" ? "ok" : state === "connecting" ? "warn" : "bad");
      el.textContent = el.getAttribute("data-text-" + state) || state;
    });
    document.querySelectorAll("[data-poll-fallback]").forEach(function (el) {
      el.classList.toggle("polling", state !== "live");
    });
  }
  document.addEventListener("htmx:sseOpen", function () { badge("live"); });
  document.addEventListener("htmx:sseError", function () { badge("offline"); });
  document.addEventListener("htmx:sseClose", function () { badge("offline"); });
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.EventSource) badge("offline");
  });

  // htmx does not swap 4xx/5xx by default; our error fragments are made to be
  // shown in place, so let 422 (validation) and 503 (unavailable) swap.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var s = e.detail.xhr.status;
    if (s === 422 || s === 409 || s === 503 || s === 502) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    } else if (s >= 400 && !e.detail.shouldSwap) {
      var t = document.getElementById("toasts");
      if (t && e.detail.xhr.responseText && e.detail.xhr.getResponseHeader("Content-Type") && e.detail.xhr.getResponseHeader("Content-Type").indexOf("text/html") === 0) {
        var d = document.createElement("div");
        d.innerHTML = e.detail.xhr.responseText;
        var msg = d.querySelector("[data-toast]");
        if (msg) { t.appendChild(msg); setTimeout(function () { msg.remove(); }, 8000); }
      }
    }
  });
  // A network failure during an htmx request: tell the user in the toast region.
  document.addEventListener("htmx:sendError", function () {
    var t = document.getElementById("toasts");
    if (!t) return;
    var d = document.createElement("div");
    d.className = "notice bad";
    d.setAttribute("role", "status");
    d.textContent = t.getAttribute("data-text-offline");
    t.appendChild(d);
    setTimeout(function () { d.remove(); }, 6000);
  });
})();

// == trains ==
// A region marked data-keep-ui is redrawn by the server while someone may be
// working in it (the trains list: an SSE snapshot or the polling fallback
// after a change made in another tab). Keep what this tab has open, typed
// and focused across such a redraw; elements are matched by id.
(function () {
  "use strict";
  function defaultOf(sel) {
    for (var i = 0; i < sel.options.length; i++) {
      if (sel.options[i].defaultSelected) return sel.options[i].value;
    }
    return sel.options.length ? sel.options[0].value : "";
  }
  function save(root) {
    var st = { open: [], values: [], focus: null, sel: null };
    root.querySelectorAll("details[id]").forEach(function (d) {
      if (d.open) st.open.push(d.id);
    });
    root.querySelectorAll("input[id], select[id], textarea[id]").forEach(function (el) {
      if (el.type === "hidden") return;
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked !== el.defaultChecked) st.values.push([el.id, "checked", el.checked]);
      } else if (el.tagName === "SELECT") {
        if (el.value !== defaultOf(el)) st.values.push([el.id, "value", el.value]);
      } else if (el.value !== el.defaultValue) {
        st.values.push([el.id, "value", el.value]);
      }
    });
    var a = document.activeElement;
    if (a && a.id && root.contains(a)) {
      st.focus = a.id;
      try { st.sel = [a.selectionStart, a.selectionEnd]; } catch (e) { st.sel = null; }
    }
    return st;
  }
  function restore(st) {
    st.open.forEach(function (id) {
      var d = document.getElementById(id);
      if (d && d.tagName === "DETAILS") d.open = true;
    });
    st.values.forEach(function (v) {
      var el = document.getElementById(v[0]);
      if (el) el[v[1]] = v[2];
    });
    if (st.focus) {
      var f = document.getElementById(st.focus);
      if (f) {
        f.focus({ preventScroll: true });
        if (st.sel && st.sel[0] != null) {
          try { f.setSelectionRange(st.sel[0], st.sel[1]); } catch (e) { /* not a text field */ }
        }
      }
    }
  }
  var saved = null;
  function before(e) {
    // SSE events fire on the swapped element (their detail is the message);
    // out-of-band swaps name it in detail.target.
    var t = e.type.indexOf("oob") >= 0 ? e.detail.target : e.target;
    if (t && t.hasAttribute && t.hasAttribute("data-keep-ui")) saved = save(t);
  }
  function after() {
    if (saved) { var st = saved; saved = null; restore(st); }
  }
  document.addEventListener("htmx:sseBeforeMessage", before);
  document.addEventListener("htmx:sseMessage", after);
  document.addEventListener("htmx:oobBeforeSwap", before);
  document.addEventListener("htmx:oobAfterSwap", after);
})();
