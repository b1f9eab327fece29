"""OWL 2 RL reasoning with owlrl, keeping only the entailments users want.

owlrl's closure is the reference semantics. From it we keep statements about our own instances (types in our and
the aligned vocabularies, inverse, transitive and chained properties) and drop the axiomatic noise: reflexive
owl:sameAs, rdf:type rdfs:Resource / owl:Thing, and anything about the vocabularies themselves.
"""

from __future__ import annotations

import owlrl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from .namespaces import ID, bind_prefixes

_NOISE_TYPES = {RDFS.Resource, OWL.Thing, OWL.NamedIndividual, RDFS.Class, OWL.Class}


def closure(asserted: Graph, ontology: Graph) -> Graph:
    """The full OWL 2 RL closure of data plus ontology (owlrl, no axiomatic or datatype triples)."""
    g = Graph()
    for t in asserted:
        g.add(t)
    for t in ontology:
        g.add(t)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(g)
    return g


def is_kept(triple: tuple, data_nodes: set) -> bool:  # type: ignore[type-arg]
    """Whether an entailed triple is one users want."""
    s, p, o = triple
    if isinstance(s, Literal):
        return False
    if not ((isinstance(s, URIRef) and str(s).startswith(ID)) or (isinstance(s, BNode) and s in data_nodes)):
        return False
    if p == OWL.sameAs and s == o:
        return False
    if p == RDF.type and o in _NOISE_TYPES:
        return False
    if p in (OWL.differentFrom, OWL.topObjectProperty, OWL.topDataProperty):
        return False
    if isinstance(o, BNode) and o not in data_nodes:
        return False
    return True


def entailments(asserted: Graph, ontology: Graph) -> Graph:
    """The entailments to keep: the closure minus what was asserted, filtered by :func:`is_kept`."""
    full = closure(asserted, ontology)
    data_nodes = {s for s in asserted.subjects() if isinstance(s, BNode)}
    data_nodes |= {o for o in asserted.objects() if isinstance(o, BNode)}
    kept = Graph()
    bind_prefixes(kept)
    for t in full:
        if t in asserted or t in ontology:
            continue
        if is_kept(t, data_nodes):
            kept.add(t)
    return kept
