// Upload form: keeps grade and subject lists consistent with the level, and sends the file with a
// progress bar (XMLHttpRequest reports upload progress; fetch does not). Without JavaScript the form
// posts normally and the server validates the same way.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var level = form.querySelector("#level");
  var grade = form.querySelector("#grade");
  var subject = form.querySelector("#subject");

  function parseGrades(text) {
    var grades = [];
    (text || "").split(/[;,]/).forEach(function (part) {
      var bounds = part.split("-").map(function (x) { return parseInt(x, 10); });
      if (isNaN(bounds[0])) { return; }
      var high = isNaN(bounds[1]) ? bounds[0] : bounds[1];
      for (var g = bounds[0]; g <= high; g++) { grades.push(g); }
    });
    return grades;
  }

  function refreshChoices() {
    var levelOption = level.options[level.selectedIndex];
    var allowed = parseGrades(levelOption && levelOption.dataset.grades);
    Array.prototype.forEach.call(grade.options, function (opt) {
      if (!opt.value) { return; }
      opt.hidden = level.value !== "" && allowed.indexOf(parseInt(opt.value, 10)) < 0;
      if (opt.hidden && opt.selected) { grade.value = ""; }
    });
    var g = parseInt(grade.value, 10);
    Array.prototype.forEach.call(subject.options, function (opt) {
      if (!opt.value) { return; }
      var levels = (opt.dataset.levels || "").split(";");
      var fits = level.value === "" || levels.indexOf(level.value) >= 0;
      if (fits && !isNaN(g)) { fits = parseGrades(opt.dataset.grades).indexOf(g) >= 0; }
      opt.hidden = !fits;
      if (opt.hidden && opt.selected) { subject.value = ""; }
    });
  }
  level.addEventListener("change", refreshChoices);
  grade.addEventListener("change", refreshChoices);
  refreshChoices();

  var errorBox = document.getElementById("form-error");
  var box = document.getElementById("upload-progress");
  var bar = document.getElementById("upload-bar");
  var percent = document.getElementById("upload-percent");
  var button = form.querySelector("button[type=submit]");

  function showError(message, field) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    var input = field && form.querySelector("[name=" + field + "]");
    if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errorBox.hidden = true;
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (el) {
      el.removeAttribute("aria-invalid");
    });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.api);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) { return; }
      var p = Math.round(100 * e.loaded / e.total);
      bar.value = p;
      percent.textContent = p + "%";
    });
    xhr.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
      if (xhr.status === 201 && body.url) { window.location.assign(body.url); return; }
      button.disabled = false;
      box.hidden = true;
      var e = body.error || {};
      showError(e.message || ("Lỗi " + xhr.status + ". Hãy thử lại."), e.field);
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      box.hidden = true;
      showError("Mất kết nối khi đang tải lên. Hãy kiểm tra mạng rồi thử lại.");
    });
    button.disabled = true;
    box.hidden = false;
    xhr.send(new FormData(form));
  });
}());
