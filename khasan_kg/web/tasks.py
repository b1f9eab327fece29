"""The jobs a query worker runs (see workers.py): each reads the store and returns plain, picklable data or bytes.

Serialisation happens here too, inside the time limit, so that a huge CONSTRUCT cannot stall the server's event loop.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef

from .. import queries as named_queries
from ..describe import describe
from ..errors import KhasanError
from ..export import INFERRED_GRAPH, ONTOLOGY_GRAPH, to_jsonld
from ..namespaces import GEO, ID, KH, PASSAGE, bind_prefixes
from ..render import RENDERERS, Results
from . import conneg
from .workers import JobError, Source

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


@dataclass
class State:
    store: Any  # GraphStore, or RemoteStore with the same select/query interface
    queries_dir: Path | None
    max_rows: int


def open_state(source: Source) -> State:
    from ..store import GraphStore

    if source.trig:
        store: Any = GraphStore.from_trig(Path(source.trig))
    elif source.store:
        store = GraphStore.open(Path(source.store), read_only=True)
    elif source.endpoint:
        from ..remote import RemoteStore  # type: ignore[import-not-found]

        store = RemoteStore(source.endpoint)
    else:
        raise ValueError("no graph to serve")
    qdir = Path(source.project_root) / "queries" if source.project_root else None
    return State(store, qdir if qdir and qdir.is_dir() else None, source.max_rows)


def run(state: State, name: str, args: Any) -> Any:
    job = JOBS.get(name)
    if job is None:
        raise JobError(500, f"no such job {name!r}")
    try:
        return job(state, *(args or ()))
    except KhasanError as exc:
        raise JobError(400, str(exc)) from exc


# --- the SPARQL endpoint -------------------------------------------------------------------------------------------


def sparql(state: State, text: str, accept: str | None, fmt: str | None, default_graphs: list[str],
           named_graphs: list[str]) -> tuple[str, bytes, int | None]:
    """Run any query; returns (content type, body, the row/triple limit if the answer was cut there, else None)."""
    import pyoxigraph as ox

    from ..store import GraphStore, to_rdflib

    limit = state.max_rows
    truncated = None
    if isinstance(state.store, GraphStore):
        kwargs: dict[str, Any] = state.store.dataset(inferred=True)  # merged graph: no repeated rows
        if default_graphs:
            kwargs["default_graph"] = [state.store.graph(g) for g in default_graphs]
        if named_graphs:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        try:
            result = state.store.store.query(text, **kwargs)
        except SyntaxError as exc:
            raise JobError(400, f"SPARQL syntax error: {exc}") from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise JobError(400, f"the query cannot run: {exc}") from None
        try:
            if isinstance(result, ox.QuerySolutions):
                variables = [v.value for v in result.variables]
                rows = [tuple(to_rdflib(s[v]) for v in variables) for s in itertools.islice(result, limit + 1)]
                answer: Any = Results(variables, rows)
            elif isinstance(result, ox.QueryBoolean):
                answer = bool(result)
            else:
                answer = [(to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object))
                          for t in itertools.islice(result, limit + 1)]
        except (OSError, RuntimeError, ValueError) as exc:  # errors raised while evaluating
            raise JobError(400, f"the query failed while running: {exc}") from None
    else:
        if default_graphs or named_graphs:
            raise JobError(400, "default-graph-uri / named-graph-uri are not supported when serving a remote endpoint")
        answer = state.store.query(text)
    if isinstance(answer, Results):
        if len(answer.rows) > limit:
            answer.rows, truncated = answer.rows[:limit], limit
        key = conneg.from_format_param(fmt, conneg.RESULT_FORMATS) or conneg.choose(accept, conneg.RESULT_FORMATS)
        _acceptable(key, conneg.RESULT_FORMATS)
        return conneg.content_type(key), RENDERERS[key](answer).encode("utf-8"), truncated
    if isinstance(answer, bool):
        key = conneg.from_format_param(fmt, conneg.RESULT_FORMATS) or conneg.choose(accept, conneg.RESULT_FORMATS)
        _acceptable(key, conneg.RESULT_FORMATS)
        return conneg.content_type(key), boolean_result(answer, key), None
    if len(answer) > limit:
        answer, truncated = answer[:limit], limit
    key = conneg.from_format_param(fmt, conneg.RDF_FORMATS) or conneg.choose(accept, conneg.RDF_FORMATS)
    _acceptable(key, conneg.RDF_FORMATS)
    return conneg.content_type(key), serialize(answer, key), truncated


def _acceptable(key: str | None, offers: tuple[str, ...]) -> None:
    if key is None:
        media = ", ".join(conneg.FORMATS[k].media_type for k in offers)
        raise JobError(406, f"none of the formats asked for in Accept can be given; this answer can be: {media}")


def boolean_result(value: bool, key: str) -> bytes:
    word = "true" if value else "false"
    if key == "json":
        return json.dumps({"head": {}, "boolean": value}).encode() + b"\n"
    if key == "xml":
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head/>\n'
                f"<boolean>{word}</boolean>\n</sparql>\n").encode()
    return f"_askResult\n{word}\n".encode()


def serialize(triples: list[Any] | Graph, key: str) -> bytes:
    """Triples in an RDF format; JSON-LD compacted with our own context (a dict: nothing is fetched)."""
    if isinstance(triples, Graph):
        graph = triples
    else:
        graph = Graph()
        bind_prefixes(graph)
        for t in triples:
            graph.add(t)
    if key == "jsonld":
        return to_jsonld(graph).encode("utf-8")
    rdflib_format = {"turtle": "turtle", "nt": "nt", "rdfxml": "pretty-xml"}[key]
    data = graph.serialize(format=rdflib_format, encoding="utf-8")
    return data if isinstance(data, bytes) else data.encode("utf-8")


# --- pages and documents --------------------------------------------------------------------------------------------


def _values(iris: set[str]) -> str:
    safe = [i for i in iris if not any(c in i for c in '<>"{}|^`\\ \n')]
    return " ".join(f"<{i}>" for i in sorted(safe))


def labels(state: State, iris: set[str] | list[str]) -> dict[str, dict[str, str]]:
    """{iri: {language: label}} for every IRI that has an rdfs:label (skos:prefLabel as a fallback)."""
    # blank nodes (an unnamed commander, say) have no IRI to look up: they keep no label here
    iris = {i for i in iris if i.startswith(("http://", "https://", "urn:"))}
    out: dict[str, dict[str, str]] = {}
    for chunk in _chunks(sorted(iris), 400):
        q = (f"SELECT ?s ?l WHERE {{ VALUES ?s {{ {_values(set(chunk))} }} "
             "{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } UNION "
             "{ ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?l } }")
        for s, label in state.store.select(q).rows:
            lang = (label.language or "").lower() if isinstance(label, Literal) else ""
            out.setdefault(str(s), {}).setdefault(lang, str(label))
    return out


def _chunks(items: list[str], n: int) -> list[list[str]]:
    return [items[i:i + n] for i in range(0, len(items), n)] or [[]]


def entity(state: State, iri: str) -> dict[str, Any] | None:
    """What an entity page shows: types, facts out and in (each with its passage), links out, labels of all."""
    d = describe(state.store, URIRef(iri), inferred=False)
    types = [str(r[0]) for r in state.store.select(f"SELECT DISTINCT ?t WHERE {{ <{iri}> a ?t }}").rows]
    if not d.exists and not types:
        return None
    out = [_fact(f) for f in d.outgoing]
    incoming = [_fact(f) for f in d.incoming]
    statements: list[dict[str, Any]] = []
    if iri.startswith(str(PASSAGE)):  # a passage: the statements it supports, i.e. its named graph
        rows = state.store.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }} ORDER BY ?s ?p ?o",
                                  inferred=False).rows
        statements = [{"s": str(s), "p": str(p), "o": _term(o)} for s, p, o in rows]
    geometry = [str(r[0]) for r in state.store.select(
        f"SELECT ?w WHERE {{ <{iri}> <{GEO.hasGeometry}>/<{GEO.asWKT}> ?w }}").rows]
    iris = {iri, *types}
    for f in out + incoming:
        iris.add(f["p"])
        for key in ("value", "passage"):
            v = f.get(key)
            if isinstance(v, dict) and v["type"] == "uri":
                iris.add(v["value"])
    for st in statements:
        iris.update({st["s"], st["p"]})
        if st["o"]["type"] == "uri":
            iris.add(st["o"]["value"])
    return {"iri": iri, "types": types, "out": out, "in": incoming, "statements": statements,
            "geometry": geometry, "labels": labels(state, iris)}


def _term(t: Any) -> dict[str, str]:
    if isinstance(t, URIRef):
        return {"type": "uri", "value": str(t)}
    if isinstance(t, Literal):
        return {"type": "literal", "value": str(t), "lang": t.language or "",
                "datatype": str(t.datatype) if t.datatype else ""}
    return {"type": "bnode", "value": str(t)}


def _fact(f: Any) -> dict[str, Any]:
    return {"p": str(f.predicate), "value": _term(f.value), "passage": _term(f.passage) if f.passage else None,
            "line": str(f.line) if f.line is not None else None, "part": str(f.part) if f.part is not None else None,
            "reference": f.reference()}


def entity_rdf(state: State, iri: str, key: str) -> bytes | None:
    """The document about one IRI: its triples out and in (asserted and kept entailments), with the labels of
    what they point at, so a client can show them."""
    q = f"""CONSTRUCT {{ <{iri}> ?p ?o . ?x ?q <{iri}> . ?o <{RDFS_LABEL}> ?ol . ?x <{RDFS_LABEL}> ?xl }} WHERE {{
      {{ <{iri}> ?p ?o OPTIONAL {{ ?o <{RDFS_LABEL}> ?ol }} }}
      UNION {{ ?x ?q <{iri}> OPTIONAL {{ ?x <{RDFS_LABEL}> ?xl }} }} }}"""
    triples = state.store.query(q)
    if not triples:
        return None
    return serialize(triples, key)


def index(state: State) -> dict[str, Any]:
    """Every entity under our namespace with its most specific kh: classes (passages left out: there are many)."""
    rows = state.store.select(f"""SELECT DISTINCT ?s ?t WHERE {{
        ?s a ?t . FILTER (STRSTARTS(STR(?s), "{ID}") && STRSTARTS(STR(?t), "{KH}"))
        FILTER NOT EXISTS {{ ?s a ?n . ?n <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?t FILTER (?n != ?t) }}
    }} ORDER BY ?s""", inferred=False).rows
    by: dict[str, list[str]] = {}
    for s, t in rows:
        by.setdefault(str(s), []).append(str(t))
    labs = labels(state, set(by) | {t for ts in by.values() for t in ts})
    return {"entities": [{"iri": s, "types": ts} for s, ts in by.items()], "labels": labs}


def named_query(state: State, name: str, params: dict[str, str]) -> dict[str, Any]:
    if state.queries_dir is None:
        raise JobError(404, "the named queries (queries/*.rq) are not available to this server")
    res = named_queries.run(state.store, state.queries_dir, name, params)
    rows = [{v: (_term(t) if t is not None else None) for v, t in zip(res.variables, row, strict=True)}
            for row in res.rows]
    iris = {c["value"] for r in rows for c in r.values() if c and c["type"] == "uri"}
    return {"variables": res.variables, "rows": rows, "labels": labels(state, iris)}


def query_library(state: State) -> list[dict[str, Any]]:
    if state.queries_dir is None:
        return []
    return [{"name": q.name, "title": q.title, "question": q.question, "text": q.text,
             "params": [p.__dict__ for p in q.params], "columns": q.columns}
            for q in named_queries.library(state.queries_dir).values()]


def order_of_battle(state: State) -> dict[str, Any]:
    """Units, who each stood under, and who commanded each (with dates), for the command-chain diagram."""
    units = state.store.select(f"""SELECT DISTINCT ?u ?parent ?side WHERE {{
        ?u a <{KH.MilitaryUnit}> .
        OPTIONAL {{ ?u <{KH.directlySubordinateTo}> ?parent }}
        OPTIONAL {{ ?u <{KH.armedForcesOf}> ?side }} }}""").rows
    commanders = state.store.select(f"""SELECT DISTINCT ?u ?c ?b ?e WHERE {{
        ?a a <{KH.CommandAssignment}> ; <{KH.commandedUnit}> ?u ; <{KH.commander}> ?c .
        OPTIONAL {{ ?a <{KH.begin}> ?b }} OPTIONAL {{ ?a <{KH.end}> ?e }} }} ORDER BY ?b""").rows
    echelons = state.store.select(f"""SELECT DISTINCT ?u ?rank WHERE {{
        ?u a <{KH.MilitaryUnit}> ; a ?c . ?c <{KH.echelonRank}> ?rank }}""").rows
    nodes: dict[str, dict[str, Any]] = {}
    for u, parent, side in units:
        n = nodes.setdefault(str(u), {"iri": str(u), "parents": [], "side": None, "commanders": [], "rank": None})
        if parent is not None and str(parent) not in n["parents"]:
            n["parents"].append(str(parent))
        if side is not None:
            n["side"] = str(side)
    for u, c, b, e in commanders:
        if str(u) in nodes:
            nodes[str(u)]["commanders"].append({"iri": str(c), "begin": str(b or ""), "end": str(e or "")})
    for u, rank in echelons:
        if str(u) in nodes:
            nodes[str(u)]["rank"] = int(rank.toPython()) if isinstance(rank, Literal) else None
    iris = set(nodes) | {c["iri"] for n in nodes.values() for c in n["commanders"]} | {
        n["side"] for n in nodes.values() if n["side"]} | {p for n in nodes.values() for p in n["parents"]}
    return {"units": list(nodes.values()), "labels": labels(state, iris)}


def places(state: State) -> dict[str, Any]:
    rows = state.store.select(f"""SELECT DISTINCT ?p ?wkt WHERE {{
        ?p a <{KH.Place}> . OPTIONAL {{ ?p <{GEO.hasGeometry}>/<{GEO.asWKT}> ?wkt }} }} ORDER BY ?p""").rows
    found: dict[str, list[str]] = {}
    for p, wkt in rows:
        found.setdefault(str(p), [])
        if wkt is not None:
            found[str(p)].append(str(wkt))
    return {"places": [{"iri": p, "wkt": w} for p, w in found.items()], "labels": labels(state, set(found))}


def ontology(state: State) -> list[tuple[str, str, dict[str, str]]]:
    """The ontology graph's triples about our terms, as (subject, predicate, object-term) for the docs page."""
    rows = state.store.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}",
                              inferred=False).rows
    return [(str(s), str(p), _term(o)) for s, p, o in rows]


def ontology_rdf(state: State, key: str) -> bytes:
    triples = state.store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}",
                                inferred=False)
    return serialize(triples, key)


def statistics(state: State) -> dict[str, Any]:
    """The counts VoID publishes."""
    def one(q: str, inferred: bool = False) -> int:
        return int(state.store.select(q, inferred=inferred).rows[0][0].toPython())

    stats: dict[str, Any] = {
        "triples": one("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", True),
        "asserted": one(f"""SELECT (COUNT(*) AS ?n) WHERE {{ {{ ?s ?p ?o }} UNION
            {{ GRAPH ?g {{ ?s ?p ?o }} FILTER (?g NOT IN (<{INFERRED_GRAPH}>, <{ONTOLOGY_GRAPH}>)) }} }}"""),
        "inferred": one(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}"),
        "entities": one(f'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a ?t FILTER STRSTARTS(STR(?s), "{ID}") }}',
                        True),
        "sameas": one("SELECT (COUNT(*) AS ?n) WHERE { ?s <http://www.w3.org/2002/07/owl#sameAs> ?o "
                      f'FILTER (STRSTARTS(STR(?s), "{ID}") && !STRSTARTS(STR(?o), "{ID}")) }}', True),
    }
    stats["classes"] = [(str(c), int(n.toPython())) for c, n in state.store.select(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY DESC(?n)", inferred=True).rows]
    stats["properties"] = [(str(p), int(n.toPython())) for p, n in state.store.select(
        "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n)", inferred=True).rows]
    stats["sameas_targets"] = [str(r[0]) for r in state.store.select(
        "SELECT DISTINCT ?ns WHERE { ?s <http://www.w3.org/2002/07/owl#sameAs> ?o "
        'BIND (REPLACE(STR(?o), "^(https?://[^/]+/[^/]+/).*$", "$1") AS ?ns) '
        f'FILTER (!STRSTARTS(STR(?o), "{ID}")) }}', inferred=True).rows]
    return stats


JOBS = {
    "sparql": sparql,
    "labels": labels,
    "entity": entity,
    "entity_rdf": entity_rdf,
    "index": index,
    "named_query": named_query,
    "query_library": query_library,
    "order_of_battle": order_of_battle,
    "places": places,
    "ontology": ontology,
    "ontology_rdf": ontology_rdf,
    "statistics": statistics,
}
