"""The pipeline's own decisions, without a build: how a large site is cut into MkDocs builds and
search indexes."""

from __future__ import annotations

import pytest

from generator.pipeline import (
    ORGANISATIONS_PER_BUILD,
    ORGANISATIONS_PER_INDEX,
    SEARCH_INDEXES,
    layout,
)


def _orgs(count: int) -> list[str]:
    return [f"org-{number:03}" for number in range(count)]


@pytest.mark.parametrize("count", [0, 1, 2, 16, 17, 48, 49, 200, 370, 1000])
def test_every_organisation_is_in_one_part_of_one_index_in_order(count: int) -> None:
    indexes = layout(_orgs(count))

    assert [org for index in indexes for part in index for org in part] == _orgs(count)
    assert len(indexes) <= SEARCH_INDEXES
    assert all(len(part) <= ORGANISATIONS_PER_BUILD for index in indexes for part in index)
    # Only the last index ends in a smaller part (a part costs MkDocs' start however small).
    assert all(len(part) == ORGANISATIONS_PER_BUILD for index in indexes[:-1] for part in index)
    # A small site is one index (one search reads it all); a large one is cut into at most
    # SEARCH_INDEXES, each of at least ORGANISATIONS_PER_INDEX.
    if count <= ORGANISATIONS_PER_INDEX:
        assert len(indexes) == 1
    else:
        assert all(sum(map(len, index)) >= ORGANISATIONS_PER_INDEX for index in indexes[:-1])


def test_sizes_given_cut_parts_inside_indexes() -> None:
    assert layout(_orgs(6), part_size=2, index_size=4) == [
        [("org-000", "org-001"), ("org-002", "org-003")],
        [("org-004", "org-005")],
    ]
    # At 370 organisations: eight indexes of 48 (the last 34), each three parts of 16.
    indexes = layout(_orgs(370))
    assert [sum(map(len, index)) for index in indexes] == [48] * 7 + [34]
    assert [len(part) for part in indexes[0]] == [16] * 3
