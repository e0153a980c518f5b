// The lecture player: HLS through hls.js with automatic and manual quality (else the browser's native HLS
// or the MP4 fallback of the <source> list), resume where the viewer stopped (localStorage), keyboard.
(function () {
  "use strict";
  var player = document.getElementById("lecture-player");
  if (!player) { return; }

  function label(level) { return level.height ? level.height + "p" : Math.round(level.bitrate / 1000) + " kbps"; }

  // hls.js when the browser has Media Source Extensions; the quality menu lists the ladder's rungs.
  function attachHls() {
    if (!window.Hls || !window.Hls.isSupported() || !player.dataset.hls) { return; }
    var hls = new window.Hls({capLevelToPlayerSize: false, enableWorker: false});  // no blob: worker under our CSP
    var box = document.getElementById("quality");
    var menu = document.getElementById("quality-menu");
    var current = document.getElementById("quality-current");
    player.hls = hls;
    hls.on(window.Hls.Events.MANIFEST_PARSED, function (event, data) {
      data.levels.forEach(function (level, index) {
        var option = document.createElement("option");
        option.value = String(index);
        option.textContent = label(level);
        menu.appendChild(option);
      });
      box.hidden = data.levels.length < 2;
    });
    hls.on(window.Hls.Events.LEVEL_SWITCHED, function (event, data) {
      var level = hls.levels[data.level];
      player.dataset.level = level ? String(level.height || 0) : "";
      current.textContent = level ? label(level) : "";
    });
    hls.on(window.Hls.Events.ERROR, function (event, data) {
      if (data.fatal) {  // give the browser the <source> list back: native HLS or the MP4 fallback
        hls.destroy();
        player.hls = null;
        box.hidden = true;
        player.removeAttribute("src");
        player.load();
      }
    });
    menu.addEventListener("change", function () { hls.currentLevel = parseInt(menu.value, 10); });
    hls.loadSource(player.dataset.hls);
    hls.attachMedia(player);
  }
  attachHls();

  // The thumbnail strip: over the bottom of the player (where the timeline is) show the frame of that moment.
  var thumbs = document.getElementById("thumbs-track");
  var preview = document.getElementById("seek-preview");
  if (thumbs && preview) {
    thumbs.track.mode = "hidden";
    player.addEventListener("mousemove", function (event) {
      var box = player.getBoundingClientRect();
      var cues = thumbs.track.cues;
      if (!cues || !isFinite(player.duration) || box.bottom - event.clientY > 48) { preview.hidden = true; return; }
      var at = Math.max(0, Math.min(1, (event.clientX - box.left) / box.width)) * player.duration;
      var cue = null;
      for (var i = 0; i < cues.length; i += 1) {
        if (cues[i].startTime <= at && at < cues[i].endTime) { cue = cues[i]; break; }
      }
      var match = cue && /^([^#]+)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(cue.text.trim());
      if (!match) { preview.hidden = true; return; }
      preview.style.backgroundImage = "url(\"" + new URL(match[1], thumbs.src).href + "\")";
      preview.style.backgroundPosition = "-" + match[2] + "px -" + match[3] + "px";
      preview.style.width = match[4] + "px";
      preview.style.height = match[5] + "px";
      preview.style.left = Math.max(0, Math.min(box.width - match[4], event.clientX - box.left - match[4] / 2)) + "px";
      preview.dataset.time = String(Math.floor(cue.startTime));
      preview.hidden = false;
    });
    player.addEventListener("mouseleave", function () { preview.hidden = true; });
  }
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
