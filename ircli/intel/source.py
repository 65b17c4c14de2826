"""The ``taxii`` source (entry point ``ircli.sources``): shared intel from a TAXII 2.1 collection.

Unlike the log sources it yields STIX objects, not canonical evidence rows: the intel
service parses them into indicators and journals the pull as ``intel.pulled`` with the
collection's high-water mark, so the next pull asks only for what was added after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ircli.errors import ExternalServiceError, UsageError
from ircli.intel.settings import TaxiiEndpoint, taxii_source

if TYPE_CHECKING:
    import httpx


@dataclass
class Fetched:
    """Every object added to the collection after ``added_after``, and the new high-water mark."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0
    added_after: str | None = None
    high_water: str | None = None


class TaxiiSource:
    """Reads one TAXII 2.1 collection, incrementally."""

    kind = "intel"

    def __init__(self, endpoint: TaxiiEndpoint, name: str = "forum") -> None:
        self.endpoint = endpoint
        self.name = name

    @classmethod
    def from_config(cls, name: str, table: dict[str, Any], env: Any = None) -> TaxiiSource:
        """Build from a ``[sources.NAME]`` table with ``type = "taxii"``."""
        return cls(taxii_source(name, table), name)

    @property
    def mapping(self) -> Any:
        """A TAXII feed has no log mapping: it is pulled as intel, not as evidence rows."""
        raise UsageError(
            f"source '{self.name}' is a TAXII intel feed, not a log source",
            hint=f"pull it with: ircli intel pull INC --source {self.name}",
        )

    def close(self) -> None:
        """Nothing to release: each fetch opens and closes its own client."""

    def fetch(
        self,
        *,
        added_after: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> Fetched:
        """All pages of objects added after ``added_after`` (all of them when ``None``).

        The high-water mark is the latest ``X-TAXII-Date-Added-Last`` the server sent; a
        server that sends none leaves it where it was.
        """
        out = Fetched(added_after=added_after, high_water=added_after)
        endpoint = self.endpoint
        with endpoint.client(transport=transport) as client:
            collection = client.collection(endpoint.api_root, endpoint.collection)
            if collection.get("can_read") is not True:
                raise ExternalServiceError(
                    f"the TAXII collection {endpoint.collection} does not let this account "
                    "read it (can_read is not true)",
                    hint="ask the Forum operator for read access, or check the collection id",
                )
            for page in client.pages(
                endpoint.api_root,
                endpoint.collection,
                added_after=added_after,
                limit=endpoint.page_size,
            ):
                out.pages += 1
                out.objects.extend(page.objects)
                last = page.date_added_last
                if last and (out.high_water is None or last > out.high_water):
                    out.high_water = last
        return out


def describe_server(
    endpoint: TaxiiEndpoint, *, transport: httpx.BaseTransport | None = None
) -> dict[str, Any]:
    """Discovery, the configured API root and its collections: what a responder checks first."""
    with endpoint.client(transport=transport) as client:
        discovery = client.discovery()
        root = client.api_root(endpoint.api_root)
        collections = client.collections(endpoint.api_root)
    return {
        "title": str(discovery.get("title", "")),
        "api_roots": list(discovery.get("api_roots", [])),
        "api_root": {
            "url": client.api_root_url(endpoint.api_root),
            "title": str(root.get("title", "")),
            "max_content_length": root.get("max_content_length"),
        },
        "collections": [
            {
                "id": str(c["id"]),
                "title": str(c.get("title", "")),
                "can_read": c.get("can_read") is True,
                "can_write": c.get("can_write") is True,
            }
            for c in collections
        ],
    }
