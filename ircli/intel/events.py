"""Journal events of Forum intelligence and the Forum report, as timeline lines.

Payloads:

- ``intel.pulled``: ``{"source", "url", "api_root", "collection", "added_after", "high_water",
  "pages", "objects", "indicators": [IntelIndicator], "unsupported": [{"id", "reason"}],
  "rejected": [{"id", "reason"}], "identities": {id: name}, "file": {"path", "sha256"}}``
- ``intel.sighting``: ``{"indicator", "source", "source_name", "name", "accounts",
  "accounts_total", "count", "first_seen", "last_seen", "matched"}``
- ``report.prepared``: ``{"subject", "tlp", "confirmed", "bundles": {name: {"path", "sha256",
  "objects", "ids"}}, "policy", "collection"}``
- ``report.posted``: ``{"subject", "bundle", "status_id", "object_ids"}`` (the server accepted an
  envelope; not yet known to be stored)
- ``report.submitted``: ``{"subject", "bundle", "status_id", "success_count", "failure_count",
  "pending_count", "successes", "failures", "object_ids"}`` (the status completed)
- ``report.attempt_failed``: ``{"subject", "bundle", "error"}`` (the POST gave no usable
  status; the server may or may not hold the objects, so the next run asks it by id before
  sending anything again)
- ``report.status_lost``: ``{"subject", "bundle", "status_id"}`` (the server no longer knows a
  posted status; its objects are sent again under the same ids)
"""

from __future__ import annotations

from typing import Any

from ircli.core.timeline import describes


@describes("intel.pulled", "Intel pulled")
def _pulled(p: dict[str, Any]) -> str:
    unsupported = len(p.get("unsupported", []))
    tail = f", {unsupported} with unsupported patterns" if unsupported else ""
    return (
        f"Pulled {len(p.get('indicators', []))} indicator(s) from TAXII collection "
        f"{p.get('collection', '?')}{tail}"
    )


@describes("intel.sighting", "Intel indicator sighted")
def _sighting(p: dict[str, Any]) -> str:
    source = p.get("source_name") or p.get("source") or "an unknown lab"
    return (
        f"Sighted {p['indicator']} from {source}: {p.get('accounts_total', 0)} account(s), "
        f"{p.get('count', 0)} record(s)"
    )


@describes("report.prepared", "Forum report prepared")
def _prepared(p: dict[str, Any]) -> str:
    sizes = ", ".join(f"{k} {v.get('objects', 0)}" for k, v in sorted(p["bundles"].items()))
    return f"Prepared the Forum report (TLP:{p.get('tlp', '?')}; objects: {sizes})"


@describes("report.posted", "Forum report posted")
def _posted(p: dict[str, Any]) -> str:
    return f"Posted {len(p.get('object_ids', []))} {p['bundle']} object(s); status {p['status_id']}"


@describes("report.submitted", "Report submitted")
def _submitted(p: dict[str, Any]) -> str:
    if "success_count" not in p:  # an older or foreign payload: say what it holds
        status = p.get("status_id") or p.get("status")
        objects = p.get("objects")
        tail = f" ({objects} object(s))" if isinstance(objects, int) else ""
        return "Forum report submitted" + (f", status {status}" if status else "") + tail
    return (
        f"Forum accepted {p.get('success_count', 0)} {p.get('bundle', '')} object(s), "
        f"{p.get('failure_count', 0)} failed (status {p.get('status_id', '?')})"
    ).replace("  ", " ")


@describes("report.attempt_failed", "Forum submission failed")
def _attempt_failed(p: dict[str, Any]) -> str:
    return f"Submitting the {p['bundle']} bundle failed: {p.get('error', '')[:160]}"


@describes("report.status_lost", "Forum status lost")
def _status_lost(p: dict[str, Any]) -> str:
    return (
        f"The Forum no longer knows status {p['status_id']}; "
        f"its {p['bundle']} objects will be sent again"
    )
