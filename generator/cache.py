"""Incremental builds: outputs kept under a key made of everything they depend on.

A guideline's PDF depends on its print HTML (made from the built page) and its address; a
form's PDF on the resolved form, the organisation's name, the templates and the field font,
so that an unchanged form is not even rendered to HTML. A language's MkDocs site depends on its
generated Markdown, its configuration, the theme overrides and the build date; when MkDocs must
run, each page it renders is kept too (``pages-nb/``, see ``pagecache``). Everything also
depends on the generator's own code and the installed versions of the libraries that render
it. The same key gives the same bytes, so a reused output is exactly what a full build would
have written.

The cache lives beside the site folder (``.site.cache``); a successful build keeps only what it
used, so it never grows beyond one site's worth.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from importlib import metadata
from pathlib import Path

RENDERERS = (
    "Jinja2", "Markdown", "mkdocs", "mkdocs-material", "pymdown-extensions", "Pygments",
    "weasyprint", "pydyf", "pikepdf", "fonttools", "nh3", "policy-site",
)  # fmt: skip
"""Packages whose version changes the output."""


def environment_key() -> str:
    """The generator's code and the renderers' versions."""
    digest = hashlib.sha256()
    for package in RENDERERS:
        try:
            digest.update(f"{package}=={metadata.version(package)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package} missing\n".encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def write_whole(target: Path, data: bytes) -> None:
    """Write a file so that readers, and other processes writing the same bytes, only ever see
    it whole or absent (a killed build leaves at most a stray ``.partial-`` file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    partial.write_bytes(data)
    partial.replace(target)


def tree_key(*folders: Path) -> str:
    """Every file's path and bytes below the folders."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class BuildCache:
    """Files and folders stored by key; ``used`` records what this build asked for."""

    def __init__(self, root: Path, environment: str):
        self.root = root
        self.environment = environment
        self.used: set[str] = set()

    def key(self, *parts: str | bytes) -> str:
        digest = hashlib.sha256(self.environment.encode())
        for part in parts:
            data = part.encode() if isinstance(part, str) else part
            digest.update(len(data).to_bytes(8, "big") + data)
        return digest.hexdigest()

    def fetch(self, key: str, target: Path) -> bool:
        """Copy the stored output to ``target``; False when there is none."""
        stored = self.root / key
        self.used.add(key)
        if stored.is_dir():
            shutil.copytree(stored, target, dirs_exist_ok=True)
        elif stored.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(stored, target)
        else:
            return False
        return True

    def read(self, key: str) -> bytes | None:
        """A value stored with ``write``, or None."""
        self.used.add(key)
        stored = self.root / key
        return stored.read_bytes() if stored.is_file() else None

    def write(self, key: str, data: bytes) -> None:
        self.used.add(key)
        write_whole(self.root / key, data)

    def file(self, key: str) -> Path:
        """Where a file other processes write is kept; it survives while builds use it."""
        self.used.add(key)
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root / key

    def folder(self, name: str) -> Path:
        """A folder kept from build to build, whose files its user tidies itself."""
        self.used.add(name)
        return self.root / name

    def store(self, key: str, source: Path) -> None:
        self.used.add(key)
        stored = self.root / key
        if stored.exists():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self.root / f"{key}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        if source.is_dir():
            shutil.copytree(source, partial)
        else:
            shutil.copyfile(source, partial)
        partial.rename(stored)  # complete or absent, even if the build is killed

    def prune(self) -> None:
        """Forget everything this build did not use."""
        if not self.root.is_dir():
            return
        for entry in self.root.iterdir():
            if entry.name not in self.used:
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
