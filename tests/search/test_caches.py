"""The embedded engine's caches (counts per filter set, whole results) are keyed on generation numbers
stored in the index file, so a change made by any process (the worker draining the outbox, a usage
flush) is seen at once by every engine sharing the file."""

from __future__ import annotations

from pathlib import Path

from search.interfaces import SearchQuery
from search.sqlite_fts import SqliteFtsIndex
from tests.search.conftest import collection


def test_a_repeated_query_is_answered_from_the_cache(tmp_path: Path) -> None:
    cached, uncached = SqliteFtsIndex(tmp_path / "search.db"), SqliteFtsIndex(tmp_path / "search.db", cache_entries=0)
    try:
        cached.upsert(collection())
        query = SearchQuery(text="phương trình", filters={"level": "thpt"})
        assert cached.search(query) is cached.search(query)
        assert uncached.search(query) is not uncached.search(query)
        assert uncached.search(query) == cached.search(query)
    finally:
        cached.close()
        uncached.close()


def test_a_change_by_another_engine_on_the_same_file_is_seen_at_once(tmp_path: Path) -> None:
    reader, writer = SqliteFtsIndex(tmp_path / "search.db"), SqliteFtsIndex(tmp_path / "search.db")
    try:
        writer.upsert(collection()[:5])
        query = SearchQuery(text="phương trình")
        before = reader.search(query)
        browse = reader.search(SearchQuery())
        writer.upsert(collection()[5:10])
        after = reader.search(query)
        assert after.total == before.total + 3  # Vi-ét, đường thẳng, đường tròn
        assert reader.search(SearchQuery()).total == browse.total + 5
        writer.delete([5])
        assert reader.search(query).total == after.total - 1
    finally:
        reader.close()
        writer.close()


def test_popularity_changes_the_popular_order_but_keeps_the_cached_counts(tmp_path: Path) -> None:
    reader, writer = SqliteFtsIndex(tmp_path / "search.db"), SqliteFtsIndex(tmp_path / "search.db")
    try:
        writer.upsert(collection())
        query = SearchQuery(text="phương trình", sort="popular")
        first = reader.search(query)
        assert first.hits[0].material_id != 5
        assert writer.set_popularity({5: 90, 999: 4}) == 1
        second = reader.search(query)
        assert second.hits[0].material_id == 5 and second.total == first.total
        assert second.facets is first.facets  # counts do not depend on popularity: still cached
    finally:
        reader.close()
        writer.close()


def test_a_popularity_update_keeps_the_cached_results_of_the_other_sorts(tmp_path: Path) -> None:
    index = SqliteFtsIndex(tmp_path / "search.db")
    try:
        index.upsert(collection())
        relevance, newest = SearchQuery(text="phương trình"), SearchQuery(text="phương trình", sort="newest")
        kept = [index.search(relevance), index.search(newest)]
        index.set_popularity({5: 90})
        assert [index.search(relevance), index.search(newest)] == kept
        assert index.search(relevance) is kept[0] and index.search(newest) is kept[1]
    finally:
        index.close()


def test_every_field_of_the_query_keys_the_results_cache(tmp_path: Path) -> None:
    index = SqliteFtsIndex(tmp_path / "search.db")
    try:
        index.upsert(collection())
        base = SearchQuery(text="phương trình", per_page=2)
        variants = [base, SearchQuery(text="phương trình", per_page=2, page=2),
                    SearchQuery(text="phương trình", per_page=3), SearchQuery(text="phương trình", per_page=2,
                                                                          filters={"level": "thcs"}),
                    SearchQuery(text="phương trình", per_page=2, sort="newest")]
        answers = [index.search(q) for q in variants]
        assert len({id(a) for a in answers}) == len(variants)
        assert [h.material_id for h in answers[0].hits] != [h.material_id for h in answers[1].hits]
    finally:
        index.close()
