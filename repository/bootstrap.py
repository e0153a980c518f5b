"""Set-up and entry point of the README's two commands; standard library only, so it runs before the
virtual environment exists:

    python3 repository/bootstrap.py run  [--lessons N] [hoclieu run options]
    python3 repository/bootstrap.py test [pytest options]

It installs the system tools the product needs with apt-get when they are missing (as root, or with
password-less sudo), creates .venv, installs the package with pip when pyproject.toml changed, then
runs the portal (after `db upgrade` and `demo load`) or the test suite.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"

#: program or file that must exist -> Debian package that provides it
SYSTEM_NEEDS = {
    "ffmpeg": "ffmpeg",
    "ffprobe": "ffmpeg",
    "tesseract": "tesseract-ocr",
    "/usr/share/tesseract-ocr/5/tessdata/vie.traineddata": "tesseract-ocr-vie",
    "pdftotext": "poppler-utils",
    "pdftoppm": "poppler-utils",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf": "fonts-dejavu-core",
    "npm": "npm",
}
#: Only the tests need these: the browser for the browser tests, nginx for the tested X-Accel configuration.
TEST_NEEDS = {"chromium": "chromium", "/usr/sbin/nginx": "nginx-light"}


def say(message: str) -> None:
    print(f"[hoclieu] {message}", flush=True)


def _present(need: str) -> bool:
    if need.startswith("/"):
        return Path(need).exists() or (need.endswith("vie.traineddata") and _tessdata_has_vie())
    return shutil.which(need) is not None


def _tessdata_has_vie() -> bool:
    return any(Path("/usr/share/tesseract-ocr").glob("*/tessdata/vie.traineddata"))


def ensure_system_packages(needs: dict[str, str]) -> None:
    missing = sorted({pkg for need, pkg in needs.items() if not _present(need)})
    if not missing:
        return
    if shutil.which("apt-get") is None:
        sys.exit(f"[hoclieu] missing system packages {missing} and no apt-get here: install them by hand")
    prefix: list[str] = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None or subprocess.run(["sudo", "-n", "true"], check=False).returncode:
            sys.exit(f"[hoclieu] please install as root: apt-get install -y {' '.join(missing)}")
        prefix = ["sudo", "-n"]
    say(f"installing system packages: {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*prefix, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                   check=True, env=env)


def _install_digest(extras: str) -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()


def ensure_virtualenv(extras: str, *, also_fine: tuple[str, ...] = ()) -> None:
    """Install the package (with ``extras``) unless the same pyproject.toml was installed already with
    these extras or with one of ``also_fine`` (a superset, such as the test extras for ``run``)."""
    stamp = VENV / ".hoclieu-installed"
    digest = _install_digest(extras)
    installed = stamp.read_text() if stamp.exists() else ""
    if installed in {digest, *map(_install_digest, also_fine)} and (BIN / "hoclieu").exists():
        return
    if not (BIN / "python").exists():
        say("creating the virtual environment .venv")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    say("installing Python packages (pip)")
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}{extras}"], check=True)
    stamp.write_text(digest)


def ensure_static_packages() -> None:
    """Install the third-party front-end code (static/package.json: hls.js, pdf.js) with npm when node_modules
    is missing or older than the lock file. It is served from /static/node_modules and never committed.
    Optional packages are left out: pdfjs-dist's only one is a canvas for Node.js, which the browser never uses."""
    static = ROOT / "static"
    lock, installed = static / "package-lock.json", static / "node_modules" / ".package-lock.json"
    if installed.exists() and (not lock.exists() or installed.stat().st_mtime >= lock.stat().st_mtime):
        return
    say("installing front-end packages (npm)")
    command = "ci" if lock.exists() else "install"
    subprocess.run(["npm", command, "--no-audit", "--no-fund", "--omit=dev", "--omit=optional"], check=True,
                   cwd=static)


def hoclieu(*args: str) -> None:
    subprocess.run([str(BIN / "hoclieu"), *args], check=True, cwd=ROOT)


def run(argv: list[str]) -> None:
    lessons = "300"
    if "--lessons" in argv:
        at = argv.index("--lessons")
        lessons = argv[at + 1]
        argv = argv[:at] + argv[at + 2:]
    ensure_system_packages(SYSTEM_NEEDS)
    ensure_virtualenv("", also_fine=("[test]",))
    ensure_static_packages()
    hoclieu("db", "upgrade")
    hoclieu("demo", "load", "--lessons", lessons)
    os.chdir(ROOT)
    os.execv(str(BIN / "hoclieu"), [str(BIN / "hoclieu"), "run", *argv])


def test(argv: list[str]) -> None:
    ensure_system_packages({**SYSTEM_NEEDS, **TEST_NEEDS})
    ensure_virtualenv("[test]")
    ensure_static_packages()
    os.chdir(ROOT)
    say("ruff check")
    subprocess.run([str(BIN / "ruff"), "check", "."], check=True)
    os.execv(str(BIN / "python"), [str(BIN / "python"), "-m", "pytest", *argv])


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test"}:
        sys.exit(__doc__)
    {"run": run, "test": test}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
