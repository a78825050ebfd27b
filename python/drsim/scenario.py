"""Scenarios: a model file (or dict) with overrides, ready to run."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, Optional, Union

from ._native import native
from .errors import ModelError
from .result import Result

PathLike = Union[str, "os.PathLike[str]"]


def override_text(value: Any) -> str:
    """The text an override value becomes, as the CLI's ``--set path=value`` would see it.

    A ``str`` goes through unchanged, so ``"30s"`` stays the string ``"30s"`` and
    ``"4"`` becomes the number 4, exactly as on the command line. Any other value
    (int, float, bool, list, dict, None) is written as JSON, so ``4`` is the number
    4, ``True`` is ``true`` and ``[...]`` a JSON array.
    """
    if isinstance(value, str):
        return value
    return json.dumps(value)


class Scenario:
    """A checked model, immutable from Python: overrides make a new Scenario.

    >>> sc = Scenario.load("models/asm-gtm-drill.json").with_overrides({"gtm.ttl": "30s"})
    >>> result = sc.run(seed=7, replications=20)

    Every load, conversion and override checks the whole model and raises
    :class:`drsim.ModelError` (file, path, expected, found) on a problem.
    """

    __slots__ = ("_native",)

    def __init__(self, _native_scenario: Any) -> None:
        """Internal: use :meth:`load`, :meth:`from_dict` or :meth:`from_json`."""
        self._native = _native_scenario

    # -- construction -----------------------------------------------------

    @classmethod
    def load(cls, path: PathLike) -> "Scenario":
        """Reads and checks a model file (JSON)."""
        return cls(native.Scenario.load(os.fspath(path)))

    @classmethod
    def from_dict(cls, model: Mapping[str, Any], name: str = "<dict>") -> "Scenario":
        """Checks a model given as a dict (the JSON document's shape).

        ``name`` stands for the file in error messages.
        """
        return cls(native.Scenario.from_json(json.dumps(model), name))

    @classmethod
    def from_json(cls, text: str, name: str = "<string>") -> "Scenario":
        """Checks a model given as JSON text; ``name`` stands for the file in errors."""
        return cls(native.Scenario.from_json(text, name))

    def with_overrides(self, overrides: Mapping[str, Any]) -> "Scenario":
        """A new Scenario with values replaced by dotted path, this one unchanged.

        Paths are those of ``drsim run --set``: ``"gtm.ttl"``,
        ``"gtm.health_check.interval"``, and arrays entered by element name
        (``"clients.fortio.profile"``, ``"regions.region-2.gateway.address"``).
        Values follow :func:`override_text`: strings as on the command line,
        anything else as JSON. The result is the model with every override in
        place, checked as a whole: unlike a chain of ``--set`` options, the order
        does not matter when values only make sense together (a gateway's
        ``replicas`` and its ``hpa`` bounds). A bad path or value raises
        :class:`drsim.ModelError` and leaves this Scenario as it was.
        """
        items = [(str(path), override_text(value)) for path, value in overrides.items()]
        scenario = self._native.copy()
        scenario.set_all(items)
        return Scenario(scenario)

    # -- views --------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The model document with every override applied (a fresh copy)."""
        return json.loads(self._native.to_json(-1))

    def to_json(self, indent: Optional[int] = 2) -> str:
        """The model document as JSON text (``indent=None`` for one line)."""
        return self._native.to_json(-1 if indent is None else indent)

    @property
    def name(self) -> str:
        """The model's ``name`` field."""
        return self._native.name

    @property
    def file(self) -> str:
        """The file it was loaded from, or the name given to from_dict/from_json."""
        return self._native.file

    @property
    def notes(self) -> list[str]:
        """The model's notes (its stated reasoning and sources)."""
        return list(self._native.notes)

    @property
    def warnings(self) -> list[str]:
        """Warnings raised while checking the model (legal but suspicious values)."""
        return list(self._native.warnings)

    @property
    def assumptions(self) -> dict[str, str]:
        """The headline assumptions a result states (client DNS method, TTL, probes)."""
        return dict(self._native.assumptions)

    @property
    def region_names(self) -> list[str]:
        """Region names in model order."""
        return list(self._native.region_names)

    # -- running ------------------------------------------------------------

    def run(self, seed: int = 1, replications: int = 1, threads: Optional[int] = None) -> Result:
        """Runs ``replications`` independent replications; the GIL is released meanwhile.

        Replication ``k`` uses a seed derived from ``seed`` and ``k`` only, so the
        numbers do not depend on ``threads`` (``None``: every core) and equal
        those of ``drsim run MODEL --seed SEED --replications R``.
        """
        if replications < 1:
            raise ValueError(f"replications must be >= 1, got {replications}")
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be >= 1 or None, got {threads}")
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        raw = native.run(self._native, seed=int(seed), replications=int(replications), threads=int(threads or 0))
        return Result(raw)

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        # Pickles as the model document and its file name (for process pools, dask).
        return (Scenario.from_json, (self.to_json(indent=None), self.file))

    def __copy__(self) -> "Scenario":
        return self  # immutable from Python

    def __deepcopy__(self, memo: dict[int, Any]) -> "Scenario":
        return self

    def __repr__(self) -> str:
        return f"<drsim.Scenario {self.name!r} from {self.file!r}, regions {self.region_names}>"


__all__ = ["Scenario", "override_text"]
