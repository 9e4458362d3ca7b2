"""The secrets directories as a settings source that reads only what the settings use.

pydantic-settings' nested secrets source reads every file under a secrets directory and
stops on the first it may not read, with a bare ``PermissionError``; a folder it may not
list it skips without a word, so credentials kept there silently go missing. This source
reads the same files, but:

* a file or folder that names a setting (``credentials/x/access_token``, ``database_url``)
  and cannot be read is a :class:`~bot.errors.ConfigError` line naming the path and the fix
  (all of them at once);
* a file that names no setting (another service's secret mounted beside ours) is skipped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic_settings import NestedSecretsSettingsSource, PydanticBaseSettingsSource

from bot.access import unreadable
from bot.errors import ConfigError


class SecretsDirSource(NestedSecretsSettingsSource):
    def __init__(self, file_secret_settings: PydanticBaseSettingsSource, secrets_dir: Path) -> None:
        settings_cls: Any = file_secret_settings.settings_cls
        self._fields = {name.lower() for name in settings_cls.model_fields}
        super().__init__(file_secret_settings, secrets_dir=secrets_dir, secrets_nested_subdir=True,
                         secrets_dir_missing="ok", secrets_prefix="")

    def load_secrets(self, path: Path) -> dict[str, str]:  # type: ignore[override]
        if not path.exists():
            return {}
        problems = self._unreadable(path)
        if problems:
            raise ConfigError(f"cannot read secrets under {path}", problems)
        out: dict[str, str] = {}
        for f in self._iter_secret_files(path):
            rel = f.relative_to(path)
            try:
                out[str(rel)] = f.read_text(encoding="utf-8").strip()
            except OSError:
                continue  # names no setting (those were checked above): not ours to read
            except UnicodeDecodeError:
                if rel.parts[0].lower() in self._fields:
                    raise ConfigError(f"secret file {f}: not UTF-8 text") from None
        return out

    def _unreadable(self, path: Path) -> list[str]:
        try:
            entries = sorted(path.iterdir())
        except OSError:
            return unreadable([path], "secrets directory")
        mine = [e for e in entries
                if not e.name.startswith(".") and e.name.lower() in self._fields]
        problems: list[str] = []
        for entry in mine:
            if not entry.is_dir():
                problems += unreadable([entry], "secret file")
                continue
            problems += unreadable([entry], "secrets folder")
            for root, dirs, files in os.walk(entry, onerror=lambda _exc: None):
                here = Path(root)
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                problems += unreadable([here / d for d in dirs], "secrets folder")
                problems += unreadable([here / f for f in files if not f.startswith(".")],
                                       "secret file")
        return problems

