"""OWL-Time for users who query time that way: derived by the build from kh:begin / kh:end / kh:date.

Every dated event or tenure gets a ``time:ProperInterval`` at ``<its IRI>#time``, linked by ``time:hasTime``, whose
``time:hasBeginning`` / ``time:hasEnd`` instants (``#begin``, ``#end``) carry the same values as
``time:inXSDDate`` or ``time:inXSDDateTime``. Where parts of the source disagree, an instant carries each value,
side by side, as the asserted data does; nothing here is functional. Vague dates (kh:earliest / kh:latest) are
editorial bounds and are not turned into instants.
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from .namespaces import ID, KH, TIME


def derive_time(data: Graph) -> Graph:
    """The OWL-Time triples for every dated subject in ``data`` (asserted graph, kh:date already or not expanded)."""
    out = Graph()
    ends: dict[URIRef, set[Literal]] = {}
    begins: dict[URIRef, set[Literal]] = {}
    for prop, targets in ((KH.begin, (begins,)), (KH.end, (ends,)), (KH.date, (begins, ends))):
        for s, value in data.subject_objects(prop):
            if isinstance(s, URIRef) and str(s).startswith(ID) and isinstance(value, Literal):
                for target in targets:
                    target.setdefault(s, set()).add(value)
    for subject in sorted(set(begins) | set(ends), key=str):
        interval = URIRef(f"{subject}#time")
        out.add((subject, TIME.hasTime, interval))
        out.add((interval, RDF.type, TIME.ProperInterval))
        for values, link, suffix in ((begins, TIME.hasBeginning, "begin"), (ends, TIME.hasEnd, "end")):
            if subject not in values:
                continue
            instant = URIRef(f"{subject}#{suffix}")
            out.add((interval, link, instant))
            out.add((instant, RDF.type, TIME.Instant))
            for value in values[subject]:
                position = TIME.inXSDDateTime if value.datatype == XSD.dateTime else TIME.inXSDDate
                out.add((instant, position, value))
    return out
