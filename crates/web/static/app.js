// Small enhancements; every page works without this file.
(function () {
  "use strict";
  // Focus the error summary so screen readers and keyboards land on it.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    // A file larger than the server takes is said before it is sent.
    var max = parseInt(form.dataset.max || "0", 10);
    if (max > 0) {
      var big = Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (i) {
        return i.files && Array.prototype.some.call(i.files, function (f) { return f.size > max; });
      });
      if (big) {
        ev.preventDefault();
        var box = document.getElementById("too-large");
        if (!box) {
          box = document.createElement("div");
          box.id = "too-large";
          box.className = "error-summary";
          box.setAttribute("role", "alert");
          box.tabIndex = -1;
          box.textContent = form.dataset.maxMessage || "File too large";
          form.parentNode.insertBefore(box, form);
        }
        box.focus();
        return;
      }
    }
    // A double click never submits twice.
    if (form.dataset.sent === "1") { ev.preventDefault(); return; }
    form.dataset.sent = "1";
    Array.prototype.forEach.call(form.querySelectorAll("button[type=submit],button:not([type])"), function (b) {
      setTimeout(function () { b.disabled = true; }, 0);
    });
    // Uploads show their progress.
    if (form.dataset.upload === "1" && window.XMLHttpRequest && window.FormData) {
      var bar = form.querySelector("progress");
      if (!bar) { return; }
      ev.preventDefault();
      var data = new FormData(form);
      if (ev.submitter && ev.submitter.name) { data.append(ev.submitter.name, ev.submitter.value); }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      bar.hidden = false;
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) { bar.value = e.loaded / e.total; } };
      xhr.onload = function () {
        if (xhr.responseURL && xhr.responseURL !== form.action) { window.location = xhr.responseURL; return; }
        document.open(); document.write(xhr.responseText); document.close();
      };
      xhr.onerror = function () { form.dataset.sent = ""; form.submit(); };
      xhr.send(data);
    }
  });
})();
// Copy a code with one tap: the buttons stay hidden without JavaScript.
document.querySelectorAll("button.copy[data-copy]").forEach(function (b) {
  if (!navigator.clipboard) return;
  b.hidden = false;
  b.addEventListener("click", function () {
    var el = document.getElementById(b.getAttribute("data-copy"));
    if (!el) return;
    navigator.clipboard.writeText(el.textContent.trim()).then(function () {
      b.textContent = document.documentElement.lang === "en" ? "Copied" : "Đã sao chép";
    });
  });
});
// After a search the results take the focus (on a phone they are below the fold).
(function () {
  if (location.hash !== "#ket-qua") return;
  var h = document.getElementById("ket-qua");
  if (h) h.focus();
})();
// Back to a page kept by the browser: its forms can be sent again (a form
// sent before left its buttons disabled).
window.addEventListener("pageshow", function (ev) {
  if (!ev.persisted) return;
  document.querySelectorAll("form[data-sent='1']").forEach(function (f) {
    f.dataset.sent = "";
    f.querySelectorAll("button[disabled]").forEach(function (b) { b.disabled = false; });
  });
});
