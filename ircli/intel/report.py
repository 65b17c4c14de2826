"""The Forum report as two STIX 2.1 bundles, built with the ``stix2`` library.

The Frontier Model Forum separates *information sharing* from *incident reporting*, so
ircli builds two bundles that can be shared independently:

- ``indicators``: the reporting lab's identity, the TLP 2.0 marking, ircli's fingerprint
  extension definition and one ``indicator`` per infrastructure value or behavioural
  fingerprint;
- ``narrative``: ``attack-pattern`` (MITRE ATLAS AML.T0024.002), ``infrastructure`` for the
  proxy/relay network, ``observed-data`` with its SCOs, ``sighting`` s of the Forum's own
  indicators the lab matched, an optional ``threat-actor``, the relationships, and a
  ``grouping`` (suspected) or ``report`` (confirmed) tying everything together.

Object ids are UUIDv5 of the lab, the incident and the content, so rebuilding the same
report gives the same ids and a re-submission is recognised by the server. Every
identifier that could name a person is a keyed hash (:mod:`ircli.core.redaction`).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from ircli.core.canonical import canonical_json
from ircli.core.redaction import RedactionPolicy
from ircli.errors import ValidationError
from ircli.intel.fingerprints import (
    EXTENSION_CREATED,
    EXTENSION_CREATOR,
    EXTENSION_ID,
    EXTENSION_SCHEMA,
    FINGERPRINT_TYPE,
    fingerprint_token,
)
from ircli.intel.observations import Observations
from ircli.intel.tlp import tlp_marking

NAMESPACE = uuid.UUID("8f1e3c52-4b7a-5d09-a6c1-2e9f0b3d4c58")
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")  # STIX 2.1 §2.9
STABLE_CREATED = "2026-01-01T00:00:00.000Z"
ATLAS_URL = "https://atlas.mitre.org/techniques/AML.T0024.002"
PROXY_TYPES = ("resproxy", "vpn")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


@dataclass
class ReportInput:
    """Everything the builder needs; the service gathers it from the journal and evidence."""

    incident: str
    title: str
    tlp: str
    confirmed: bool
    lab: str
    prepared_at: str
    observations: Observations
    sightings: list[dict[str, Any]] = field(default_factory=list)
    threat_actor: str | None = None
    clear_ip_asn_types: tuple[str, ...] = ("hosting", "vpn")
    max_accounts: int = 200


def stable_id(kind: str, *parts: str) -> str:
    """A STIX id that is the same whenever ``parts`` are, in UUIDv4 form.

    STIX asks for UUIDv4 ids on SDOs and SROs; a re-submission must reuse the ids of the
    first one, so the 122 free bits come from a SHA-256 of the parts instead of a random
    source (still unique in practice, and no validator warning).
    """
    digest = hashlib.sha256("|".join((str(NAMESPACE), kind, *parts)).encode("utf-8")).digest()
    return f"{kind}--{uuid.UUID(bytes=digest[:16], version=4)}"


def extension_bundle() -> dict[str, Any]:
    """The extension definition of ``ircli-fingerprint`` with its creator, as a bundle.

    It is not part of each report: some TAXII servers (medallion 3.0) mistake the
    definition's ``version`` property for an object version and fail on the whole
    collection, so the definition is shared once, out of band, and reports refer to its id.
    """
    import stix2

    objects = _Builder.extension_objects_static()
    bundle = stix2.Bundle(objects, id=stable_id("bundle", "ircli-fingerprint"))
    return _json(bundle.serialize())


@dataclass
class Bundles:
    """The two bundles as JSON-able dicts."""

    indicators: dict[str, Any]
    narrative: dict[str, Any]

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """Name → bundle."""
        return {"indicators": self.indicators, "narrative": self.narrative}


def build_report(data: ReportInput, policy: RedactionPolicy) -> Bundles:
    """Build both bundles from ``data``, redacted with ``policy``."""
    from stix2.exceptions import STIXError

    try:
        return _Builder(data, policy).build()
    except STIXError as exc:
        raise ValidationError(
            f"the evidence cannot be expressed as valid STIX: {exc}",
            hint="report this as a bug with the incident's evidence summary",
        ) from None


class _Builder:
    def __init__(self, data: ReportInput, policy: RedactionPolicy) -> None:
        import stix2

        self.stix2 = stix2
        self.data = data
        self.policy = policy
        self.marking = tlp_marking(data.tlp)
        self.ts = data.prepared_at
        self.identity = stix2.Identity(
            id=stable_id("identity", data.lab),
            created=STABLE_CREATED,
            modified=STABLE_CREATED,
            name=data.lab,
            identity_class="organization",
            sectors=["technology"],
            description="AI lab reporting to the Frontier Model Forum",
            object_marking_refs=[self.marking.id],
        )
        self.common: dict[str, Any] = {
            "created_by_ref": self.identity.id,
            "created": self.ts,
            "modified": self.ts,
            "object_marking_refs": [self.marking.id],
        }
        self.scrub_terms = sorted(
            {t for values in data.observations.forbidden.values() for t in values if len(t) >= 6},
            key=len,
            reverse=True,
        )

    def oid(self, kind: str, *parts: str) -> str:
        return stable_id(kind, self.data.lab, self.data.incident, *parts)

    def build(self) -> Bundles:
        indicators = self.indicators()
        head = [self.marking, self.identity]
        indicator_bundle = self.bundle("indicators", head + indicators)
        narrative_bundle = self.bundle("narrative", head + self.narrative(indicators))
        return Bundles(indicator_bundle, narrative_bundle)

    def bundle(self, name: str, objects: list[Any]) -> dict[str, Any]:
        bundle = self.stix2.Bundle(objects, id=self.oid("bundle", name), allow_custom=True)
        out: dict[str, Any] = _json(bundle.serialize())
        return out

    # -- indicators ------------------------------------------------------------------

    def indicators(self) -> list[Any]:
        obs = self.data.observations
        out: list[Any] = []
        span = _span(obs.first, obs.last)
        for ip in obs.ips:
            if ip.asn_type in self.data.clear_ip_asn_types:
                kind = "ipv6-addr" if ":" in ip.value else "ipv4-addr"
                pattern = f"[{kind}:value = '{_quote(ip.value)}']"
                types = ["anonymization"] if ip.asn_type in PROXY_TYPES else ["malicious-activity"]
                name = f"{ip.asn_type or 'unknown'} address used for model extraction"
            else:
                pattern = self.fp_pattern("ip", ip.value)
                types = ["anonymization"]
                name = f"{ip.asn_type or 'unclassified'} exit address (keyed hash)"
            out.append(self.indicator(pattern, name, types, ip.count, ip.accounts, span))
        for asn in obs.asns:
            if asn.asn_type in self.data.clear_ip_asn_types:
                pattern = f"[autonomous-system:number = {int(asn.value)}]"
                out.append(
                    self.indicator(
                        pattern,
                        f"{asn.asn_type} network AS{asn.value}",
                        ["anonymization"],
                        asn.count,
                        asn.accounts,
                        span,
                    )
                )
        for ua in obs.user_agents:
            if self.is_personal(ua.value):
                pattern = self.fp_pattern("user-agent", ua.value)
                name = "client user agent (keyed hash: it names a person or account)"
            else:
                pattern = (
                    "[network-traffic:extensions.'http-request-ext'.request_header."
                    f"'User-Agent' = '{_quote(ua.value)}']"
                )
                name = "client user agent of the extraction tooling"
            out.append(
                self.indicator(pattern, name, ["malicious-activity"], ua.count, ua.accounts, span)
            )
        for kind, values, name in (
            ("payment-fingerprint", obs.payment_fingerprints, "shared payment instrument"),
            ("system-prompt", obs.system_prompts, "system prompt of the harvesting harness"),
            ("prompt-template", obs.templates, "prompt template of the harvesting campaign"),
        ):
            for item in values:
                out.append(
                    self.indicator(
                        self.fp_pattern(kind, item.value),
                        name,
                        ["malicious-activity"],
                        item.count,
                        item.accounts,
                        span,
                    )
                )
        return out

    def fp_pattern(self, kind: str, value: str) -> str:
        token = fingerprint_token(kind, value, self.policy)
        return f"[{FINGERPRINT_TYPE}:kind = '{kind}' AND {FINGERPRINT_TYPE}:value = '{token}']"

    def indicator(
        self, pattern: str, name: str, types: list[str], count: int, accounts: int, span: str
    ) -> Any:
        return self.stix2.Indicator(
            id=self.oid("indicator", pattern),
            name=name,
            description=f"Seen in {count} request(s) from {accounts} account(s){span}.",
            pattern=pattern,
            pattern_type="stix",
            valid_from=self.data.observations.first or self.ts,
            indicator_types=types,
            allow_custom=True,
            **self.common,
        )

    def is_personal(self, text: str) -> bool:
        return bool(EMAIL_RE.search(text)) or any(t in text for t in self.scrub_terms)

    @staticmethod
    def extension_objects_static() -> list[Any]:
        """The definition of ``ircli-fingerprint``; published once, not with each report."""
        import stix2

        creator = stix2.Identity(
            id=EXTENSION_CREATOR,
            created=EXTENSION_CREATED,
            modified=EXTENSION_CREATED,
            name="ircli",
            identity_class="system",
            description="Incident-response tool that defines the ircli-fingerprint SCO",
        )
        definition = stix2.ExtensionDefinition(
            id=EXTENSION_ID,
            created_by_ref=EXTENSION_CREATOR,
            created=EXTENSION_CREATED,
            modified=EXTENSION_CREATED,
            name="ircli-fingerprint",
            description=(
                "Behavioural fingerprints of AI API accounts (payment instrument, system prompt,"
                " prompt template, network exit) as keyed hashes matchable across labs"
            ),
            schema=EXTENSION_SCHEMA,
            version="1.0.0",
            extension_types=["new-sco"],
        )
        return [creator, definition]

    # -- narrative -------------------------------------------------------------------

    def narrative(self, indicators: list[Any]) -> list[Any]:
        stix2 = self.stix2
        obs = self.data.observations
        objects: list[Any] = []
        attack = stix2.AttackPattern(
            id=stable_id("attack-pattern", "mitre-atlas", "AML.T0024.002"),
            created=STABLE_CREATED,
            modified=STABLE_CREATED,
            created_by_ref=self.identity.id,
            object_marking_refs=[self.marking.id],
            name="Extract AI Model",
            description=(
                "Adversarial distillation: harvesting model outputs through the inference API "
                "(MITRE ATLAS AML.T0024.002, under AML.T0024 Exfiltration via AI Inference API; "
                "access via AML.T0040 AI Model Inference API Access)."
            ),
            external_references=[
                {"source_name": "mitre-atlas", "external_id": "AML.T0024.002", "url": ATLAS_URL}
            ],
        )
        objects.append(attack)
        scos = self.scos()
        objects.extend(scos)
        observed = None
        if scos and obs.first and obs.last:
            observed = stix2.ObservedData(
                id=self.oid("observed-data", "campaign"),
                first_observed=obs.first,
                last_observed=obs.last,
                number_observed=max(1, min(obs.requests, 999_999_999)),
                object_refs=[s["id"] for s in scos],
                allow_custom=True,
                **self.common,
            )
            objects.append(observed)
        infrastructure = self.infrastructure()
        if infrastructure is not None:
            objects.append(infrastructure)
        for sighting in self.data.sightings:
            objects.append(self.sighting(sighting, observed))
        for indicator in indicators:
            objects.append(self.relationship(indicator.id, "indicates", attack.id))
            if infrastructure is not None and "anonymization" in indicator.indicator_types:
                objects.append(self.relationship(indicator.id, "indicates", infrastructure.id))
        if self.data.threat_actor:
            actor = stix2.ThreatActor(
                id=self.oid("threat-actor", self.data.threat_actor),
                name=self.scrub(self.data.threat_actor),
                threat_actor_types=["unknown"],
                **self.common,
            )
            objects.append(actor)
            objects.append(self.relationship(actor.id, "uses", attack.id))
            if infrastructure is not None:
                objects.append(self.relationship(actor.id, "uses", infrastructure.id))
        refs = [o["id"] for o in objects] + [i.id for i in indicators]
        objects.append(self.container(refs))
        return objects

    def scos(self) -> list[Any]:
        stix2 = self.stix2
        obs = self.data.observations
        out: list[Any] = []
        for ip in obs.ips:
            if ip.asn_type in self.data.clear_ip_asn_types:
                cls = stix2.IPv6Address if ":" in ip.value else stix2.IPv4Address
                out.append(cls(value=ip.value, object_marking_refs=[self.marking.id]))
            else:
                out.append(self.fp_sco("ip", ip.value))
        for asn in obs.asns:
            out.append(
                stix2.AutonomousSystem(number=int(asn.value), object_marking_refs=[self.marking.id])
            )
        for kind, values in (
            ("payment-fingerprint", obs.payment_fingerprints),
            ("system-prompt", obs.system_prompts),
            ("prompt-template", obs.templates),
        ):
            out.extend(self.fp_sco(kind, v.value) for v in values)
        for account in obs.accounts[: self.data.max_accounts]:
            out.append(
                stix2.UserAccount(
                    user_id=self.policy.token("account", account),
                    object_marking_refs=[self.marking.id],
                )
            )
        return out

    def fp_sco(self, kind: str, value: str) -> dict[str, Any]:
        token = fingerprint_token(kind, value, self.policy)
        ident = uuid.uuid5(SCO_NAMESPACE, canonical_json({"kind": kind, "value": token}))
        return {
            "type": FINGERPRINT_TYPE,
            "spec_version": "2.1",
            "id": f"{FINGERPRINT_TYPE}--{ident}",
            "kind": kind,
            "value": token,
            "object_marking_refs": [self.marking.id],
            "extensions": {EXTENSION_ID: {"extension_type": "new-sco"}},
        }

    def infrastructure(self) -> Any:
        obs = self.data.observations
        proxies = [ip for ip in obs.ips if ip.asn_type in PROXY_TYPES]
        if not proxies and len(obs.ips) < 10:
            return None
        kinds = sorted({ip.asn_type or "unclassified" for ip in obs.ips})
        asns = len({ip.asn for ip in obs.ips if ip.asn is not None})
        return self.stix2.Infrastructure(
            id=self.oid("infrastructure", "proxy-network"),
            name="Proxy and relay network of the extraction campaign",
            description=(
                f"{len(obs.ips)} source address(es) across {asns} autonomous system(s) "
                f"({', '.join(kinds)}) spreading the campaign's traffic over many accounts."
            ),
            infrastructure_types=["anonymization"],
            first_seen=obs.first,
            last_seen=obs.last,
            **self.common,
        )

    def sighting(self, sighting: dict[str, Any], observed: Any) -> Any:
        first = sighting.get("first_seen") or self.data.observations.first
        last = sighting.get("last_seen") or first
        kwargs: dict[str, Any] = {}
        if first:
            kwargs["first_seen"] = first
            kwargs["last_seen"] = max(last or first, first)
        if observed is not None:
            kwargs["observed_data_refs"] = [observed.id]
        return self.stix2.Sighting(
            id=self.oid("sighting", str(sighting["indicator"])),
            sighting_of_ref=sighting["indicator"],
            count=max(0, min(int(sighting.get("count", 0)), 999_999_999)),
            where_sighted_refs=[self.identity.id],
            description=(
                f"Matched by {int(sighting.get('accounts_total', 0))} account(s) of this lab."
            ),
            **kwargs,
            **self.common,
        )

    def relationship(self, source: str, kind: str, target: str) -> Any:
        return self.stix2.Relationship(
            id=self.oid("relationship", source, kind, target),
            source_ref=source,
            relationship_type=kind,
            target_ref=target,
            **self.common,
        )

    def container(self, refs: list[str]) -> Any:
        obs = self.data.observations
        title = self.scrub(self.data.title) or "Adversarial distillation campaign"
        description = (
            f"{len(obs.accounts)} account(s) and {obs.requests} request(s)"
            f"{_span(obs.first, obs.last)}; {len(self.data.sightings)} Forum indicator(s) "
            f"matched. Indicators are shared in a separate bundle."
        )
        if self.data.confirmed:
            return self.stix2.Report(
                id=self.oid("report", "report"),
                name=title,
                description=description,
                published=self.ts,
                report_types=["threat-report", "attack-pattern", "indicator"],
                object_refs=refs,
                allow_custom=True,
                **self.common,
            )
        return self.stix2.Grouping(
            id=self.oid("grouping", "grouping"),
            name=title,
            description=description,
            context="suspicious-activity",
            object_refs=refs,
            allow_custom=True,
            **self.common,
        )

    def scrub(self, text: str) -> str:
        """Responder-written text with identifiers from the evidence and emails removed."""
        out = EMAIL_RE.sub("[email]", text)
        for term in self.scrub_terms:
            if term in out:
                out = out.replace(term, "[redacted]")
        return out


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _span(first: str | None, last: str | None) -> str:
    if first and last:
        return f" between {first[:10]} and {last[:10]}"
    return ""


def _json(text: str) -> dict[str, Any]:
    import json

    value: dict[str, Any] = json.loads(text)
    return value


def find_leaks(bundles: dict[str, dict[str, Any]], forbidden: dict[str, set[str]]) -> list[str]:
    """Kinds of forbidden values (and emails) found in the bundles; empty when clean.

    The values themselves are never returned, so a refusal cannot print them.
    """
    found: list[str] = []
    for name, bundle in bundles.items():
        text = canonical_json(bundle)
        if EMAIL_RE.search(text):
            found.append(f"an email address in the {name} bundle")
        for label, values in sorted(forbidden.items()):
            if any(_contains(text, v) for v in values):
                found.append(f"a raw {label} in the {name} bundle")
    return found


def _contains(text: str, value: str) -> bool:
    """``value`` occurs in ``text`` as a whole token (not inside a longer hex or word)."""
    if len(value) < 6 or value not in text:
        return False
    pattern = r"(?<![A-Za-z0-9])" + re.escape(value) + r"(?![A-Za-z0-9])"
    return re.search(pattern, text) is not None
