"""Where hogtui keeps its files, and how it writes them: private to the user (directories 0700,
files 0600 from their first byte) and atomically (a crash leaves the old file or the new one).
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "hogtui"
#: Replaces the user config dir (profiles, the theme, plain-text keys when opted in).
CONFIG_DIR_ENV = "HOGTUI_CONFIG_DIR"
#: Replaces the user data dir (drafts; the list cache follows it).
DATA_DIR_ENV = "HOGTUI_DATA_DIR"


def config_dir() -> Path:
    """Where profiles live: `$HOGTUI_CONFIG_DIR`, else the platform's user config dir."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs  # here: `hogtui --version` needs no directory

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """Where drafts live: `$HOGTUI_DATA_DIR`, else the platform's user data dir."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def make_private_dir(path: Path) -> None:
    """Create `path` and any missing parents as 0700 (only the user may list or enter them),
    whatever the umask. Directories that already exist keep their mode: one may be the user's
    own choice (HOGTUI_CONFIG_DIR=~/sync)."""
    missing: list[Path] = []
    for directory in (path, *path.parents):
        if directory.is_dir():
            break
        missing.append(directory)
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:
            if not directory.is_dir():
                raise
            continue  # made meanwhile by another process; its mode is its own
        os.chmod(directory, 0o700)  # the umask may have taken bits off the owner's, too


def write_atomic(path: Path, data: str | bytes, *, mode: int = 0o600) -> None:
    """Write `data` (text is UTF-8) to `path` so a crash leaves either the old file or the new one.

    The temporary file has `mode` before any byte is written, so a secret never sits in a file
    that others can read, not even for a moment; directories made for it are 0700.
    """
    import tempfile

    payload = data.encode("utf-8") if isinstance(data, str) else data
    make_private_dir(path.parent)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
