"""Competency questions a historian asks the graph, answered from the source — each with its passage.

These pin facts the source states (and the disagreements between its parts) so that an edit of graph/ that loses
one of them fails here, with the question that broke.
"""

from __future__ import annotations

from khasan_kg import queries
from khasan_kg.render import cell

PREFIX = """PREFIX kh: <https://w3id.org/khasan/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX person: <https://w3id.org/khasan/id/person/>
PREFIX unit: <https://w3id.org/khasan/id/unit/>
PREFIX actor: <https://w3id.org/khasan/id/actor/>
PREFIX event: <https://w3id.org/khasan/id/event/>
PREFIX place: <https://w3id.org/khasan/id/place/>
PREFIX equip: <https://w3id.org/khasan/id/equipment/>
PREFIX rank: <https://w3id.org/khasan/id/rank/>
PREFIX office: <https://w3id.org/khasan/id/office/>
PREFIX deco: <https://w3id.org/khasan/id/decoration/>
"""


def ask(store, query: str) -> bool:  # type: ignore[no-untyped-def]
    return bool(store.query(PREFIX + query))


def values(store, query: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {cell(row[0]) for row in store.select(PREFIX + query).rows}


def run(store, project, name: str, **params: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    results = queries.run(store, project.queries_dir, name, params)
    return [{k: cell(v) for k, v in row.items()} for row in results.dicts()]


# --- people -----------------------------------------------------------------------------------------------------

def test_who_commanded_the_39th_rifle_corps_and_which_passage_says_so(store) -> None:  # type: ignore[no-untyped-def]
    assert ask(store, "ASK { person:stern kh:commands unit:su-39th-rifle-corps }")
    passages = values(store, """SELECT ?g WHERE { GRAPH ?g { ?a kh:commander person:stern ;
                                                              kh:commandedUnit unit:su-39th-rifle-corps } }""")
    assert passages and all("/passage/55b75445-" in p or p.startswith("psg:") for p in passages)


def test_what_rank_and_offices_the_commanders_held(store) -> None:  # type: ignore[no-untyped-def]
    assert ask(store, "ASK { person:blyukher kh:rank rank:marshal-of-the-soviet-union }")
    assert ask(store, "ASK { ?t kh:holder person:mekhlis ; kh:role office:deputy-people-s-commissar-of-defence }")
    assert ask(store, "ASK { ?t kh:holder person:stern ; kh:role office:chief-of-staff ; kh:organization unit:su-far-eastern-front }")
    assert ask(store, "ASK { ?t kh:holder person:lyushkov ; kh:role office:nkvd-plenipotentiary ; kh:organization actor:nkvd }")


def test_the_border_guards_record_names_karatsupa_and_his_275_arrests(store) -> None:  # type: ignore[no-untyped-def]
    assert ask(store, "ASK { ?f kh:about person:karatsupa ; kh:prisoners 275 }")


def test_the_first_article_is_signed_by_chumakov(store) -> None:  # type: ignore[no-untyped-def]
    assert ask(store, """ASK { <https://w3id.org/khasan/id/document/source-55b75445-part1>
                              <http://purl.org/dc/terms/creator> person:chumakov }""")


# --- units and command chains -------------------------------------------------------------------------------------

def test_which_formations_made_up_the_39th_rifle_corps(store, project) -> None:  # type: ignore[no-untyped-def]
    rows = run(store, project, "order-of-battle", root="39th Rifle Corps")
    direct = {r["unit"] for r in rows if r["parent"] == "unit:su-39th-rifle-corps"}
    assert {"unit:su-32nd-rifle-division", "unit:su-40th-rifle-division", "unit:su-2nd-mechanized-brigade"} <= direct


def test_the_japanese_19th_division_belonged_to_the_korean_army(store) -> None:  # type: ignore[no-untyped-def]
    assert ask(store, "ASK { unit:jp-19th-division kh:directlySubordinateTo unit:jp-korean-army }")
    assert ask(store, "ASK { unit:jp-19th-division kh:armedForcesOf actor:japan }")


def test_the_command_chain_from_a_division_reaches_its_corps_commander(store, project) -> None:  # type: ignore[no-untyped-def]
    rows = run(store, project, "command-chain", unit="40th Rifle Division", date="1938-08-09")
    assert any(r["superior"] == "unit:su-39th-rifle-corps" and r["commander"] == "person:stern" for r in rows)


# --- timeline -----------------------------------------------------------------------------------------------------

def test_the_timeline_of_the_fighting_runs_from_29_july_to_the_truce(store, project) -> None:  # type: ignore[no-untyped-def]
    rows = run(store, project, "timeline", **{"from": "1938-07-29", "to": "1938-08-13"})
    events = [r["event"] for r in rows]
    assert "event:soviet-general-offensive-1938-08-06" in events and "event:truce-1938-08-11" in events
    assert events.index("event:soviet-general-offensive-1938-08-06") < events.index("event:truce-1938-08-11")
    whens = [r["when"] for r in rows]
    assert whens == sorted(whens)


def test_the_air_strike_of_6_august_has_its_hour(store) -> None:  # type: ignore[no-untyped-def]
    hours = values(store, "SELECT ?d WHERE { event:soviet-air-strike-1938-08-06 kh:date ?d }")
    assert "1938-08-06T16:00:00" in hours


def test_buddhist_era_years_are_converted(store) -> None:  # type: ignore[no-untyped-def]
    # the source dates the founding of Manchukuo "9 มีนาคม พ.ศ. 2475": 2475 − 543 = 1932
    years = values(store, """SELECT ?y WHERE { { event:founding-of-manchukuo kh:date ?d } UNION
                                               { event:founding-of-manchukuo kh:earliest ?d } BIND(YEAR(?d) AS ?y) }""")
    assert years == {"1932"}


# --- places and equipment -----------------------------------------------------------------------------------------

def test_what_happened_at_zaozernaya(store, project) -> None:  # type: ignore[no-untyped-def]
    events = {r["event"] for r in run(store, project, "place-events", place="Zaozernaya Height")}
    assert "event:japanese-occupation-of-heights-1938-07" in events or "event:soviet-capture-of-zaozernaya-1938-08-08" in events
    assert len(events) >= 5


def test_which_tanks_and_bombers_were_used_on_6_august(store) -> None:  # type: ignore[no-untyped-def]
    used = values(store, """SELECT ?e WHERE { { ?ev kh:equipmentUsed ?e } UNION { ?f kh:ofEquipment ?e ; kh:about ?ev }
                                               ?ev kh:begin ?d FILTER (STRSTARTS(STR(?d), "1938-08-06")) }""")
    assert {"equip:bt-5", "equip:bt-7"} <= used
    assert {"equip:tb-3", "equip:sb"} & used


# --- figures and disagreements ------------------------------------------------------------------------------------

def test_soviet_dead_are_given_by_at_least_five_accounts(store, project) -> None:  # type: ignore[no-untyped-def]
    rows = run(store, project, "casualties", side="actor:ussr")
    killed = [(r["value"], r["passage"]) for r in rows if r["measure"] == "killed" and r["about"] == "event:battle-of-lake-khasan"]
    assert len(killed) >= 5
    assert {"408", "792", "960", "970"} <= {v for v, _ in killed}


def test_the_official_1993_figures_sit_beside_the_japanese_general_staffs(store, project) -> None:  # type: ignore[no-untyped-def]
    rows = run(store, project, "casualties", side="actor:japan")
    by_value = {(r["measure"], r["value"]) for r in rows}
    assert {("killed", "525"), ("killed", "526"), ("wounded", "913")} <= by_value


def test_every_disagreement_the_source_holds_is_listed_with_all_its_values(store, project) -> None:  # type: ignore[no-untyped-def]
    rows = run(store, project, "conflicting-claims")
    def vals(subject: str, prop: str) -> set[str]:
        return {r["value"] for r in rows if r["subject"] == subject and r["property"] == prop}
    assert {"180", "216"} <= vals("event:soviet-air-strike-1938-08-06", "kh:aircraftCount")
    assert {"12", "13"} <= vals("event:japanese-counter-attacks-1938-08-07", "kh:attackCount")
    assert {"1938-06-13", "1938-06-14"} <= vals("event:lyushkov-defection", "kh:date")
    assert {"1938-07-30", "1938-07-31"} <= vals("event:japanese-occupation-of-heights-1938-07", "kh:date")
    assert {"1938-08-11T12:00:00", "1938-08-11T14:30:00"} <= vals("event:truce-1938-08-11", "kh:date")
    assert {"1938-08-06", "1938-08-11"} <= {v[:10] for v in vals("event:battle-of-lake-khasan", "kh:end")}
    # every value comes with the part and line that state it
    assert all(r["part"] and r["line"] for r in rows)


def test_a_false_claim_stays_flagged_as_disputed_with_its_reason(store) -> None:  # type: ignore[no-untyped-def]
    reasons = values(store, "SELECT ?r WHERE { ?x kh:disputed true ; kh:disputeReason ?r }")
    assert any("Yamato" in r for r in reasons)


def test_garbled_names_carry_the_printed_form_and_a_note(store) -> None:  # type: ignore[no-untyped-def]
    assert ask(store, """ASK { ?x kh:asPrinted ?printed ; kh:editorialNote ?note
                              FILTER (CONTAINS(STR(?printed), "IC ที่ 39")) }""")


# --- names and languages ------------------------------------------------------------------------------------------

def test_entities_carry_thai_surface_forms_and_russian_or_japanese_names(store) -> None:  # type: ignore[no-untyped-def]
    assert ask(store, 'ASK { unit:su-39th-rifle-corps ?p ?l FILTER (lang(?l) = "th") }')
    assert ask(store, 'ASK { person:blyukher rdfs:label ?l FILTER (lang(?l) = "ru") }')
    assert ask(store, 'ASK { place:zaozernaya rdfs:label ?l FILTER (lang(?l) = "ja") }')
