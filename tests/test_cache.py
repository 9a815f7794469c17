"""The disk cache (acne_outcomes.cache): the lessons' diagnoses and the generator's truth are
computed once per set of inputs; a hit returns exactly what was computed, a changed input (or
code) misses."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from acne_outcomes import cache
from acne_outcomes.appraisal import lessons, strategies
from acne_outcomes.simulate import simulate_study, truth

diagnosis = sys.modules["acne_outcomes.appraisal.diagnose"]  # the package exports the function
SMALL = {"n_subjects": 60, **lessons.PIH_NULL}


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ACNE_OUTCOMES_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def counted(monkeypatch):
    """Counts the replicates simulated and analysed (the diagnosis's real work)."""
    calls = []
    real = diagnosis.run_replicates

    def run_replicates(*args):
        calls.append(len(args[3]))
        return real(*args)

    monkeypatch.setattr(diagnosis, "run_replicates", run_replicates)
    return calls


def _diagnose(**changes):
    arguments = {"n_sims": 3, "seed": 0, "executor": "serial", "progress": False,
                 "return_replicates": True, "cache": True, **SMALL, **changes}  # fmt: skip
    return diagnosis.diagnose("rct", [strategies.BEFORE_AFTER_PIH], **arguments)


def test_a_cache_hit_returns_the_identical_diagnosis_without_running_it(own_cache, counted):
    summary, replicates = _diagnose()
    assert sum(counted) == 3 and any((own_cache / "diagnosis").iterdir())
    again, again_replicates = _diagnose(executor="processes", n_jobs=2)  # not in the key
    assert sum(counted) == 3  # nothing simulated or analysed
    pd.testing.assert_frame_equal(again, summary, check_exact=True)
    pd.testing.assert_frame_equal(again_replicates, replicates, check_exact=True)
    uncached = diagnosis.diagnose("rct", [strategies.BEFORE_AFTER_PIH], n_sims=3, seed=0,
                                  executor="serial", progress=False, **SMALL)  # fmt: skip
    pd.testing.assert_frame_equal(uncached, summary, check_exact=True)


@pytest.mark.parametrize(
    "changes",
    [{"seed": 1}, {"n_sims": 4}, {"n_subjects": 70}, {"pih_effect": -0.5}, {"alpha": 0.1}],
    ids=["seed", "n_sims", "n_subjects", "parameter", "alpha"],
)
def test_a_changed_input_misses(own_cache, counted, changes):
    _diagnose()
    before = sum(counted)
    _diagnose(**changes)
    assert sum(counted) > before


def test_other_strategies_or_changed_code_miss(own_cache, counted, monkeypatch):
    _diagnose()
    diagnosis.diagnose("rct", [strategies.BEFORE_AFTER_PIH, strategies.MMRM_PIH], n_sims=3,
                       seed=0, executor="serial", progress=False, cache=True, **SMALL)  # fmt: skip
    assert sum(counted) == 6
    monkeypatch.setattr(cache, "source_digest", lambda parts=(): "another version of the code")
    _diagnose()
    assert sum(counted) == 9


def test_the_lessons_diagnoses_are_cached_and_off_means_off(own_cache, counted, monkeypatch):
    first = lessons.run_diagnosis("rct", [strategies.BEFORE_AFTER_PIH], n_sims=3, **SMALL)
    second = lessons.run_diagnosis("rct", [strategies.BEFORE_AFTER_PIH], n_sims=3, **SMALL)
    assert sum(counted) == 3
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    monkeypatch.setenv("ACNE_OUTCOMES_CACHE", "off")
    lessons.run_diagnosis("rct", [strategies.BEFORE_AFTER_PIH], n_sims=3, **SMALL)
    assert sum(counted) == 6


def test_subgroup_fishing_is_cached(own_cache, monkeypatch):
    first = lessons.subgroup_fishing(n_sims=2, n_subjects=80, endpoints=("pih_index",),
                                     **lessons.ALL_NULL)  # fmt: skip
    monkeypatch.setattr(lessons, "_fishing_batch", lambda *args: pytest.fail("recomputed"))
    again = lessons.subgroup_fishing(n_sims=2, n_subjects=80, endpoints=("pih_index",),
                                     **lessons.ALL_NULL)  # fmt: skip
    pd.testing.assert_frame_equal(first, again, check_exact=True)


def test_the_truth_is_read_from_disk_in_a_new_process(own_cache, monkeypatch):
    parameters = {"n_subjects": 40, "seed": 3, "pih_effect": -0.123}
    truth._cached.cache_clear()
    study = simulate_study("rct", **parameters)
    truth._cached.cache_clear()  # as in a new process: only the disk holds it
    monkeypatch.setattr(truth, "_computed", lambda key: pytest.fail("the truth was recomputed"))
    again = simulate_study("rct", **parameters)
    assert again.truth == study.truth
    pd.testing.assert_frame_equal(again.visits, study.visits, check_exact=True)
    truth._cached.cache_clear()


def test_a_damaged_or_unwritable_cache_is_a_miss_not_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ACNE_OUTCOMES_CACHE", str(tmp_path))
    digest = cache.key("example", 1)
    (tmp_path / "example").mkdir()
    (tmp_path / "example" / f"{digest}.pickle").write_bytes(b"not a pickle")
    assert cache.load("example", digest) is None
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder would be")
    monkeypatch.setenv("ACNE_OUTCOMES_CACHE", str(blocked))
    assert cache.cached("example", 1, lambda: 42) == 42
