"""The design knobs of :func:`~acne_outcomes.simulate.simulate_study`: arms, visits, unit, outcomes, tables.

A :class:`Plan` is what the knobs resolve to: which model courses are the arms (with their
labels and display names, the reference first), which of the model's native months are
scheduled visits, the visit unit, the visit measurements and the tables collected. The model
always runs on its native months and courses (:mod:`acne_outcomes.simulate.model`); the plan
only selects and renames, and :meth:`Plan.design` is the :class:`~acne_outcomes.design.Design`
the study declares.

Visit units: the visit column holds the native month converted to the unit — weeks =
round(month x 52 / 12), days = round(month x 365.25 / 12) — while ``study_day`` stays the
actual day of the visit (:func:`visit_in_unit`).

Examples
--------
>>> plan = make_plan({"treatment_assignment": "randomised"},
...     arms=[("comparator", "vehicle"), ("isotretinoin", "sarecycline", "Sarecycline")],
...     visits=(0, 3, 6), visit_unit="weeks")
>>> plan.labels, plan.courses, plan.visits
(('vehicle', 'sarecycline'), (1, 0), (0, 13, 26))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from acne_outcomes import standard
from acne_outcomes.design import Arm, Design
from acne_outcomes.simulate import model

#: Weeks and days per month used to convert the native months to a visit unit.
UNIT_FACTORS = {"months": 1.0, "weeks": 52 / 12, "days": 365.25 / 12}
#: The primary visit (native month) of each outcome family when it is scheduled.
PRIMARY_MONTHS = {"lesions": 5, "scars": 12, "pih": 12}
OPTIONAL_TABLES = tuple(name for name in standard.TABLES if name not in standard.REQUIRED_TABLES)


def generator_outcomes() -> tuple[str, ...]:
    """The visit measurements the generator can produce (``melanin_index_difference`` is not).

    Examples
    --------
    >>> "melanin_index_difference" in generator_outcomes(), generator_outcomes()[0]
    (False, 'inflammatory_lesions')
    """
    return tuple(name for name in standard.outcome_families() if name != "melanin_index_difference")


def visit_in_unit(months, unit: str) -> np.ndarray:
    """Native months converted to the visit unit: weeks = round(month x 52/12), days =
    round(month x 365.25/12) (integers; no native month falls on a half).

    Examples
    --------
    >>> visit_in_unit(model.MONTHS, "weeks").tolist()
    [0, 4, 9, 13, 17, 22, 26, 39, 52]
    >>> visit_in_unit([0, 5, 12], "days").tolist()
    [0, 152, 365]
    """
    _check_choice("visit_unit", unit, standard.VISIT_UNITS)
    return np.rint(np.asarray(months, dtype=float) * UNIT_FACTORS[unit]).astype(np.int64)


@dataclass(frozen=True)
class Plan:
    """The resolved design knobs (see the module docstring).

    Attributes
    ----------
    courses : tuple of int
        The model course (code into ``model.COURSES``) of each arm, the reference first.
    labels, names : tuple of str
        Each arm's label in the data and display name.
    months : tuple of int
        The scheduled native months, baseline (0) first.
    visit_unit : {"months", "weeks", "days"}
    outcomes : tuple of str
        The visit measurements collected (the others are left missing).
    tables : tuple of str
        The tables collected (``subjects`` and ``visits`` always; the others are left empty).
    """

    courses: tuple[int, ...]
    labels: tuple[str, ...]
    names: tuple[str, ...]
    months: tuple[int, ...]
    visit_unit: str
    outcomes: tuple[str, ...]
    tables: tuple[str, ...]

    @property
    def visits(self) -> tuple[int, ...]:
        """The scheduled visits in the visit unit."""
        return tuple(int(value) for value in visit_in_unit(self.months, self.visit_unit))

    @property
    def scheduled(self) -> tuple[bool, ...]:
        """Which native months are scheduled (a mask over ``model.MONTHS``)."""
        return tuple(bool(month in self.months) for month in model.MONTHS)

    @property
    def arm_labels(self) -> dict[int, str]:
        """Model course code -> arm label."""
        return dict(zip(self.courses, self.labels, strict=True))

    def in_unit(self, month: int) -> int:
        """One native month in the visit unit."""
        return int(visit_in_unit([month], self.visit_unit)[0])

    def primary_months(self) -> dict[str, int]:
        """The primary visit (native month) of each outcome family collected.

        Lesions: month 5 if scheduled, else the last scheduled post-baseline visit before it,
        else the last scheduled visit; scars and PIH: month 12 if scheduled, else the last
        scheduled visit.
        """
        families = standard.outcome_families()
        collected = {families[name] for name in self.outcomes}
        out = {}
        for family, month in PRIMARY_MONTHS.items():
            if family not in collected:
                continue
            if month in self.months:
                out[family] = month
                continue
            before = [m for m in self.months if 0 < m < month] if family == "lesions" else []
            out[family] = before[-1] if before else self.months[-1]
        return out

    def design(self, outcomes: Iterable[str] | None = None) -> Design:
        """The design the study declares (``outcomes``: those with a value, default all planned).

        Examples
        --------
        >>> plan = make_plan({"treatment_assignment": "single_arm"}, visits=(0, 3, 6, 9))
        >>> design = plan.design()
        >>> design.labels, design.visits, design.end_of_treatment, design.primary_visits
        (['isotretinoin'], (0, 3, 6, 9), None, {'lesions': 3, 'scars': 9, 'pih': 9})
        """
        end = model.MONTHS[model.END_OF_TREATMENT_VISIT]
        return Design(
            arms=tuple(
                Arm(label, name) for label, name in zip(self.labels, self.names, strict=True)
            ),
            visit_unit=self.visit_unit,
            visits=self.visits,
            end_of_treatment=self.in_unit(end) if end in self.months else None,
            primary_visits={
                family: self.in_unit(month) for family, month in self.primary_months().items()
            },
            outcomes=self.outcomes if outcomes is None else tuple(outcomes),
            tables=self.tables,
        )

    def knobs(self) -> dict:
        """The plan as JSON-ready knob values (recorded in the study's metadata)."""
        return {
            "arms": [
                [model.COURSES[code], label, name]
                for code, label, name in zip(self.courses, self.labels, self.names, strict=True)
            ],
            "visits": list(self.months),
            "visit_unit": self.visit_unit,
            "outcomes": list(self.outcomes),
            "tables": list(self.tables),
        }


def make_plan(
    parameters: dict,
    *,
    arms=None,
    visits=None,
    visit_unit: str | None = None,
    outcomes=None,
    tables=None,
    explicit: Iterable[str] = (),
) -> Plan:
    """Check the design knobs and resolve them into a :class:`Plan`.

    Parameters
    ----------
    parameters : dict
        The resolved model parameters (``treatment_assignment`` and the allocation are read).
    arms : sequence or mapping, optional
        The arms, reference first. A sequence of items, each a course name, a tuple
        ``(course, label)`` or ``(course, label, name)``, or a mapping with ``course`` and
        optional ``label`` and ``name``; or a mapping course -> label or course ->
        ``(label, name)`` (its order: reference first). Courses: ``isotretinoin``,
        ``comparator``, ``untreated`` (the natural course), each at most once, one to three
        arms. The label defaults to the course, the name to the label. Default: comparator and
        isotretinoin, or isotretinoin alone when ``treatment_assignment`` is ``single_arm``.
    visits : sequence of int, optional
        The scheduled visits as native months (a subset of ``model.MONTHS`` with 0 and at
        least one later month), whatever the visit unit. Default: all native months.
    visit_unit : {"months", "weeks", "days"}, optional
        Default ``"months"``.
    outcomes : iterable of str, optional
        The visit measurements collected (:func:`generator_outcomes`, at least one).
    tables : iterable of str, optional
        The tables collected; ``subjects`` and ``visits`` always are, so
        ``("subjects", "visits")`` collects neither adverse events nor labs.
    explicit : iterable of str
        Parameter names the caller set (an explicit ``allocation_isotretinoin`` must apply).

    Returns
    -------
    Plan

    Raises
    ------
    ValueError
        A knob of the wrong form or value (naming the allowed ones), or a design the
        assignment rule cannot produce.

    Examples
    --------
    >>> make_plan({"treatment_assignment": "randomised"}, arms={"untreated": "vehicle",
    ...     "comparator": "doxycycline", "isotretinoin": ("iso", "Isotretinoin")}).names
    ('vehicle', 'doxycycline', 'Isotretinoin')
    >>> make_plan({"treatment_assignment": "randomised"}, visits=(3, 6))
    Traceback (most recent call last):
    ...
    ValueError: visits must include the baseline month 0; got [3, 6]
    """
    courses, labels, names = _default_arms(parameters) if arms is None else _parse_arms(arms)
    _check_assignment(parameters, courses, set(explicit))
    months = tuple(int(m) for m in model.MONTHS) if visits is None else _parse_visits(visits)
    unit = "months" if visit_unit is None else visit_unit
    _check_choice("visit_unit", unit, standard.VISIT_UNITS)
    allowed = generator_outcomes()
    chosen = allowed if outcomes is None else _parse_names("outcomes", outcomes, allowed)
    if not chosen:
        raise ValueError(f"outcomes must name at least one measurement; allowed: {list(allowed)}")
    collected = (
        standard.TABLES
        if tables is None
        else tuple(
            name
            for name in standard.TABLES
            if name in standard.REQUIRED_TABLES
            or name in _parse_names("tables", tables, standard.TABLES)
        )
    )
    return Plan(courses, labels, names, months, unit, chosen, collected)


def _default_arms(parameters: dict):
    courses = model.default_courses(parameters)
    labels = tuple(model.COURSES[code] for code in courses)
    return courses, labels, labels


def _parse_arms(arms):
    if isinstance(arms, Mapping):
        items = [(course, *_label_name(value, course)) for course, value in arms.items()]
    elif isinstance(arms, (str, bytes)) or not isinstance(arms, Iterable):
        raise ValueError(_ARMS_FORM + f"; got {arms!r}")
    else:
        items = [_arm_item(item) for item in arms]
    if not 1 <= len(items) <= len(model.COURSES):
        raise ValueError(f"arms must list one to three arms; got {len(items)}")
    courses, labels, names = [], [], []
    for course, label, name in items:
        _check_choice("arm course", course, model.COURSES)
        for what, value in (("label", label), ("name", name)):
            if not isinstance(value, str) or not value.strip():
                raise ValueError(
                    f"arm {course!r}: the {what} must be non-empty text; got {value!r}"
                )
        courses.append(model.COURSES.index(course))
        labels.append(label)
        names.append(name)
    for what, values in (("courses", [model.COURSES[c] for c in courses]), ("labels", labels)):
        if len(set(values)) < len(values):
            raise ValueError(f"arm {what} must be unique; got {values}")
    return tuple(courses), tuple(labels), tuple(names)


_ARMS_FORM = (
    "arms must be a list of course names, (course, label) or (course, label, name) tuples or "
    "{'course', 'label', 'name'} mappings, or a mapping course -> label"
)


def _arm_item(item) -> tuple:
    if isinstance(item, str):
        return item, item, item
    if isinstance(item, Mapping):
        unknown = sorted(set(item) - {"course", "label", "name"})
        if unknown or "course" not in item:
            raise ValueError(
                f"an arm mapping needs 'course' and may have 'label' and 'name'; got {dict(item)!r}"
            )
        label = item.get("label", item["course"])
        return item["course"], label, item.get("name", label)
    if isinstance(item, (tuple, list)) and 1 <= len(item) <= 3:
        course = item[0]
        label = item[1] if len(item) > 1 else course
        return course, label, item[2] if len(item) > 2 else label
    raise ValueError(_ARMS_FORM + f"; got the item {item!r}")


def _label_name(value, course) -> tuple:
    if value is None:
        return course, course
    if isinstance(value, str):
        return value, value
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return value[0], value[1]
    raise ValueError(f"arms[{course!r}] must be a label or a (label, name) pair; got {value!r}")


def _check_assignment(parameters: dict, courses, explicit: set) -> None:
    rule = parameters["treatment_assignment"]
    two_with_isotretinoin = len(courses) == 2 and model.ISOTRETINOIN in courses
    if rule == "single_arm" and len(courses) != 1:
        raise ValueError(
            f"treatment_assignment='single_arm' needs exactly one arm; got {len(courses)} "
            "(use 'randomised' for several arms)"
        )
    if rule == "by_indication" and not two_with_isotretinoin:
        raise ValueError(
            "treatment_assignment='by_indication' needs two arms, one of them the course "
            f"'isotretinoin'; got {[model.COURSES[c] for c in courses]}"
        )
    if "allocation_isotretinoin" in explicit and len(courses) > 1 and not two_with_isotretinoin:
        raise ValueError(
            "allocation_isotretinoin applies to two arms of which one is 'isotretinoin'; "
            f"the arms are {[model.COURSES[c] for c in courses]} (allocated equally)"
        )


def _parse_visits(visits) -> tuple[int, ...]:
    native = [int(m) for m in model.MONTHS]
    if isinstance(visits, (str, bytes)) or not isinstance(visits, Iterable):
        raise ValueError(f"visits must be a list of months from {native}; got {visits!r}")
    values = list(visits)
    for value in values:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float, np.integer, np.floating))
            or value not in native
        ):
            raise ValueError(
                f"visits must be months of the model's schedule {native}; got {value!r}"
            )
    months = sorted({int(value) for value in values})
    if months[:1] != [0]:
        raise ValueError(f"visits must include the baseline month 0; got {months}")
    if len(months) < 2:
        raise ValueError(f"visits need at least one month after baseline from {native[1:]}")
    return tuple(months)


def _parse_names(key: str, values, allowed) -> tuple[str, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValueError(f"{key} must be a list of names from {list(allowed)}; got {values!r}")
    values = list(values)
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise ValueError(f"{key} has unknown name(s) {unknown}; allowed: {list(allowed)}")
    return tuple(name for name in allowed if name in values)


def _check_choice(key: str, value, allowed) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{key}={value!r} is not allowed; allowed: {list(allowed)}")
