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
  // shows whether the stream is open. The panel's polling fallback (the
  // element with data-poll-fallback and its hx-trigger="every …") polls only
  // while it has the class "polling", i.e. while the stream is not live.
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
  document.addEventListener("htmx:beforeRequest", function (e) {
    var el = e.detail.elt;
    if (el && el.hasAttribute && el.hasAttribute("data-poll-fallback") && !el.classList.contains("polling")) {
      e.preventDefault(); // the stream is live: nothing to poll for
    }
  });

  // Which statuses swap in place (422, 409, 503 carry fragments made for it)
  // is set once, in htmx.config.responseHandling (the htmx-config meta tag).
  // Any other error answer carries a toast: show it in the toast region.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail.xhr;
    if (e.detail.shouldSwap || xhr.status < 400) return;
    var t = document.getElementById("toasts");
    var ct = xhr.getResponseHeader("Content-Type") || "";
    if (!t || !xhr.responseText || ct.indexOf("text/html") !== 0) return;
    var d = document.createElement("div");
    d.innerHTML = xhr.responseText;
    var msg = d.querySelector("[data-toast]");
    if (msg) { t.appendChild(msg); setTimeout(function () { msg.remove(); }, 8000); }
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
  function save(root, skipForm) {
    var st = { open: [], values: [], focus: null, sel: null, scroll: null, control: null };
    root.querySelectorAll("details[id]").forEach(function (d) {
      if (d.open) st.open.push(d.id);
    });
    root.querySelectorAll("input[id], select[id], textarea[id]").forEach(function (el) {
      if (el.type === "hidden") return;
      // The form just sent is drawn by the server (its input, its error).
      if (skipForm && el.form === skipForm) return;
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
    } else if (a && root.contains(a) && a.form && a.form.dataset.form) {
      // A submit button has no id: find it again by its form and role.
      st.control = [a.form.dataset.form, a.getAttribute("data-testid") || "", a.name || ""];
    }
    return st;
  }
  function findControl(c) {
    var f = document.querySelector('form[data-form="' + CSS.escape(c[0]) + '"]');
    if (!f) return null;
    if (c[1]) return f.querySelector('[data-testid="' + CSS.escape(c[1]) + '"]');
    if (c[2]) return f.querySelector('[name="' + CSS.escape(c[2]) + '"]');
    return null;
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
    var f = null;
    if (st.focus) f = document.getElementById(st.focus);
    else if (st.control) f = findControl(st.control);
    if (st.scroll !== null) window.scrollTo(st.scroll[0], st.scroll[1]);
    {
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
  // A management form's answer redraws the whole region: the view must not
  // move and the focus stays on the control used.
  var formSaved = null;
  document.addEventListener("htmx:beforeSwap", function (e) {
    var t = e.detail.target;
    if (!e.detail.shouldSwap || !t || !t.hasAttribute || !t.hasAttribute("data-keep-ui")) return;
    // htmx fires beforeSwap on the target; the form is the request's element.
    var src = e.detail.requestConfig && e.detail.requestConfig.elt;
    if (!src || !src.closest) src = null;
    var form = src ? (src.tagName === "FORM" ? src : src.closest("form")) : null;
    formSaved = save(t, form);
    formSaved.scroll = [window.scrollX, window.scrollY];
    // The form used is the anchor: it stays where it is on screen, even
    // when what is above it changes (a door added, an old confirmation gone).
    if (form && form.dataset.form) formSaved.anchor = [form.dataset.form, form.getBoundingClientRect().top];
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    // htmx fires afterSwap on the swapped-in elements; the region is the target.
    var t = e.detail && e.detail.target;
    if (!formSaved || !t || !t.hasAttribute || !t.hasAttribute("data-keep-ui")) return;
    var st = formSaved; formSaved = null;
    restore(st);
    anchor(st);
    held = st;
  });
  function anchor(st) {
    window.scrollTo(st.scroll[0], st.scroll[1]);
    if (!st.anchor) return;
    var f = document.querySelector('form[data-form="' + CSS.escape(st.anchor[0]) + '"]');
    if (f) window.scrollBy(0, f.getBoundingClientRect().top - st.anchor[1]);
  }
  // At settle htmx focuses an invalid field the server marked autofocus,
  // which may scroll: hold the view there too.
  var held = null;
  document.addEventListener("htmx:afterSettle", function () {
    if (held) { anchor(held); held = null; }
    holdFocused();
    focused = null;
  });
  function holdFocused() {
    if (focused && focused[0].isConnected) window.scrollBy(0, focused[0].getBoundingClientRect().top - focused[1]);
  }
  // At swap already (settle comes 20 ms later): nothing should see the jump.
  document.addEventListener("htmx:afterSwap", holdFocused);
  // Any other swap (a panel's door-rule states arriving, a status line) keeps
  // the control that has the focus where it is on screen, whatever grew above it.
  var focused = null;
  document.addEventListener("htmx:beforeSwap", function (e) {
    var t = e.detail.target, a = document.activeElement;
    if (!e.detail.shouldSwap || (t && t.hasAttribute && t.hasAttribute("data-keep-ui"))) return;
    if (a && a !== document.body && a.getBoundingClientRect) focused = [a, a.getBoundingClientRect().top];
  });
  // Live updates (a car above growing a flag) hold the focused control too.
  var liveFocus = null;
  document.addEventListener("htmx:sseBeforeMessage", function () {
    var a = document.activeElement;
    liveFocus = a && a !== document.body && a.getBoundingClientRect ? [a, a.getBoundingClientRect().top] : null;
  });
  document.addEventListener("htmx:sseMessage", function () {
    var f = liveFocus; liveFocus = null;
    if (f && f[0].isConnected) window.scrollBy(0, f[0].getBoundingClientRect().top - f[1]);
  });
})();

// == screens ==
// Chart readout: the focused chart's arrow keys (Home, End) and the pointer
// move a cursor over its points; the value and time go to the live readout
// under the chart. The points' <title>s already work without script.
(function () {
  "use strict";
  var cursor = {}; // chart id → index, kept across the live panel's swaps
  function pts(svg) { return svg.querySelectorAll(".chart-pt"); }
  function show(svg, i) {
    var list = pts(svg);
    if (!list.length) return;
    i = Math.max(0, Math.min(list.length - 1, i));
    cursor[svg.id] = i;
    list.forEach(function (p) { p.classList.remove("active"); });
    list[i].classList.add("active");
    var out = svg.closest("figure") && svg.closest("figure").querySelector("[data-chart-readout]");
    if (out) out.textContent = list[i].getAttribute("data-label");
  }
  document.addEventListener("keydown", function (e) {
    var svg = e.target.closest && e.target.closest("svg[data-chart]");
    if (!svg) return;
    var n = pts(svg).length, i = cursor[svg.id];
    if (i == null) i = n - 1;
    var to = { ArrowLeft: i - 1, ArrowRight: i + 1, ArrowDown: i - 1, ArrowUp: i + 1, Home: 0, End: n - 1, PageUp: i - 10, PageDown: i + 10 }[e.key];
    if (to == null) return;
    e.preventDefault();
    show(svg, to);
  });
  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("svg[data-chart]")) {
      var i = cursor[e.target.id];
      show(e.target, i == null ? pts(e.target).length - 1 : i);
    }
  });
  document.addEventListener("pointermove", function (e) {
    var svg = e.target.closest && e.target.closest("svg[data-chart]");
    if (!svg || !svg.getScreenCTM()) return;
    var pt = svg.createSVGPoint();
    pt.x = e.clientX; pt.y = e.clientY;
    var x = pt.matrixTransform(svg.getScreenCTM().inverse()).x;
    var best = -1, bd = Infinity;
    pts(svg).forEach(function (p, i) {
      var d = Math.abs(parseFloat(p.getAttribute("cx")) - x);
      if (d < bd) { bd = d; best = i; }
    });
    if (best >= 0) show(svg, best);
  });
  document.addEventListener("htmx:afterSwap", function () {
    document.querySelectorAll("svg[data-chart]").forEach(function (svg) {
      if (cursor[svg.id] != null && document.activeElement === svg) show(svg, cursor[svg.id]);
    });
  });
})();

// Theme: the header's form works without script (a POST, then back to the
// page). With script a choice applies at once, without leaving the page:
// <html> gets the theme and the form is sent in the background, so the
// server still sets the cookie. The Apply button goes (it wrapped to a line
// of its own on a phone).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-theme-form]").forEach(function (f) {
      f.setAttribute("data-applies-on-change", "");
    });
  });
  document.addEventListener("change", function (e) {
    var f = e.target.closest && e.target.closest("form[data-theme-form]");
    if (!f) return;
    var v = e.target.value;
    if (v === "light" || v === "dark") document.documentElement.setAttribute("data-theme", v);
    else document.documentElement.removeAttribute("data-theme");
    // The answer is a redirect back to this page: not followed. A failed
    // send leaves the theme for this page only.
    fetch(f.action, {
      method: "POST", body: new URLSearchParams(new FormData(f)),
      credentials: "same-origin", redirect: "manual"
    }).catch(function () {});
  });
})();

// Keyboard shortcuts: g g gateways, g r rules, g t trains, / search, ?
// help. Never while typing in a field, never with Ctrl/Alt/Meta.
(function () {
  "use strict";
  var pending = null, timer = null;
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName));
  }
  function help() {
    var d = document.getElementById("shortcuts-dialog");
    if (d && d.showModal && !d.open) d.showModal();
  }
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[data-shortcuts-link]");
    if (a && document.getElementById("shortcuts-dialog")) { e.preventDefault(); help(); }
  });
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.altKey || e.metaKey || typing(e.target) || e.defaultPrevented) return;
    if (document.querySelector("dialog[open]") && e.key !== "Escape") return;
    var go = { g: "/gateways", r: "/rules", t: "/trains" };
    if (pending === "g" && go[e.key]) {
      pending = null;
      e.preventDefault();
      window.location.assign(go[e.key]);
      return;
    }
    pending = null;
    if (e.key === "g") {
      pending = "g";
      clearTimeout(timer);
      timer = setTimeout(function () { pending = null; }, 1500);
    } else if (e.key === "/") {
      var s = document.querySelector("main input[type=search], main [data-search], main input[name=q]");
      if (s) { e.preventDefault(); s.focus(); if (s.select) s.select(); }
    } else if (e.key === "?") {
      e.preventDefault();
      help();
    }
  });
})();
// Print buttons (no inline script under the CSP).
document.addEventListener("click", function (e) {
  var b = e.target.closest && e.target.closest("[data-print]");
  if (b) window.print();
});

// == confirmations ==
// One confirmation style: every hx-confirm opens the page's styled
// <dialog> instead of the browser's confirm(). The request goes ahead only
// when the user presses the dialog's yes button (Escape or Cancel: nothing).
(function () {
  "use strict";
  document.addEventListener("htmx:confirm", function (e) {
    var q = e.detail.question;
    var d = document.getElementById("confirm-dialog");
    if (!q || !d || !d.showModal) return; // no question, or an old browser: htmx asks itself
    e.preventDefault();
    var yes = d.querySelector('button[value="yes"]');
    var elt = e.detail.elt;
    d.querySelector("#confirm-text").textContent = q;
    yes.textContent = (elt && elt.getAttribute("data-confirm-yes")) || yes.getAttribute("data-default-text");
    d.returnValue = "";
    d.addEventListener("close", function onClose() {
      d.removeEventListener("close", onClose);
      if (d.returnValue === "yes") e.detail.issueRequest(true);
    });
    d.showModal();
  });
})();
