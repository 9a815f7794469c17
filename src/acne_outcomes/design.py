"""The design a study declares: its arms, visit schedule, primary visits and what was collected.

A study package declares its design under the key ``design`` of its ``datapackage.json``
(the standard's ``designSchema`` describes every property). Whatever it leaves out is
inferred from the data by :func:`infer_design`, with documented rules, and
:attr:`Design.inferred` says what was inferred, so a report can say so. Every analysis,
page, title and figure reads the design; nothing is written for one study's arms or visits.

>>> design = Design.from_dict({"arms": [{"label": "vehicle", "reference": True},
...     {"label": "sarecycline", "name": "Sarecycline"}], "visitUnit": "weeks",
...     "visits": [0, 4, 12], "primaryVisits": {"lesions": 12}})
>>> design.reference.label, design.visit_column, design.name_of("sarecycline")
('vehicle', 'week', 'Sarecycline')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from acne_outcomes import standard
from acne_outcomes.checks import NotEstimable, in_words

#: Arm labels taken for the reference arm when a design does not declare one (lower case).
CONTROL_WORDS = (
    "placebo",
    "vehicle",
    "comparator",
    "control",
    "sham",
    "standard care",
    "standard of care",
    "usual care",
)
_KEYS = ("arms", "visitUnit", "visits", "endOfTreatment", "primaryVisits", "outcomes", "tables",
         "inferred")  # fmt: skip


class DesignError(ValueError):
    """A declared design is malformed (a wrong type or an unknown key); the message says which."""


@dataclass(frozen=True)
class Arm:
    """One arm: its ``label`` in the data and its display ``name``."""

    label: str
    name: str


@dataclass(frozen=True)
class Design:
    """A study's design (see the module docstring and the standard's ``designSchema``).

    A design read from a package may be partial (parts not declared are empty or ``None``);
    :func:`resolve_design` completes it from the data, and every study carries a complete one.

    Attributes
    ----------
    arms : tuple of Arm
        Every arm, the reference first.
    visit_unit : {"months", "weeks", "days"}
        The unit of the scheduled visits; it names the visit column.
    visits : tuple of numbers
        The scheduled visits, baseline (0) first.
    end_of_treatment : number or None
        The visit at which assigned treatment ends, if declared.
    primary_visits : dict
        The primary visit of each outcome family (``lesions``, ``scars``, ``pih``) measured.
    outcomes : tuple of str
        The visit measurements collected.
    tables : tuple of str
        The tables collected (``subjects`` and ``visits`` always).
    inferred : tuple of str
        What was inferred rather than declared, one sentence each.
    """

    arms: tuple[Arm, ...] = ()
    visit_unit: str | None = None
    visits: tuple | None = None
    end_of_treatment: float | None = None
    primary_visits: dict = field(default_factory=dict)
    outcomes: tuple[str, ...] | None = None
    tables: tuple[str, ...] | None = None
    inferred: tuple[str, ...] = ()

    # ------------------------------------------------------------------ reading it

    @property
    def reference(self) -> Arm:
        """The reference arm of every comparison."""
        return self.arms[0]

    @property
    def labels(self) -> list[str]:
        """The arm labels, reference first."""
        return [arm.label for arm in self.arms]

    @property
    def n_arms(self) -> int:
        return len(self.arms)

    @property
    def compares_arms(self) -> bool:
        """Whether the study has a control: two arms or more."""
        return self.n_arms >= 2

    @property
    def visit_column(self) -> str:
        """The visit column's name: ``month``, ``week`` or ``day``."""
        return standard.visit_column(self.visit_unit)

    @property
    def visit_label(self) -> str:
        """The visit axis label: ``Month``, ``Week`` or ``Day``."""
        return self.visit_column.capitalize()

    @property
    def baseline_visit(self):
        return self.visits[0]

    def name_of(self, label: object) -> str:
        """The display name of an arm label (the label itself if it is not an arm)."""
        for arm in self.arms:
            if arm.label == label:
                return arm.name
        return str(label)

    def arm_names(self) -> str:
        """The arms' names joined for a sentence: ``"A, B and C"``."""
        names = [arm.name for arm in self.arms]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    def contrast_name(self, contrast: str) -> str:
        """A tidy frame's contrast (``"iso - comp"``, ``"iso / comp"``, ``"iso"``) in arm names."""
        for separator in (" - ", " / "):
            if separator in contrast:
                left, right = contrast.split(separator, 1)
                return f"{self.name_of(left)}{separator}{self.name_of(right)}"
        return self.name_of(contrast)

    def primary_visit(self, family: str):
        """The primary visit of an outcome family, or ``None`` when the family was not measured."""
        return self.primary_visits.get(family)

    def collected(self, outcome: str) -> bool:
        """Whether a visit measurement was collected."""
        return outcome in self.outcomes

    def has_table(self, table: str) -> bool:
        """Whether a table was collected."""
        return table in self.tables

    def visit_name(self, visit) -> str:
        """A visit in words: ``"month 5"``, ``"week 24"``, ``"baseline"``."""
        if visit == self.baseline_visit:
            return "baseline"
        return f"{self.visit_column} {_number(visit)}"

    def named(self, frame: pd.DataFrame, column: str = "arm") -> pd.DataFrame:
        """``frame`` with the arm labels of ``column`` replaced by the arms' names, for display.

        A categorical keeps its order (the reference first); other values are mapped one by
        one. Analyses work on labels; figures and tables show names.
        """
        if column not in frame.columns:
            return frame
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            names = [self.name_of(label) for label in values.cat.categories]
            if len(set(names)) == len(names):
                return frame.assign(**{column: values.cat.rename_categories(names)})
        return frame.assign(**{column: values.map(self.name_of, na_action="ignore")})

    def named_contrasts(self, estimates: pd.DataFrame) -> pd.DataFrame:
        """A tidy frame with its ``contrast`` column in the arms' names (see :meth:`contrast_name`).

        The column becomes a categorical with the arms' names first, in the design's order, so
        figures keep the arms' order and colours; other contrasts follow in order of appearance.
        """
        names = estimates["contrast"].map(self.contrast_name, na_action="ignore")
        arms = [arm.name for arm in self.arms]
        others = [value for value in pd.unique(names.dropna()) if value not in arms]
        return estimates.assign(contrast=pd.Categorical(names, categories=[*arms, *others]))

    # ------------------------------------------------------------------ what the data support

    def require_arms(self, count: int = 2) -> None:
        """Raise :class:`~acne_outcomes.checks.NotEstimable` unless the study has ``count`` arms."""
        if self.n_arms < count:
            raise NotEstimable(
                f"the study has {self.n_arms} arm{'s' if self.n_arms != 1 else ''} "
                f"({self.arm_names()}): there is no control group to compare with"
            )

    def require_outcome(self, outcome: str) -> None:
        """Raise ``NotEstimable`` unless ``outcome`` was collected."""
        if not self.collected(outcome):
            raise NotEstimable(f"{standard.label(outcome)} was not collected in this study")

    def require_table(self, table: str) -> None:
        """Raise ``NotEstimable`` unless ``table`` was collected."""
        if not self.has_table(table):
            kind = table.replace("_", " ")
            raise NotEstimable(f"{kind} were not collected in this study")

    def require_primary_visit(self, family: str):
        """The primary visit of ``family``; ``NotEstimable`` when the family was not measured."""
        visit = self.primary_visit(family)
        if visit is None:
            raise NotEstimable(f"no {family} outcome was measured in this study")
        return visit

    # ------------------------------------------------------------------ as data

    def to_dict(self) -> dict:
        """The design as the JSON object of ``datapackage.json`` (the keys of ``designSchema``)."""
        out = {
            "arms": [
                {"label": arm.label, "name": arm.name, **({"reference": True} if i == 0 else {})}
                for i, arm in enumerate(self.arms)
            ],
            "visitUnit": self.visit_unit,
            "visits": [_number(visit) for visit in self.visits],
            "endOfTreatment": None
            if self.end_of_treatment is None
            else _number(self.end_of_treatment),
            "primaryVisits": {key: _number(value) for key, value in self.primary_visits.items()},
            "outcomes": list(self.outcomes),
            "tables": list(self.tables),
        }
        if self.inferred:
            out["inferred"] = list(self.inferred)
        return out

    @classmethod
    def from_dict(cls, declared: Mapping) -> Design:
        """A design from its JSON object; parts left out stay at their (empty) defaults.

        Raises :class:`DesignError` for a malformed object (use :func:`resolve_design` to fill
        the missing parts from the data and check it against them).
        """
        if not isinstance(declared, Mapping):
            raise DesignError(f"the design must be a JSON object; got {type(declared).__name__}")
        unknown = sorted(set(declared) - set(_KEYS))
        if unknown:
            raise DesignError(
                f"unknown design key{'s' if len(unknown) > 1 else ''} {in_words(unknown)}; "
                f"allowed: {in_words(_KEYS)}"
            )
        values = {}
        if "arms" in declared:
            values["arms"] = _arms(declared["arms"])
        if "visitUnit" in declared:
            if declared["visitUnit"] not in standard.VISIT_UNITS:
                raise DesignError(
                    f"visitUnit={declared['visitUnit']!r} is not allowed; allowed: "
                    f"{in_words(standard.VISIT_UNITS)}"
                )
            values["visit_unit"] = declared["visitUnit"]
        if "visits" in declared:
            values["visits"] = tuple(sorted(_numbers(declared["visits"], "visits")))
        if declared.get("endOfTreatment") is not None:
            values["end_of_treatment"] = _numbers([declared["endOfTreatment"]], "endOfTreatment")[0]
        if "primaryVisits" in declared:
            values["primary_visits"] = _primary(declared["primaryVisits"])
        for key, name, allowed in (
            ("outcomes", "outcomes", list(standard.outcome_families())),
            ("tables", "tables", list(standard.TABLES)),
        ):
            if key in declared:
                values[name] = _names(declared[key], key, allowed)
        if "inferred" in declared:
            values["inferred"] = tuple(str(item) for item in declared["inferred"])
        return cls(**values)


def _number(value):
    value = float(value)
    return int(value) if value.is_integer() else value


def _numbers(values, key: str) -> list:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise DesignError(f"{key} must be a list of numbers; got {values!r}")
    out = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise DesignError(f"{key} must hold numbers; got {value!r}")
        if not np.isfinite(value) or value < 0:
            raise DesignError(f"{key} must hold finite numbers >= 0; got {value!r}")
        out.append(_number(value))
    return out


def _arms(arms) -> tuple[Arm, ...]:
    if not isinstance(arms, Sequence) or isinstance(arms, (str, bytes)) or not arms:
        raise DesignError("arms must be a non-empty list of {'label': ..., 'name': ...} objects")
    parsed, reference = [], []
    for item in arms:
        if isinstance(item, str):
            item = {"label": item}
        if not isinstance(item, Mapping) or not isinstance(item.get("label"), str):
            raise DesignError(f"each arm needs a text 'label'; got {item!r}")
        unknown = sorted(set(item) - {"label", "name", "reference"})
        if unknown:
            raise DesignError(
                f"unknown arm key(s) {unknown}; allowed: ['label', 'name', 'reference']"
            )
        name = item.get("name", item["label"])
        if not isinstance(name, str) or not name.strip():
            raise DesignError(f"arm {item['label']!r}: 'name' must be non-empty text")
        parsed.append(Arm(item["label"], name))
        if item.get("reference") is True:
            reference.append(len(parsed) - 1)
    labels = [arm.label for arm in parsed]
    if len(set(labels)) < len(labels):
        raise DesignError(f"arm labels must be unique; got {labels}")
    if len(reference) > 1:
        raise DesignError(
            f"at most one arm is the reference; flagged: {[labels[i] for i in reference]}"
        )
    if reference:
        parsed.insert(0, parsed.pop(reference[0]))
    return tuple(parsed)


def _primary(primary) -> dict:
    if not isinstance(primary, Mapping):
        raise DesignError("primaryVisits must be an object {'lesions': visit, ...}")
    unknown = sorted(set(primary) - set(standard.OUTCOME_FAMILIES))
    if unknown:
        raise DesignError(
            f"primaryVisits has unknown famil{'ies' if len(unknown) > 1 else 'y'} "
            f"{in_words(unknown)}; allowed: {in_words(standard.OUTCOME_FAMILIES)}"
        )
    return {key: _numbers([value], f"primaryVisits.{key}")[0] for key, value in primary.items()}


def _names(values, key: str, allowed: list[str]) -> tuple[str, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise DesignError(f"{key} must be a list of names; got {values!r}")
    values = list(values)
    unknown = sorted({str(value) for value in values} - set(allowed))
    if unknown:
        raise DesignError(
            f"{key} names {unknown}, which the standard does not have; allowed: {allowed}"
        )
    return tuple(name for name in allowed if name in values)


# ---------------------------------------------------------------------- from the data


def visit_unit_of(visits: pd.DataFrame) -> str | None:
    """The visit unit whose column the visits table has (``None``: none or several).

    >>> visit_unit_of(pd.DataFrame(columns=["subject_id", "week"]))
    'weeks'
    """
    found = [unit for unit, name in standard.visit_columns().items() if name in visits.columns]
    return found[0] if len(found) == 1 else None


def _present_visits(visits: pd.DataFrame, column: str) -> list:
    values = pd.to_numeric(visits[column], errors="coerce").dropna().unique()
    return [_number(value) for value in sorted(values)]


def _reference_label(labels: list[str]) -> tuple[str, str]:
    for label in labels:
        if label.strip().lower() in CONTROL_WORDS:
            return label, f"the reference arm was not declared: took {label!r}, a control's name"
    first = sorted(labels, key=str)[0]
    return first, (
        f"the reference arm was not declared: took {first!r}, the first label in alphabetical "
        "order; declare it in the design if another arm is the control"
    )


def _measured_at(visits: pd.DataFrame, column: str, outcomes: Iterable[str]) -> list:
    outcomes = [name for name in outcomes if name in visits.columns]
    if not outcomes or visits.empty:
        return []
    measured = visits[outcomes].notna().any(axis=1)
    return _present_visits(visits.loc[measured], column)


def resolve_design(declared: Design | None, tables: Mapping[str, pd.DataFrame]) -> Design:
    """Complete a declared design (or none) from the data; say in ``inferred`` what was inferred.

    Parameters
    ----------
    declared : Design or None
        What the package declares (:meth:`Design.from_dict`), possibly partial.
    tables : mapping of table name to DataFrame
        The study's tables (parsed or conformed); ``subjects`` and ``visits`` at least.

    Returns
    -------
    Design
        Every part filled. The rules (also in the standard's ``designSchema``): arms — the
        labels present, reference a control's name (:data:`CONTROL_WORDS`) else the first
        label alphabetically; visit unit — the visit column's name; visits — those present;
        outcomes — measurement columns with a value; tables — those present; primary visits —
        lesions at the end of treatment if declared, otherwise each family's last visit with a
        measurement. The end of treatment is never inferred.

    Examples
    --------
    >>> subjects = pd.DataFrame({"subject_id": ["a", "b"], "arm": ["drug", "placebo"]})
    >>> visits = pd.DataFrame({"subject_id": ["a", "a", "b"], "week": [0, 12, 0],
    ...                        "pih_index": [3.0, 2.0, None]})
    >>> design = resolve_design(None, {"subjects": subjects, "visits": visits})
    >>> design.labels, design.visit_unit, design.visits, design.primary_visits
    (['placebo', 'drug'], 'weeks', (0, 12), {'pih': 12})
    """
    declared = declared if declared is not None else Design()
    subjects, visits = tables["subjects"], tables["visits"]
    notes = list(declared.inferred)
    values = {}
    if not declared.arms:
        labels = sorted({str(label) for label in subjects["arm"].dropna().unique()})
        if len(labels) > 1:
            reference, note = _reference_label(labels)
            notes.append(note)
            labels.remove(reference)
            labels.insert(0, reference)
        values["arms"] = tuple(Arm(label, label) for label in labels)
        notes.append("arms: the labels present in the data (no names declared)")
    unit = declared.visit_unit or visit_unit_of(visits) or standard.VISIT_UNITS[0]
    values["visit_unit"] = unit
    column = standard.visit_column(unit)
    if declared.visits is None:
        values["visits"] = tuple(_present_visits(visits, column)) if column in visits else (0,)
        notes.append(f"visit schedule: the {column}s present in the data")
    families = standard.outcome_families()
    if declared.outcomes is None:
        values["outcomes"] = tuple(
            name for name in families if name in visits.columns and visits[name].notna().any()
        )
        notes.append("outcomes collected: the measurement columns with at least one value")
    if declared.tables is None:
        values["tables"] = tuple(name for name in standard.TABLES if name in tables)
    resolved = replace(declared, **values)
    primary = dict(resolved.primary_visits)
    for family in standard.OUTCOME_FAMILIES:
        if family in primary or column not in visits.columns:
            continue
        members = [name for name, group in families.items() if group == family]
        measured = _measured_at(visits, column, [n for n in members if resolved.collected(n)])
        if not measured:
            continue
        if family == "lesions" and resolved.end_of_treatment in measured:
            primary[family] = resolved.end_of_treatment
            notes.append(
                f"primary visit for lesions: the end of treatment ({column} "
                f"{_number(resolved.end_of_treatment)})"
            )
        else:
            primary[family] = measured[-1]
            notes.append(
                f"primary visit for {family}: the last {column} it was measured "
                f"({_number(measured[-1])})"
            )
    return replace(resolved, primary_visits=primary, inferred=tuple(notes))
