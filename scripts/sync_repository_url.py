"""Write the repository's address, kept once in _config.yml, into every chapter.

Colab opens a chapter from the repository (the link at the top of each chapter) and the setup
cell installs `albert_lite` from it. A fork changes ``repository.url`` (and ``branch``) in
``_config.yml`` and runs this script; ``--check`` only reports chapters that disagree.

    python scripts/sync_repository_url.py [--check]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parents[1]
COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^)\s]+?/notebooks/(?P<file>[\w.-]+\.ipynb)")
INSTALL = re.compile(r'"albert_lite(?P<extras>\[[\w,-]+\])? @ git\+[^"]+"')


def repository() -> tuple[str, str]:
    """(https URL of the repository, branch), as _config.yml says; ValueError if it is not a GitHub address."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]
    url = config["url"].rstrip("/")
    parts = urlparse(url)
    if parts.scheme != "https" or parts.hostname != "github.com" or len(parts.path.strip("/").split("/")) != 2:
        raise ValueError(f"repository.url={url!r} must be https://github.com/OWNER/NAME (Colab opens GitHub paths)")
    return url, config.get("branch", "main")


def expected_text(text: str, url: str, branch: str) -> str:
    """``text`` with its Colab links and install address pointing at ``url`` and ``branch``."""
    owner_name = urlparse(url).path.strip("/")
    text = COLAB_LINK.sub(lambda m: f"https://colab.research.google.com/github/{owner_name}/blob/{branch}/notebooks/"
                          f"{m['file']}", text)
    address = f"{url}@{branch}" if branch != "main" else url
    return INSTALL.sub(lambda m: f'"albert_lite{m["extras"] or ""} @ git+{address}"', text)


def sync(paths: list[Path], write: bool) -> list[str]:
    """Names of the chapters whose addresses differ from _config.yml (rewritten when ``write``)."""
    url, branch = repository()
    changed = []
    for path in paths:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        differs = False
        for cell in notebook["cells"]:
            source = "".join(cell["source"])
            fixed = expected_text(source, url, branch)
            if fixed != source:
                differs = True
                lines = fixed.split("\n")
                cell["source"] = [line + "\n" for line in lines[:-1]] + [lines[-1]]
        if differs:
            changed.append(path.name)
            if write:
                path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report chapters that disagree; change nothing")
    args = parser.parse_args(argv)
    changed = sync(sorted((ROOT / "notebooks").glob("*.ipynb")), write=not args.check)
    verb = "disagree with" if args.check else "rewritten from"
    print(f"{len(changed)} chapter(s) {verb} _config.yml" + (": " + ", ".join(changed) if changed else ""))
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
