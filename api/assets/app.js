// promo: small conveniences on top of pages that already work without scripts.
// - [data-live-count][data-src]: refreshes a participant count from a JSON endpoint
//   ({"participants": n}) every 5 s while the tab is visible.
// - [data-copy]: reveals a copy button for the element (or input) whose id it names.
// - [data-print]: reveals a print button.
(function () {
  "use strict";

  var fmt = new Intl.NumberFormat("ko-KR");

  function refresh(el) {
    if (document.hidden) return;
    fetch(el.getAttribute("data-src"), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (body && typeof body.participants === "number") {
          var text = fmt.format(body.participants) + "명";
          if (el.textContent !== text) el.textContent = text;
        }
      })
      .catch(function () { /* keep the last number; the next tick retries */ });
  }

  document.querySelectorAll("[data-live-count][data-src]").forEach(function (el) {
    setInterval(function () { refresh(el); }, 5000);
  });

  document.querySelectorAll("button[data-copy]").forEach(function (btn) {
    var target = document.getElementById(btn.getAttribute("data-copy"));
    if (!target || !navigator.clipboard) return;
    var label = btn.textContent;
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var text = target.tagName === "INPUT" ? target.value : target.textContent;
      navigator.clipboard.writeText(text.trim()).then(function () {
        btn.textContent = "복사됨";
        setTimeout(function () { btn.textContent = label; }, 1500);
      });
    });
  });

  document.querySelectorAll("button[data-print]").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () { window.print(); });
  });
})();
