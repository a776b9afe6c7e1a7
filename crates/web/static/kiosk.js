// The kiosk's ticket page: print it at once on a kiosk set up to print
// (opened with ?in=1, e.g. Chromium --kiosk --kiosk-printing), and offer a
// print button. The page works without this file.
(function () {
  "use strict";
  var ticket = document.getElementById("ticket");
  var button = document.getElementById("print-ticket");
  if (!ticket || !window.print) { return; }
  if (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  }
  if (ticket.getAttribute("data-autoprint") === "1") {
    window.setTimeout(function () { window.print(); }, 300);
  }
})();
