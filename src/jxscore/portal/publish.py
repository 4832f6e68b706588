"""Publications: a round's results scored and rendered by `service.report`, stored as documents.

Document kinds (the contract every reader of a publication relies on): `scorecard` (city = the city's name,
its PDF), `summary` (summary.pdf), `scores`, `ledger`, `verification` (the CSVs), `manifest`
(manifest.json), `results` (results.xlsx), `sha256sums`, and `input:<file>` for each input table scored.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from jxscore.portal import files
from jxscore.portal.models import Document, Publication

OUTPUT_KINDS = {"summary.pdf": "summary", "scores.csv": "scores", "ledger.csv": "ledger",
                "verification.csv": "verification", "manifest.json": "manifest", "results.xlsx": "results",
                "SHA256SUMS": "sha256sums"}


def store_outputs(s: Session, pub: Publication, out: Path, data: Path | None, slug_to_city: dict[str, str],
                  now: datetime) -> list[Document]:
    """Every file of a `jxscore report` folder `out` (and the input tables in `data`) as the publication's."""
    docs = []

    def add(kind: str, path: Path, city: str = "") -> None:
        f = files.put(s, path.read_bytes(), files.media_for(path.name), now)
        d = Document(publication_id=pub.id, kind=kind, city=city, file_id=f.id)
        s.add(d)
        docs.append(d)

    for name, kind in OUTPUT_KINDS.items():
        if (out / name).is_file():
            add(kind, out / name)
    for pdf in sorted((out / "scorecards").glob("*.pdf")):
        if pdf.stem in slug_to_city:
            add("scorecard", pdf, slug_to_city[pdf.stem])
    if data is not None and data.is_dir():
        for p in sorted(data.iterdir()):
            if p.is_file() and p.suffix.lower() in (".csv", ".xlsx"):
                add(f"input:{p.name}", p)
    s.flush()
    return docs
