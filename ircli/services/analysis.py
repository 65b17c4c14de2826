"""Analysis as a service: on files (automation) or on an incident's evidence (journaled).

``analyze_incident`` reads the normalised Parquet files that the incident's
``evidence.added`` events name, checks each against its recorded sha256, runs the
analysis, stores the full result content-addressed under the store's files folder and
journals ``analysis.completed`` with the inputs' hashes and the summary. The playbook
engine calls :func:`analysis_step` and gets the summary (for ``when:`` conditions) plus the
top alert cluster (for the expand and contain steps).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ircli.core.timeline import describes
from ircli.errors import IntegrityError, NotFoundError, ValidationError
from ircli.services.incidents import resolve_incident_id
from ircli.services.workspace import Workspace

if TYPE_CHECKING:
    from ircli.analysis.engine import AnalysisResult
    from ircli.analysis.scoring import Scorecard

EVENT = "analysis.completed"
TABLES = ("requests", "accounts", "releases")


@dataclass(frozen=True)
class IncidentAnalysis:
    """An analysis recorded in an incident's journal."""

    analysis_id: str
    incident: str
    seq: int
    result_sha256: str
    path: Path
    result: dict[str, Any]

    @property
    def summary(self) -> dict[str, Any]:
        """The result's summary."""
        return dict(self.result["summary"])


def analyze_files(
    requests: str | os.PathLike[str],
    accounts: str | os.PathLike[str],
    releases: str | os.PathLike[str] | None = None,
    *,
    memory_limit: str = "3GB",
) -> AnalysisResult:
    """Analyse canonical exports on disk (Parquet, JSONL or CSV)."""
    from ircli.analysis import analyze

    return analyze(
        Path(requests),
        Path(accounts),
        Path(releases) if releases is not None else None,
        memory_limit=memory_limit,
    )


def evidence_inputs(ws: Workspace, incident: str) -> dict[str, list[dict[str, Any]]]:
    """The incident's finished evidence items per canonical table, from the journal."""
    incident = resolve_incident_id(ws, incident)
    found: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
    for event in ws.store.events(incident, types=["evidence.added"]):
        p = event.payload
        table = p.get("table")
        parquet = (p.get("files") or {}).get("parquet") or {}
        if table in found and parquet.get("path") and parquet.get("sha256"):
            found[table].append(
                {
                    "evidence_id": p.get("evidence_id"),
                    "table": table,
                    "sha256": parquet["sha256"],
                    "path": parquet["path"],
                    "records": p.get("records"),
                }
            )
    return found


def analyze_incident(
    ws: Workspace, incident: str, *, memory_limit: str = "3GB", reuse: bool = False
) -> IncidentAnalysis:
    """Analyse an incident's evidence, store the result and journal ``analysis.completed``.

    With ``reuse``, an earlier analysis of exactly the same evidence is returned instead
    of running again (a playbook step re-run after a crash must not double-journal).
    """
    from ircli.analysis import analyze

    incident = resolve_incident_id(ws, incident)
    inputs = evidence_inputs(ws, incident)
    if reuse:
        wanted = _input_list(inputs)
        for event in ws.store.events(incident, types=[EVENT]):
            if event.payload.get("inputs") == wanted:
                return latest_analysis(ws, incident, seq=event.seq)
    for table in ("requests", "accounts"):
        if not inputs[table]:
            raise NotFoundError(
                f"{incident} has no {table} evidence to analyse",
                hint=f"pull it first: ircli evidence pull {incident} --table {table} ...",
            )
    files_dir = ws.store.files_dir
    paths: dict[str, list[Path]] = {}
    for table, items in inputs.items():
        paths[table] = []
        for item in items:
            path = files_dir / item["path"]
            if not path.exists():
                raise IntegrityError(
                    f"evidence file of {item['evidence_id']} is missing", hint="run: ircli verify"
                )
            if _sha256(path) != item["sha256"]:
                raise IntegrityError(
                    f"evidence file of {item['evidence_id']} does not match its recorded hash",
                    hint="the evidence was altered; re-pull it into a new incident",
                )
            paths[table].append(path)
    analysed = analyze(
        paths["requests"],
        paths["accounts"],
        paths["releases"] or None,
        memory_limit=memory_limit,
    )
    result = analysed.to_dict()
    sha, stored = store_result(files_dir, result)
    analysis_id = "AN-" + sha[:8]
    payload = {
        "analysis_id": analysis_id,
        "inputs": _input_list(inputs),
        "result_sha256": sha,
        "result_path": str(stored.relative_to(files_dir)),
        "summary": result["summary"],
        "seconds": analysed.seconds,
    }
    event = ws.store.append(incident, EVENT, payload, ws.actor)
    return IncidentAnalysis(analysis_id, incident, event.seq, sha, stored, result)


def _input_list(inputs: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [
        {k: item[k] for k in ("evidence_id", "table", "sha256", "records")}
        for items in inputs.values()
        for item in items
    ]


def latest_analysis(ws: Workspace, incident: str, *, seq: int | None = None) -> IncidentAnalysis:
    """The incident's most recent analysis (or the one journaled at ``seq``), its stored
    result checked against the journal."""
    incident = resolve_incident_id(ws, incident)
    last = None
    for event in ws.store.events(incident, types=[EVENT]):
        if seq is None or event.seq == seq:
            last = event
    if last is None:
        raise NotFoundError(
            f"{incident} has no analysis yet", hint=f"run: ircli analyze {incident}"
        )
    p = last.payload
    path = ws.store.files_dir / p["result_path"]
    data = path.read_bytes() if path.exists() else b""
    if hashlib.sha256(data).hexdigest() != p["result_sha256"]:
        raise IntegrityError(
            f"the stored result of {p['analysis_id']} is missing or altered",
            hint=f"re-run: ircli analyze {incident}",
        )
    return IncidentAnalysis(
        p["analysis_id"], incident, last.seq, p["result_sha256"], path, json.loads(data)
    )


def analysis_step(ws: Workspace, incident: str, **params: Any) -> dict[str, Any]:
    """The playbook ``analyze`` step: run (or reuse) the analysis; return what steps need.

    The returned dict is what ``when:`` conditions see: the summary (``alerted``,
    ``verdicts``, ``clusters``, …), ``alert_accounts`` (how many accounts alert),
    ``cluster_id`` and ``cluster`` (the highest-scoring alert cluster, or the one holding
    the ``seeds`` when given) and ``alert_account_ids`` for the contain step.
    """
    unknown = set(params) - {"memory_limit", "seeds", "window"}
    if unknown:
        raise ValidationError(f"unknown analyze step parameter(s): {', '.join(sorted(unknown))}")
    done = analyze_incident(
        ws, incident, memory_limit=str(params.get("memory_limit", "3GB")), reuse=True
    )
    result = done.result
    seeds = _seed_list(params.get("seeds"))
    clusters = result["clusters"]
    if seeds:
        # The clusters the seeds fell into, largest first: the operation behind them.
        chosen = [c for c in clusters if seeds & set(c["accounts"])]
        chosen.sort(key=lambda c: -len(c["accounts"]))
    else:
        chosen = [c for c in clusters if c.get("verdicts", {}).get("alert", 0)]
    top = chosen[0] if chosen else None
    alert_ids = [a["account_id"] for a in result["accounts"] if a["verdict"] == "alert"]
    out = dict(result["summary"])
    out.update(
        {
            "analysis_id": done.analysis_id,
            "alert_accounts": len(alert_ids),
            "alert_account_ids": alert_ids,
            "cluster_id": top["cluster_id"] if top else None,
            "cluster": (
                {
                    "cluster_id": top["cluster_id"],
                    "accounts": top["accounts"],
                    "score": top["score"],
                }
                if top
                else None
            ),
            "linked_accounts": sorted({a for c in chosen for a in c["accounts"]} | seeds),
        }
    )
    return out


def _seed_list(value: Any) -> set[str]:
    if not value:
        return set()
    if isinstance(value, str):
        return {v.strip() for v in value.replace("\n", ",").split(",") if v.strip()}
    return {str(v) for v in value}


class AnalysisStep:
    """The ``analysis.assess`` / ``analysis.expand`` step handler (entry points ircli.steps)."""

    def run(self, ctx: Any) -> Any:
        """Run the analysis for the step's incident and return the step's outputs."""
        from ircli.services.steps import StepResult

        outputs = analysis_step(ctx.ws, ctx.incident, **dict(ctx.params))
        summary = (
            f"{outputs['accounts']} accounts analysed: {outputs['alert_accounts']} alert, "
            f"{outputs['verdicts']['watch']} watch, {outputs['verdicts']['policy']} policy; "
            f"{outputs['clusters']} clusters"
        )
        return StepResult(outputs=outputs, summary=summary)


def store_result(files_dir: Path, result: dict[str, Any]) -> tuple[str, Path]:
    """Write the result once, named by its sha256 (never rewritten); returns (sha, path)."""
    data = json.dumps(result, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode()
    sha = hashlib.sha256(data).hexdigest()
    path = files_dir / "analysis" / sha[:2] / f"{sha}.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return sha, path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@describes(EVENT, "Analysis completed")
def _describe(p: dict[str, Any]) -> str:
    s = p.get("summary", {})
    v = s.get("verdicts", {})
    return (
        f"Analysis {p.get('analysis_id', '')}: {s.get('accounts', 0)} accounts, "
        f"{v.get('alert', 0)} alert, {v.get('watch', 0)} watch, {v.get('policy', 0)} policy; "
        f"{s.get('clusters', 0)} clusters"
    )


def score_files(labels: Path, analysis: Path) -> Scorecard:
    """Score an analysis JSON file against a labelled world's labels file."""
    from ircli.analysis.scoring import load_labels, score

    found = load_labels(labels)
    try:
        data = json.loads(analysis.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise NotFoundError(
            f"no such analysis file: {analysis}", hint="write one with: ircli analyze ... -o FILE"
        ) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(
            f"{analysis.name} is not JSON", hint="pass the JSON written by ircli analyze -o"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("accounts"), list):
        raise ValidationError(
            f"{analysis.name} is not an analysis result",
            hint="pass the JSON written by ircli analyze -o",
        )
    return score(found, data)
