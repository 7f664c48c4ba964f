"""Your own text: a file, or every file under a folder, in the BERT format.

One sentence per line and a blank line between documents, as Google's BERT and ALBERT
tools read their pretraining text.
"""

from __future__ import annotations

import os
from pathlib import Path

from .documents import Document


def load_text_documents(path: str | os.PathLike) -> list[Document]:
    """Read a file, or every file under a folder, in the BERT format (one sentence per line)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"corpus path {str(path)!r} does not exist")
    if path.is_dir():
        hidden = lambda p: any(part.startswith(".") for part in p.relative_to(path).parts)
        files = sorted(p for p in path.rglob("*") if p.is_file() and not hidden(p))
        if not files:
            raise ValueError(f"corpus folder {str(path)!r} contains no files")
    else:
        files = [path]
    docs: list[Document] = []
    for file in files:
        docs.extend(_read_bert_format(file, name=str(file.relative_to(path)) if path.is_dir() else file.name))
    return docs


def _read_bert_format(file: Path, name: str) -> list[Document]:
    data = file.read_bytes()
    if not data:
        raise ValueError(f"corpus file {str(file)!r} is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"corpus file {str(file)!r} is not UTF-8: byte 0x{data[err.start]:02x} at byte offset {err.start} "
            "cannot be decoded (convert the file to UTF-8)"
        ) from None
    docs, current = [], []
    for line in text.splitlines():
        line = line.strip()
        if line:
            current.append(line)
        elif current:
            docs.append(current)
            current = []
    if current:
        docs.append(current)
    if not docs:
        raise ValueError(f"corpus file {str(file)!r} contains only blank lines")
    return [Document(id=f"{name}:{k}", sentences=s, metadata={"source": str(file)}) for k, s in enumerate(docs)]
