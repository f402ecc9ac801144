"""Autosave to a recovery file, and recovery after a crash.

Every minute, if the project changed since the last autosave, it is written (atomically) to
``<AppDataLocation>/recovery/recovery-<pid>.json`` with a small ``.meta.json`` beside it
(the project's own path and the time). A clean exit deletes both. On the next start, files
left by a process that is no longer running are offered for recovery.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from nncore.fileio import process_alive
from nncore.project import Project, atomic_write_text, save_project

AUTOSAVE_MSEC = 60_000


@dataclass(frozen=True)
class RecoveryFile:
    project_path: Path
    meta_path: Path
    original_path: Path | None
    saved_at: float
    name: str


class RecoveryStore:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.pid = os.getpid()

    @property
    def project_path(self) -> Path:
        return self.folder / f"recovery-{self.pid}.json"

    @property
    def meta_path(self) -> Path:
        return self.folder / f"recovery-{self.pid}.meta.json"

    def save(self, project: Project, original: Path | None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        save_project(project, self.project_path)
        meta = {"original_path": str(original) if original else None, "saved_at": time.time(),
                "name": project.name, "pid": self.pid}
        atomic_write_text(self.meta_path, json.dumps(meta))

    def clear(self) -> None:
        for p in (self.project_path, self.meta_path):
            try:
                p.unlink()
            except FileNotFoundError:
                pass

    def orphans(self) -> list[RecoveryFile]:
        """Recovery files left by processes that are no longer running, newest first."""
        out = []
        if not self.folder.is_dir():
            return out
        for meta_path in self.folder.glob("recovery-*.meta.json"):
            try:
                pid = int(meta_path.name.split("-")[1].split(".")[0])
            except (IndexError, ValueError):
                continue
            if process_alive(pid):
                continue
            project_path = meta_path.with_name(f"recovery-{pid}.json")
            if not project_path.is_file():
                continue
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                meta = {}
            original = meta.get("original_path") if isinstance(meta, dict) else None
            out.append(RecoveryFile(
                project_path, meta_path, Path(original) if isinstance(original, str) else None,
                float(meta.get("saved_at", project_path.stat().st_mtime))
                if isinstance(meta, dict) else project_path.stat().st_mtime,
                str(meta.get("name", "")) if isinstance(meta, dict) else ""))
        return sorted(out, key=lambda r: r.saved_at, reverse=True)

    @staticmethod
    def discard(rec: RecoveryFile) -> None:
        for p in (rec.project_path, rec.meta_path):
            try:
                p.unlink()
            except FileNotFoundError:
                pass
