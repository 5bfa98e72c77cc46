"""The compact state forms of the rule core: ids packed without loss, agenda order kept."""
from __future__ import annotations

import uuid

from processors.core.agenda import Agenda, Cut
from processors.core.compact import IdList, pack_id, unpack_id


def test_a_lowercase_uuid_packs_to_16_bytes_and_back() -> None:
    eid = str(uuid.uuid4())
    packed = pack_id(eid)
    assert isinstance(packed, bytes) and len(packed) == 16
    assert unpack_id(packed) == eid


def test_ids_that_would_not_round_trip_stay_strings() -> None:
    for eid in (str(uuid.uuid4()).upper(), "e-1", "0" * 36, "1234 678-1234-1234-1234-123456789abc",
                "12345678123412341234123456789abc----"):
        assert pack_id(eid) == eid and unpack_id(pack_id(eid)) == eid


def test_an_id_list_gives_back_every_id_in_either_form() -> None:
    ids = [str(uuid.uuid4()) for _ in range(5)] + ["E-1", str(uuid.uuid4()).upper()]
    lst = IdList()
    for eid in ids:
        lst.append(eid)
    assert len(lst) == 7 and sorted(lst) == sorted(ids)


def test_agenda_orders_by_time_then_insertion_also_for_negative_times() -> None:
    a = Agenda()
    for t, p in [(5, "a"), (-3, "b"), (5, "c"), (0, "d"), (-3, "e")]:
        a.at_deadline(t, p)
    a.after_event(5, "x")
    assert a.next_time() == -3
    assert a.due(Cut(5, 5)) == [(-3, "b"), (-3, "e"), (0, "d")]
    assert a.due(Cut(6, 6)) == [(5, "x"), (5, "a"), (5, "c")]
    assert len(a) == 0


def test_agenda_keep_drops_moot_entries_and_renumbering_keeps_order() -> None:
    a = Agenda()
    for i in range(10):
        a.at_deadline(i % 3, i)
        a.after_event(i % 2, -i)
    a.keep(lambda p: p % 2 == 0)
    a._renumber()
    assert a.due(Cut(10, 10)) == [(0, 0), (0, -2), (0, -4), (0, -6), (0, -8),
                                  (0, 0), (0, 6), (1, 4), (2, 2), (2, 8)]
