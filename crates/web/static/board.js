// The display board: live calls and waiting counts from the server-sent
// events of /bang/{unit}/su-kien, a chime and a Vietnamese voice call when
// the browser has a vi-VN voice. Without this file the page reloads itself.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !window.EventSource) { return; }
  // The page reloads itself only without JavaScript; with it, nothing to undo.
  var url = board.getAttribute("data-events");
  var after = board.getAttribute("data-after") || "0";
  var counterWord = board.getAttribute("data-counter-word") || "Quầy";
  var byId = function (id) { return document.getElementById(id); };
  var offline = byId("board-offline");
  var soundButton = byId("sound-on");

  // ---- sound: a two-tone chime, then the call said in Vietnamese ----
  var audio = null;
  var voice = null;
  function pickVoice() {
    if (!window.speechSynthesis) { return; }
    var voices = window.speechSynthesis.getVoices();
    for (var i = 0; i < voices.length; i++) {
      var lang = (voices[i].lang || "").toLowerCase().replace("_", "-");
      if (lang === "vi-vn" || lang.indexOf("vi") === 0) { voice = voices[i]; return; }
    }
  }
  if (window.speechSynthesis) {
    pickVoice();
    window.speechSynthesis.onvoiceschanged = pickVoice;
  }
  function audioContext() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return null; }
    if (!audio) {
      try { audio = new Ctx(); } catch (e) { return null; }
    }
    return audio;
  }
  function checkSound() {
    var a = audioContext();
    // Browsers keep sound off until someone touches the page (or the TV's
    // browser is started with --autoplay-policy=no-user-gesture-required).
    if (soundButton) { soundButton.hidden = !(a && a.state === "suspended"); }
  }
  if (soundButton) {
    soundButton.addEventListener("click", function () {
      var a = audioContext();
      if (a && a.resume) { a.resume().then(checkSound, checkSound); }
      chime();
    });
  }
  checkSound();
  function chime() {
    var a = audioContext();
    if (!a || a.state === "suspended") { return; }
    var t = a.currentTime + 0.05;
    [880, 660].forEach(function (freq, i) {
      var o = a.createOscillator();
      var g = a.createGain();
      var start = t + i * 0.4;
      o.type = "sine";
      o.frequency.value = freq;
      g.gain.setValueAtTime(0.0001, start);
      g.gain.exponentialRampToValueAtTime(0.5, start + 0.03);
      g.gain.exponentialRampToValueAtTime(0.0001, start + 0.38);
      o.connect(g);
      g.connect(a.destination);
      o.start(start);
      o.stop(start + 0.4);
    });
  }
  function say(text) {
    if (!window.speechSynthesis || !voice || !window.SpeechSynthesisUtterance) { return; }
    var u = new window.SpeechSynthesisUtterance(text);
    u.voice = voice;
    u.lang = voice.lang;
    u.rate = 0.9;
    window.speechSynthesis.speak(u);
  }
  // Calls are announced one after another, each said twice.
  var announcements = [];
  var busy = false;
  function nextAnnouncement() {
    var text = announcements.shift();
    if (text === undefined) { busy = false; return; }
    busy = true;
    chime();
    window.setTimeout(function () {
      say(text);
      say(text);
      window.setTimeout(nextAnnouncement, voice ? 5500 : 1500);
    }, 900);
  }
  function announce(text) {
    announcements.push(text);
    if (!busy) { nextAnnouncement(); }
  }

  // ---- showing a call ----
  function flash(el) {
    if (!el) { return; }
    el.classList.remove("flash");
    void el.offsetWidth;
    el.classList.add("flash");
  }
  function show(c) {
    var now = byId("now-number");
    if (now) { now.textContent = String(c.number); flash(now.parentNode); }
    var nowCounter = byId("now-counter");
    if (nowCounter) { nowCounter.textContent = String(c.counter); }
    var words = byId("now-words");
    if (words) { words.textContent = c.say; }
    var cell = byId("counter-" + c.counter);
    if (cell) { cell.textContent = String(c.number); flash(cell.parentNode); }
    var recent = byId("board-recent");
    if (recent) {
      var li = document.createElement("li");
      var n = document.createElement("span");
      n.className = "recent-number";
      n.textContent = String(c.number);
      var k = document.createElement("span");
      k.className = "recent-counter";
      k.textContent = counterWord + " " + c.counter;
      var at = document.createElement("span");
      at.className = "recent-at";
      at.textContent = c.at;
      li.appendChild(n);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(k);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(at);
      recent.insertBefore(li, recent.firstChild);
      while (recent.children.length > 8) { recent.removeChild(recent.lastChild); }
    }
  }
  function showWaiting(list) {
    list.forEach(function (w) {
      var li = document.querySelector("#board-waiting li[data-service='" + Number(w.service) + "']");
      var count = li && li.querySelector(".waiting-count");
      if (count) { count.textContent = String(w.waiting); }
    });
  }

  // ---- the live feed: EventSource reconnects by itself and sends
  // Last-Event-ID; if it gives up, start a new one after a pause. ----
  var source = null;
  var pause = 1000;
  var lostTimer = null;
  function connected() {
    pause = 1000;
    if (lostTimer) { window.clearTimeout(lostTimer); lostTimer = null; }
    if (offline) { offline.hidden = true; }
  }
  function connect() {
    source = new window.EventSource(url + "?after=" + encodeURIComponent(after));
    source.addEventListener("open", connected);
    source.addEventListener("call", function (ev) {
      var c;
      try { c = JSON.parse(ev.data); } catch (e) { return; }
      if (ev.lastEventId) { after = ev.lastEventId; }
      connected();
      show(c);
      announce(c.say);
    });
    source.addEventListener("waiting", function (ev) {
      // Its id also says which counts this board shows (see board_events).
      if (ev.lastEventId) { after = ev.lastEventId; }
      connected();
      try { showWaiting(JSON.parse(ev.data)); } catch (e) { /* ignore */ }
    });
    source.addEventListener("error", function () {
      // Each answer of the server ends and the browser asks again at once:
      // only a reconnection that lasts is shown as lost.
      if (!lostTimer) {
        lostTimer = window.setTimeout(function () { if (offline) { offline.hidden = false; } }, 8000);
      }
      if (source.readyState === window.EventSource.CLOSED) {
        source.close();
        window.setTimeout(connect, pause);
        pause = Math.min(pause * 2, 30000);
      }
    });
  }
  connect();

  // ---- the clock ----
  var clock = byId("board-clock");
  function tick() {
    if (!clock) { return; }
    var d = new Date();
    var utc = d.getTime() + d.getTimezoneOffset() * 60000;
    var vn = new Date(utc + 7 * 3600000);
    var hh = String(vn.getHours()); if (hh.length < 2) { hh = "0" + hh; }
    var mm = String(vn.getMinutes()); if (mm.length < 2) { mm = "0" + mm; }
    clock.textContent = hh + ":" + mm;
  }
  tick();
  window.setInterval(tick, 10000);
})();
