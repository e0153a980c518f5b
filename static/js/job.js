// Follows a background job on the material page and reloads when it ends.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  var bar = document.getElementById("job-bar");
  var percent = document.getElementById("job-percent");
  var message = document.getElementById("job-message");
  var delay = 700;

  function poll() {
    fetch(box.dataset.jobUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        bar.value = job.progress;
        percent.textContent = job.progress + "%";
        if (job.message) { message.textContent = job.message; }
        if (job.status === "succeeded" || job.status === "failed") { window.location.reload(); return; }
        window.setTimeout(poll, delay);
      })
      .catch(function () { delay = Math.min(delay * 2, 10000); window.setTimeout(poll, delay); });
  }
  window.setTimeout(poll, delay);
}());
