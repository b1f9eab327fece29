"""Content negotiation: the HTTP Accept header with q-values (RFC 9110 §12.5.1), file extensions and ?format=.

One table names every format the server speaks; routes offer a subset in their order of preference, and the client's
Accept header picks among them. Ties in q go to the more specific media range, then to the route's order.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    key: str  # short name, as in ?format=
    media_type: str  # what we send in Content-Type (charset added for text)
    extension: str | None = None
    aliases: tuple[str, ...] = ()  # other media types a client may ask for this by


FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        Format("html", "text/html", ".html", ("application/xhtml+xml",)),
        Format("turtle", "text/turtle", ".ttl", ("application/x-turtle",)),
        Format("jsonld", "application/ld+json", ".jsonld", ("application/json",)),
        Format("nt", "application/n-triples", ".nt", ("text/plain",)),
        Format("rdfxml", "application/rdf+xml", ".rdf", ("application/xml", "text/xml")),
        Format("json", "application/sparql-results+json", None, ("application/json",)),
        Format("xml", "application/sparql-results+xml", None, ("application/xml", "text/xml")),
        Format("csv", "text/csv", None),
        Format("tsv", "text/tab-separated-values", None),
    )
}

RDF_FORMATS = ("turtle", "jsonld", "nt", "rdfxml")
RESULT_FORMATS = ("json", "xml", "csv", "tsv")
DOCUMENT_FORMATS = ("turtle", "html", "jsonld", "nt", "rdfxml")  # */* gets Turtle; browsers ask for HTML by name
EXTENSIONS = {f.extension: f.key for f in FORMATS.values() if f.extension}


@dataclass(frozen=True)
class Range:
    type: str
    subtype: str
    q: float
    order: int

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")

    def matches(self, media_type: str) -> bool:
        t, _, s = media_type.partition("/")
        return self.type in ("*", t) and self.subtype in ("*", s)


def parse_accept(header: str | None) -> list[Range]:
    """The media ranges of an Accept header; a missing or empty header means */*. Malformed parts are skipped."""
    if not header or not header.strip():
        return [Range("*", "*", 1.0, 0)]
    ranges = []
    for i, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            continue
        t, _, s = media.partition("/")
        q: float | None = 1.0
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value.strip())))
                except ValueError:
                    q = None  # an unreadable q: the range is ignored, as if not sent
        if q is not None:
            ranges.append(Range(t.strip(), s.strip(), q, i))
    return ranges


def quality(ranges: list[Range], media_type: str) -> tuple[float, int]:
    """The q the client gives a media type: from the most specific range that matches it (0 if none)."""
    best: Range | None = None
    for r in ranges:
        if r.matches(media_type) and (best is None or r.specificity > best.specificity):
            best = r
    return (best.q, best.specificity) if best else (0.0, -1)


def choose(accept: str | None, offers: tuple[str, ...] | list[str]) -> str | None:
    """The key of the best format among ``offers`` for this Accept header, or None (→ 406 Not Acceptable)."""
    ranges = parse_accept(accept)
    best: tuple[float, int, int] | None = None
    chosen = None
    for position, key in enumerate(offers):
        fmt = FORMATS[key]
        for media_type in (fmt.media_type, *fmt.aliases):
            q, specificity = quality(ranges, media_type)
            # an exact name beats an alias (application/json → SPARQL JSON for results, JSON-LD for graphs)
            exact = 1 if media_type == fmt.media_type else 0
            score = (q, specificity * 2 + exact, -position)
            if q > 0 and (best is None or score > best):
                best, chosen = score, key
    return chosen


def from_format_param(value: str | None, offers: tuple[str, ...] | list[str]) -> str | None:
    """?format=ttl|turtle|json|... or a full media type, as many SPARQL clients send it."""
    if not value:
        return None
    value = value.strip().lower()
    aliases = {"ttl": "turtle", "json-ld": "jsonld", "ntriples": "nt", "n-triples": "nt", "rdf": "rdfxml",
               "srj": "json",
               "srx": "xml"}
    key = aliases.get(value, value)
    if key in offers:
        return key
    if "/" in value:
        return choose(value, offers)
    return None


def content_type(key: str) -> str:
    media = FORMATS[key].media_type
    if media.startswith("text/") or media.endswith(("json", "+xml", "n-triples")):
        return f"{media}; charset=utf-8"
    return media
