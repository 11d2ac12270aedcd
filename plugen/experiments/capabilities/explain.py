"""Counterfactual explanations: the decision model explained, its inputs, the rule it may be
trained on and the checks of the ``<name>.explain`` section."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from plugen.experiments.paths import results_path

if TYPE_CHECKING:
    from plugen.experiments.paths import Config


class Explainable:
    """Mixin of :class:`plugen.experiments.spec.Experiment` (see the module docstring)."""

    def explain(self, config: Config) -> Mapping[str, Any] | None:
        """The ``<name>.explain`` settings when the counterfactual task is on, else None."""
        section = config.get(self.name, {}).get("explain")
        return section if section and section["enabled"] and self.decodes_images(config) else None

    def decision_model(self, config: Config) -> dict[str, str]:
        """The decision model explained: the user's TorchScript file (``<name>.explain.model``,
        reading ``input`` "image" or "latent") or the hidden-rule model trained in the DAG
        (kind "rule", reading images)."""
        section = self.explain(config) or {}
        if section.get("model"):
            return {"kind": "torchscript", "path": section["model"], "input": section["input"]}
        path = results_path(self.name, "models", "decision.pt")
        return {"kind": "rule", "path": path, "input": "image"}

    def explain_images(self, config: Config) -> bool:
        """Whether the explained decision reads decoded images (then counterfactuals have
        images, judged changes, FID and figure strips), not latents."""
        return self.decision_model(config)["input"] == "image"

    def decision_input(self, config: Config, n: int = 2) -> Any:
        """``n`` example inputs of the decision model (a float tensor: images ``(n, C, H, W)``
        in the decoder's pixel range, or latents ``(n, d)``), to check a user's model before
        any job; None when they cannot be made before the jobs (e.g. a decoder trained in the
        DAG)."""
        return None

    def rule_images(self, config: Config) -> str | None:
        """Labelled images (a dataset table) a hidden-rule decision model trains on; None when
        this experiment has none (its ``explain.model`` must then be given)."""
        return None

    def depends_on(self, config: Config) -> list[str] | None:
        """Attributes the explained decision really depends on (faithfulness's truth): the
        ``explain.depends_on`` list, else the rule's attributes for the rule's model, else None."""
        from plugen.explain.rule import Rule

        section = self.explain(config) or {}
        if section.get("depends_on") is not None:
            return list(section["depends_on"])
        if self.decision_model(config)["kind"] == "rule":
            return Rule(section["rule"], self.attributes(config)).attributes
        return None

    def explain_tables(self, config: Config) -> tuple[str, ...]:
        """The counterfactual task's metrics tables (none when it is off)."""
        if not self.explain(config):
            return ()
        trained = ("decision_model",) if self.decision_model(config)["kind"] == "rule" else ()
        return (*trained, "counterfactuals", "counterfactual_attributes")

    def explain_problems(self, config: Config) -> list[str]:
        """Problems with ``<name>.explain`` (input, the user's decision model run on
        :meth:`decision_input`, rule, attribute names, bounds), one line each."""
        from plugen.explain.rule import Rule

        section = self.explain(config)
        if not section:
            asked = config.get(self.name, {}).get("explain")
            if asked and asked["enabled"] and not self.decodes_images(config):
                return [
                    f"{self.name}.explain.enabled: counterfactual explanations need images; "
                    f"{self.name} decodes point clouds"
                ]
            return []
        attrs, key, problems = self.attributes(config), f"{self.name}.explain", []
        if section["input"] == "image" and self.decoder(config) is None:
            problems.append(
                f"{key}.input: 'image' needs a decoder, and {self.name} has none "
                "(set input: latent for a model that reads latents)"
            )
        elif section["model"]:
            problems += self._decision_model_problems(config, f"{key}.model")
        if section["input"] == "latent" and not section["model"]:
            problems.append(
                f"{key}.input: 'latent' needs {key}.model (a rule's model reads images)"
            )
        if not section["model"]:
            if self.rule_images(config) is None:
                problems.append(f"{key}.model: {self.name} has no images to train a rule on")
            try:
                Rule(section["rule"], attrs)
            except ValueError as exc:
                problems.append(f"{key}.rule: {exc}")
        for field_ in ("attributes", "depends_on"):
            unknown = [a for a in section[field_] or [] if a not in attrs]
            if unknown:
                problems.append(
                    f"{key}.{field_}: unknown attribute(s) {unknown}; known: {list(attrs)}"
                )
        for name, (lo, hi) in section["bounds"].items():
            if attrs.get(name) != "continuous":
                problems.append(f"{key}.bounds: {name!r} is not a continuous attribute")
            elif not lo < hi:
                problems.append(f"{key}.bounds.{name}: expected [low, high] with low < high")
        return problems

    def _decision_model_problems(self, config: Config, key: str) -> list[str]:
        """The user's decision model: its file exists and maps two example inputs to one
        logit each (one line naming ``key`` otherwise)."""
        import os

        from plugen.runtime import is_import_path

        path = self.explain(config)["model"]
        if not is_import_path(path) and not os.path.isfile(path):
            return [f"{key}: {path}: file not found"]
        try:
            x = self.decision_input(config)
            if x is None:
                return []
            import torch

            from plugen.backbones.torchscript import load_torchscript
            from plugen.explain.decision import check_logits

            with torch.no_grad():
                check_logits(load_torchscript(path, "decision model").eval()(x), len(x), path)
        except Exception as exc:  # noqa: BLE001 - the user's module may raise anything
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return [f"{key}: {first}"]
        return []
