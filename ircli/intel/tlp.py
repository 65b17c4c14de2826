"""TLP 2.0 marking definitions (the FIRST/OASIS objects with fixed ids).

These are not stix2's built-in ``TLP_WHITE``…``TLP_RED``: those are TLP 1.0 objects with
other ids. TLP 2.0 markings are property extensions of ``extension-definition--60a3c5c5…``.
"""

from __future__ import annotations

from typing import Any

TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"

TLP2_IDS: dict[str, str] = {
    "CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}


def tlp_marking(level: str) -> Any:
    """The TLP 2.0 ``marking-definition`` of ``level`` as a stix2 object."""
    import stix2

    return stix2.MarkingDefinition(
        id=TLP2_IDS[level],
        created=TLP2_CREATED,
        name=f"TLP:{level}",
        extensions={
            TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level.lower()}
        },
    )


def tlp_level_of(marking_id: str) -> str | None:
    """The TLP 2.0 level a marking-definition id stands for, if it is one."""
    for level, ident in TLP2_IDS.items():
        if ident == marking_id:
            return level
    return None
