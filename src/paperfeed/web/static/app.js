// Progressive enhancement only: every form and link works without this file.
(function () {
  "use strict";

  function renderMath() {
    if (!window.renderMathInElement) return;
    document.querySelectorAll(".math").forEach(function (el) {
      window.renderMathInElement(el, {
        delimiters: [
          { left: "$$", right: "$$", display: true },
          { left: "\\[", right: "\\]", display: true },
          { left: "$", right: "$", display: false },
          { left: "\\(", right: "\\)", display: false },
        ],
        throwOnError: false,
        trust: false,
      });
    });
  }

  function setToggle(form, on) {
    form.querySelector("input[name=on]").value = on ? "0" : "1";
    var btn = form.querySelector("button");
    btn.setAttribute("aria-pressed", on ? "true" : "false");
    return btn;
  }

  function apply(form, data) {
    var kind = form.dataset.kind;
    var same = document.querySelectorAll("form.js-toggle[data-kind='" + kind + "']");
    same.forEach(function (f) {
      if (f.dataset.paper !== form.dataset.paper) return;
      if (kind === "vote") {
        var btn = setToggle(f, data.voted);
        btn.querySelector(".vote-count").textContent = data.votes;
        btn.setAttribute("aria-label", (data.voted ? "Remove your vote" : "Upvote") + ": " + data.votes + " votes");
      } else if (kind === "save") {
        setToggle(f, data.saved).textContent = data.saved ? "Saved" : "Save";
      }
    });
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.matches || !form.matches("form.js-toggle")) return;
    ev.preventDefault();
    var btn = form.querySelector("button");
    btn.disabled = true;
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (r) {
      if (r.status === 401) {
        window.location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
        return null;
      }
      if (!r.ok) { form.submit(); return null; }
      return r.json();
    }).then(function (data) {
      if (data) apply(form, data);
    }).catch(function () { form.submit(); })
      .finally(function () { btn.disabled = false; });
  });

  function setupCopy() {
    document.querySelectorAll("[data-copy]").forEach(function (b) {
      if (!navigator.clipboard) return;
      b.hidden = false;
      var label = b.textContent;
      b.addEventListener("click", function () {
        var text = document.getElementById(b.dataset.copy).textContent;
        navigator.clipboard.writeText(text).then(function () {
          b.textContent = "Copied";
          setTimeout(function () { b.textContent = label; }, 1500);
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { renderMath(); setupCopy(); });
})();
