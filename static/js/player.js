// The lecture player: resume where the viewer stopped (localStorage) and keyboard shortcuts.
(function () {
  "use strict";
  var player = document.getElementById("lecture-player");
  if (!player) { return; }
  var key = player.dataset.resumeKey;
  var lastSaved = 0;

  function stored() {
    try { return parseFloat(window.localStorage.getItem(key)) || 0; } catch (e) { return 0; }
  }

  function save(seconds) {
    try {
      if (seconds > 0) { window.localStorage.setItem(key, seconds.toFixed(1)); }
      else { window.localStorage.removeItem(key); }
    } catch (e) { /* private mode or storage full: resuming is a convenience */ }
  }

  player.addEventListener("loadedmetadata", function () {
    var at = stored();
    if (at > 5 && (!isFinite(player.duration) || at < player.duration - 5)) { player.currentTime = at; }
  });
  player.addEventListener("timeupdate", function () {
    if (Math.abs(player.currentTime - lastSaved) >= 5) {
      lastSaved = player.currentTime;
      save(lastSaved);
    }
  });
  player.addEventListener("pause", function () { save(player.currentTime); });
  player.addEventListener("ended", function () { save(0); });

  player.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var k = event.key.toLowerCase();
    if (k === " " || k === "k") {
      if (player.paused) { player.play(); } else { player.pause(); }
    } else if (k === "arrowleft" || k === "arrowright") {
      var step = k === "arrowleft" ? -5 : 5;
      player.currentTime = Math.max(0, Math.min(player.duration || Infinity, player.currentTime + step));
    } else if (k === "m") {
      player.muted = !player.muted;
    } else {
      return;
    }
    event.preventDefault();
  });
}());
