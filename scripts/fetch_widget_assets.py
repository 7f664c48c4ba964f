"""Fetch the widget JavaScript the rendered book serves itself, pinned, from the npm registry.

The book's pages show live widgets with no kernel and no network: the Jupyter widget manager
(`@jupyter-widgets/html-manager`), the module loader it needs (`requirejs`) and the anywidget
runtime are files under ``book/_static/widgets/``, committed, so ``make book`` needs neither
npm nor a network. This script is how those files were made and how to update them:

    python scripts/fetch_widget_assets.py           # npm pack each pinned tarball, verify, extract
    python scripts/fetch_widget_assets.py --check   # offline: the committed files match MANIFEST.json

A tarball whose SHA-256 differs from its pin is refused. To upgrade, change a version, run with
``--accept-new-hash`` once, review the diff and commit the new pin printed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from albert_lite.files import write_bytes_atomically, write_text_atomically  # noqa: E402

OUT = ROOT / "book" / "_static" / "widgets"
MANIFEST = OUT / "MANIFEST.json"

# package: (version, SHA-256 of the npm tarball, {file in the tarball: file under OUT})
PINS: dict[str, tuple[str, str, dict[str, str]]] = {
    "@jupyter-widgets/html-manager": (
        "1.0.15",
        "2b9d65cb7913e1c7d671757a10008b32c9c2448d4429513371e55c07d6107638",
        {
            "package/dist/embed-amd.js": "embed-amd.js",
            # Font Awesome, for widgets with icons; woff2 is the format every current browser takes.
            "package/dist/1551f4f60c37af51121f.woff2": "1551f4f60c37af51121f.woff2",
            "package/dist/7a3337626410ca2f4071.woff2": "7a3337626410ca2f4071.woff2",
            "package/dist/d878b0a6a1144760244f.woff2": "d878b0a6a1144760244f.woff2",
            "package/dist/embed.js.LICENSE.txt": "LICENSES/html-manager-bundled.txt",
        },
    ),
    "requirejs": (
        "2.3.8",
        "777158e89275e16bd51aec3ef714fbcb5dc45789e7078659933bc814916d7dec",
        {"package/require.js": "require.js"},
    ),
    "anywidget": (
        "0.11.0",
        "44efed0d0c9999ec94cd3a86e317e902591f01df8edb3c8006b7e390b7e15ed8",
        {"package/dist/index.js": "anywidget/index.js", "package/LICENSE": "LICENSES/anywidget.txt"},
    ),
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def npm_pack(package: str, version: str, into: Path) -> Path:
    """Download one tarball from the npm registry with npm itself (no install, no scripts run)."""
    result = subprocess.run(
        ["npm", "pack", f"{package}@{version}", "--json", "--ignore-scripts", "--pack-destination", str(into)],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"npm pack {package}@{version} failed: {result.stderr.strip().splitlines()[-1:]}")
    return into / json.loads(result.stdout)[0]["filename"]


def fetch(accept_new_hash: bool) -> dict:
    manifest: dict = {"packages": {}, "files": {}}
    with tempfile.TemporaryDirectory() as scratch:
        for package, (version, pinned, files) in PINS.items():
            tarball = npm_pack(package, version, Path(scratch))
            digest = sha256(tarball.read_bytes())
            if digest != pinned and not accept_new_hash:
                raise SystemExit(f"{package}@{version}: SHA-256 {digest} differs from the pin {pinned}")
            if digest != pinned:
                print(f"new pin for {package}@{version}: {digest}")
            with tarfile.open(tarball) as archive:
                for member, target in files.items():
                    data = archive.extractfile(member).read()
                    write_bytes_atomically(OUT / target, data)
                    manifest["files"][target] = {"package": package, "sha256": sha256(data)}
            manifest["packages"][package] = {"version": version, "tarball_sha256": digest}
    write_text_atomically(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def check() -> list[str]:
    """Problems with the committed files (missing, changed, or not the pinned versions); empty when fine."""
    if not MANIFEST.exists():
        return [f"{MANIFEST} is missing: run scripts/fetch_widget_assets.py"]
    manifest = json.loads(MANIFEST.read_text())
    problems = [f"{name}: manifest has {entry['version']}, pin is {PINS[name][0]}"
                for name, entry in manifest["packages"].items() if name in PINS and entry["version"] != PINS[name][0]]
    problems += [f"{name} is pinned but not in the manifest" for name in PINS if name not in manifest["packages"]]
    for target, entry in manifest["files"].items():
        path = OUT / target
        if not path.exists():
            problems.append(f"{target} is missing")
        elif sha256(path.read_bytes()) != entry["sha256"]:
            problems.append(f"{target} differs from the fetched file")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the committed files offline")
    parser.add_argument("--accept-new-hash", action="store_true", help="take a tarball whose hash is not pinned")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        print("\n".join(problems) or f"{len(json.loads(MANIFEST.read_text())['files'])} files match MANIFEST.json")
        return 1 if problems else 0
    manifest = fetch(args.accept_new_hash)
    for name, entry in manifest["packages"].items():
        print(f"{name}@{entry['version']}  sha256 {entry['tarball_sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
