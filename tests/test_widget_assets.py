"""The widget JavaScript is served by the book: pinned, verified, and never fetched from a CDN."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from scripts import fetch_widget_assets as assets

ROOT = Path(__file__).resolve().parents[1]


def test_committed_files_match_their_manifest():
    assert assets.check() == []


def test_manifest_covers_every_pinned_package_at_its_pinned_version():
    manifest = json.loads(assets.MANIFEST.read_text())
    assert {name: entry["version"] for name, entry in manifest["packages"].items()} == {
        name: version for name, (version, _, _) in assets.PINS.items()}
    assert set(manifest["files"]) == {target for _, _, files in assets.PINS.values() for target in files.values()}


def test_a_changed_or_missing_file_is_reported(tmp_path, monkeypatch):
    copy = tmp_path / "widgets"
    shutil.copytree(assets.OUT, copy)
    monkeypatch.setattr(assets, "OUT", copy)
    monkeypatch.setattr(assets, "MANIFEST", copy / "MANIFEST.json")
    (copy / "require.js").write_text("// tampered")
    (copy / "anywidget" / "index.js").unlink()
    assert sorted(assets.check()) == ["anywidget/index.js is missing", "require.js differs from the fetched file"]


def test_the_book_loads_widgets_only_from_its_own_static_folder():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]
    scripts = config["nb_ipywidgets_js"]
    assert scripts and not any("://" in path for path in scripts)
    static = [ROOT / folder for folder in config["html_static_path"]]
    for path in scripts:
        assert any((folder / path).is_file() for folder in static), path
    loader = (assets.OUT / "albert-widgets.js").read_text()
    for needed in ("require.js", "embed-amd.js", "anywidget/index"):
        assert needed in loader
        assert (assets.OUT / (needed if needed.endswith(".js") else needed + ".js")).is_file()
