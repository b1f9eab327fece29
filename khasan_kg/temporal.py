"""OWL-Time for users who query time that way: derived by the build from kh:begin / kh:end / kh:date.

Every dated event or tenure gets a ``time:ProperInterval`` at ``<its IRI>#time``, linked by ``time:hasTime``, whose
``time:hasBeginning`` / ``time:hasEnd`` instants (``#begin``, ``#end``) carry the same values as
``time:inXSDDate`` or ``time:inXSDDateTime``. Where parts of the source disagree, an instant carries each value,
side by side, as the asserted data does; nothing here is functional. Vague dates (kh:earliest / kh:latest) are
editorial bounds and are not turned into instants.

``derive_time_into`` writes them into DERIVED_GRAPH of the build's store with one SPARQL update over the asserted
data; ``derive_time`` keeps the old rdflib signature (it runs the same update on a scratch store).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import RDF, XSD

from .namespaces import DERIVED_GRAPH, ID, KH, TIME
from .provenance import asserted, derived_graph, into_graph, store_from_dataset, store_of

if TYPE_CHECKING:
    from .load import Loaded

# kh:date is a one-day event: it gives both instants. A value of type xsd:dateTime (an hour is known) goes in
# time:inXSDDateTime, anything else in time:inXSDDate, as the asserted value is (a wrong type is the shapes' to
# report, not this derivation's to fix). One bound property per branch: each reads its own index range. GRAPH_ is
# the graph it writes into (provenance.into_graph).
TIME_UPDATE = f"""PREFIX kh: <{KH}>
PREFIX time: <{TIME}>
PREFIX rdf: <{RDF}>
PREFIX xsd: <{XSD}>
INSERT {{ GRAPH <GRAPH_> {{
    ?s time:hasTime ?interval .
    ?interval rdf:type time:ProperInterval ; ?link ?instant .
    ?instant rdf:type time:Instant ; ?position ?value .
}} }}
WHERE {{
    {{ {asserted("?s kh:begin ?value", "g1")} BIND (time:hasBeginning AS ?link) BIND ("begin" AS ?suffix) }}
    UNION {{ {asserted("?s kh:end ?value", "g2")} BIND (time:hasEnd AS ?link) BIND ("end" AS ?suffix) }}
    UNION {{
        {asserted("?s kh:date ?value", "g3")}
        VALUES (?link ?suffix) {{ (time:hasBeginning "begin") (time:hasEnd "end") }}
    }}
    FILTER (isIRI(?s) && STRSTARTS(STR(?s), "{ID}") && isLiteral(?value))
    BIND (IRI(CONCAT(STR(?s), "#time")) AS ?interval)
    BIND (IRI(CONCAT(STR(?s), "#", ?suffix)) AS ?instant)
    BIND (IF(DATATYPE(?value) = xsd:dateTime, time:inXSDDateTime, time:inXSDDate) AS ?position)
}}"""


def derive_time_into(target: Loaded | ox.Store) -> int:
    """Write the OWL-Time triples for every dated subject of the asserted data (kh:date not expanded or
    expanded, it makes no difference) into DERIVED_GRAPH. Returns how many triples it added."""
    store = store_of(target)
    before = len(store)
    store.update(into_graph(TIME_UPDATE, ox.NamedNode(str(DERIVED_GRAPH))))
    return len(store) - before


def derive_time(data: Graph) -> Graph:
    """The OWL-Time triples for every dated subject in an rdflib graph of asserted data (the reference path):
    ``derive_time_into`` run on a scratch store, returned as an rdflib graph."""
    store = store_from_dataset(data)
    derive_time_into(store)
    return derived_graph(store)
