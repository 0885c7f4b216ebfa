"""The server's signing secret (share links, export HMACs), kept outside the database.

``$NOODLEBOWL_SECRET_KEY`` (at least 32 characters; set the same value on every host serving one
database) — the secret is derived from it with HMAC-SHA256, so the variable's value itself signs
nothing. Without it, a random key is made once in ``$NOODLEBOWL_HOME/secret.key`` (mode 0600,
created atomically: concurrent first starts agree on one key).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from noodlebowl.errors import InvalidRequest

ENV = "NOODLEBOWL_SECRET_KEY"
MIN_LENGTH = 32
PURPOSE = b"noodlebowl signing secret v1"


def _key_file(folder: Path) -> bytes:
    path = folder / "secret.key"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    for _ in range(50):          # another process may have created it an instant ago, still empty
        text = path.read_text().strip()
        if text:
            return text.encode()
        import time

        time.sleep(0.01)
    raise InvalidRequest("the key file is empty", where=str(path), accepted=f"64 hex digits, or set ${ENV}")


def signing_secret(folder: Path | None = None) -> bytes:
    """The secret, from the environment or the key file in ``folder`` (default ``$NOODLEBOWL_HOME``)."""
    key = os.environ.get(ENV)
    if key is not None:
        if len(key) < MIN_LENGTH:
            raise InvalidRequest(f"${ENV} is {len(key)} characters long", where=ENV,
                                 accepted=f"at least {MIN_LENGTH} random characters")
        material = key.encode()
    else:
        from noodlebowl.web.store.db import home

        material = _key_file(folder or home())
    return hmac.new(material, PURPOSE, hashlib.sha256).digest()
