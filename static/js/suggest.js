// Completion in the search box: titles and subjects from /api/v1/suggest, offered through the input's
// <datalist> (the browser draws the list and handles keyboard and screen readers). At most one
// request in flight; a pause of 120 ms in typing sends the prefix.
(function () {
  "use strict";
  var input = document.querySelector("input[data-suggest-url]");
  if (!input) { return; }
  var list = document.getElementById(input.getAttribute("list"));
  var timer = null;
  var asked = "";
  var controller = null;

  function fill(suggestions) {
    list.replaceChildren();
    suggestions.forEach(function (text) {
      var option = document.createElement("option");
      option.value = text;
      list.appendChild(option);
    });
  }

  function ask() {
    var prefix = input.value.trim();
    if (prefix.length < 2 || prefix === asked) { return; }
    asked = prefix;
    if (controller) { controller.abort(); }
    controller = new AbortController();
    fetch(input.dataset.suggestUrl + "?q=" + encodeURIComponent(prefix),
          { headers: { "Accept": "application/json" }, signal: controller.signal })
      .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
      .then(function (body) { if (input.value.trim() === prefix) { fill(body.suggestions || []); } })
      .catch(function () { /* aborted or offline: the box keeps working without completion */ });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 120);
  });
}());
