// The SCORM runtime API inside a package's sandboxed frame: SCORM 1.2 (window.API) and SCORM 2004
// (window.API_1484_11). Injected by the server at the top of every HTML page of the package and seeded
// with the learner's stored data (data-state), it answers GetValue from that data and checks SetValue
// against the data model (the same rules as repository/materials/scorm_data.py, which has the last word).
// Commit and Finish/Terminate post the values set in this session to the material page, which stores them.
(function () {
  "use strict";
  var tag = document.getElementById("hoclieu-scorm-api") || document.currentScript;
  var version = tag.getAttribute("data-version");
  var sco = tag.getAttribute("data-sco") || "";
  var data = JSON.parse(tag.getAttribute("data-state") || "{}");
  var pageOrigin = new URL(tag.src).origin;
  var written = {};
  var phase = "new";  // new -> running -> done
  var lastError = "0";
  var N = "\\d{1,4}";

  function rule(pattern, max, vocabulary, low, high) {
    return {re: new RegExp("^" + pattern + "$"), max: max, vocabulary: vocabulary, low: low, high: high};
  }
  var WRITABLE = {
    "1.2": [
      rule("cmi\\.core\\.lesson_location", 255),
      rule("cmi\\.core\\.lesson_status", 20, ["passed", "completed", "failed", "incomplete", "browsed", "not attempted"]),
      rule("cmi\\.core\\.score\\.(raw|min|max)", 20, null, 0, 100),
      rule("cmi\\.core\\.exit", 20, ["time-out", "suspend", "logout", ""]),
      rule("cmi\\.core\\.session_time", 20),
      rule("cmi\\.suspend_data", 4096),
      rule("cmi\\.comments", 4096),
      rule("cmi\\.student_preference\\.(audio|language|speed|text)", 255),
      rule("cmi\\.objectives\\." + N + "\\.(id|status|score\\.(raw|min|max))", 255),
      rule("cmi\\.interactions\\." + N + "\\.(id|time|type|weighting|student_response|result|latency|objectives\\." +
           N + "\\.id|correct_responses\\." + N + "\\.pattern)", 4096)
    ],
    "2004": [
      rule("cmi\\.location", 1000),
      rule("cmi\\.completion_status", 20, ["completed", "incomplete", "not attempted", "unknown"]),
      rule("cmi\\.success_status", 20, ["passed", "failed", "unknown"]),
      rule("cmi\\.score\\.scaled", 20, null, -1, 1),
      rule("cmi\\.score\\.(raw|min|max)", 20, null, -1e10, 1e10),
      rule("cmi\\.progress_measure", 20, null, 0, 1),
      rule("cmi\\.exit", 20, ["time-out", "suspend", "logout", "normal", ""]),
      rule("cmi\\.session_time", 40),
      rule("cmi\\.suspend_data", 64000),
      rule("cmi\\.learner_preference\\.(audio_level|language|delivery_speed|audio_captioning)", 250),
      rule("cmi\\.comments_from_learner\\." + N + "\\.(comment|location|timestamp)", 4000),
      rule("cmi\\.objectives\\." + N + "\\.(id|score\\.(scaled|raw|min|max)|success_status|completion_status|" +
           "progress_measure|description)", 4000),
      rule("cmi\\.interactions\\." + N + "\\.(id|type|timestamp|weighting|learner_response|result|latency|" +
           "description|objectives\\." + N + "\\.id|correct_responses\\." + N + "\\.pattern)", 4000)
    ]
  };
  var WRITE_ONLY = /(exit|session_time)$/;
  var CHILDREN = {
    "1.2": {"cmi.core._children": "student_id,student_name,lesson_location,credit,lesson_status,entry,score,total_time,lesson_mode,exit,session_time",
            "cmi.core.score._children": "raw,min,max", "cmi.objectives._children": "id,score,status",
            "cmi.interactions._children": "id,objectives,time,type,correct_responses,weighting,student_response,result,latency",
            "cmi.student_preference._children": "audio,language,speed,text"},
    "2004": {"cmi._version": "1.0", "cmi.score._children": "scaled,raw,min,max",
             "cmi.objectives._children": "id,score,success_status,completion_status,progress_measure,description",
             "cmi.interactions._children": "id,type,objectives,timestamp,correct_responses,weighting,learner_response,result,latency,description",
             "cmi.learner_preference._children": "audio_level,language,delivery_speed,audio_captioning"}
  };
  // Error codes of each version for the same situations.
  var CODES = {
    "1.2": {notRunning: "301", done: "101", again: "101", undefined: "201", readOnly: "403", writeOnly: "404",
            type: "405", badArg: "201"},
    "2004": {notRunning: "122", done: "123", again: "103", undefined: "401", readOnly: "404", writeOnly: "405",
             type: "406", badArg: "201", setNotRunning: "132", setDone: "133", commitNotRunning: "142",
             commitDone: "143", termNotRunning: "112", termDone: "113", initDone: "104"}
  };
  var MESSAGES = {"0": "No error", "101": "General exception", "103": "Already initialized",
    "104": "Content instance terminated", "112": "Termination before initialization",
    "113": "Termination after termination", "122": "Retrieve data before initialization",
    "123": "Retrieve data after termination", "132": "Store data before initialization",
    "133": "Store data after termination", "142": "Commit before initialization",
    "143": "Commit after termination", "201": "Invalid argument", "301": "Not initialized",
    "401": "Undefined data model element", "403": "Element is read only", "404": "Element is write only",
    "405": "Incorrect data type", "406": "Data model element type mismatch"};
  var codes = CODES[version];

  function fail(code, answer) { lastError = code; return answer; }
  function ok(answer) { lastError = "0"; return answer; }

  function writableRule(name) {
    var rules = WRITABLE[version];
    for (var i = 0; i < rules.length; i += 1) { if (rules[i].re.test(name)) { return rules[i]; } }
    return null;
  }

  function count(name) {
    var prefix = name.slice(0, -"_count".length);
    var seen = {};
    Object.keys(data).forEach(function (key) {
      if (key.indexOf(prefix) === 0) { seen[key.slice(prefix.length).split(".")[0]] = true; }
    });
    return String(Object.keys(seen).length);
  }

  function post(finish) {
    var message = {type: "hoclieu-scorm", sco: sco, values: written, finish: finish};
    try { window.parent.postMessage(message, pageOrigin); } catch (e) { /* opened outside the portal */ }
  }

  function initialize(arg) {
    if (arg !== "") { return fail(codes.badArg, "false"); }
    if (phase === "running") { return fail(codes.again, "false"); }
    if (phase === "done") { return fail(codes.initDone || codes.done, "false"); }
    phase = "running";
    return ok("true");
  }

  function getValue(name) {
    if (phase !== "running") { return fail(phase === "new" ? codes.notRunning : codes.done, ""); }
    name = String(name);
    if (CHILDREN[version][name] !== undefined) { return ok(CHILDREN[version][name]); }
    if (/\._count$/.test(name)) { return ok(count(name)); }
    if (WRITE_ONLY.test(name) && writableRule(name)) { return fail(codes.writeOnly, ""); }
    if (Object.prototype.hasOwnProperty.call(data, name)) { return ok(data[name]); }
    if (writableRule(name)) { return version === "2004" ? fail("403", "") : ok(""); }
    return fail(codes.undefined, "");
  }

  function setValue(name, value) {
    if (phase !== "running") {
      return fail(phase === "new" ? (codes.setNotRunning || codes.notRunning) : (codes.setDone || codes.done), "false");
    }
    name = String(name);
    value = String(value);
    var found = writableRule(name);
    if (!found) {
      var known = Object.prototype.hasOwnProperty.call(data, name) || CHILDREN[version][name] !== undefined ||
        /\._count$/.test(name);
      return fail(known ? codes.readOnly : codes.undefined, "false");
    }
    if (value.length > found.max) { return fail(codes.type, "false"); }
    if (found.vocabulary && found.vocabulary.indexOf(value) < 0) { return fail(codes.type, "false"); }
    if (found.low !== undefined) {
      var number = Number(value);
      if (value === "" || !isFinite(number) || number < found.low || number > found.high) { return fail(codes.type, "false"); }
    }
    data[name] = value;
    written[name] = value;
    return ok("true");
  }

  function commit(arg) {
    if (arg !== "") { return fail(codes.badArg, "false"); }
    if (phase !== "running") {
      return fail(phase === "new" ? (codes.commitNotRunning || codes.notRunning) : (codes.commitDone || codes.done), "false");
    }
    post(false);
    return ok("true");
  }

  function finish(arg) {
    if (arg !== "") { return fail(codes.badArg, "false"); }
    if (phase !== "running") {
      return fail(phase === "new" ? (codes.termNotRunning || codes.notRunning) : (codes.termDone || codes.done), "false");
    }
    post(true);
    phase = "done";
    return ok("true");
  }

  function lastErrorCode() { return lastError; }
  function errorString(code) { return MESSAGES[String(code)] || ""; }
  function diagnostic(code) { return errorString(code || lastError); }

  window.addEventListener("pagehide", function () { if (phase === "running") { post(false); } });

  if (version === "1.2") {
    window.API = {LMSInitialize: initialize, LMSFinish: finish, LMSGetValue: getValue, LMSSetValue: setValue,
                  LMSCommit: commit, LMSGetLastError: lastErrorCode, LMSGetErrorString: errorString,
                  LMSGetDiagnostic: diagnostic};
  } else {
    window.API_1484_11 = {Initialize: initialize, Terminate: finish, GetValue: getValue, SetValue: setValue,
                          Commit: commit, GetLastError: lastErrorCode, GetErrorString: errorString,
                          GetDiagnostic: diagnostic};
  }
}());
