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
  function ago(ms) {
    var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    if (s < 86400) return Math.floor(s / 3600) + " h ago";
    return Math.floor(s / 86400) + " d ago";
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
    d.textContent = t.getAttribute("data-text-offline") || "Connection lost. Retrying…";
    t.appendChild(d);
    setTimeout(function () { d.remove(); }, 6000);
  });
})();
