"""ingest.scorm on the real Golf Explained packages, the broken and not-SCORM corpus, and hostile ZIPs."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from ingest.archive_safety import PackageError
from ingest.scorm import extract_scorm, inspect_scorm
from tests.scorm.builders import manifest, write_symlink_zip, write_zip

GOLF_12 = "golf_scorm12_multisco_onefilepersco.zip"
GOLF_2004 = "golf_scorm2004_3rd_metadata.zip"


def _refused(path: Path) -> PackageError:
    with pytest.raises(PackageError) as caught:
        inspect_scorm(path)
    return caught.value


def test_golf_scorm12_multisco(scorm_corpus: Path) -> None:
    package = inspect_scorm(scorm_corpus / GOLF_12)
    assert package.version == "1.2"
    assert package.schema_version == "1.2"
    assert package.title == "Golf Explained - CP One File Per SCO"
    assert package.launch_href == "Playing/Playing.html"
    assert package.root == ""
    [organization] = package.organizations
    assert [item.title for item in organization.items] == ["Playing the Game", "Etiquette", "Handicapping",
                                                           "Having Fun"]
    playing = organization.items[0]
    assert playing.resource_id == "" and len(playing.children) == 6
    quiz = playing.children[-1]
    assert (quiz.title, quiz.href, quiz.parameters) == ("Playing Golf Quiz", "shared/assessmenttemplate.html",
                                                        "?questions=Playing")
    assert len(package.resources) == 19
    common = next(r for r in package.resources if r.identifier == "common_files")
    assert common.scorm_type == "asset" and "shared/scormfunctions.js" in common.files


def test_golf_scorm2004_3rd_edition(scorm_corpus: Path) -> None:
    package = inspect_scorm(scorm_corpus / GOLF_2004)
    assert package.version == "2004"
    assert package.schema_version == "2004 3rd Edition"
    assert package.title == "Golf Explained - Metadata Example"
    assert package.launch_href == "shared/launchpage.html"
    [resource] = package.resources
    assert resource.scorm_type == "sco"
    assert len(resource.files) == 39


def test_extract_golf_writes_every_file_inside_staging(scorm_corpus: Path, tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    package = extract_scorm(scorm_corpus / GOLF_12, staging)
    launch = staging / package.launch_path
    assert b"<html" in launch.read_bytes().lower()
    files = [p for p in staging.rglob("*") if p.is_file()]
    with zipfile.ZipFile(scorm_corpus / GOLF_12) as archive:
        assert len(files) == sum(1 for info in archive.infolist() if not info.is_dir())


def test_package_zipped_with_its_folder_is_accepted(scorm_corpus: Path, tmp_path: Path) -> None:
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(scorm_corpus / GOLF_2004) as source, zipfile.ZipFile(nested, "w") as target:
        for info in source.infolist():
            target.writestr("Golf Explained/" + info.filename, source.read(info))
    package = extract_scorm(nested, tmp_path / "staging")
    assert package.root == "Golf Explained/"
    assert package.launch_path == "Golf Explained/shared/launchpage.html"
    assert (tmp_path / "staging" / package.launch_path).is_file()


def _zip_manifest_folder(folder: Path, target: Path, extra: dict[str, str] | None = None) -> Path:
    entries: dict[str, bytes | str] = {"imsmanifest.xml": (folder / "imsmanifest.xml").read_bytes()}
    entries.update(extra or {})
    return write_zip(target, entries)


@pytest.mark.parametrize(("folder", "code", "fragment"), [
    ("MalformedXml_SCORM12", "xml_malformed", "dòng 27"),
    ("MissingLaunchUrl_SCORM12", "no_launch", "href"),
    ("InvalidFileReferences_SCORM12", "launch_missing", "content/nonexistent.html"),
])
def test_broken_corpus_manifests(scorm_corpus: Path, tmp_path: Path, folder: str, code: str,
                                 fragment: str) -> None:
    path = _zip_manifest_folder(scorm_corpus / "broken" / folder, tmp_path / f"{folder}.zip")
    error = _refused(path)
    assert error.code == code
    assert fragment in error.message_vi


def test_listed_files_missing_from_the_package(scorm_corpus: Path, tmp_path: Path) -> None:
    """With the launch file present, the other <file> entries that do not exist are named."""
    folder = scorm_corpus / "broken" / "InvalidFileReferences_SCORM12"
    path = _zip_manifest_folder(folder, tmp_path / "refs.zip", {"content/nonexistent.html": "<html></html>"})
    error = _refused(path)
    assert error.code == "file_missing"
    assert "content/nonexistent.js" in error.message_vi
    assert "content/nonexistent_asset.html" in error.message_vi


@pytest.mark.parametrize(("name", "kind"), [("cmi5.zip", "cmi5"), ("aicc.zip", "AICC")])
def test_not_scorm_packages_are_named(scorm_corpus: Path, name: str, kind: str) -> None:
    error = _refused(scorm_corpus / "not-scorm" / name)
    assert error.code == "not_scorm"
    assert kind in error.message_vi and "imsmanifest.xml" in error.message_vi


def test_qti_content_package_is_not_scorm(corpus: Path) -> None:
    path = corpus / "questions" / "qti" / "packages" / "tao_package.zip"
    if not path.is_file():
        pytest.skip(f"{path} is absent from the corpus")
    error = _refused(path)
    assert error.code == "not_scorm"
    assert "schemaversion" in error.message_vi


def test_minimal_valid_package(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "ok.zip", {"imsmanifest.xml": manifest(), "index.html": "<html></html>"})
    package = inspect_scorm(path)
    assert (package.version, package.title, package.launch_href) == ("1.2", "Bài giảng Toán 6", "index.html")


@pytest.mark.parametrize("entry", ["../../app/config.py", "/etc/cron.d/evil", "C:/evil.html", "x\\..\\evil"])
def test_traversal_entries_are_refused_and_nothing_is_written(tmp_path: Path, entry: str) -> None:
    path = write_zip(tmp_path / "evil.zip", {"imsmanifest.xml": manifest(), "index.html": "<html></html>",
                                             entry: "pwned"})
    staging = tmp_path / "staging"
    with pytest.raises(PackageError) as caught:
        extract_scorm(path, staging)
    assert caught.value.code == "unsafe_path"
    assert entry in caught.value.message_vi
    assert not staging.exists()


def test_symlink_entry_is_refused(tmp_path: Path) -> None:
    path = write_symlink_zip(tmp_path / "link.zip", "index.html", "/etc/passwd",
                             {"imsmanifest.xml": manifest()})
    error = _refused(path)
    assert error.code == "unsafe_path"
    assert "index.html" in error.message_vi


def test_missing_manifest(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "nomanifest.zip", {"index.html": "<html></html>"})
    error = _refused(path)
    assert error.code == "not_scorm"
    assert "imsmanifest.xml" in error.message_vi


def test_launch_file_missing(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "nolaunch.zip", {"imsmanifest.xml": manifest("bai-1/index.html")})
    error = _refused(path)
    assert error.code == "launch_missing"
    assert "bai-1/index.html" in error.message_vi


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE manifest [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE manifest [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    '<!DOCTYPE manifest SYSTEM "http://169.254.169.254/manifest.dtd">',
])
def test_manifest_with_doctype_or_entity_is_refused(tmp_path: Path, doctype: str) -> None:
    text = manifest().replace("<manifest ", doctype + "\n<manifest ", 1)
    path = write_zip(tmp_path / "xxe.zip", {"imsmanifest.xml": text, "index.html": "<html></html>"})
    error = _refused(path)
    assert error.code == "xml_forbidden"
    assert "imsmanifest.xml" in error.message_vi


@pytest.mark.parametrize("href", ["../../x.html", "a/../../x.html", "/etc/passwd", "%2e%2e/%2e%2e/x.html",
                                  "http://evil.example/x.html", "file:///etc/passwd"])
def test_manifest_href_leaving_the_package_is_refused(tmp_path: Path, href: str) -> None:
    entries = {"imsmanifest.xml": manifest(href), "index.html": "<html></html>"}
    path = write_zip(tmp_path / "climb.zip", entries)
    staging = tmp_path / "staging"
    with pytest.raises(PackageError) as caught:
        extract_scorm(path, staging)
    assert caught.value.code == "unsafe_href"
    assert href in caught.value.message_vi
    assert not staging.exists()


def test_xml_base_climbing_out_is_refused(tmp_path: Path) -> None:
    text = manifest().replace('<resources>', '<resources xml:base="../../">', 1)
    path = write_zip(tmp_path / "base.zip", {"imsmanifest.xml": text, "index.html": "<html></html>"})
    assert _refused(path).code == "unsafe_href"


def test_item_referencing_unknown_resource(tmp_path: Path) -> None:
    text = manifest().replace('identifierref="r1"', 'identifierref="r9"', 1)
    path = write_zip(tmp_path / "ref.zip", {"imsmanifest.xml": text, "index.html": "<html></html>"})
    error = _refused(path)
    assert error.code == "manifest_invalid"
    assert "r9" in error.message_vi
