"""Stored files: bytes in the database under a generated id, with their SHA-256 and media type.

No name from a request or from data is used to store or look up a file; download names are made by the
server from what the file is (e.g. `nanchang-2024-v1.pdf`).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from jxscore.portal.models import StoredFile

MEDIA = {".pdf": "application/pdf", ".csv": "text/csv; charset=utf-8", ".json": "application/json",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".txt": "text/plain; charset=utf-8",
         ".toml": "text/plain; charset=utf-8"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(s: Session, data: bytes, media_type: str, now: datetime) -> StoredFile:
    f = StoredFile(id=uuid.uuid4().hex, sha256=sha256(data), size=len(data), media_type=media_type, data=data,
                   created_at=now)
    s.add(f)
    s.flush()
    return f


def media_for(name: str) -> str:
    from pathlib import PurePosixPath

    return MEDIA.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")
