// The material page side of a SCORM package: the package runs in a sandboxed frame (an opaque origin, no
// cookies); its runtime API (scorm-api.js) posts each commit here, and this page stores it for the
// signed-in learner with the session cookie and the CSRF token.
(function () {
  "use strict";
  var box = document.getElementById("scorm-player");
  var frame = document.getElementById("scorm-frame");
  if (!box || !frame) { return; }
  var status = document.getElementById("scorm-status");
  var queue = Promise.resolve();

  function store(message) {
    var body = JSON.stringify({sco: message.sco, values: message.values, finish: !!message.finish});
    return fetch(box.dataset.runtimeUrl, {
      method: "POST", credentials: "same-origin", body: body,
      keepalive: body.length < 60000,  // a commit sent as the page closes still arrives (keepalive caps at 64 kB)
      headers: {"Content-Type": "application/json", "X-CSRFToken": box.dataset.csrf}
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error((data.error && data.error.message) || response.status); }
        status.textContent = box.dataset.savedText;
        box.dataset.saved = String((parseInt(box.dataset.saved || "0", 10)) + 1);
      });
    }).catch(function (error) {
      status.textContent = box.dataset.failedText + ": " + error.message;
    });
  }

  window.addEventListener("message", function (event) {
    var message = event.data;
    if (event.source !== frame.contentWindow || !message || message.type !== "hoclieu-scorm") { return; }
    if (!box.dataset.runtimeUrl) { return; }  // a visitor: the package runs, nothing is stored
    queue = queue.then(function () { return store(message); });  // commits are stored in order
  });
}());
