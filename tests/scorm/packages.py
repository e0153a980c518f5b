"""SCORM packages generated for the portal tests: a page that finds the runtime API the way authoring
tools do (walking up the parent windows), reads the learner's stored data, then reports progress."""

from __future__ import annotations

import io
import zipfile

MANIFEST_2004 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="vn.hoclieu.test2004" version="1"
          xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
          xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 3rd Edition</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>Phân số lớp 6 (2004)</title>
      <item identifier="bai1" identifierref="r1"><title>Bài 1</title></item>
      <item identifier="bai2" identifierref="r2"><title>Bài 2</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="index.html">
      <file href="index.html"/><file href="lesson.js"/>
    </resource>
    <resource identifier="r2" type="webcontent" adlcp:scormType="sco" href="bai2/index.html">
      <file href="bai2/index.html"/>
    </resource>
  </resources>
</manifest>
"""
MANIFEST_12 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="vn.hoclieu.test12" version="1"
          xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
          xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>Phân số lớp 6</title>
      <item identifier="bai1" identifierref="r1"><title>Bài 1. Phân số</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="index.html">
      <file href="index.html"/><file href="lesson.js"/><file href="hinh.png"/>
    </resource>
  </resources>
</manifest>
"""
PAGE = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Bài 1</title>
<script src="lesson.js"></script></head>
<body><h1>Phân số</h1><img id="hinh" src="hinh.png" alt="hình"><p id="out"></p>
<button id="done" type="button">Hoàn thành</button></body></html>
"""
#: Finds the API like pipwerks/SCORM Driver (own window, then parents), records what it read on the page.
LESSON_12 = """
function findAPI(win) {
  var tries = 0;
  while (!win.API && win.parent && win.parent !== win && tries < 7) { tries++; win = win.parent; }
  return win.API || null;
}
window.addEventListener("load", function () {
  var api = findAPI(window), out = document.getElementById("out");
  if (!api) { out.textContent = "no-api"; return; }
  api.LMSInitialize("");
  document.body.dataset.entry = api.LMSGetValue("cmi.core.entry");
  document.body.dataset.suspend = api.LMSGetValue("cmi.suspend_data");
  document.body.dataset.student = api.LMSGetValue("cmi.core.student_name");
  document.body.dataset.badSet = api.LMSSetValue("cmi.core.student_name", "hacker") + ":" + api.LMSGetLastError();
  api.LMSSetValue("cmi.core.lesson_location", "trang-3");
  api.LMSSetValue("cmi.core.score.min", "0");
  api.LMSSetValue("cmi.core.score.max", "100");
  api.LMSSetValue("cmi.core.score.raw", "85");
  api.LMSSetValue("cmi.suspend_data", "trang=3;đáp án=B");
  api.LMSSetValue("cmi.core.lesson_status", "incomplete");
  api.LMSCommit("");
  out.textContent = "committed";
  document.getElementById("done").addEventListener("click", function () {
    api.LMSSetValue("cmi.core.lesson_status", "passed");
    api.LMSSetValue("cmi.core.exit", "suspend");
    api.LMSSetValue("cmi.core.session_time", "0000:01:30.00");
    out.textContent = "finished:" + api.LMSFinish("");
  });
});
"""
LESSON_2004 = """
window.addEventListener("load", function () {
  var api = window.API_1484_11, out = document.getElementById("out");
  if (!api) { out.textContent = "no-api"; return; }
  api.Initialize("");
  api.SetValue("cmi.completion_status", "completed");
  api.SetValue("cmi.success_status", "passed");
  api.SetValue("cmi.score.scaled", "0.9");
  api.SetValue("cmi.score.raw", "9");
  api.SetValue("cmi.session_time", "PT2M5S");
  out.textContent = "terminated:" + api.Terminate("");
});
"""
#: A 1x1 PNG.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def _zip(entries: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def package_12() -> bytes:
    return _zip({"imsmanifest.xml": MANIFEST_12, "index.html": PAGE, "lesson.js": LESSON_12, "hinh.png": PNG})


def package_2004() -> bytes:
    return _zip({"imsmanifest.xml": MANIFEST_2004, "index.html": PAGE.replace("Bài 1", "Bài 1 (2004)"),
                 "lesson.js": LESSON_2004, "hinh.png": PNG, "bai2/index.html": PAGE.replace("Bài 1", "Bài 2")})


def package_with(entries: dict[str, str | bytes]) -> bytes:
    return _zip(entries)
