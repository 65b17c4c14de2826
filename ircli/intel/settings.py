"""The ``[forum]`` table and ``[sources.NAME] type = "taxii"`` tables, validated.

Example::

    [forum]
    url = "https://taxii.forum.example/"     # the TAXII server (discovery at /taxii2/)
    api_root = "forum"                        # a path on the server, or an absolute URL
    collection = "9cfa669c-ee94-4ece-afd2-f8edac37d8fd"   # where reports are filed
    intel_collection = "..."                  # where shared indicators are read (default: collection)
    auth = "basic"                            # basic | bearer | none
    username = "example-lab"
    secret = "forum"                          # secret holding the password or token
    hmac_secret = "forum-hmac"                # the Forum-shared key for keyed hashes
    max_tlp = "AMBER"                         # most restricted TLP the collection may receive
    identity = "Example Lab"                  # the reporting lab's name in reports

Secrets are named here, never stored here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from ircli.core.incident import TLP_LEVELS, normalise_tlp
from ircli.errors import ConfigError

if TYPE_CHECKING:
    import httpx

    from ircli.intel.taxii import TaxiiClient

T = TypeVar("T", bound=BaseModel)


class TaxiiEndpoint(BaseModel):
    """Where a TAXII collection lives and how to authenticate to it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(min_length=8)
    api_root: str = Field(min_length=1)
    collection: str = Field(min_length=1)
    auth: Literal["basic", "bearer", "none"] = "basic"
    username: str | None = None
    secret: str = "forum"
    page_size: int = Field(default=100, ge=1, le=10_000)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    def client(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        secret_lookup: Callable[[str], str] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> TaxiiClient:
        """A TAXII client for this endpoint with credentials from secrets."""
        from ircli.intel.taxii import TaxiiClient

        kwargs: dict[str, Any] = {}
        if sleep is not None:
            kwargs["sleep"] = sleep
        return TaxiiClient(
            self.url,
            auth=self._auth(secret_lookup or _reveal),
            transport=transport,
            timeout=self.timeout_seconds,
            **kwargs,
        )

    def _auth(self, lookup: Callable[[str], str]) -> Any:
        if self.auth == "none":
            return None
        import httpx

        value = lookup(self.secret)
        if self.auth == "basic":
            if not self.username:
                raise ConfigError(
                    "basic auth needs a username", hint="add username = '...' to the table"
                )
            return httpx.BasicAuth(self.username, value)

        def bearer(request: httpx.Request) -> httpx.Request:
            request.headers["Authorization"] = f"Bearer {value}"
            return request

        return bearer


class ForumSettings(TaxiiEndpoint):
    """The ``[forum]`` table: the Forum's collections, the shared key and sharing limits."""

    intel_collection: str | None = None
    hmac_secret: str = "forum-hmac"
    max_tlp: str = "AMBER"
    identity: str = Field(default="Reporting lab", min_length=1, max_length=200)
    deadline_seconds: float = Field(default=60.0, gt=0, le=3600)
    poll_interval_seconds: float = Field(default=1.0, ge=0, le=60)
    max_envelope_bytes: int | None = Field(default=None, ge=1024)
    clear_ip_asn_types: tuple[str, ...] = ("hosting", "vpn")
    max_accounts_in_report: int = Field(default=200, ge=0, le=100_000)
    approvers: tuple[str, ...] = ()
    """Responders or ``[policies.roles]`` who may approve a report (empty: anyone else)."""

    @field_validator("max_tlp")
    @classmethod
    def _tlp(cls, value: str) -> str:
        level = normalise_tlp(value)
        if level is None:
            raise ValueError("must be one of " + ", ".join(TLP_LEVELS))
        return level

    def intel_endpoint(self) -> TaxiiEndpoint:
        """The endpoint shared indicators are pulled from."""
        data = {k: getattr(self, k) for k in TaxiiEndpoint.model_fields}
        data["collection"] = self.intel_collection or self.collection
        return TaxiiEndpoint(**data)


def forum_settings(table: dict[str, Any]) -> ForumSettings:
    """Validate the ``[forum]`` table; a missing or invalid table is a :class:`ConfigError`."""
    if not table:
        raise ConfigError(
            "no [forum] table in the configuration",
            hint="add [forum] with url, api_root, collection and auth (see README: Forum intel)",
        )
    return _validate(ForumSettings, table, "forum")


def taxii_source(name: str, table: dict[str, Any]) -> TaxiiEndpoint:
    """Validate a ``[sources.NAME]`` table of type ``taxii``."""
    data = {k: v for k, v in table.items() if k != "type"}
    return _validate(TaxiiEndpoint, data, f"sources.{name}")


def _validate(model: type[T], data: dict[str, Any], where: str) -> T:
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            if err["type"] == "extra_forbidden":
                problems.append(f"unknown key '{where}.{loc}'")
            else:
                problems.append(f"{where}.{loc}: {err['msg']}")
        raise ConfigError(
            "; ".join(problems), hint="see README: Forum intel for the keys ircli understands"
        ) from None


def _reveal(name: str) -> str:
    from ircli.secrets import get_secret

    return get_secret(name).reveal()


def tlp_rank(level: str) -> int:
    """Position of a TLP 2.0 level from least (CLEAR=0) to most restricted (RED=4)."""
    return TLP_LEVELS.index(level)
