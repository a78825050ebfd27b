"""Errors raised by drsim."""

from __future__ import annotations

from ._native import native

#: A bad model file or override: raised by :meth:`drsim.Scenario.load`,
#: :meth:`drsim.Scenario.from_dict` and :meth:`drsim.Scenario.with_overrides`.
#: A subclass of :class:`ValueError` whose instances carry ``file`` (the model
#: file, or the name given for a dict), ``path`` (the dotted JSON path, e.g.
#: ``"gtm.health_check.failures"``; ``"line L, column C"`` for a syntax error),
#: ``expected``, ``found`` and ``hint`` (possibly empty).
ModelError: type[ValueError] = native.ModelError
ModelError.__module__ = "drsim"
ModelError.__doc__ = (
    "A bad model or override. Attributes: file, path (dotted JSON path), expected, found, hint."
)


class ManifestError(ValueError):
    """A Kubernetes or Envoy manifest that cannot become scenario overrides."""

    def __init__(self, file: str, path: str, message: str) -> None:
        super().__init__(f"{file}: {path}: {message}" if path else f"{file}: {message}")
        self.file = file
        self.path = path
        self.message = message


class ManifestWarning(UserWarning):
    """A manifest setting the model does not represent and that was left out."""
